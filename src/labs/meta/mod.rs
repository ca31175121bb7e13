//! The few-shot and meta-learning lab: MAML through second-order gradients, first-order MAML,
//! Reptile and a jointly pretrained model on Finn et al.'s sinusoid regression. What each
//! initialisation is worth is measured by adapting it to held-out tasks from K shots.

use super::{int, log_float, LabDecl, Preset};

pub fn declaration() -> LabDecl {
    LabDecl {
        id: "meta",
        title: "Meta-learning",
        summary: "Each task is a sine wave with its own amplitude and phase, seen through K \
                  points. MAML learns weights from which one gradient step on K points fits a \
                  new wave; a model pretrained on all waves at once learns their average, a flat \
                  line, and barely adapts. Compare them on held-out waves after 0, 1 and 10 \
                  steps.",
        settings: vec![
            int("shots", "Shots K", 2, 20, 10, "", "Points of a task seen before predicting the rest (the paper's K = 5 or 10)."),
            int("meta_batch", "Tasks per meta-step", 1, 50, 25, "", "Fresh tasks drawn on the device at every step."),
            int("hidden", "Hidden units", 4, 80, 40, "", "Units in each of the two ReLU layers."),
            log_float("inner_lr", "Inner learning rate α", 1e-3, 0.1, 0.01, "SGD's step size when adapting to a task, in training and at evaluation."),
            log_float("meta_lr", "Meta learning rate", 1e-4, 1e-2, 1e-3, "Adam's step size for the meta-update."),
            int("eval_tasks", "Held-out tasks", 1, 500, 100, "", "Tasks the initialisations are adapted to and scored on (the same for every seed and method)."),
            int("steps", "Meta-steps", 1, 100_000, 5000, "", "Meta-updates per run."),
        ],
        methods: methods::METHODS.iter().map(|m| (m.declaration)()).collect(),
        default_methods: vec!["maml", "pretrained"],
        metrics: vec![
            "mse_after/<k>",
            "mse_zero",
            "meta_loss",
        ],
        presets: vec![
            Preset { id: "maml", title: "MAML against a pretrained model (Finn et al., Figure 2)", query: "" },
            Preset { id: "first-order", title: "Second order or not: MAML, FOMAML, Reptile", query: "methods=maml,fomaml,reptile" },
            Preset { id: "five-shot", title: "Five shots", query: "shots=5&methods=maml,fomaml,pretrained" },
        ],
        smoke: "meta_batch=2&hidden=8&eval_tasks=2&steps=10",
    }
}

pub mod claims;
pub mod methods;
pub mod model;

use crate::engine::gpu::GpuContext;
use crate::engine::{Exec, Result};
use crate::experiment::Experiment;
use crate::history::History;
use crate::labs::{apply_method, train_entry, LocalFuture, RunGroup};
use crate::views::{BandPoint, ChartView, Guide, Picture, SeriesView, TableView, Views};
use model::{EVAL_STEPS, GRID, X_RANGE};

/// One method's run group.
pub struct Group {
    pub method: String,
    pub recipe: model::Recipe,
    pub built: model::Built,
    pub exec: Exec,
    pub history: History,
    pub step: u32,
    /// Held-out task 0 as run 0 sees it: the true curve on the grid, the shots, and the
    /// predictions before adapting, after 1 step and after EVAL_STEPS.
    pub picture: Option<TaskPicture>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TaskPicture {
    pub truth: Vec<f32>,
    pub shots: Vec<(f32, f32)>,
    pub predictions: [Vec<f32>; 3],
}

/// The lab in the registry.
pub struct Meta;

crate::lab_parts!(
    Meta,
    total_steps: |exp: &Experiment| exp.settings.get("steps").map_or(5000, |v| v.as_f64() as u32),
    views: |exp: &Experiment, groups: &[&Group], colours: &[usize], _pictures: &[(String, Picture)]| {
        views(groups, colours, exp.seed)
    },
);

impl RunGroup for Group {
    crate::run_group_fields!();
    fn train(&mut self, steps: u32) -> LocalFuture<'_, Result<()>> {
        train_entry(&mut self.exec, &mut self.step, model::TRAIN, steps)
    }
    fn observe(&mut self) -> LocalFuture<'_, Result<()>> {
        Box::pin(self.evaluate())
    }
    fn observe_every(&self, total: u32) -> u32 {
        (total / 20).max(1)
    }
}

