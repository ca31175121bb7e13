//! Plain data a run leaves behind: each run's metric history with divergence, and the reports
//! the CLI prints and the page exports.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One run's outcome, as the CLI's JSON and the page's export write it, and as it travels
/// between the page and its workers. A human-readable format (JSON) gets the report's shape, its
/// matrices and lists beside `final`; a binary one (bincode, which cannot write flattened maps)
/// gets the fields in order, and is the only form read back.
#[derive(Clone, Debug, PartialEq)]
pub struct RunReport {
    pub method: String,
    pub seed: u32,
    pub status: RunStatus,
    pub final_values: BTreeMap<String, f32>,
    pub history: BTreeMap<String, Vec<(u64, f32)>>,
    /// Named matrices (the continual lab's `acc_matrix`, rows of columns), beside `final`.
    pub matrices: BTreeMap<String, Vec<Vec<f32>>>,
    /// Named lists of names (the groups lab's `key_reps`), beside `final`.
    pub lists: BTreeMap<String, Vec<String>>,
}

/// `RunReport` as JSON writes it.
#[derive(Serialize)]
struct ReportShape<'a> {
    method: &'a str,
    seed: u32,
    status: RunStatus,
    #[serde(rename = "final")]
    final_values: &'a BTreeMap<String, f32>,
    history: &'a BTreeMap<String, Vec<(u64, f32)>>,
    #[serde(flatten)]
    matrices: &'a BTreeMap<String, Vec<Vec<f32>>>,
    #[serde(flatten)]
    lists: &'a BTreeMap<String, Vec<String>>,
}

/// `RunReport` on the wire: every field, in order.
type WireShape = (
    String,
    u32,
    RunStatus,
    BTreeMap<String, f32>,
    BTreeMap<String, Vec<(u64, f32)>>,
    BTreeMap<String, Vec<Vec<f32>>>,
    BTreeMap<String, Vec<String>>,
);

impl Serialize for RunReport {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            ReportShape {
                method: &self.method,
                seed: self.seed,
                status: self.status,
                final_values: &self.final_values,
                history: &self.history,
                matrices: &self.matrices,
                lists: &self.lists,
            }
            .serialize(s)
        } else {
            (
                &self.method,
                self.seed,
                self.status,
                &self.final_values,
                &self.history,
                &self.matrices,
                &self.lists,
            )
                .serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for RunReport {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            return Err(serde::de::Error::custom(
                "a run report is read back from the wire's binary form only",
            ));
        }
        let (method, seed, status, final_values, history, matrices, lists) =
            WireShape::deserialize(d)?;
        Ok(RunReport {
            method,
            seed,
            status,
            final_values,
            history,
            matrices,
            lists,
        })
    }
}

/// One point of a seed band: the mean over runs at a step, and the lowest and highest run.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
pub struct BandPoint {
    pub step: u64,
    pub mean: f32,
    pub low: f32,
    pub high: f32,
}

impl BandPoint {
    /// One value per x (0, 1, 2, …), drawn as a line without a band: a histogram, a curve of
    /// one run.
    pub fn line(values: &[f32]) -> Vec<BandPoint> {
        (values.iter().enumerate())
            .map(|(i, &y)| BandPoint {
                step: i as u64,
                mean: y,
                low: y,
                high: y,
            })
            .collect()
    }
}

/// How a run ended, written "ok" or "diverged at step N" in reports and the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunStatus {
    Ok,
    /// A metric turned NaN or infinite at this step.
    Diverged {
        step: u64,
    },
}

impl RunStatus {
    pub fn is_ok(self) -> bool {
        self == RunStatus::Ok
    }
    /// Reads back what `Display` writes.
    pub fn parse(text: &str) -> Option<RunStatus> {
        if text == "ok" {
            return Some(RunStatus::Ok);
        }
        let step = text.strip_prefix("diverged at step ")?.parse().ok()?;
        Some(RunStatus::Diverged { step })
    }
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunStatus::Ok => f.write_str("ok"),
            RunStatus::Diverged { step } => write!(f, "diverged at step {step}"),
        }
    }
}

impl Serialize for RunStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RunStatus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        RunStatus::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("not a run status: {text:?}")))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExperimentReport {
    pub lab: String,
    /// The canonical share link.
    pub experiment: String,
    pub backend: String,
    pub runs: Vec<RunReport>,
}

impl ExperimentReport {
    /// `method,seed,metric,step,value` rows.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("method,seed,metric,step,value\n");
        for run in &self.runs {
            for (metric, points) in &run.history {
                for (step, value) in points {
                    out.push_str(&format!(
                        "{},{},{},{},{}\n",
                        run.method, run.seed, metric, step, value
                    ));
                }
            }
        }
        out
    }
}

/// Per-run metric histories of one method group, with divergence detection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct History {
    pub runs: Vec<BTreeMap<String, Vec<(u64, f32)>>>,
    pub diverged_at: Vec<Option<u64>>,
    /// Summary values that are not the last point of a series (a level's mean), per run.
    pub finals: Vec<BTreeMap<String, f32>>,
    /// Summary matrices per run (an accuracy matrix).
    pub matrices: Vec<BTreeMap<String, Vec<Vec<f32>>>>,
    /// Summary lists of names per run (the key representations).
    pub lists: Vec<BTreeMap<String, Vec<String>>>,
}

