//! Drives experiments: steps every method group, evaluates on a schedule, marks diverged runs and
//! keeps the metric history that the views draw and the exports write.

use crate::engine::gpu::GpuContext;
use crate::engine::Result;
use crate::experiment::Experiment;
use crate::labs::{self, Group, LabDecl};
use serde::Serialize;
use std::collections::BTreeMap;

/// One run's outcome, as the CLI's JSON and the page's export write it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunReport {
    pub method: String,
    pub seed: u32,
    /// "ok", or "diverged at step N".
    pub status: String,
    #[serde(rename = "final")]
    pub final_values: BTreeMap<String, f32>,
    pub history: BTreeMap<String, Vec<(u64, f32)>>,
    /// Named matrices (the continual lab's `acc_matrix`, rows of columns), beside `final`.
    #[serde(flatten)]
    pub matrices: BTreeMap<String, Vec<Vec<f32>>>,
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
#[derive(Clone)]
pub struct History {
    pub runs: Vec<BTreeMap<String, Vec<(u64, f32)>>>,
    pub diverged_at: Vec<Option<u64>>,
    /// Summary values that are not the last point of a series (a level's mean), per run.
    pub finals: Vec<BTreeMap<String, f32>>,
    /// Summary matrices per run (an accuracy matrix).
    pub matrices: Vec<BTreeMap<String, Vec<Vec<f32>>>>,
}

impl History {
    pub fn new(runs: usize) -> History {
        History {
            runs: vec![BTreeMap::new(); runs],
            diverged_at: vec![None; runs],
            finals: vec![BTreeMap::new(); runs],
            matrices: vec![BTreeMap::new(); runs],
        }
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

    pub fn into_reports(self, method: &str, seed: u32) -> Vec<RunReport> {
        self.runs
            .into_iter()
            .zip(self.diverged_at)
            .zip(self.finals)
            .zip(self.matrices)
            .enumerate()
            .map(|(r, (((history, diverged), extra), matrices))| RunReport {
                method: method.to_string(),
                seed: seed.wrapping_add(r as u32),
                status: match diverged {
                    Some(step) => format!("diverged at step {step}"),
                    None => "ok".into(),
                },
                final_values: history
                    .iter()
                    .filter_map(|(k, v)| v.last().map(|(_, x)| (k.clone(), *x)))
                    .chain(extra)
                    .collect(),
                history,
                matrices,
            })
            .collect()
    }
}

/// Runs a whole experiment headless (the CLI), on the GPU when a context is given: every enabled
/// method in turn, for `steps` (default: the lab's own length), observed about a hundred times.
pub async fn run_headless(
    exp: &Experiment,
    lab: &LabDecl,
    gpu: Option<&GpuContext>,
    steps: Option<u32>,
) -> Result<ExperimentReport> {
    let total = steps.unwrap_or_else(|| labs::total_steps(lab, exp)).max(1);
    let mut runs = Vec::new();
    for method in &exp.methods {
        let mut group = Group::new(exp, lab, &method.id, gpu).await?;
        let every = group.observe_every(total);
        loop {
            group.observe().await?;
            if group.step() >= total {
                break;
            }
            group.train(every.min(total - group.step())).await?;
        }
        runs.extend(group.reports(exp.seed));
    }
    Ok(ExperimentReport {
        lab: lab.id.to_string(),
        experiment: exp.to_link(lab),
        backend: match gpu {
            Some(ctx) => format!("gpu: {}", ctx.adapter),
            None => "cpu".into(),
        },
        runs,
    })
}

/// What a lab page draws, rebuilt from the run groups after each observation: plain data that
/// the UI renders without knowing which lab it came from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Views {
    pub charts: Vec<ChartView>,
    pub bars: Vec<BarView>,
    pub heatmaps: Vec<HeatmapView>,
    pub networks: Vec<NetworkView>,
    pub table: TableView,
}