impl Group {
    pub async fn new(exp: &Experiment, method: &str, gpu: Option<&GpuContext>) -> Result<Group> {
        let recipe = apply_method(
            methods::METHODS,
            "meta",
            method,
            exp,
            model::Recipe::from_settings(exp),
        )?;
        let built = model::build(&recipe, exp.runs as usize, exp.seed)?;
        let exec = Exec::new(&built.program, gpu).await?;
        Ok(Group {
            method: method.to_string(),
            recipe,
            built,
            exec,
            history: History::new(exp.runs as usize),
            step: 0,
            picture: None,
        })
    }

    /// Adapts the current weights to every held-out task and records the mean query MSE after
    /// 0, 1 and EVAL_STEPS steps (and every step in between as a final), the zero predictor's
    /// MSE on the same tasks, and the meta-loss of the training steps since the last time.
    async fn evaluate(&mut self) -> Result<()> {
        let step = self.step as u64;
        if let Some(w) = self.exec.metrics(model::TRAIN).await?.last() {
            self.history.record("meta_loss", w.step, &w.values[0]);
        }
        let runs = self.history.runs.len();
        let tasks = self.recipe.eval_tasks;
        let grid = model::grid();
        let mut sums = vec![0.0f64; runs * (EVAL_STEPS + 1)];
        let mut zero = 0.0f64;
        for i in 0..tasks {
            let (amp, phase, xs) = model::held_out(i, self.recipe.shots);
            let wave =
                |x: &[f32]| -> Vec<f32> { x.iter().map(|&v| amp * (v + phase).sin()).collect() };
            let (ys, yq) = (wave(&xs), wave(&grid));
            zero += yq.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / GRID as f64;
            self.exec.write(&self.built.support_x, &xs)?;
            self.exec.write(&self.built.support_y, &ys)?;
            self.exec.write(&self.built.query_y, &yq)?;
            self.exec.run(model::EVAL, 1)?;
            let curve = self.exec.read(&self.built.curve).await?;
            for (s, c) in sums.iter_mut().zip(&curve) {
                *s += *c as f64;
            }
            if i == 0 {
                let p = self.exec.read(&self.built.predictions).await?;
                let column = |c: usize| (0..GRID).map(|g| p[g * 3 + c]).collect::<Vec<_>>();
                self.picture = Some(TaskPicture {
                    truth: yq.clone(),
                    shots: xs.iter().copied().zip(ys.iter().copied()).collect(),
                    predictions: [column(0), column(1), column(2)],
                });
            }
        }
        let at = |k: usize| -> Vec<f32> {
            (0..runs)
                .map(|r| (sums[r * (EVAL_STEPS + 1) + k] / tasks as f64) as f32)
                .collect()
        };
        for k in 0..=EVAL_STEPS {
            if [0, 1, EVAL_STEPS].contains(&k) {
                self.history.record(&format!("mse_after/{k}"), step, &at(k));
            } else {
                self.history.set_final(&format!("mse_after/{k}"), &at(k));
            }
        }
        self.history
            .record("mse_zero", step, &vec![(zero / tasks as f64) as f32; runs]);
        Ok(())
    }
}

fn views(groups: &[&Group], colours: &[usize], seed: u32) -> Views {
    let over_steps = |metric: &str, title: &str| ChartView {
        metric: metric.into(),
        title: title.into(),
        series: groups
            .iter()
            .zip(colours)
            .map(|(g, &colour)| SeriesView {
                method: g.method.clone(),
                colour,
                band: g.history.band(metric),
                dashed: false,
            })
            .collect(),
        guides: Vec::new(),
        range: None,
        wide: false,
        x_label: "step".into(),
        log_x: false,
        markers: Vec::new(),
        x_span: None,
    };
    let mut charts: Vec<ChartView> = groups
        .iter()
        .zip(colours)
        .filter_map(|(g, &colour)| sinusoid(g, colour))
        .collect();
    charts.push(adaptation(groups, colours));
    charts.push(over_steps("meta_loss", "Meta-training loss"));
    charts.push(over_steps("mse_after/1", "Held-out MSE after 1 step"));
    charts.push(over_steps("mse_after/10", "Held-out MSE after 10 steps"));
    let last = |g: &Group, m: &str| -> Vec<f32> {
        g.history
            .reports(&g.method, seed)
            .iter()
            .map(|r| r.final_values.get(m).copied().unwrap_or(f32::NAN))
            .collect()
    };
    let table = TableView {
        columns: [
            ("mse-0", "MSE before adapting"),
            ("mse-1", "after 1 step"),
            ("mse-10", "after 10 steps"),
            ("mse-zero", "predicting 0"),
            ("run-status", "runs"),
        ]
        .iter()
        .map(|(c, h)| (c.to_string(), h.to_string()))
        .collect(),
        rows: groups
            .iter()
            .map(|g| {
                let ms = |m: &str| crate::views::mean_sd(&last(g, m));
                (
                    g.method.clone(),
                    vec![
                        ms("mse_after/0"),
                        ms("mse_after/1"),
                        ms("mse_after/10"),
                        ms("mse_zero"),
                        g.history.status(seed),
                    ],
                )
            })
            .collect(),
    };
    Views {
        charts,
        bars: Vec::new(),
        heatmaps: Vec::new(),
        networks: Vec::new(),
        table,
    }
}