impl History {
    pub fn new(runs: usize) -> History {
        History {
            runs: vec![BTreeMap::new(); runs],
            diverged_at: vec![None; runs],
            finals: vec![BTreeMap::new(); runs],
            matrices: vec![BTreeMap::new(); runs],
            lists: vec![BTreeMap::new(); runs],
        }
    }
    /// Appends `other`'s runs after these: the history of the runs of two slices of a session.
    pub fn append(&mut self, other: History) {
        self.runs.extend(other.runs);
        self.diverged_at.extend(other.diverged_at);
        self.finals.extend(other.finals);
        self.matrices.extend(other.matrices);
        self.lists.extend(other.lists);
    }

    /// Keeps the first `runs` runs (undoes `append`).
    pub fn truncate(&mut self, runs: usize) {
        self.runs.truncate(runs);
        self.diverged_at.truncate(runs);
        self.finals.truncate(runs);
        self.matrices.truncate(runs);
        self.lists.truncate(runs);
    }

    /// Records `values[r]` of `metric` at `step`; a non-finite value marks run r diverged there
    /// and ends its history (the others go on).
    pub fn record(&mut self, metric: &str, step: u64, values: &[f32]) {
        for (r, &v) in values.iter().enumerate().take(self.runs.len()) {
            if self.diverged_at[r].is_some() {
                continue;
            }
            if !v.is_finite() {
                self.diverged_at[r] = Some(step);
                continue;
            }
            self.runs[r]
                .entry(metric.to_string())
                .or_default()
                .push((step, v));
        }
    }
    /// Each run's report so far (the page's export), leaving the history in place.
    pub fn reports(&self, method: &str, seed: u32) -> Vec<RunReport> {
        self.clone().into_reports(method, seed)
    }

    /// Run `run`'s final value of `metric` as its report gives it: the summary value where one
    /// is set, else the last value recorded.
    pub fn final_value(&self, run: usize, metric: &str) -> Option<f32> {
        self.finals[run].get(metric).copied().or_else(|| {
            let series = self.runs[run].get(metric)?;
            series.last().map(|&(_, v)| v)
        })
    }

    /// Sets a summary value of each run (`values[r]`); non-finite values are left out.
    pub fn set_final(&mut self, metric: &str, values: &[f32]) {
        for (finals, &v) in self.finals.iter_mut().zip(values) {
            if v.is_finite() {
                finals.insert(metric.to_string(), v);
            } else {
                finals.remove(metric);
            }
        }
    }

    /// Sets a summary list of each run (`lists[r]`).
    pub fn set_list(&mut self, name: &str, lists: Vec<Vec<String>>) {
        for (mine, list) in self.lists.iter_mut().zip(lists) {
            mine.insert(name.to_string(), list);
        }
    }

    pub fn into_reports(self, method: &str, seed: u32) -> Vec<RunReport> {
        self.runs
            .into_iter()
            .zip(self.diverged_at)
            .zip(self.finals)
            .zip(self.matrices)
            .zip(self.lists)
            .enumerate()
            .map(
                |(r, ((((history, diverged), extra), matrices), lists))| RunReport {
                    method: method.to_string(),
                    seed: seed.wrapping_add(r as u32),
                    status: match diverged {
                        Some(step) => RunStatus::Diverged { step },
                        None => RunStatus::Ok,
                    },
                    final_values: history
                        .iter()
                        .filter_map(|(k, v)| v.last().map(|(_, x)| (k.clone(), *x)))
                        .chain(extra)
                        .collect(),
                    history,
                    matrices,
                    lists,
                },
            )
            .collect()
    }
}

impl History {
    /// "ok", or which runs diverged and where, for a table cell.
    pub fn status(&self, seed: u32) -> String {
        let diverged: Vec<String> = self
            .diverged_at
            .iter()
            .enumerate()
            .filter_map(|(r, d)| {
                d.map(|s| format!("seed {} diverged at step {s}", seed.wrapping_add(r as u32)))
            })
            .collect();
        if diverged.is_empty() {
            "ok".into()
        } else {
            diverged.join("; ")
        }
    }
}

impl History {
    /// Mean and min–max band of `metric` over runs, at every step all live runs recorded.
    pub fn band(&self, metric: &str) -> Vec<BandPoint> {
        let series: Vec<&Vec<(u64, f32)>> =
            self.runs.iter().filter_map(|r| r.get(metric)).collect();
        let Some(longest) = series.iter().map(|s| s.len()).max() else {
            return Vec::new();
        };
        (0..longest)
            .filter_map(|i| {
                let at: Vec<(u64, f32)> = series.iter().filter_map(|s| s.get(i).copied()).collect();
                let (step, _) = *at.first()?;
                let values: Vec<f32> = at.iter().map(|(_, v)| *v).collect();
                let mean = values.iter().sum::<f32>() / values.len() as f32;
                let low = values.iter().copied().fold(f32::INFINITY, f32::min);
                let high = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                Some(BandPoint {
                    step,
                    mean,
                    low,
                    high,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_span_the_runs_and_skip_a_diverged_one() {
        let mut h = History::new(3);
        h.record("loss", 0, &[1.0, 2.0, 3.0]);
        h.record("loss", 10, &[0.5, f32::NAN, 1.5]);
        let band = h.band("loss");
        assert_eq!(
            band[0],
            BandPoint {
                step: 0,
                mean: 2.0,
                low: 1.0,
                high: 3.0
            }
        );
        assert_eq!(
            band[1],
            BandPoint {
                step: 10,
                mean: 1.0,
                low: 0.5,
                high: 1.5
            }
        );
        assert_eq!(h.diverged_at, vec![None, Some(10), None]);
    }
}
