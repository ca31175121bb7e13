//! Lab declarations: each lab declares its settings, methods (with their papers and knobs) and
//! metrics once; the page's controls, the share link, validation, the CLI and the docs are all
//! derived from these declarations. No lab writes its own form or URL parsing.

pub mod basics;
pub mod continual;
pub mod merging;
pub mod mi;

use crate::engine::gpu::GpuContext;
use crate::engine::{EngineError, Exec, Result};
use crate::experiment::Experiment;
use crate::runner::{History, Picture, RunReport, Views};
use serde::Serialize;

/// The allowed values of a setting or knob.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Kind {
    Int {
        min: i64,
        max: i64,
    },
    /// `log`: the control moves on a log scale (learning rates, λ).
    Float {
        min: f64,
        max: f64,
        log: bool,
    },
    Choice {
        options: &'static [&'static str],
    },
    Bool,
}

/// A setting's value. Choices are stored by name so links stay readable.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Int(i64),
    Float(f64),
    Choice(String),
    Bool(bool),
}

impl Value {
    pub fn as_f64(&self) -> f64 {
        match self {
            Value::Int(v) => *v as f64,
            Value::Float(v) => *v,
            Value::Bool(b) => *b as u8 as f64,
            Value::Choice(_) => f64::NAN,
        }
    }
    pub fn as_str(&self) -> &str {
        match self {
            Value::Choice(s) => s,
            _ => "",
        }
    }
    pub fn as_bool(&self) -> bool {
        matches!(self, Value::Bool(true))
    }
    /// How the value is written in a link: shortest round-tripping form.
    pub fn to_link(&self) -> String {
        match self {
            Value::Int(v) => v.to_string(),
            Value::Float(v) => format!("{v}"),
            Value::Choice(s) => s.clone(),
            Value::Bool(b) => if *b { "1" } else { "0" }.into(),
        }
    }
}

/// One setting of a lab, or one knob of a method.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Setting {
    pub key: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    pub default: Value,
    pub unit: &'static str,
    pub help: &'static str,
}

impl Setting {
    /// Parses a link value, or says why not, naming the allowed range.
    pub fn parse(&self, text: &str) -> std::result::Result<Value, String> {
        let range = self.range();
        match &self.kind {
            Kind::Int { min, max } => match text.parse::<i64>() {
                Ok(v) if (*min..=*max).contains(&v) => Ok(Value::Int(v)),
                _ => Err(format!("expected an integer in {range}")),
            },
            Kind::Float { min, max, .. } => match text.parse::<f64>() {
                Ok(v) if v.is_finite() && *min <= v && v <= *max => Ok(Value::Float(v)),
                _ => Err(format!("expected a number in {range}")),
            },
            Kind::Choice { options } => match options.iter().find(|o| **o == text) {
                Some(o) => Ok(Value::Choice((*o).to_string())),
                None => Err(format!("expected one of {range}")),
            },
            Kind::Bool => match text {
                "1" | "true" | "on" => Ok(Value::Bool(true)),
                "0" | "false" | "off" => Ok(Value::Bool(false)),
                _ => Err("expected 1 or 0".into()),
            },
        }
    }
    /// The allowed values, as a person reads them.
    pub fn range(&self) -> String {
        match &self.kind {
            Kind::Int { min, max } => format!("[{min}, {max}]"),
            Kind::Float { min, max, .. } => format!("[{min}, {max}]"),
            Kind::Choice { options } => options.join(", "),
            Kind::Bool => "0, 1".into(),
        }
    }
}

/// Where a method comes from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Paper {
    pub title: &'static str,
    pub url: &'static str,
}

/// A method a lab can compare, with its own knobs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MethodDecl {
    pub id: &'static str,
    pub title: &'static str,
    pub paper: Option<Paper>,
    /// What to look for in the views.
    pub explain: &'static str,
    pub knobs: Vec<Setting>,
}

/// A ready-made experiment that tells one story, as the query part of a share link.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Preset {
    pub id: &'static str,
    pub title: &'static str,
    /// `key=value&…` after `#/<lab>?v=1&`; empty for the lab's defaults.
    pub query: &'static str,
}