/// The grid index of input x.
fn grid_step(x: f32) -> f64 {
    ((x - X_RANGE.0) / (X_RANGE.1 - X_RANGE.0) * (GRID - 1) as f32) as f64
}

/// Finn et al.'s Figure 2 for one method: held-out task 0, its K shots, and run 0's prediction
/// before adapting (grey, dashed), after 1 step (dashed) and after 10 (solid).
fn sinusoid(g: &Group, colour: usize) -> Option<ChartView> {
    let p = g.picture.as_ref()?;
    let line = |v: &[f32]| -> Vec<BandPoint> {
        v.iter()
            .enumerate()
            .map(|(i, &y)| BandPoint {
                step: i as u64,
                mean: y,
                low: y,
                high: y,
            })
            .collect()
    };
    let series = [
        ("before", 5, true, 0),
        ("1 step", colour, true, 1),
        ("10 steps", colour, false, 2),
    ]
    .into_iter()
    .map(|(name, colour, dashed, i)| SeriesView {
        method: name.into(),
        colour,
        band: line(&p.predictions[i]),
        dashed,
    })
    .collect();
    Some(ChartView {
        metric: format!("sinusoid/{}", g.method),
        title: format!(
            "{}: a held-out wave (black, dashed), its {} shots, and the prediction before \
             adapting (grey), after 1 step (dashed) and after 10",
            g.method,
            p.shots.len()
        ),
        series,
        guides: vec![Guide {
            label: "truth".into(),
            points: p
                .truth
                .iter()
                .enumerate()
                .map(|(i, &y)| (i as f64, y as f64))
                .collect(),
        }],
        range: None,
        wide: true,
        x_label: "x".into(),
        log_x: false,
        markers: p
            .shots
            .iter()
            .map(|&(x, y)| (grid_step(x), y as f64))
            .collect(),
        x_span: Some((X_RANGE.0 as f64, X_RANGE.1 as f64)),
    })
}

/// Held-out MSE against adaptation steps, per method over seeds, with the zero predictor's.
fn adaptation(groups: &[&Group], colours: &[usize]) -> ChartView {
    let series = groups
        .iter()
        .zip(colours)
        .map(|(g, &colour)| {
            let reports = g.history.reports(&g.method, 0);
            let band = (0..=EVAL_STEPS)
                .filter_map(|k| {
                    let v: Vec<f32> = reports
                        .iter()
                        .filter_map(|r| r.final_values.get(&format!("mse_after/{k}")).copied())
                        .collect();
                    if v.is_empty() {
                        return None;
                    }
                    let (lo, hi) = v.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |a, &x| {
                        (a.0.min(x), a.1.max(x))
                    });
                    Some(BandPoint {
                        step: k as u64,
                        mean: v.iter().sum::<f32>() / v.len() as f32,
                        low: lo,
                        high: hi,
                    })
                })
                .collect();
            SeriesView {
                method: g.method.clone(),
                colour,
                band,
                dashed: false,
            }
        })
        .collect();
    let zero = groups
        .iter()
        .find_map(|g| {
            g.history
                .runs
                .first()
                .and_then(|r| r.get("mse_zero"))
                .and_then(|p| p.last())
                .map(|(_, v)| *v as f64)
        })
        .map(|z| Guide {
            label: "predicting 0".into(),
            points: vec![(0.0, z), (EVAL_STEPS as f64, z)],
        });
    ChartView {
        metric: "mse_by_steps".into(),
        title: "Held-out MSE against adaptation steps (mean and range over seeds)".into(),
        series,
        guides: zero.into_iter().collect(),
        range: None,
        wide: false,
        x_label: "steps".into(),
        log_x: false,
        markers: Vec::new(),
        x_span: None,
    }
}
