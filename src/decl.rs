//! Declarations: plain data that says what a lab is (its settings, methods with their papers and
//! knobs, metrics and presets). The page's controls, the share link, validation, the CLI and the
//! docs are derived from these; nothing here knows how a lab trains.

use serde::Serialize;
use std::collections::BTreeMap;

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
        options: Vec<&'static str>,
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
    /// Why no claim of its paper is checked here, when none is (a method that names a paper
    /// has a claim or says why not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_claim: Option<&'static str>,
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
    /// The smallest settings that train every method a little (`key=value&…`), one per
    /// scenario: the every-method test (`tests/labs.rs`) runs each of the lab's methods on the
    /// one that lists it in `methods=`, or on the first that lists none.
    pub smoke: &'static [&'static str],
    /// Settings laid over any of the lab's links (its default and its presets, `key=value&…`)
    /// so that it trains in seconds on a software GPU: the end-to-end tests run every preset of
    /// every lab with them (`tests/e2e/presets.test.mjs`).
    pub quick: &'static str,
    /// Seeds per method in the default link (`crate::experiment::DEFAULT_RUNS` in most labs):
    /// fewer where a run takes long enough that the default would keep a class waiting.
    pub runs: u32,
    /// Whether the lab trains on your own table (a CSV file), and what it takes.
    pub own_data: Option<OwnData>,
}

/// How a lab takes your own data: the choice setting whose `own` option trains on a given table
/// (`crate::data::table`), how many feature columns it needs, and how many classes it tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct OwnData {
    pub setting: &'static str,
    /// Feature columns it needs (the first ones besides the label are used), or `None`: any.
    pub features: Option<usize>,
    pub max_classes: usize,
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
/// A choice setting whose options are the variants of `T`, in `T::OPTIONS`' order: the code
/// reads it back as a `T` (`Settings::choice`), so the two cannot disagree.
pub fn choice<T: Choice>(
    key: &'static str,
    label: &'static str,
    default: T,
    help: &'static str,
) -> Setting {
    Setting {
        key,
        label,
        kind: Kind::Choice {
            options: T::OPTIONS.iter().map(|(name, _)| *name).collect(),
        },
        default: Value::Choice(T::name(default).into()),
        unit: "",
        help,
    }
}

/// The options of a choice setting as a Rust enum: each variant with its name in links.
pub trait Choice: Copy + PartialEq + 'static {
    /// Every variant with its name, in the order the control lists them.
    const OPTIONS: &'static [(&'static str, Self)];

    /// The variant's name in links.
    fn name(self) -> &'static str {
        let found = Self::OPTIONS.iter().find(|(_, v)| *v == self);
        found.map_or("", |(name, _)| *name)
    }
    /// The variant named `name`, if there is one.
    fn named(name: &str) -> Option<Self> {
        let found = Self::OPTIONS.iter().find(|(n, _)| *n == name);
        found.map(|(_, v)| *v)
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

/// One method's knob values as a run uses them: the link's choices over the declaration's
/// defaults, so a default is written once, in the method's declaration.
pub struct Knobs<'a> {
    pub method: &'a MethodDecl,
    pub chosen: Option<&'a BTreeMap<String, Value>>,
}

impl Knobs<'_> {
    /// The value of knob `key`.
    ///
    /// Panics when the method reads a knob it never declared: a bug in that method's file,
    /// which the every-method test (`tests/labs.rs`) meets before any user can.
    pub fn value(&self, key: &str) -> &Value {
        let declared = self.method.knobs.iter().find(|k| k.key == key);
        let Some(declared) = declared else {
            panic!(
                "method {} reads knob {key}, which it does not declare",
                self.method.id
            )
        };
        self.chosen
            .and_then(|c| c.get(key))
            .unwrap_or(&declared.default)
    }
    pub fn f32(&self, key: &str) -> f32 {
        self.value(key).as_f64() as f32
    }
    pub fn usize(&self, key: &str) -> usize {
        self.value(key).as_f64() as usize
    }
    /// A choice knob as its enum (declared with [`choice`] from the same `T`); panics as
    /// [`Settings::choice`] does.
    pub fn choice<T: Choice>(&self, key: &str) -> T {
        chosen(self.method.id, key, self.value(key))
    }
}

/// `value` as a `T`; panics, naming the options, when it is none of them.
fn chosen<T: Choice>(owner: &str, key: &str, value: &Value) -> T {
    let name = value.as_str();
    T::named(name).unwrap_or_else(|| {
        let options: Vec<&str> = T::OPTIONS.iter().map(|(n, _)| *n).collect();
        panic!(
            "{owner}'s {key} is {name:?}, none of {}",
            options.join(", ")
        )
    })
}

/// A lab's settings as its code reads them: each value by its declared type. An experiment
/// holds every declared setting (its link's values over the declaration's defaults), so a
/// default is written once, in the declaration.
pub struct Settings<'a> {
    pub lab: &'a str,
    pub values: &'a BTreeMap<String, Value>,
}

impl Settings<'_> {
    /// The value of setting `key`.
    ///
    /// Panics when the lab reads a setting it never declared: a bug in the lab, which the
    /// every-method test (`tests/labs.rs`) meets before any user can.
    pub fn value(&self, key: &str) -> &Value {
        match self.values.get(key) {
            Some(v) => v,
            None => panic!(
                "the {} lab reads setting {key}, which it does not declare",
                self.lab
            ),
        }
    }
    pub fn f64(&self, key: &str) -> f64 {
        self.value(key).as_f64()
    }
    pub fn f32(&self, key: &str) -> f32 {
        self.f64(key) as f32
    }
    pub fn u32(&self, key: &str) -> u32 {
        self.f64(key) as u32
    }
    pub fn usize(&self, key: &str) -> usize {
        self.f64(key) as usize
    }
    pub fn bool(&self, key: &str) -> bool {
        self.value(key).as_bool()
    }
    /// A choice setting as its enum (declared with [`choice`] from the same `T`).
    ///
    /// Panics, naming the options, when the value is none of `T`'s: the lab declared the
    /// setting with other options than it reads, a bug the every-method test meets first.
    pub fn choice<T: Choice>(&self, key: &str) -> T {
        chosen(self.lab, key, self.value(key))
    }
}

/// Looks up `id` in a lab's method table: an unknown id is an error naming the choices, never a
/// silent fallback to a baseline.
pub fn find_method<'t, M>(
    table: &'t [M],
    decl: impl Fn(&M) -> MethodDecl,
    lab: &str,
    id: &str,
) -> std::result::Result<&'t M, String> {
    table.iter().find(|m| decl(m).id == id).ok_or_else(|| {
        let known: Vec<&str> = table.iter().map(|m| decl(m).id).collect();
        format!(
            "the {lab} lab has no method {id:?} (methods: {})",
            known.join(", ")
        )
    })
}