/// Everything the generic parts need to know about a lab.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LabDecl {
    pub id: &'static str,
    pub title: &'static str,
    pub summary: &'static str,
    pub settings: Vec<Setting>,
    pub methods: Vec<MethodDecl>,
    /// Methods enabled when a link names none.
    pub default_methods: Vec<&'static str>,
    /// Metric names the runs report (CLI and export keys).
    pub metrics: Vec<&'static str>,
    pub presets: Vec<Preset>,
}

impl LabDecl {
    pub fn setting(&self, key: &str) -> Option<&Setting> {
        self.settings.iter().find(|s| s.key == key)
    }
    pub fn method(&self, id: &str) -> Option<&MethodDecl> {
        self.methods.iter().find(|m| m.id == id)
    }
    /// The share link of a preset.
    pub fn preset_link(&self, preset: &Preset) -> String {
        if preset.query.is_empty() {
            format!("#/{}?v=1", self.id)
        } else {
            format!("#/{}?v=1&{}", self.id, preset.query)
        }
    }
}

/// Every lab, in the order the page lists them. The first is the default.
pub fn registry() -> Vec<LabDecl> {
    vec![
        basics::declaration(),
        continual::declaration(),
        mi::declaration(),
        merging::declaration(),
    ]
}

/// One method's run group in whichever lab: the runner and the page drive every lab through it.
pub enum Group {
    Basics(Box<basics::Group>),
    Continual(Box<continual::Group>),
    Merging(Box<merging::Group>),
    Mi(Box<mi::Group>),
}

impl Group {
    /// Builds method `method`'s program (all of the experiment's runs) on a backend.
    pub async fn new(
        exp: &Experiment,
        lab: &LabDecl,
        method: &str,
        gpu: Option<&GpuContext>,
    ) -> Result<Group> {
        Ok(match lab.id {
            "basics" => Group::Basics(Box::new(basics::Group::new(exp, lab, method, gpu).await?)),
            "mi" => Group::Mi(Box::new(mi::Group::new(exp, lab, method, gpu).await?)),
            "continual" => Group::Continual(Box::new(
                continual::Group::new(exp, lab, method, gpu).await?,
            )),
            "merging" => {
                Group::Merging(Box::new(merging::Group::new(exp, lab, method, gpu).await?))
            }
            other => {
                return Err(EngineError::Invalid {
                    op: "lab",
                    detail: format!("lab {other} has no runner"),
                })
            }
        })
    }
    pub fn method(&self) -> &str {
        match self {
            Group::Basics(g) => &g.method,
            Group::Continual(g) => &g.method,
            Group::Merging(g) => &g.method,
            Group::Mi(g) => &g.method,
        }
    }
    /// Training steps taken so far.
    pub fn step(&self) -> u32 {
        match self {
            Group::Basics(g) => g.step,
            Group::Continual(g) => g.step,
            Group::Merging(g) => g.step,
            Group::Mi(g) => g.step,
        }
    }
    pub fn exec(&self) -> &Exec {
        match self {
            Group::Basics(g) => &g.exec,
            Group::Continual(g) => &g.exec,
            Group::Merging(g) => &g.exec,
            Group::Mi(g) => &g.exec,
        }
    }
    pub fn history(&self) -> &History {
        match self {
            Group::Basics(g) => &g.history,
            Group::Continual(g) => &g.history,
            Group::Merging(g) => &g.history,
            Group::Mi(g) => &g.history,
        }
    }
    /// Queues `steps` training steps (the GPU runs them asynchronously); a lab with phases
    /// waits for the device at a phase's end to do its bookkeeping.
    pub async fn train(&mut self, steps: u32) -> Result<()> {
        match self {
            Group::Basics(g) => g.train(steps),
            Group::Continual(g) => g.train(steps).await,
            Group::Merging(g) => g.train(steps).await,
            Group::Mi(g) => g.train(steps),
        }
    }
    /// Records the metrics at the current step (an evaluation pass, or the training windows).
    pub async fn observe(&mut self) -> Result<()> {
        match self {
            Group::Basics(g) => g.evaluate().await,
            Group::Continual(g) => g.observe().await,
            Group::Merging(g) => g.observe().await,
            Group::Mi(g) => g.observe().await,
        }
    }
    /// How many steps apart the headless runner observes, for `total` steps.
    pub fn observe_every(&self, total: u32) -> u32 {
        match self {
            Group::Basics(_) => (total / 100).max(1),
            Group::Continual(g) => g.observe_every(),
            Group::Merging(g) => g.observe_every(),
            Group::Mi(g) => g.observe_every(),
        }
    }
    /// The lab's costly picture of run 0 (the Basics boundary and network), if it has one.
    pub async fn picture(&mut self) -> Result<Option<Picture>> {
        match self {
            Group::Basics(g) => Ok(Some(Picture {
                grid: g.grid().await?,
                weights: g.network().await?,
            })),
            Group::Continual(_) | Group::Merging(_) | Group::Mi(_) => Ok(None),
        }
    }
    pub fn reports(&self, seed: u32) -> Vec<RunReport> {
        self.history().reports(self.method(), seed)
    }
}

