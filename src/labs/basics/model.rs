//! The Basics lab's data, model and evaluation; methods adjust the `Recipe` before it is built.

use crate::data::table::Table;
use crate::data::{self, Playground, Points};
use crate::decl::Choice;
use crate::engine::{nn, rng, EngineError, Entry, Graph, OptimizerKind, Program, Result, Tensor};
use crate::experiment::Experiment;
use std::sync::Arc;

/// Side of the decision-boundary grid: GRID × GRID points over [-3, 3]².
pub const GRID: usize = 100;
/// Entries rows of the Beta quantile table mixup draws λ from.
const BETA_TABLE: usize = 1024;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OptimizerChoice {
    Sgd,
    Momentum,
    Adam,
}

impl Choice for OptimizerChoice {
    const OPTIONS: &'static [(&'static str, Self)] = &[
        ("sgd", OptimizerChoice::Sgd),
        ("momentum", OptimizerChoice::Momentum),
        ("adam", OptimizerChoice::Adam),
    ];
}

impl Choice for nn::Activation {
    const OPTIONS: &'static [(&'static str, Self)] = &[
        ("relu", nn::Activation::Relu),
        ("tanh", nn::Activation::Tanh),
        ("sigmoid", nn::Activation::Sigmoid),
        ("gelu", nn::Activation::Gelu),
        ("linear", nn::Activation::Linear),
    ];
}

/// The Basics training loss.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Loss {
    CrossEntropy,
    Mse,
}

impl Choice for Loss {
    const OPTIONS: &'static [(&'static str, Self)] =
        &[("cross_entropy", Loss::CrossEntropy), ("mse", Loss::Mse)];
}

/// The inputs a network can be fed, in the order of `Recipe::features`.
pub const FEATURES: [&str; 7] = ["x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2"];

/// How one method group trains: the settings, as the method changed them.
#[derive(Clone, Debug, PartialEq)]
pub struct Recipe {
    pub data: Playground,
    pub noise: f32,
    pub train_share: f32,
    pub points: usize,
    /// Which of x1, x2, x1², x2², x1x2, sin x1, sin x2 are fed.
    pub features: [bool; 7],
    pub layers: usize,
    pub units: usize,
    pub activation: nn::Activation,
    pub mse: bool,
    pub optimizer: OptimizerChoice,
    pub lr: f32,
    pub batch: usize,
    pub l1: f32,
    pub l2: f32,
    pub dropout: f32,
    pub mixup_alpha: Option<f32>,
    pub smoothing: f32,
    /// Your own table, when `data` is `own` and it was given.
    pub table: Option<Arc<Table>>,
}

impl Recipe {
    /// The recipe the experiment's settings describe (before any method).
    pub fn from_settings(exp: &Experiment) -> Recipe {
        let s = exp.read();
        Recipe {
            data: s.choice("data"),
            noise: s.f32("noise"),
            train_share: s.f32("train") / 100.0,
            points: s.usize("points"),
            features: FEATURES.map(|k| s.bool(k)),
            layers: s.usize("layers"),
            units: s.usize("units"),
            activation: s.choice("activation"),
            mse: s.choice::<Loss>("loss") == Loss::Mse,
            optimizer: s.choice("optimizer"),
            lr: s.f32("lr"),
            batch: s.usize("batch"),
            l1: s.f32("l1"),
            l2: s.f32("l2"),
            dropout: s.f32("dropout"),
            mixup_alpha: None,
            smoothing: 0.0,
            table: exp.table.as_ref().and_then(|t| t.given().cloned()),
        }
    }

    pub fn regression(&self) -> bool {
        self.data.is_regression()
    }
}

