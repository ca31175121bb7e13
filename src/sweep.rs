//! A sweep: one experiment over a grid of settings. Its link is a share link where some setting
//! or knob is given as a list (`rate=0.2,0.4,0.6`) or a range (`width=16..128:log:4`), e.g.
//! `#/labels?v=1&rate=0.2,0.4,0.6&width=16..128:log:4&runs=10&methods=erm,coteaching`.
//!
//! Each combination of the axes' values is a *cell*: an ordinary experiment with its own share
//! link, whose `runs` are the cell's seeds. Cells are numbered in the order the axes are given,
//! the last axis fastest, so a cell's number names the same experiment on every machine (what
//! `--shard i/n` and `methodlab merge` rely on).
//!
//! Parsing reports problems as a single link does (`LinkProblem`, naming the key), and a sweep
//! with any problem is not run.

use crate::decl::{Kind, LabDecl, Setting};
use crate::experiment::{percent_decode as decode, Experiment, LinkProblem};
use serde::Serialize;

/// Most cells a sweep may have.
pub const MAX_CELLS: usize = 1024;
/// Most values one axis may have.
pub const MAX_VALUES: usize = 256;
/// Longest value quoted back in a message.
const QUOTE: usize = 40;

/// Keys a sweep never varies: they are not settings of the runs (or, for seeds, `runs=` already
/// is the axis).
const FIXED: [&str; 10] = [
    "v", "seed", "runs", "methods", "hide", "present", "backend", "csv", "csvname", "csvid",
];

/// One swept key and its values, in link form (`0.2`, `16`, `adam`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Axis {
    pub key: String,
    /// The values as the link gives them, normalised (`16..128:log:4`, `0.2,0.4`).
    pub spec: String,
    pub values: Vec<String>,
}

/// A parsed sweep link.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sweep {
    pub lab: String,
    /// The canonical link of every cell's common part (the link without the axes).
    pub base: String,
    pub axes: Vec<Axis>,
    /// The canonical link of each cell, in cell order.
    pub cells: Vec<String>,
    /// Methods and runs (seeds) of every cell.
    pub methods: Vec<String>,
    pub runs: u32,
    /// A claim the page reads each cell with (`claim=<id>`): it changes no run.
    pub claim: Option<String>,
}

fn quote(s: &str) -> String {
    let mut q: String = s.chars().take(QUOTE).collect();
    if s.chars().count() > QUOTE {
        q.push('…');
    }
    q
}

fn problem(key: &str, value: &str, message: String) -> LinkProblem {
    LinkProblem {
        key: quote(key),
        value: quote(value),
        message,
    }
}

/// Seconds as m:ss (h:mm:ss past an hour), for time left.
pub fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s / 3600 {
        0 => format!("{}:{:02}", s / 60, s % 60),
        h => format!("{h}:{:02}:{:02}", s / 60 % 60, s % 60),
    }
}

/// Whether `key=value` in a link is one of a sweep's axes.
pub fn is_axis(key: &str, value: &str) -> bool {
    is_axis_value(value) && !FIXED.contains(&key) && key != "label"
}

/// A first grid for a setting, for the page's "add an axis": every choice, both ends and two
/// between (on its scale), every integer where there are few.
pub fn suggest(setting: &Setting) -> String {
    match &setting.kind {
        Kind::Int { min, max } if max - min < 6 => format!("{min}..{max}"),
        Kind::Int { min, max } if *min > 0 && max / min >= 16 => format!("{min}..{max}:log:4"),
        Kind::Int { min, max } => format!("{min}..{max}:4"),
        Kind::Float {
            min,
            max,
            log: true,
        } if *min > 0.0 => format!("{}..{}:log:4", short_number(*min), short_number(*max)),
        Kind::Float { min, max, .. } => {
            format!("{}..{}:5", short_number(*min), short_number(*max))
        }
        Kind::Choice { options } => options
            .iter()
            .filter(|o| **o != "own")
            .copied()
            .collect::<Vec<_>>()
            .join(","),
        Kind::Bool => "0,1".into(),
    }
}

