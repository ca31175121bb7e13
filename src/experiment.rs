//! The Experiment and its share link: `#/<lab>?v=1&seed=7&runs=5&methods=ewc,lwf&ewc.lambda=100`.
//!
//! Readable, versioned, and only non-default values. Parsing never fails and never panics: every
//! bad key or value becomes a `LinkProblem` naming the key, the value and what is allowed, and the
//! key keeps its default. The CLI turns problems into exit status 2; the page shows them and runs.

use crate::data::table::{self, Table};
use crate::decl::{Knobs, LabDecl, MethodDecl, Settings, Value};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// The link format version this build writes and reads.
pub const LINK_VERSION: u32 = 1;
pub const DEFAULT_SEED: u32 = 1;
pub const DEFAULT_RUNS: u32 = 3;
pub const MAX_RUNS: u32 = 64;
/// Problems listed one by one; past this, one line counts the rest.
const MAX_PROBLEMS: usize = 20;
/// Longest value quoted back in a message.
const QUOTE: usize = 40;

/// One enabled method and the knobs that differ from their defaults.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MethodChoice {
    pub id: String,
    pub knobs: BTreeMap<String, Value>,
}

/// Which backend the page trains on: `auto` times this experiment's run groups on each and
/// takes the faster; `gpu` and `cpu` force one (and are kept in the link).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BackendChoice {
    #[default]
    Auto,
    Gpu,
    Cpu,
}

impl BackendChoice {
    pub const ALL: [BackendChoice; 3] =
        [BackendChoice::Auto, BackendChoice::Gpu, BackendChoice::Cpu];
    pub fn as_str(self) -> &'static str {
        match self {
            BackendChoice::Auto => "auto",
            BackendChoice::Gpu => "gpu",
            BackendChoice::Cpu => "cpu",
        }
    }
    pub fn parse(s: &str) -> Option<BackendChoice> {
        BackendChoice::ALL.into_iter().find(|b| b.as_str() == s)
    }
}

/// Everything that decides a run's numbers: the same experiment gives the same data, initial
/// weights and sampling.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Experiment {
    pub lab: String,
    pub seed: u32,
    pub runs: u32,
    /// Every setting of the lab, defaults included.
    pub settings: BTreeMap<String, Value>,
    pub methods: Vec<MethodChoice>,
    /// Classroom mode: the controls the page hides (setting keys, or seed, runs, methods).
    /// They change nothing in the runs.
    pub hide: Vec<String>,
    /// Classroom mode: large type, controls folded away.
    pub present: bool,
    /// Where to train. Not part of what a run computes: a switch moves the runs, it does not
    /// restart them.
    pub backend: BackendChoice,
    /// The seed of what every run shares (a data set, a task stream), when it is not `seed`: a
    /// slice of an experiment's runs (`Experiment::slice`). Never in a link.
    #[serde(skip)]
    pub data_seed: Option<u32>,
    /// Your own data, when the lab's own-data setting (`LabDecl::own_data`) is `own`: the table,
    /// or what a link names of one too large to carry until it is given again.
    #[serde(skip)]
    pub table: Option<OwnTable>,
}

/// The table an experiment trains on.
#[derive(Clone, Debug, PartialEq)]
pub enum OwnTable {
    Given(Arc<Table>),
    /// Named by a link (`csvname`, `csvid`, `label`) but not given on this machine yet.
    Wanted {
        name: String,
        id: String,
        label: Option<String>,
    },
}

impl OwnTable {
    pub fn given(&self) -> Option<&Arc<Table>> {
        match self {
            OwnTable::Given(t) => Some(t),
            OwnTable::Wanted { .. } => None,
        }
    }
}

/// Controls that are not settings but can be hidden in classroom mode.
pub const RUN_CONTROLS: [&str; 3] = ["seed", "runs", "methods"];

/// A bad part of a link, and what was used instead.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LinkProblem {
    pub key: String,
    pub value: String,
    pub message: String,
}

impl LinkProblem {
    /// Whether a table given beside the link (`methodlab run --data`) answers this problem: the
    /// link names a table not given here, or chooses own data without one.
    pub fn wants_table(&self) -> bool {
        self.message.starts_with(NEEDS_FILE) || self.message.starts_with(NEEDS_TABLE)
    }
}

const NEEDS_FILE: &str = "this link needs the file";
const NEEDS_TABLE: &str = "own data needs a table";

impl fmt::Display for LinkProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{} = \"{}\": {}", self.key, self.value, self.message)
        }
    }
}