/// Training steps of a whole run of `exp`.
pub fn total_steps(lab: &LabDecl, exp: &Experiment) -> u32 {
    match lab.id {
        "mi" => mi::Recipe::from_settings(exp).total_steps(),
        "continual" => continual::model::Recipe::from_settings(exp).total_steps(),
        "merging" => {
            let get = |k: &str| exp.settings.get(k).map_or(0, |v| v.as_f64() as u32);
            let multitask = exp.methods.iter().any(|m| m.id.starts_with("mt_"));
            get("base_steps") + get("steps") * get("tasks") * if multitask { 2 } else { 1 }
        }
        _ => exp
            .settings
            .get("steps")
            .map_or(2000, |v| v.as_f64() as u32),
    }
}

/// The page's views of a session's groups (all of one lab). `pictures` holds each group's
/// latest picture, by method.
pub fn views(
    lab: &LabDecl,
    exp: &Experiment,
    groups: &[Group],
    pictures: &[(String, Picture)],
) -> Views {
    let colours: Vec<usize> = groups
        .iter()
        .map(|g| {
            lab.methods
                .iter()
                .position(|m| m.id == g.method())
                .unwrap_or(0)
        })
        .collect();
    // The session's groups of one lab, unboxed.
    macro_rules! of {
        ($variant:ident) => {
            groups
                .iter()
                .filter_map(|g| match g {
                    Group::$variant(g) => Some(&**g),
                    _ => None,
                })
                .collect::<Vec<_>>()
        };
    }
    match lab.id {
        "mi" => mi::views(&of!(Mi), &colours, exp),
        "merging" => merging::views(&of!(Merging), &colours, exp),
        "continual" => continual::views(&of!(Continual), &colours, exp),
        _ => basics::views(&of!(Basics), &colours, pictures, exp.seed),
    }
}

/// Shorthands for declarations.
pub fn int(
    key: &'static str,
    label: &'static str,
    min: i64,
    max: i64,
    default: i64,
    unit: &'static str,
    help: &'static str,
) -> Setting {
    Setting {
        key,
        label,
        kind: Kind::Int { min, max },
        default: Value::Int(default),
        unit,
        help,
    }
}
pub fn float(
    key: &'static str,
    label: &'static str,
    min: f64,
    max: f64,
    default: f64,
    unit: &'static str,
    help: &'static str,
) -> Setting {
    Setting {
        key,
        label,
        kind: Kind::Float {
            min,
            max,
            log: false,
        },
        default: Value::Float(default),
        unit,
        help,
    }
}
pub fn log_float(
    key: &'static str,
    label: &'static str,
    min: f64,
    max: f64,
    default: f64,
    help: &'static str,
) -> Setting {
    Setting {
        key,
        label,
        kind: Kind::Float {
            min,
            max,
            log: true,
        },
        default: Value::Float(default),
        unit: "",
        help,
    }
}
pub fn choice(
    key: &'static str,
    label: &'static str,
    options: &'static [&'static str],
    default: &'static str,
    help: &'static str,
) -> Setting {
    Setting {
        key,
        label,
        kind: Kind::Choice { options },
        default: Value::Choice(default.into()),
        unit: "",
        help,
    }
}
pub fn flag(key: &'static str, label: &'static str, default: bool, help: &'static str) -> Setting {
    Setting {
        key,
        label,
        kind: Kind::Bool,
        default: Value::Bool(default),
        unit: "",
        help,
    }
}