/// A line chart: each method's mean over runs with a min–max band, plus reference lines.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChartView {
    /// The metric it shows (the page's `data-metric`).
    pub metric: String,
    pub title: String,
    pub series: Vec<SeriesView>,
    /// Dashed reference lines (a true value, a ceiling), in (step, value) points.
    pub guides: Vec<Guide>,
    /// A fixed value range (accuracy: 0..1); `None` fits the data and guides.
    pub range: Option<(f64, f64)>,
    /// Twice the usual width: a lab's main picture.
    pub wide: bool,
    /// What the x axis counts ("step", or "λ × 100" for a sweep).
    pub x_label: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SeriesView {
    pub method: String,
    /// Index into the page's palette: the method's place in the lab's list.
    pub colour: usize,
    pub band: Vec<BandPoint>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Guide {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// A heatmap of values in [0, 1], row 0 at the top: a decision boundary over
/// [-extent, extent]² with points drawn over it, or a matrix (with its values written in).
#[derive(Clone, Debug, PartialEq)]
pub struct HeatmapView {
    /// The caption (the page's `data-method`).
    pub method: String,
    pub cols: usize,
    /// Pixels per cell.
    pub cell: usize,
    pub values: Vec<f32>,
    pub extent: f32,
    /// Write each cell's value in it.
    pub annotate: bool,
    /// (x, y, label or target in [0, 1], is a test point).
    pub points: std::sync::Arc<Vec<(f32, f32, f32, bool)>>,
    /// A reference boundary w·(x, y) = 0 drawn dashed (the Bayes-optimal one), as w.
    pub line: Option<[f32; 2]>,
}

/// A bar chart: per group (a method), one bar per named value, with its mean and a whisker
/// from mean − sd to mean + sd over seeds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BarView {
    /// The page's `data-metric`.
    pub metric: String,
    pub title: String,
    /// The names of the bars in every group, each with its palette index.
    pub names: Vec<(String, usize)>,
    /// (group label, per name: (mean, sd)).
    pub groups: Vec<(String, Vec<(f64, f64)>)>,
    pub range: (f64, f64),
}

/// "mean ± sd" of the finite values, for a table cell ("–" when there are none).
pub fn mean_sd(values: &[f32]) -> String {
    match BarView::spread(values) {
        (m, _) if m.is_nan() => "–".into(),
        (m, sd) => format!("{m:.3} ± {sd:.3}"),
    }
}

impl BarView {
    /// Mean and standard deviation of the finite values.
    pub fn spread(values: &[f32]) -> (f64, f64) {
        let v: Vec<f64> = values
            .iter()
            .filter(|x| x.is_finite())
            .map(|&x| x as f64)
            .collect();
        if v.is_empty() {
            return (f64::NAN, 0.0);
        }
        let m = v.iter().sum::<f64>() / v.len() as f64;
        (
            m,
            (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt(),
        )
    }
}

/// A lab's costly picture of one group's first run, read now and then (not every frame).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Picture {
    /// A decision-boundary grid.
    pub grid: Vec<f32>,
    /// The network's weights, layer by layer, each [in × out] row-major.
    pub weights: Vec<Vec<f32>>,
}

/// A network drawn as columns of units, each link's width and colour its weight.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkView {
    pub method: String,
    /// Units per layer, inputs first.
    pub sizes: Vec<usize>,
    /// Names of the inputs.
    pub inputs: Vec<String>,
    pub weights: Vec<Vec<f32>>,
}

/// The summary table: one row per method, one cell per column.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TableView {
    /// (CSS class of the cells, heading).
    pub columns: Vec<(String, String)>,
    /// (method, cells).
    pub rows: Vec<(String, Vec<String>)>,
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

/// One point of a seed band: the mean over runs at a step, and the lowest and highest run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BandPoint {
    pub step: u64,
    pub mean: f32,
    pub low: f32,
    pub high: f32,
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