/// The fed features of each point, row-major [n, features]. With none chosen, x1 and x2.
pub fn features(points: &[f32], chosen: &[bool; 7]) -> (Vec<f32>, usize) {
    let chosen = if chosen.iter().any(|&c| c) {
        *chosen
    } else {
        [true, true, false, false, false, false, false]
    };
    let width = chosen.iter().filter(|&&c| c).count();
    let mut out = Vec::with_capacity(points.len() / 2 * width);
    for p in points.chunks(2) {
        let (a, b) = (p[0], p[1]);
        let all = [
            a,
            b,
            a * a,
            b * b,
            a * b,
            crate::engine::math::sin(a),
            crate::engine::math::sin(b),
        ];
        out.extend(all.iter().zip(chosen).filter(|(_, c)| *c).map(|(v, _)| v));
    }
    (out, width)
}

/// Quantiles of Beta(α, α) at (k + ½)/n: by symmetry only [0, ½] is integrated, in the variable
/// s = x^α, where the density's singularity at 0 becomes the smooth (1 - s^{1/α})^{α-1}/α.
pub fn beta_quantiles(alpha: f64, n: usize) -> Vec<f32> {
    const M: usize = 8192;
    let top = crate::engine::math::pow64(0.5, alpha);
    let h = top / M as f64;
    let mut cdf = vec![0.0f64; M + 1];
    for k in 0..M {
        let s = (k as f64 + 0.5) * h;
        let density = crate::engine::math::pow64(
            1.0 - crate::engine::math::pow64(s, 1.0 / alpha),
            alpha - 1.0,
        ) / alpha;
        cdf[k + 1] = cdf[k] + density * h;
    }
    let half = cdf[M];
    let x_at = |k: usize| crate::engine::math::pow64(k as f64 * h, 1.0 / alpha);
    let lower = |q: f64| -> f64 {
        // q in [0, ½]: find the grid cell where cdf/half·½ crosses q, interpolate linearly in s.
        let target = q / 0.5 * half;
        let k = cdf.partition_point(|&c| c < target).clamp(1, M);
        let (c0, c1) = (cdf[k - 1], cdf[k]);
        let t = if c1 > c0 {
            (target - c0) / (c1 - c0)
        } else {
            0.0
        };
        let (x0, x1) = (x_at(k - 1), x_at(k));
        x0 + t * (x1 - x0)
    };
    (0..n)
        .map(|k| {
            let q = (k as f64 + 0.5) / n as f64;
            (if q <= 0.5 {
                lower(q)
            } else {
                1.0 - lower(1.0 - q)
            }) as f32
        })
        .collect()
}

/// One method group's compiled experiment: entry 0 trains, entry 1 evaluates, entry 2 draws
/// the decision boundary.
pub struct Built {
    pub program: Program,
    pub regression: bool,
    /// Metric names of the evaluation entry, in the column order of `eval_all`.
    pub eval: Vec<(&'static str, Tensor)>,
    /// Every evaluation metric as one `[R, metrics]` tensor: one readback per evaluation.
    pub eval_all: Tensor,
    /// End-of-run summaries (names, and all of them as one `[R, n]` tensor).
    pub summary: Vec<(&'static str, Tensor)>,
    pub summary_all: Tensor,
    /// `[R, GRID², 1]`: P(class 1), or the prediction for regression.
    pub grid: Tensor,
    pub train: Points,
    pub test: Points,
    /// Layer sizes, inputs first, and each layer's weights [R, in, out] (the network drawing).
    pub sizes: Vec<usize>,
    pub weights: Vec<Tensor>,
}

/// Your own table as 2-D points: its first two feature columns, each scaled from its range onto
/// [-2.7, 2.7] (inside the boundary picture's square), labels the class indices 0 and 1, and
/// `noise` added as to any data set.
pub fn own_points(table: &Table, noise: f32, seed: u32) -> Points {
    let features = table.features();
    let (a, b) = (features[0], features[1]);
    let range = |k: usize| {
        (0..table.rows).fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), i| {
            let v = table.row(i)[k];
            (lo.min(v), hi.max(v))
        })
    };
    let scale = |k: usize| {
        let (lo, hi) = range(k);
        let half = (hi - lo) / 2.0;
        move |v: f32| {
            if half > 0.0 {
                2.7 * (v - lo - half) / half
            } else {
                0.0
            }
        }
    };
    let (sa, sb) = (scale(a), scale(b));
    let classes = table.class_of_rows();
    let mut x = Vec::with_capacity(2 * table.rows);
    for i in 0..table.rows {
        let row = table.row(i);
        x.push(sa(row[a]) + noise * rng::normal(seed, 22, 0, i as u32));
        x.push(sb(row[b]) + noise * rng::normal(seed, 23, 0, i as u32));
    }
    Points {
        x,
        y: classes.iter().map(|&c| c as f32).collect(),
        n: table.rows,
        dims: 2,
    }
}