/// Whether a page route (the fragment without its '#') is a sweep's: `/sweep/<lab>?…`.
pub fn is_sweep_route(route: &str) -> bool {
    route.trim_start_matches('/').starts_with("sweep/")
}

/// Whether a link value asks for several values: a list or a range.
pub fn is_axis_value(value: &str) -> bool {
    value.contains(',') || value.contains("..")
}

/// Splits a link into the part before its query (`#/lab`) and its `key=value` pairs, as
/// written (not decoded: cells are rebuilt from them as text).
pub fn split_link(link: &str) -> (&str, Vec<(&str, &str)>) {
    let (head, query) = match link.find('?') {
        Some(i) => (&link[..i], &link[i + 1..]),
        None => (link, ""),
    };
    let pairs = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect();
    (head, pairs)
}

/// A number written short and exact enough for a link: six significant digits.
fn short_number(x: f64) -> String {
    let rounded: f64 = format!("{x:.5e}").parse().unwrap_or(x);
    if rounded == rounded.trunc() && rounded.abs() < 1e15 {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded}")
    }
}

/// The declaration that reads `key` in `lab`: a setting, or a method's knob (`ewc.lambda`).
pub fn declared<'a>(lab: &'a LabDecl, key: &str) -> Option<&'a Setting> {
    lab.setting(key).or_else(|| {
        let (method, knob) = key.split_once('.')?;
        lab.method(method)?.knobs.iter().find(|k| k.key == knob)
    })
}

/// The values of `spec` for `key`: a list `a,b,c`, or a range `a..b` (every integer),
/// `a..b:n` (n evenly spaced) or `a..b:log:n` (n spaced evenly on a log scale). Each value is
/// still checked against the key's range by the cell's link.
fn expand(key: &str, spec: &str, setting: Option<&Setting>) -> Result<Axis, LinkProblem> {
    let bad = |message: String| problem(key, spec, message);
    let values: Vec<String> = if let Some((from, rest)) = spec.split_once("..") {
        let mut parts = rest.split(':');
        let to = parts.next().unwrap_or("");
        let (scale, count) = match (parts.next(), parts.next(), parts.next()) {
            (None, _, _) => (None, None),
            (Some(n), None, _) => (Some("lin"), Some(n)),
            (Some(s), Some(n), None) => (Some(s), Some(n)),
            _ => return Err(bad("a range is a..b, a..b:n or a..b:log:n".into())),
        };
        let number = |t: &str| {
            t.trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| bad(format!("{} is not a number", quote(t))))
        };
        let (a, b) = (number(from)?, number(to)?);
        if b < a {
            return Err(bad("the range ends before it starts".into()));
        }
        let integer = matches!(setting.map(|s| &s.kind), Some(Kind::Int { .. }));
        match (scale, count) {
            (None, _) if integer && a == a.trunc() && b == b.trunc() => {
                let n = b - a + 1.0;
                if n > MAX_VALUES as f64 {
                    return Err(bad(format!(
                        "{n} values; an axis has at most {MAX_VALUES} (a..b:n takes n of them)"
                    )));
                }
                (0..n as usize)
                    .map(|i| short_number(a + i as f64))
                    .collect()
            }
            (None, _) => {
                return Err(bad(
                    "say how many values: a..b:5, or a..b:log:5 on a log scale".into(),
                ))
            }
            (Some(scale), Some(n)) => {
                let n: usize = n
                    .trim()
                    .parse()
                    .ok()
                    .filter(|n| (2..=MAX_VALUES).contains(n))
                    .ok_or_else(|| {
                        bad(format!(
                            "{} values: expected an integer in [2, {MAX_VALUES}]",
                            quote(n)
                        ))
                    })?;
                let t = |i: usize| i as f64 / (n - 1) as f64;
                let points: Vec<f64> = match scale {
                    "lin" => (0..n).map(|i| a + (b - a) * t(i)).collect(),
                    "log" if a > 0.0 => (0..n)
                        .map(|i| (a.ln() + (b.ln() - a.ln()) * t(i)).exp())
                        .collect(),
                    "log" => return Err(bad("a log range starts above 0".into())),
                    s => return Err(bad(format!("{} is not a scale: lin or log", quote(s)))),
                };
                let mut values: Vec<String> = points
                    .into_iter()
                    .map(|x| short_number(if integer { x.round() } else { x }))
                    .collect();
                // Integer settings: a log range over a short span rounds to repeats.
                values.dedup();
                values
            }
            (Some(_), None) => unreachable!("a scale comes with a count"),
        }
    } else {
        let values: Vec<String> = spec.split(',').map(|v| v.trim().to_string()).collect();
        if values.iter().any(String::is_empty) {
            return Err(bad("an empty value in the list".into()));
        }
        if values.len() > MAX_VALUES {
            return Err(bad(format!(
                "{} values; an axis has at most {MAX_VALUES}",
                values.len()
            )));
        }
        values
    };
    let mut seen = std::collections::BTreeSet::new();
    if let Some(v) = values.iter().find(|v| !seen.insert(v.as_str())) {
        return Err(bad(format!("{} is given twice", quote(v))));
    }
    Ok(Axis {
        key: key.to_string(),
        spec: spec.trim().to_string(),
        values,
    })
}