fn quote(s: &str) -> String {
    let mut q: String = s.chars().take(QUOTE).collect();
    if s.chars().count() > QUOTE {
        q.push('…');
    }
    q
}

fn default_or(settings: &BTreeMap<String, Value>, key: &str) -> String {
    settings.get(key).map(Value::to_link).unwrap_or_default()
}

/// Escapes what a link value cannot hold as it is (a file or column name): all but letters,
/// digits and `-_.~`, as %XX.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Decodes %XX escapes and '+' (as a space); invalid escapes stay as they are.
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Experiment {
    /// The lab's defaults.
    pub fn defaults(lab: &LabDecl) -> Experiment {
        Experiment {
            lab: lab.id.into(),
            seed: DEFAULT_SEED,
            runs: lab.runs,
            settings: lab
                .settings
                .iter()
                .map(|s| (s.key.to_string(), s.default.clone()))
                .collect(),
            methods: lab
                .default_methods
                .iter()
                .map(|id| MethodChoice {
                    id: id.to_string(),
                    knobs: BTreeMap::new(),
                })
                .collect(),
            hide: Vec::new(),
            present: false,
            backend: BackendChoice::Auto,
            data_seed: None,
            table: None,
        }
    }

    /// Whether the lab's own-data setting chooses your own table.
    pub fn wants_table(&self, lab: &LabDecl) -> bool {
        lab.own_data
            .is_some_and(|own| self.settings.get(own.setting) == Some(&Value::Choice("own".into())))
    }

    /// Trains on `table` from now on (its label column as chosen in it): the lab's own-data
    /// setting becomes `own`. The table must suit the lab (`Table::check`); a link that named
    /// another table (`OwnTable::Wanted`) is answered with this one, and the answer says so.
    pub fn give_table(&mut self, lab: &LabDecl, table: &Table) -> Result<Option<String>, String> {
        let own = lab
            .own_data
            .ok_or_else(|| format!("the {} lab trains on its own data only", lab.title))?;
        let mut table = table.clone();
        let mut note = None;
        if let Some(OwnTable::Wanted { name, id, label }) = &self.table {
            if let Some(t) = label.as_deref().and_then(|l| table.with_label(l)) {
                table = t;
            }
            if *id != table.id() {
                note = Some(format!(
                    "{} is not the table this link was made with ({name}, id {id}): its runs will differ",
                    table.name
                ));
            }
        }
        table.check(own.features, own.max_classes)?;
        table::remember(&table);
        self.settings
            .insert(own.setting.into(), Value::Choice("own".into()));
        self.table = Some(OwnTable::Given(Arc::new(table)));
        Ok(note)
    }

    /// The seed of what the runs share: data drawn once for every run, not per run.
    pub fn data_seed(&self) -> u32 {
        self.data_seed.unwrap_or(self.seed)
    }

    /// Runs `first..first + runs` of this experiment alone. Run r of a group draws its own
    /// numbers (weights, batches, host-side choices) from `rng::run_seed(seed, r)`, so run r of
    /// the slice, seeded `seed + first`, is run `first + r` of the whole; what the runs share
    /// keeps the whole's seed. A slice's runs give the whole's numbers, bit for bit.
    pub fn slice(&self, first: usize, runs: usize) -> Experiment {
        Experiment {
            seed: crate::engine::rng::run_seed(self.seed, first),
            runs: runs as u32,
            data_seed: Some(self.data_seed()),
            ..self.clone()
        }
    }

    /// The same experiment without its classroom view options and backend choice: what decides
    /// the numbers.
    pub fn runnable(&self) -> Experiment {
        Experiment {
            hide: Vec::new(),
            present: false,
            backend: BackendChoice::Auto,
            ..self.clone()
        }
    }

    /// Reads a link (a whole URL, a fragment with or without '#', or just `lab?query`). Always
    /// gives an experiment; everything it could not use is listed in the problems.
    pub fn from_link(link: &str, labs: &[LabDecl]) -> (Experiment, Vec<LinkProblem>) {
        let mut problems = Vec::new();
        let fragment = match link.find('#') {
            Some(i) => &link[i + 1..],
            None => link,
        };
        let fragment = fragment.trim().trim_start_matches('/');
        let (path, query) = match fragment.find('?') {
            Some(i) => (&fragment[..i], &fragment[i + 1..]),
            None => (fragment, ""),
        };
        let lab_id = percent_decode(path.trim_end_matches('/'));
        let lab = match labs.iter().find(|l| l.id == lab_id) {
            Some(l) => l,
            None => {
                let fallback = &labs[0];
                if !lab_id.is_empty() {
                    let known: Vec<&str> = labs.iter().map(|l| l.id).collect();
                    problems.push(LinkProblem {
                        key: "lab".into(),
                        value: quote(&lab_id),
                        message: format!(
                            "no such lab (labs: {}); opening {}",
                            known.join(", "),
                            fallback.id
                        ),
                    });
                }
                fallback
            }
        };
        let mut exp = Experiment::defaults(lab);

        // Pairs, decoded; duplicates: the last one wins and the earlier ones are reported.
        let mut pairs: Vec<(String, String)> = Vec::new();
        for part in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = match part.find('=') {
                Some(i) => (percent_decode(&part[..i]), percent_decode(&part[i + 1..])),
                None => {
                    problems.push(LinkProblem {
                        key: quote(&percent_decode(part)),
                        value: String::new(),
                        message: "expected key=value; ignored".into(),
                    });
                    continue;
                }
            };
            if let Some(prev) = pairs.iter().position(|(pk, _)| *pk == k) {
                let (_, old) = pairs.remove(prev);
                problems.push(LinkProblem {
                    key: quote(&k),
                    value: quote(&old),
                    message: "given more than once; the last value is used".into(),
                });
            }
            pairs.push((k, v));
        }

        // Methods first: knobs need to know which methods are on.
        if let Some((_, v)) = pairs.iter().find(|(k, _)| k == "methods") {
            let mut chosen: Vec<MethodChoice> = Vec::new();
            for id in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                if lab.method(id).is_none() {
                    let known: Vec<&str> = lab.methods.iter().map(|m| m.id).collect();
                    problems.push(LinkProblem {
                        key: "methods".into(),
                        value: quote(id),
                        message: format!(
                            "no such method in {} (methods: {}); skipped",
                            lab.id,
                            known.join(", ")
                        ),
                    });
                } else if !chosen.iter().any(|m| m.id == id) {
                    chosen.push(MethodChoice {
                        id: id.into(),
                        knobs: BTreeMap::new(),
                    });
                }
            }
            if chosen.is_empty() {
                problems.push(LinkProblem {
                    key: "methods".into(),
                    value: quote(v),
                    message: format!("no method left; using {}", lab.default_methods.join(",")),
                });
            } else {
                exp.methods = chosen;
            }
        }

        for (k, v) in &pairs {
            let bad = |message: String| LinkProblem {
                key: quote(k),
                value: quote(v),
                message,
            };
            match k.as_str() {
                "methods" => {}
                "csv" | "csvname" | "csvid" | "label" if lab.own_data.is_some() => {}
                "hide" => {
                    for key in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                        if lab.setting(key).is_some() || RUN_CONTROLS.contains(&key) {
                            if !exp.hide.iter().any(|h| h == key) {
                                exp.hide.push(key.to_string());
                            }
                        } else {
                            problems.push(LinkProblem {
                                key: "hide".into(),
                                value: quote(key),
                                message: format!(
                                    "{} has no control {}; not hidden",
                                    lab.id,
                                    quote(key)
                                ),
                            });
                        }
                    }
                }
                "backend" => match BackendChoice::parse(v) {
                    Some(b) => exp.backend = b,
                    None => problems.push(bad("expected auto, gpu or cpu; using auto".into())),
                },
                "present" => match v.as_str() {
                    "1" => exp.present = true,
                    "0" => exp.present = false,
                    _ => problems.push(bad("expected 1 or 0; using 0".into())),
                },
                "v" => {
                    if v.parse::<u32>() != Ok(LINK_VERSION) {
                        problems.push(bad(format!(
                            "this page reads link version {LINK_VERSION}; reading it as that"
                        )));
                    }
                }
                "seed" => match v.parse::<u32>() {
                    Ok(s) => exp.seed = s,
                    Err(_) => problems.push(bad(format!(
                        "expected an integer in [0, {}]; using {DEFAULT_SEED}",
                        u32::MAX
                    ))),
                },
                "runs" => match v.parse::<u32>() {
                    Ok(r) if (1..=MAX_RUNS).contains(&r) => exp.runs = r,
                    _ => problems.push(bad(format!(
                        "expected an integer in [1, {MAX_RUNS}]; using {}",
                        exp.runs
                    ))),
                },
                _ => {
                    if let Some(setting) = lab.setting(k) {
                        match setting.parse(v) {
                            Ok(value) => {
                                exp.settings.insert(setting.key.into(), value);
                            }
                            Err(why) => problems
                                .push(bad(format!("{why}; using {}", setting.default.to_link()))),
                        }
                    } else if let Some((method, knob)) = k.split_once('.') {
                        match (
                            lab.method(method),
                            exp.methods.iter_mut().find(|m| m.id == method),
                        ) {
                            (None, _) => problems.push(bad(format!(
                                "no method {} in {}; ignored",
                                quote(method),
                                lab.id
                            ))),
                            (Some(_), None) => problems.push(bad(format!(
                                "method {method} is not enabled (add it to methods=); ignored"
                            ))),
                            (Some(decl), Some(choice)) => {
                                match decl.knobs.iter().find(|s| s.key == knob) {
                                    None => {
                                        let known: Vec<&str> =
                                            decl.knobs.iter().map(|s| s.key).collect();
                                        problems.push(bad(format!(
                                            "{method} has no knob {} (knobs: {}); ignored",
                                            quote(knob),
                                            if known.is_empty() {
                                                "none".into()
                                            } else {
                                                known.join(", ")
                                            }
                                        )));
                                    }
                                    Some(s) => match s.parse(v) {
                                        Ok(value) => {
                                            if value != s.default {
                                                choice.knobs.insert(s.key.into(), value);
                                            }
                                        }
                                        Err(why) => problems.push(bad(format!(
                                            "{why}; using {}",
                                            s.default.to_link()
                                        ))),
                                    },
                                }
                            }
                        }
                    } else {
                        problems.push(bad(format!(
                            "{} has no setting {}; ignored",
                            lab.id,
                            quote(k)
                        )));
                    }
                }
            }
        }
        exp.read_table(lab, &pairs, &mut problems);
        // Hidden controls in declaration order, so equal links give equal experiments.
        let order: Vec<&str> = RUN_CONTROLS
            .iter()
            .copied()
            .chain(lab.settings.iter().map(|s| s.key))
            .collect();
        exp.hide
            .sort_by_key(|h| order.iter().position(|k| k == h).unwrap_or(usize::MAX));
        if problems.len() > MAX_PROBLEMS {
            let more = problems.len() - MAX_PROBLEMS;
            problems.truncate(MAX_PROBLEMS);
            problems.push(LinkProblem {
                key: String::new(),
                value: String::new(),
                message: format!("… and {more} more problems in this link"),
            });
        }
        (exp, problems)
    }

    /// The table a link gives or names (`csv`, or `csvid` with `csvname`; `label`), checked for
    /// the lab; what cannot be used is a problem, and the data setting keeps its default.
    fn read_table(
        &mut self,
        lab: &LabDecl,
        pairs: &[(String, String)],
        problems: &mut Vec<LinkProblem>,
    ) {
        let Some(own) = lab.own_data else { return };
        let get = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        let problem = |key: &str, message: String| LinkProblem {
            key: key.into(),
            value: quote(get(key).unwrap_or("")),
            message,
        };
        let default = lab
            .setting(own.setting)
            .map(|s| s.default.clone())
            .unwrap_or(Value::Choice(String::new()));
        let wanted = self.wants_table(lab);
        let named = get("csv").is_some() || get("csvid").is_some();
        if !wanted {
            if named {
                problems.push(problem(
                    if get("csv").is_some() { "csv" } else { "csvid" },
                    format!(
                        "a table is given but {}={}; ignored",
                        own.setting,
                        default_or(&self.settings, own.setting)
                    ),
                ));
            }
            return;
        }
        let name = get("csvname").unwrap_or("data.csv").to_string();
        let table = if let Some(text) = get("csv") {
            Table::from_inline(&name, text).map_err(|e| {
                problem(
                    "csv",
                    format!("the table in this link cannot be read ({e})"),
                )
            })
        } else if let Some(id) = get("csvid") {
            match table::recall(id) {
                Some(t) => Ok(t.with_default_label().named(&name)),
                None => {
                    problems.push(problem(
                        "csvid",
                        format!("{NEEDS_FILE} {name} (id {id}): drop it on the page, or give it with --data"),
                    ));
                    self.table = Some(OwnTable::Wanted {
                        name,
                        id: id.into(),
                        label: get("label").map(str::to_string),
                    });
                    return;
                }
            }
        } else {
            Err(problem(
                own.setting,
                format!("{NEEDS_TABLE}: drop a CSV file on the page, or give it with --data"),
            ))
        };
        let table = table.and_then(|t| match get("label") {
            None => Ok(t),
            Some(l) => t.with_label(l).ok_or_else(|| {
                problem(
                    "label",
                    format!(
                        "{} has no column {} (columns: {})",
                        t.name,
                        quote(l),
                        t.columns.join(", ")
                    ),
                )
            }),
        });
        let table = table.and_then(|t| {
            t.check(own.features, own.max_classes)
                .map(|()| t)
                .map_err(|e| problem(if get("csv").is_some() { "csv" } else { "csvid" }, e))
        });
        match table {
            Ok(t) => self.table = Some(OwnTable::Given(Arc::new(t))),
            Err(mut p) => {
                p.message = format!("{}; using {}={}", p.message, own.setting, default.to_link());
                problems.push(p);
                self.settings.insert(own.setting.into(), default);
            }
        }
    }

    /// The canonical link: `#/lab?v=1`, then only what differs from the defaults, in declaration
    /// order. Reading it back gives this experiment and no problems. A table too large for a link
    /// is named by its file and id (`Experiment::to_link_inline` carries it whole).
    pub fn to_link(&self, lab: &LabDecl) -> String {
        self.link(lab, false)
    }

    /// The link with any table in it, however large: what a session's engines are started with.
    pub fn to_link_inline(&self, lab: &LabDecl) -> String {
        self.link(lab, true)
    }

    fn link(&self, lab: &LabDecl, inline_any: bool) -> String {
        let mut parts = vec![format!("v={LINK_VERSION}")];
        if self.seed != DEFAULT_SEED {
            parts.push(format!("seed={}", self.seed));
        }
        if self.runs != lab.runs {
            parts.push(format!("runs={}", self.runs));
        }
        let ids: Vec<&str> = self.methods.iter().map(|m| m.id.as_str()).collect();
        if ids != lab.default_methods {
            parts.push(format!("methods={}", ids.join(",")));
        }
        for s in &lab.settings {
            if let Some(v) = self.settings.get(s.key) {
                if *v != s.default {
                    parts.push(format!("{}={}", s.key, v.to_link()));
                }
            }
        }
        for m in &self.methods {
            if let Some(decl) = lab.method(&m.id) {
                for knob in &decl.knobs {
                    if let Some(v) = m.knobs.get(knob.key) {
                        if *v != knob.default {
                            parts.push(format!("{}.{}={}", m.id, knob.key, v.to_link()));
                        }
                    }
                }
            }
        }
        if self.wants_table(lab) {
            match &self.table {
                Some(OwnTable::Given(t)) => {
                    parts.push(format!("csvname={}", percent_encode(&t.name)));
                    match t.inline().or(inline_any.then(|| t.packed())) {
                        Some(text) => parts.push(format!("csv={text}")),
                        None => parts.push(format!("csvid={}", t.id())),
                    }
                    if !t.default_label() {
                        parts.push(format!("label={}", percent_encode(&t.columns[t.label])));
                    }
                }
                Some(OwnTable::Wanted { name, id, label }) => {
                    parts.push(format!("csvname={}", percent_encode(name)));
                    parts.push(format!("csvid={}", percent_encode(id)));
                    if let Some(l) = label {
                        parts.push(format!("label={}", percent_encode(l)));
                    }
                }
                None => {}
            }
        }
        if self.backend != BackendChoice::Auto {
            parts.push(format!("backend={}", self.backend.as_str()));
        }
        // Classroom options last, hidden controls in declaration order.
        let hidden: Vec<&str> = RUN_CONTROLS
            .iter()
            .copied()
            .chain(lab.settings.iter().map(|s| s.key))
            .filter(|k| self.hide.iter().any(|h| h == k))
            .collect();
        if !hidden.is_empty() {
            parts.push(format!("hide={}", hidden.join(",")));
        }
        if self.present {
            parts.push("present=1".into());
        }
        format!("#/{}?{}", self.lab, parts.join("&"))
    }

    /// The value of a knob of an enabled method, or its default.
    /// Method `method`'s knobs: this experiment's choices over the declared defaults.
    /// The lab's settings, read by type (`Settings`).
    pub fn read(&self) -> Settings<'_> {
        Settings {
            lab: &self.lab,
            values: &self.settings,
        }
    }
    pub fn knobs<'a>(&'a self, method: &'a MethodDecl) -> Knobs<'a> {
        Knobs {
            method,
            chosen: self
                .methods
                .iter()
                .find(|m| m.id == method.id)
                .map(|m| &m.knobs),
        }
    }
    pub fn knob(&self, lab: &LabDecl, method: &str, knob: &str) -> Option<Value> {
        let decl = lab.method(method)?.knobs.iter().find(|s| s.key == knob)?;
        let chosen = self.methods.iter().find(|m| m.id == method)?;
        Some(
            chosen
                .knobs
                .get(knob)
                .cloned()
                .unwrap_or_else(|| decl.default.clone()),
        )
    }
}