/// Splits the experiment's data set into train and test points.
pub fn split(recipe: &Recipe, seed: u32) -> Result<(Points, Points)> {
    let all = match (recipe.data, &recipe.table) {
        (Playground::Own, Some(table)) => own_points(table, recipe.noise, seed),
        (Playground::Own, None) => {
            return Err(EngineError::Invalid {
                op: "basics",
                detail: "data=own: this link names a table that was not given here (drop the file on the page, or give it with --data)".into(),
            })
        }
        (set, _) => data::playground(set, recipe.points, recipe.noise, seed),
    };
    let all = data::shuffled(&all, seed);
    let points = all.n;
    let n_train = ((points as f32 * recipe.train_share).round() as usize).clamp(1, points - 1);
    let take = |from: usize, to: usize| Points {
        x: all.x[2 * from..2 * to].to_vec(),
        y: all.y[from..to].to_vec(),
        n: to - from,
        dims: 2,
    };
    Ok((take(0, n_train), take(n_train, points)))
}

/// The program of `runs` runs seeded `seed`, on the points every run shares (drawn from
/// `data_seed`).
pub fn build(recipe: &Recipe, runs: usize, seed: u32, data_seed: u32) -> Result<Built> {
    let g = Graph::new(runs, seed);
    let regression = recipe.regression();
    let (train, test) = split(recipe, data_seed)?;
    let (xtr, width) = features(&train.x, &recipe.features);
    let (xte, _) = features(&test.x, &recipe.features);
    let outputs = if regression || recipe.mse { 1 } else { 2 };

    // Parameters first, in a fixed order, so every method starts from the same weights.
    let mut sizes = vec![width];
    sizes.extend(std::iter::repeat_n(recipe.units, recipe.layers));
    sizes.push(outputs);
    let mlp = nn::Mlp::new(&g, "net", &sizes, recipe.activation)?;

    let x_train = g.input("x_train", &[1, train.n, width], xtr)?;
    let y_train = g.input("y_train", &[1, train.n, 1], train.y.clone())?;
    let x_test = g.input("x_test", &[1, test.n, width], xte)?;
    let y_test = g.input("y_test", &[1, test.n, 1], test.y.clone())?;
    let step = g.step_counter()?;

    // The batch: sampled on the device from the step counter.
    let batch = recipe.batch;
    let idx = g.random_index(&[runs, batch], train.n, Some(&step))?;
    let mut xb = x_train.gather_rows(&idx)?;
    let yb = y_train.gather_rows(&idx)?; // [R, B, 1]
                                         // Targets as rows: one-hot for cross-entropy, ±1 for MSE classification, raw for regression.
    let as_targets = |y: &Tensor| -> Result<Tensor> {
        if regression {
            Ok(y.clone())
        } else if recipe.mse {
            y.mul_scalar(2.0)?.add_scalar(-1.0)
        } else {
            nn::one_hot(&y.reshape(&[y.shape().0[0], y.shape().0[1]])?, 2)
        }
    };
    let mut targets = as_targets(&yb)?;
    if let Some(alpha) = recipe.mixup_alpha {
        let idx2 = g.random_index(&[runs, batch], train.n, Some(&step))?;
        let table = g.input(
            "beta_quantiles",
            &[1, BETA_TABLE, 1],
            beta_quantiles(alpha as f64, BETA_TABLE),
        )?;
        let lam = table.gather_rows(&g.random_index(&[runs, batch], BETA_TABLE, Some(&step))?)?; // [R, B, 1]
        let other = g.scalar(1.0)?.sub(&lam)?;
        xb = xb
            .mul(&lam)?
            .add(&x_train.gather_rows(&idx2)?.mul(&other)?)?;
        targets = targets
            .mul(&lam)?
            .add(&as_targets(&y_train.gather_rows(&idx2)?)?.mul(&other)?)?;
    }
    if recipe.smoothing > 0.0 && !regression {
        targets = if recipe.mse {
            targets.mul_scalar(1.0 - recipe.smoothing)?
        } else {
            targets
                .mul_scalar(1.0 - recipe.smoothing)?
                .add_scalar(recipe.smoothing / 2.0)?
        };
    }

    // Forward with dropout on hidden units (training only).
    let forward = |x: &Tensor, train: bool| -> Result<Tensor> {
        let mut h = x.clone();
        for (i, layer) in mlp.layers.iter().enumerate() {
            h = layer.forward(&h)?;
            if i + 1 < mlp.layers.len() {
                h = recipe.activation.apply(&h)?;
                if train && recipe.dropout > 0.0 {
                    let keep = g
                        .random_uniform(&h.dims(), 0.0, 1.0, Some(&step))?
                        .ge(&g.scalar(recipe.dropout)?)?;
                    h = h.mul(&keep)?.mul_scalar(1.0 / (1.0 - recipe.dropout))?;
                }
            }
        }
        Ok(h)
    };
    let loss_of = |out: &Tensor, targets: &Tensor| -> Result<Tensor> {
        if regression || recipe.mse {
            nn::mse(out, targets)
        } else {
            nn::cross_entropy_soft(out, targets)
        }
    };
    let out = forward(&xb, true)?;
    let data_loss = loss_of(&out, &targets)?;
    let mut loss = data_loss.clone();
    for layer in &mlp.layers {
        if recipe.l2 > 0.0 {
            loss = loss.add(
                &layer
                    .weight
                    .square()?
                    .sum_per_run()?
                    .mul_scalar(recipe.l2)?,
            )?;
        }
        if recipe.l1 > 0.0 {
            loss = loss.add(&layer.weight.abs()?.sum_per_run()?.mul_scalar(recipe.l1)?)?;
        }
    }
    let lr = g.per_run("lr", &[recipe.lr])?;
    let kind = match recipe.optimizer {
        OptimizerChoice::Sgd => OptimizerKind::sgd(0.0),
        OptimizerChoice::Momentum => OptimizerKind::sgd(0.9),
        OptimizerChoice::Adam => OptimizerKind::adam(),
    };
    // No per-step metric: the lab observes by evaluation passes, so summing the batch loss would
    // only cost a dispatch a step.
    let train_entry = Entry::new("train").minimize(&loss, &mlp.params(), kind, &lr)?;

    // Decision boundary on a grid over [-3, 3]².
    let mut grid_points = Vec::with_capacity(2 * GRID * GRID);
    for row in 0..GRID {
        for col in 0..GRID {
            let at = |k: usize| -3.0 + 6.0 * (k as f32 + 0.5) / GRID as f32;
            grid_points.push(at(col));
            grid_points.push(3.0 - (at(row) + 3.0));
        }
    }
    let (grid_features, _) = features(&grid_points, &recipe.features);
    let grid_x = g.input("grid", &[1, GRID * GRID, width], grid_features)?;
    let grid_out = forward(&grid_x, false)?;
    let grid = if regression || recipe.mse {
        grid_out.clone()
    } else {
        grid_out.softmax()?.slice(1, 1)?
    };
    // The share of `labels` [1, rows, 1] that `out` classifies right.
    let accuracy = |out: &Tensor, labels: &Tensor| -> Result<Tensor> {
        let rows = labels.shape().0[1];
        let labels = labels.reshape(&[1, rows])?;
        if recipe.mse {
            // The sign of the single output is the class.
            let predicted = out.gt(&g.scalar(0.0)?)?.reshape(&[runs, rows])?;
            predicted.eq_mask(&labels)?.mean_per_run()
        } else {
            nn::accuracy(out, &labels)
        }
    };
    // Evaluation on the whole train and test sets, no dropout, hard targets.
    let mut eval = Vec::new();
    for (name, x, y) in [("train", &x_train, &y_train), ("test", &x_test, &y_test)] {
        let out = forward(x, false)?;
        let loss = loss_of(&out, &as_targets(y)?)?;
        eval.push((
            if name == "train" {
                "train_loss"
            } else {
                "test_loss"
            },
            loss,
        ));
        if !regression {
            let acc = accuracy(&out, y)?;
            eval.push((
                if name == "train" {
                    "train_acc"
                } else {
                    "test_acc"
                },
                acc,
            ));
        }
    }
    // Where the data's Bayes-optimal boundary is known: the share of the grid's square on which
    // the network's class differs from the Bayes classifier's.
    if let (Some(w), false) = (data::bayes_direction(recipe.data, recipe.noise), regression) {
        let bayes: Vec<f32> = grid_points
            .chunks(2)
            .map(|p| (w[0] * p[0] + w[1] * p[1] > 0.0) as u8 as f32)
            .collect();
        let bayes = g.input("bayes", &[1, GRID * GRID, 1], bayes)?;
        let agree = accuracy(&grid_out, &bayes)?;
        eval.push(("bayes_gap", g.scalar(1.0)?.sub(&agree)?));
    }
    let mut eval_all = eval[0].1.reshape(&[runs, 1])?;
    for (_, t) in &eval[1..] {
        eval_all = eval_all.concat(&t.reshape(&[runs, 1])?)?;
    }
    let eval_entry = Entry::new("eval").output(&eval_all);

    let grid_entry = Entry::new("grid").output(&grid);

    // Summaries read once, at a run's end (the claims read them): Σ w² over every weight matrix
    // (what an L2 penalty shrinks) and, for a classifier, how confident it is over the square:
    // the mean of |2p − 1| on the grid (what label smoothing lowers). Not in the evaluation
    // entry: the grid's forward pass at every observation would cost the page a third of its
    // speed.
    let mut summary = Vec::new();
    let mut weight_sq: Option<Tensor> = None;
    for layer in &mlp.layers {
        let sq = layer.weight.square()?.sum_per_run()?;
        weight_sq = Some(match weight_sq {
            Some(total) => total.add(&sq)?,
            None => sq,
        });
    }
    if let Some(w) = weight_sq {
        summary.push(("weight_sq", w.detach()?));
    }
    if !regression && !recipe.mse {
        let confidence = grid
            .mul_scalar(2.0)?
            .add_scalar(-1.0)?
            .abs()?
            .mean_per_run()?;
        summary.push(("confidence", confidence.detach()?));
    }
    let mut summary_all = summary[0].1.reshape(&[runs, 1])?;
    for (_, t) in &summary[1..] {
        summary_all = summary_all.concat(&t.reshape(&[runs, 1])?)?;
    }
    let summary_entry = Entry::new("summary").output(&summary_all);

    let program = Program::new(&g, vec![train_entry, eval_entry, grid_entry, summary_entry])?;
    Ok(Built {
        program,
        regression,
        eval,
        eval_all,
        summary,
        summary_all,
        grid,
        train,
        test,
        weights: mlp.layers.iter().map(|l| l.weight.clone()).collect(),
        sizes,
    })
}
