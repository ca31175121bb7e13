//! The imperfect-labels lab's network and losses: an MLP classifier trained on mini-batches of
//! the *given* labels, drawn on the device from the step counter. Each method is a loss on the
//! batch (and, for some, per-sample state: ALDR-KL's λᵢ, Feasible Learning's dual variables),
//! except co-teaching, which trains two networks on each other's small-loss samples.
//!
//! Evaluation reads the logits of every training and test point; the host turns them into
//! accuracies against the given and the true labels, per-sample losses and their tail.
//!
//! What a method plugs into (`Objective`, with the `Batch` it sees) is defined here and implemented
//! in `methods/`: the model names no method.

use super::data::{Noise, Scenario, Set};
use crate::engine::nn::{Activation, Mlp};
use crate::engine::{Entry, Graph, OptimizerKind, Program, Result, Tensor};
use crate::experiment::Experiment;
use crate::labs::{Loss, Optimizer};

/// What a run trains: the settings (a method's loss is its own, `Objective`).
#[derive(Clone, Debug)]
pub struct Recipe {
    pub scenario: Scenario,
    pub noise: Noise,
    pub rate: f32,
    pub width: usize,
    pub depth: usize,
    pub optimizer: Optimizer,
    pub lr: f32,
    pub batch: usize,
    /// Labelled points per class for the semi-supervised methods.
    pub labelled: usize,
}

impl Recipe {
    pub fn from_settings(exp: &Experiment) -> Recipe {
        let s = exp.read();
        Recipe {
            scenario: s.choice("scenario"),
            noise: s.choice("noise"),
            rate: s.f32("rate"),
            width: s.usize("width"),
            depth: s.usize("depth"),
            optimizer: s.choice("optimizer"),
            lr: s.f32("lr"),
            batch: s.usize("batch"),
            labelled: s.usize("labelled"),
        }
    }
}

/// Side of the moons' evaluation grid, over [−EXTENT, EXTENT]².
pub const GRID: usize = 40;
pub const EXTENT: f32 = 2.0;

pub struct Built {
    pub program: Program,
    /// [R, N, C]: the (first) network's logits on every training point.
    pub train_logits: Tensor,
    /// [R, M, C]: on every test point.
    pub test_logits: Tensor,
    /// [R, GRID², C] on the moons' grid (2-D data only).
    pub grid_logits: Option<Tensor>,
}

pub const TRAIN: usize = 0;
pub const EVAL: usize = 1;

pub fn network(
    g: &Graph,
    label: &str,
    recipe: &Recipe,
    dims: usize,
    classes: usize,
) -> Result<Mlp> {
    let mut sizes = vec![dims];
    sizes.extend(std::iter::repeat_n(recipe.width, recipe.depth.max(1)));
    sizes.push(classes);
    Mlp::new(g, label, &sizes, Activation::Relu)
}

/// Per-sample cross-entropy of logits [R, B, C] against soft targets [R|1, B, C]: [R, B, 1].
pub fn per_sample_ce(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    logits.log_softmax()?.mul(targets)?.sum(2)?.neg()
}

/// The mean over the batch of per-sample values [R, B, 1], per run: [R].
pub fn batch_mean(v: &Tensor) -> Result<Tensor> {
    v.mean_per_run()
}

/// Per run, the labelled subset's indices and the unlabelled rest's.
pub type Split = (Vec<usize>, Vec<usize>);