impl Sweep {
    /// Reads a sweep link. Every problem is listed, naming its key, as `Experiment::from_link`
    /// does; a link without lists or ranges is a sweep of one cell.
    pub fn parse(link: &str, labs: &[LabDecl]) -> Result<Sweep, Vec<LinkProblem>> {
        let link = link.trim();
        let (head, pairs) = split_link(link);
        // The page's sweep view: `#/sweep/<lab>?…`.
        let head = match head.find("sweep/") {
            Some(i)
                if head[..i]
                    .trim_start_matches('#')
                    .trim_matches('/')
                    .is_empty() =>
            {
                format!("{}{}", &head[..i], &head[i + "sweep/".len()..])
            }
            _ => head.to_string(),
        };
        let mut problems = Vec::new();
        // The lab decides which keys exist: read it from the link without its axes.
        let mut base_pairs: Vec<String> = Vec::new();
        let mut axis_pairs: Vec<(String, String)> = Vec::new();
        let mut claim = None;
        for (k, v) in &pairs {
            let (key, value) = (decode(k), decode(v));
            if key == "claim" {
                claim = Some(value);
            } else if is_axis(&key, &value) {
                if let Some(prev) = axis_pairs.iter().position(|(pk, _)| *pk == key) {
                    axis_pairs.remove(prev);
                    problems.push(problem(
                        &key,
                        &value,
                        "given more than once; the last value is used".into(),
                    ));
                }
                axis_pairs.push((key, value));
            } else {
                base_pairs.push(format!("{k}={v}"));
            }
        }
        let base_link = format!("{head}?{}", base_pairs.join("&"));
        let (base, base_problems) = Experiment::from_link(&base_link, labs);
        problems.extend(base_problems);
        let Some(lab) = labs.iter().find(|l| l.id == base.lab) else {
            return Err(problems);
        };
        // The claim the cells are read with: one of the lab's, on one link, reading methods the
        // sweep runs.
        if let Some(id) = &claim {
            let found = crate::labs::lab(lab.id)
                .ok()
                .and_then(|l| l.claims().into_iter().find(|c| c.id == id.as_str()));
            let why = match &found {
                None => Some(format!("{} has no claim {}", lab.id, quote(id))),
                Some(c) if c.queries.len() != 1 => Some(format!(
                    "{id} compares {} links: a sweep reads a claim of one link",
                    c.queries.len()
                )),
                Some(c) => c
                    .methods
                    .iter()
                    .find(|m| !base.methods.iter().any(|b| b.id == **m))
                    .map(|m| {
                        format!(
                            "{id} reads {m}, which this sweep does not run (add it to methods=)"
                        )
                    }),
            };
            if let Some(why) = why {
                problems.push(problem("claim", id, why));
            }
        }
        let mut axes = Vec::new();
        for (key, spec) in &axis_pairs {
            let setting = declared(lab, key);
            if setting.is_none() && !key.contains('.') {
                problems.push(problem(
                    key,
                    spec,
                    format!(
                        "{} has no setting {}; a sweep varies settings and knobs",
                        lab.id,
                        quote(key)
                    ),
                ));
                continue;
            }
            match expand(key, spec, setting) {
                Ok(axis) => axes.push(axis),
                Err(p) => problems.push(p),
            }
        }
        // Each value checked as a single link would check it: the same messages.
        // What a single link does in place of a bad value (uses the default, ignores the key)
        // a sweep does not do: it is not run.
        let why = |message: &str| -> String {
            let cut = ["; using ", "; ignored", "; skipped"]
                .iter()
                .filter_map(|s| message.find(s))
                .min();
            message[..cut.unwrap_or(message.len())].to_string()
        };
        for axis in &axes {
            let mut bad: Vec<(String, String)> = Vec::new();
            for value in &axis.values {
                let one = format!("{}&{}={}", base.to_link(lab), axis.key, value);
                let (_, ps) = Experiment::from_link(&one, labs);
                bad.extend(ps.iter().map(|p| (value.clone(), why(&p.message))));
            }
            // One message when every value has the same fault (a knob of a method not on).
            let same = bad.len() == axis.values.len() && bad.iter().all(|(_, m)| *m == bad[0].1);
            if same {
                problems.push(problem(&axis.key, &axis.spec, bad[0].1.clone()));
            } else {
                for (value, message) in bad {
                    problems.push(problem(
                        &axis.key,
                        &axis.spec,
                        format!("{value}: {message}"),
                    ));
                }
            }
        }
        let count = axes
            .iter()
            .try_fold(1usize, |n, a| n.checked_mul(a.values.len()));
        match count {
            Some(n) if n <= MAX_CELLS => {}
            _ => {
                let sizes: Vec<String> = axes
                    .iter()
                    .map(|a| format!("{} ({})", a.key, a.values.len()))
                    .collect();
                let largest = axes
                    .iter()
                    .rev()
                    .max_by_key(|a| a.values.len())
                    .expect("an axis");
                problems.push(problem(
                    &largest.key,
                    &largest.spec,
                    format!(
                        "{} give {} cells; a sweep runs at most {MAX_CELLS}",
                        sizes.join(" × "),
                        count.map_or("more than 10^19".into(), |n| n.to_string())
                    ),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let base_canonical = base.to_link(lab);
        let cells = (0..count.unwrap_or(1))
            .map(|c| {
                let mut link = base_canonical.clone();
                for (axis, value) in axes.iter().zip(cell_values(&axes, c)) {
                    link.push_str(&format!("&{}={}", axis.key, value));
                }
                let (exp, _) = Experiment::from_link(&link, labs);
                exp.to_link(lab)
            })
            .collect();
        Ok(Sweep {
            lab: lab.id.to_string(),
            base: base_canonical,
            methods: base.methods.iter().map(|m| m.id.clone()).collect(),
            runs: base.runs,
            axes,
            cells,
            claim,
        })
    }

    /// The canonical sweep link, `#/sweep/<lab>?…`: the common part's canonical link, then each
    /// axis as given.
    pub fn to_link(&self) -> String {
        let mut link = self.base.replacen("#/", "#/sweep/", 1);
        for a in &self.axes {
            link.push_str(&format!("&{}={}", a.key, a.spec));
        }
        if let Some(c) = &self.claim {
            link.push_str(&format!("&claim={c}"));
        }
        link
    }

    /// Each axis' value in cell `c`.
    pub fn values(&self, c: usize) -> Vec<(&str, &str)> {
        self.axes
            .iter()
            .zip(cell_values(&self.axes, c))
            .map(|(a, v)| (a.key.as_str(), v))
            .collect()
    }

    /// Runs in each cell: its methods times its seeds.
    pub fn runs_per_cell(&self) -> usize {
        self.methods.len() * self.runs as usize
    }
}

/// Cell `c`'s value of each axis: the last axis fastest.
fn cell_values(axes: &[Axis], mut c: usize) -> Vec<&str> {
    let mut out = vec![""; axes.len()];
    for (i, a) in axes.iter().enumerate().rev() {
        let n = a.values.len();
        out[i] = &a.values[c % n];
        c /= n;
    }
    out
}

/// Which cells shard `i` of `n` runs: every n-th, starting at `i`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// `i/n`, `i` counted from 0 (as `SLURM_ARRAY_TASK_ID` and `JOB_COMPLETION_INDEX` are).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("{text:?}: expected i/n, 0 ≤ i < n ≤ {MAX_CELLS} (i counts from 0)");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            i.trim().parse::<usize>().map_err(|_| bad())?,
            n.trim().parse::<usize>().map_err(|_| bad())?,
        );
        if count == 0 || count > MAX_CELLS || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    pub fn has(&self, cell: usize) -> bool {
        cell % self.count == self.index
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The first line of a results file: which sweep, and which part of it.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Header {
    /// The canonical sweep link.
    pub sweep: String,
    pub lab: String,
    pub cells: usize,
    pub runs_per_cell: usize,
    /// `--steps`, when the runs were cut short.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<u32>,
    /// `i/n` for one shard's file; absent for the whole sweep (and a merge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
}

impl Header {
    pub fn new(sweep: &Sweep, steps: Option<u32>, shard: Shard) -> Header {
        Header {
            sweep: sweep.to_link(),
            lab: sweep.lab.clone(),
            cells: sweep.cells.len(),
            runs_per_cell: sweep.runs_per_cell(),
            steps,
            shard: (shard != Shard::WHOLE).then(|| shard.to_string()),
        }
    }
    pub fn line(&self) -> String {
        serde_json::to_string(self).expect("a header serializes")
    }
}

/// One run of a cell, as a results file holds it (one JSON line).
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Record {
    pub cell: usize,
    /// The run's place in its cell's report: methods in the link's order, then seeds.
    pub run: usize,
    /// Each axis' value in this cell.
    pub values: std::collections::BTreeMap<String, String>,
    pub method: String,
    pub seed: u32,
    pub status: String,
    #[serde(rename = "final")]
    pub finals: std::collections::BTreeMap<String, f32>,
    /// The cell's own share link.
    pub link: String,
}

impl Record {
    /// Cell `cell`'s records from its report.
    pub fn of_cell(sweep: &Sweep, cell: usize, runs: &[crate::history::RunReport]) -> Vec<Record> {
        let values: std::collections::BTreeMap<String, String> = sweep
            .values(cell)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        runs.iter()
            .enumerate()
            .map(|(run, r)| Record {
                cell,
                run,
                values: values.clone(),
                method: r.method.clone(),
                seed: r.seed,
                status: r.status.to_string(),
                finals: r.final_values.clone(),
                link: sweep.cells[cell].clone(),
            })
            .collect()
    }
    pub fn line(&self) -> String {
        serde_json::to_string(self).expect("a record serializes")
    }
}

/// A results file read back: its header, and each record with the line it was read from (kept
/// as written, so a merge copies numbers without reformatting them).
#[derive(Clone, Debug)]
pub struct Results {
    pub header: Header,
    pub records: Vec<(Record, String)>,
    /// The last line was cut short (a sweep stopped while writing it): not read.
    pub cut: bool,
}

impl Results {
    /// Reads a results file. A line that is not a record (a foreign file, an edited one) is an
    /// error naming the line; a last line cut short is left out and said so in `cut`.
    pub fn read(text: &str, name: &str) -> Result<Results, String> {
        let mut lines = text.split_inclusive('\n').enumerate();
        let header = match lines.next() {
            None => return Err(format!("{name} is empty: not a sweep's results")),
            Some((_, first)) => serde_json::from_str::<Header>(first.trim_end()).map_err(|_| {
                format!(
                    "{name}: line 1 is not a sweep's header (a file `methodlab sweep --out` wrote starts with {{\"sweep\": …}})"
                )
            })?,
        };
        let mut records = Vec::new();
        let mut cut = false;
        for (i, line) in lines {
            let complete = line.ends_with('\n');
            let text = line.trim_end();
            if text.is_empty() {
                continue;
            }
            match serde_json::from_str::<Record>(text) {
                Ok(r) if r.cell < header.cells && r.run < header.runs_per_cell => {
                    records.push((r, text.to_string()))
                }
                Ok(r) => {
                    return Err(format!(
                    "{name}: line {}: cell {} run {} is outside this sweep ({} cells of {} runs)",
                    i + 1,
                    r.cell,
                    r.run,
                    header.cells,
                    header.runs_per_cell
                ))
                }
                Err(_) if !complete => cut = true,
                Err(e) => return Err(format!("{name}: line {}: not a sweep record ({e})", i + 1)),
            }
        }
        Ok(Results {
            header,
            records,
            cut,
        })
    }

    /// The cells whose every run is here.
    pub fn complete_cells(&self) -> std::collections::BTreeSet<usize> {
        let mut runs: std::collections::BTreeMap<usize, std::collections::BTreeSet<usize>> =
            Default::default();
        for (r, _) in &self.records {
            runs.entry(r.cell).or_default().insert(r.run);
        }
        runs.into_iter()
            .filter(|(_, rs)| rs.len() == self.header.runs_per_cell)
            .map(|(c, _)| c)
            .collect()
    }
}

/// Shards' results combined into what the whole sweep writes: its header, then every run in
/// cell order, each line as its shard wrote it.
#[derive(Clone, Debug)]
pub struct Merged {
    pub text: String,
    /// Runs found in more than one file with the same line (kept once).
    pub duplicates: usize,
    /// Runs found twice with different lines: which, and which file's line was kept.
    pub conflicts: Vec<String>,
    /// Cells with a run missing.
    pub missing: Vec<usize>,
}

/// Merges results files (name, contents) of one sweep. Files of different sweeps are an error.
pub fn merge(files: &[(String, Results)]) -> Result<Merged, String> {
    let Some((first_name, first)) = files.first() else {
        return Err("no results files to merge".into());
    };
    let whole = Header {
        shard: None,
        ..first.header.clone()
    };
    let mut runs: std::collections::BTreeMap<(usize, usize), (&str, &str)> = Default::default();
    let (mut duplicates, mut conflicts) = (0, Vec::new());
    for (name, results) in files {
        let header = Header {
            shard: None,
            ..results.header.clone()
        };
        if header != whole {
            return Err(format!(
                "{name} holds another sweep than {first_name}: {} (steps {:?}) against {} (steps {:?})",
                header.sweep, header.steps, whole.sweep, whole.steps
            ));
        }
        for (r, line) in &results.records {
            match runs.get(&(r.cell, r.run)) {
                None => {
                    runs.insert((r.cell, r.run), (name, line));
                }
                Some((_, kept)) if kept == line => duplicates += 1,
                Some((kept_from, _)) => conflicts.push(format!(
                    "cell {} run {}: {name} differs from {kept_from}; {kept_from}'s kept",
                    r.cell, r.run
                )),
            }
        }
    }
    let missing = (0..whole.cells)
        .filter(|&c| (0..whole.runs_per_cell).any(|r| !runs.contains_key(&(c, r))))
        .collect();
    let mut text = whole.line();
    text.push('\n');
    for (_, line) in runs.values() {
        text.push_str(line);
        text.push('\n');
    }
    Ok(Merged {
        text,
        duplicates,
        conflicts,
        missing,
    })
}

/// A claim over a sweep (`methodlab check <claim> --sweep 'rate=0.2,0.4&width=16,64'`): each
/// of the claim's links swept over the same axes, so cell `c` of each is the claim's link `i`
/// at that cell's values.
pub fn claim_sweeps(
    claim: &crate::claims::Claim,
    lab: &LabDecl,
    seeds: Option<crate::claims::Seeds>,
    spec: &str,
    labs: &[LabDecl],
) -> Result<Vec<Sweep>, Vec<LinkProblem>> {
    let query = format!("?{spec}");
    let (_, axes) = split_link(&query);
    let keys: Vec<String> = axes.iter().map(|(k, _)| decode(k)).collect();
    let given = |key: &str| {
        axes.iter()
            .find(|(k, _)| decode(k) == key)
            .map_or(String::new(), |(_, v)| decode(v))
    };
    if keys.is_empty() {
        return Err(vec![problem(
            "sweep",
            spec,
            "expected key=values, e.g. rate=0.2,0.4,0.6 or width=16..128:log:4".into(),
        )]);
    }
    let links: Vec<String> = (0..claim.queries.len())
        .map(|i| claim.link_on(lab.id, i, seeds))
        .collect();
    let mut problems = Vec::new();
    for key in &keys {
        if FIXED.contains(&key.as_str()) {
            problems.push(problem(
                key,
                &given(key),
                "a claim's seeds are swept with --seeds, its methods are its own".into(),
            ));
            continue;
        }
        // A claim that compares its links on this key (a low noise rate against a high one)
        // would lose its comparison.
        let differ: std::collections::BTreeSet<Option<String>> = links
            .iter()
            .map(|l| {
                split_link(l)
                    .1
                    .iter()
                    .find(|(k, _)| decode(k) == *key)
                    .map(|(_, v)| decode(v))
            })
            .collect();
        if differ.len() > 1 {
            problems.push(problem(
                key,
                &given(key),
                format!(
                    "{} compares its links on {key}: sweep another key",
                    claim.id
                ),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    links
        .iter()
        .map(|link| {
            let (head, pairs) = split_link(link);
            let kept: Vec<String> = pairs
                .iter()
                .filter(|(k, _)| !keys.contains(&decode(k)))
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            Sweep::parse(&format!("{head}?{}&{spec}", kept.join("&")), labs)
        })
        .collect()
}

/// What a results file's record says of its run, as a report: final values and status (no
/// history: a file does not carry it).
pub fn report_of(record: &Record) -> crate::history::RunReport {
    crate::history::RunReport {
        method: record.method.clone(),
        seed: record.seed,
        status: crate::history::RunStatus::parse(&record.status)
            .unwrap_or(crate::history::RunStatus::Ok),
        final_values: record.finals.clone(),
        history: Default::default(),
        matrices: Default::default(),
        lists: Default::default(),
    }
}

/// The mean of `metric` over `method`'s runs that ended well, `None` when none did.
pub fn mean_final(runs: &[crate::history::RunReport], method: &str, metric: &str) -> Option<f32> {
    let values: Vec<f32> = runs
        .iter()
        .filter(|r| r.method == method && r.status.is_ok())
        .filter_map(|r| r.final_values.get(metric).copied())
        .filter(|v| v.is_finite())
        .collect();
    (!values.is_empty()).then(|| values.iter().sum::<f32>() / values.len() as f32)
}

/// The claims whose predicate reads a sweep's cells: one link, and every method it reads on in
/// the sweep.
pub fn sweepable_claims(lab: &dyn crate::labs::Lab, sweep: &Sweep) -> Vec<crate::claims::Claim> {
    lab.claims()
        .into_iter()
        .filter(|c| {
            c.queries.len() == 1
                && c.methods
                    .iter()
                    .all(|m| sweep.methods.iter().any(|s| s == m))
        })
        .collect()
}

/// A claim's verdict on one cell's runs.
pub fn cell_verdict(
    claim: &crate::claims::Claim,
    runs: &[crate::history::RunReport],
) -> crate::claims::Verdict {
    let mut by_method: std::collections::BTreeMap<String, Vec<crate::history::RunReport>> =
        Default::default();
    for r in runs {
        by_method
            .entry(r.method.clone())
            .or_default()
            .push(r.clone());
    }
    claim.evaluate(&crate::claims::Evidence {
        runs: vec![by_method],
    })
}