pub fn build(
    recipe: &Recipe,
    objective: &dyn Objective,
    train: &Set,
    test: &Set,
    given: &[Vec<usize>],
    split: &[Split],
    seed: u32,
) -> Result<Built> {
    let runs = given.len();
    let g = Graph::new(runs, seed);
    let step = g.step_counter()?;
    let (n, d, c) = (train.n(), train.dims, train.classes);
    let x_train = g.input("train.x", &[1, n, d], train.x.clone())?;
    let mut onehot = vec![0.0f32; runs * n * c];
    for (r, labels) in given.iter().enumerate() {
        for (i, &y) in labels.iter().enumerate() {
            onehot[(r * n + i) * c + y] = 1.0;
        }
    }
    let y_given = g.input("train.given", &[runs, n, c], onehot)?;
    let net = network(&g, "net", recipe, d, c)?;
    let mut params = net.params();
    let b = recipe.batch;
    let idx = g.random_index(&[runs, b], n, Some(&step))?;
    let xb = x_train.gather_rows(&idx)?;
    let yb = y_given.gather_rows(&idx)?;
    let classes = g.input("classes", &[1, 1, c], (0..c).map(|k| k as f32).collect())?;
    let loss = objective.loss(&Batch {
        g: &g,
        step: &step,
        recipe,
        net: &net,
        x: &x_train,
        y: &y_given,
        idx: &idx,
        xb: &xb,
        yb: &yb,
        split,
        classes: &classes,
    })?;
    params.extend(loss.params);
    let lr = g.per_run("lr", &[recipe.lr])?;
    let optimizer = if recipe.optimizer == Optimizer::Adam {
        OptimizerKind::adam()
    } else {
        OptimizerKind::sgd(0.9)
    };
    let mut train_entry = Entry::new("train").metric("loss", &loss.value).minimize(
        &loss.value,
        &params,
        optimizer,
        &lr,
    )?;
    for (state, value) in &loss.assigns {
        train_entry = train_entry.assign(state, value);
    }

    let train_logits = net.forward(&x_train)?.detach()?;
    let x_test = g.input("test.x", &[1, test.n(), d], test.x.clone())?;
    let test_logits = net.forward(&x_test)?.detach()?;
    let mut eval = Entry::new("eval")
        .output(&train_logits)
        .output(&test_logits);
    let grid_logits = if d == 2 {
        let grid: Vec<f32> = (0..GRID * GRID)
            .flat_map(|k| {
                let (row, col) = (k / GRID, k % GRID);
                let at = |i: usize| -EXTENT + 2.0 * EXTENT * (i as f32 + 0.5) / GRID as f32;
                [at(col), -at(row)]
            })
            .collect();
        let xg = g.input("grid.x", &[1, GRID * GRID, 2], grid)?;
        let logits = net.forward(&xg)?.detach()?;
        eval = eval.output(&logits);
        Some(logits)
    } else {
        None
    };
    Ok(Built {
        program: Program::new(&g, vec![train_entry, eval])?,
        train_logits,
        test_logits,
        grid_logits,
    })
}

/// Rows of mixup's Beta quantile table.
pub const BETA_TABLE: usize = 1024;

/// Per point, the log-softmax of its logits row.
pub fn log_softmax(row: &[f32]) -> Vec<f32> {
    let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let lse = m + crate::engine::math::ln(
        row.iter()
            .map(|v| crate::engine::math::exp(v - m))
            .sum::<f32>(),
    );
    row.iter().map(|v| v - lse).collect()
}

pub fn argmax(row: &[f32]) -> usize {
    row.iter()
        .enumerate()
        .fold(
            (0, f32::NEG_INFINITY),
            |b, (i, &v)| if v > b.1 { (i, v) } else { b },
        )
        .0
}

/// What a method trains the network with.
pub trait Objective {
    /// The loss of one step, and what else it trains.
    fn loss(&self, batch: &Batch) -> Result<Loss>;
    /// Whether it learns from the labelled subset and the unlabelled rest.
    fn semi_supervised(&self) -> bool {
        false
    }
}

/// What a method sees of one training step.
pub struct Batch<'a> {
    pub g: &'a Graph,
    /// The step counter, for draws that change every step.
    pub step: &'a Tensor,
    pub recipe: &'a Recipe,
    pub net: &'a Mlp,
    /// The training points [1, N, D] and each run's given labels, one-hot [R, N, C].
    pub x: &'a Tensor,
    pub y: &'a Tensor,
    /// The step's batch: rows [R, B], their points and given labels.
    pub idx: &'a Tensor,
    pub xb: &'a Tensor,
    pub yb: &'a Tensor,
    /// Per run, the labelled subset and the unlabelled rest.
    pub split: &'a [Split],
    /// The class indices 0 … C − 1, [1, 1, C].
    pub classes: &'a Tensor,
}

impl Batch<'_> {
    /// Training points N, classes C and batch size B.
    pub fn sizes(&self) -> (usize, usize, usize) {
        let (x, y) = (self.x.dims(), self.y.dims());
        (x[1], y[2], self.recipe.batch)
    }
    /// The per-run index table `pick` chooses (the labelled subset or the unlabelled rest), as
    /// device data [R, len, 1].
    pub fn table(&self, label: &str, pick: &dyn Fn(&Split) -> &Vec<usize>) -> Result<Tensor> {
        let len = pick(&self.split[0]).len().max(1);
        let values: Vec<f32> = self
            .split
            .iter()
            .flat_map(|s| {
                let v = pick(s);
                (0..len).map(move |i| v.get(i).copied().unwrap_or(0) as f32)
            })
            .collect();
        self.g.input(label, &[self.split.len(), len, 1], values)
    }
    /// `count` indices per run drawn from a `table`: [R, count].
    pub fn draw(&self, table: &Tensor, count: usize) -> Result<Tensor> {
        let (runs, len) = (self.split.len(), table.dims()[1]);
        let pos = self.g.random_index(&[runs, count], len, Some(self.step))?;
        table.gather_rows(&pos)?.reshape(&[runs, count])
    }
}
