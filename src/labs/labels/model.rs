//! The imperfect-labels lab's network and losses: an MLP classifier trained on mini-batches of
//! the *given* labels, drawn on the device from the step counter. Each method is a loss on the
//! batch (and, for some, per-sample state: ALDR-KL's λᵢ, Feasible Learning's dual variables),
//! except co-teaching, which trains two networks on each other's small-loss samples.
//!
//! Evaluation reads the logits of every training and test point; the host turns them into
//! accuracies against the given and the true labels, per-sample losses and their tail.

use super::data::{Noise, Scenario, Set};
use crate::engine::nn::{Activation, Mlp};
use crate::engine::{Entry, Graph, OptimizerKind, Program, Result, Tensor};
use crate::experiment::Experiment;
use crate::labs::Optimizer;

/// How a method trains.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// Cross-entropy on the given labels.
    Erm,
    /// Cross-entropy on convex combinations of two examples and their given labels, λ ~ Beta(α, α).
    Mixup { alpha: f32 },
    /// Two networks; each trains on the other's share R(t) of small-loss samples in the batch,
    /// R(t) = 1 − τ·min(t / T, 1) with τ the noise rate and T `ramp_epochs` epochs.
    CoTeaching { ramp_epochs: f32 },
    /// ALDR-KL: the label-distributionally robust loss with a per-sample λᵢ set in closed form
    /// from the prediction's KL to uniform: margin c, reference λ, and α.
    Aldr {
        margin: f32,
        lambda: f32,
        alpha: f32,
    },
    /// Feasible Learning: ℓᵢ ≤ ε for every sample, a dual variable per sample raised by
    /// gradient ascent at `dual_lr` where the constraint is violated; the primal weights each
    /// sample's loss by its dual.
    Feasible { epsilon: f32, dual_lr: f32 },
    /// Cross-entropy on the labelled points alone (the semi-supervised reference).
    LabelledOnly,
    /// A labelled batch, plus an unlabelled one trained on its own confident predictions: the
    /// argmax as a hard label wherever the top probability exceeds `threshold`.
    NaivePseudo { threshold: f32 },
    /// Arazo et al.: soft pseudo-labels, each unlabelled point's last prediction (refreshed
    /// when it is drawn, so about once an epoch), a batch with at least `min_labelled`
    /// labelled points, mixup (α = 1) across the batch, and the paper's two regularisers: the
    /// batch's mean prediction kept near uniform (weight 0.8) and each prediction's entropy
    /// low (0.4).
    MixupPseudo { min_labelled: usize },
}

impl Kind {
    /// Whether the method learns from the labelled subset (and the unlabelled rest).
    pub fn semi_supervised(&self) -> bool {
        matches!(
            self,
            Kind::LabelledOnly | Kind::NaivePseudo { .. } | Kind::MixupPseudo { .. }
        )
    }
}

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
    pub kind: Kind,
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
            kind: Kind::Erm,
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

fn network(g: &Graph, label: &str, recipe: &Recipe, dims: usize, classes: usize) -> Result<Mlp> {
    let mut sizes = vec![dims];
    sizes.extend(std::iter::repeat_n(recipe.width, recipe.depth.max(1)));
    sizes.push(classes);
    Mlp::new(g, label, &sizes, Activation::Relu)
}

/// Per-sample cross-entropy of logits [R, B, C] against soft targets [R|1, B, C]: [R, B, 1].
fn per_sample_ce(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    logits.log_softmax()?.mul(targets)?.sum(2)?.neg()
}

/// The mean over the batch of per-sample values [R, B, 1], per run: [R].
fn batch_mean(v: &Tensor) -> Result<Tensor> {
    v.mean_per_run()
}

/// Per run, the labelled subset's indices and the unlabelled rest's.
pub type Split = (Vec<usize>, Vec<usize>);

pub fn build(
    recipe: &Recipe,
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
    let mut assigns: Vec<(Tensor, Tensor)> = Vec::new();
    // Draws `count` indices per run from the per-run index table `pick` (the labelled subset or
    // the unlabelled rest): [R, count].
    let table = |label: &str, pick: &dyn Fn(&Split) -> &Vec<usize>| -> Result<Tensor> {
        let len = pick(&split[0]).len().max(1);
        let values: Vec<f32> = split
            .iter()
            .flat_map(|s| {
                let v = pick(s);
                (0..len).map(move |i| v.get(i).copied().unwrap_or(0) as f32)
            })
            .collect();
        g.input(label, &[runs, len, 1], values)
    };
    let draw = |t: &Tensor, count: usize| -> Result<Tensor> {
        let len = t.dims()[1];
        let pos = g.random_index(&[runs, count], len, Some(&step))?;
        t.gather_rows(&pos)?.reshape(&[runs, count])
    };
    let ramp = g.input("classes", &[1, 1, c], (0..c).map(|k| k as f32).collect())?;
    let loss = match recipe.kind {
        Kind::LabelledOnly => {
            let labelled = table("labelled", &|s| &s.0)?;
            let i = draw(&labelled, b)?;
            batch_mean(&per_sample_ce(
                &net.forward(&x_train.gather_rows(&i)?)?,
                &y_given.gather_rows(&i)?,
            )?)?
        }
        Kind::NaivePseudo { threshold } => {
            let labelled = table("labelled", &|s| &s.0)?;
            let unlabelled = table("unlabelled", &|s| &s.1)?;
            let i = draw(&labelled, b)?;
            let supervised = batch_mean(&per_sample_ce(
                &net.forward(&x_train.gather_rows(&i)?)?,
                &y_given.gather_rows(&i)?,
            )?)?;
            let u = draw(&unlabelled, b)?;
            let logits = net.forward(&x_train.gather_rows(&u)?)?;
            let p = logits.detach()?.softmax()?;
            let confident = p.max(2)?.gt(&g.scalar(threshold)?)?;
            let hard = logits.detach()?.argmax_last()?.eq_mask(&ramp)?;
            let kept = confident.sum_per_run()?.add_scalar(1e-6)?;
            let pseudo = per_sample_ce(&logits, &hard)?
                .mul(&confident)?
                .sum_per_run()?
                .div(&kept)?;
            supervised.add(&pseudo)?
        }
        Kind::MixupPseudo { min_labelled } => {
            let labelled = table("labelled", &|s| &s.0)?;
            let unlabelled = table("unlabelled", &|s| &s.1)?;
            // At least one unlabelled point in the batch (batch ≥ 4 by the settings).
            let k = min_labelled.clamp(1, b.saturating_sub(1).max(1));
            let soft = g.state(
                "pseudo.soft",
                &[runs, n, c],
                vec![1.0 / c as f32; runs * n * c],
            )?;
            let il = draw(&labelled, k)?;
            let iu = draw(&unlabelled, b - k)?;
            let x = x_train
                .gather_rows(&il)?
                .transpose()?
                .concat(&x_train.gather_rows(&iu)?.transpose()?)?
                .transpose()?;
            let targets_u = soft.gather_rows(&iu)?;
            let y = y_given
                .gather_rows(&il)?
                .transpose()?
                .concat(&targets_u.transpose()?)?
                .transpose()?;
            // Refresh the drawn points' soft labels with the current predictions (unmixed).
            let fresh = net
                .forward(&x_train.gather_rows(&iu)?)?
                .detach()?
                .softmax()?;
            assigns.push((
                soft.clone(),
                soft.add(&fresh.sub(&targets_u)?.scatter_add_rows(&iu, n)?)?,
            ));
            // Mixup across the batch, λ ~ Beta(1, 1), with a second draw of the same batch.
            let lam = g.random_uniform(&[runs, b, 1], 0.0, 1.0, Some(&step))?;
            let other = g.scalar(1.0)?.sub(&lam)?;
            let perm = g.random_index(&[runs, b], b, Some(&step))?;
            let xm = x.mul(&lam)?.add(&x.gather_rows(&perm)?.mul(&other)?)?;
            let ym = y.mul(&lam)?.add(&y.gather_rows(&perm)?.mul(&other)?)?;
            let logits = net.forward(&xm)?;
            let ce = batch_mean(&per_sample_ce(&logits, &ym)?)?;
            let probs = logits.softmax()?;
            // R_A: KL(uniform ‖ the batch's mean prediction); R_H: the predictions' entropy.
            let mean = probs.mean(1)?;
            let r_a = mean
                .add_scalar(1e-8)?
                .log()?
                .mul_scalar(-1.0 / c as f32)?
                .sum_per_run()?
                .add_scalar(-(c as f32).ln())?;
            let r_h = probs
                .mul(&probs.add_scalar(1e-8)?.log()?)?
                .sum(2)?
                .neg()?
                .mean_per_run()?;
            ce.add(&r_a.mul_scalar(0.8)?)?.add(&r_h.mul_scalar(0.4)?)?
        }
        Kind::Erm => batch_mean(&per_sample_ce(&net.forward(&xb)?, &yb)?)?,
        Kind::Mixup { alpha } => {
            let idx2 = g.random_index(&[runs, b], n, Some(&step))?;
            let table = g.input(
                "beta_quantiles",
                &[1, BETA_TABLE, 1],
                crate::labs::basics::model::beta_quantiles(alpha as f64, BETA_TABLE),
            )?;
            let lam = table.gather_rows(&g.random_index(&[runs, b], BETA_TABLE, Some(&step))?)?;
            let other = g.scalar(1.0)?.sub(&lam)?;
            let x = xb
                .mul(&lam)?
                .add(&x_train.gather_rows(&idx2)?.mul(&other)?)?;
            let y = yb
                .mul(&lam)?
                .add(&y_given.gather_rows(&idx2)?.mul(&other)?)?;
            batch_mean(&per_sample_ce(&net.forward(&x)?, &y)?)?
        }
        Kind::CoTeaching { ramp_epochs } => {
            let ramp = (ramp_epochs * n as f32 / b as f32).max(1.0);
            let twin = network(&g, "twin", recipe, d, c)?;
            params.extend(twin.params());
            let la = per_sample_ce(&net.forward(&xb)?, &yb)?;
            let lb = per_sample_ce(&twin.forward(&xb)?, &yb)?;
            // The share kept: 1 − τ·min(t / T, 1), as a count of the batch; τ is the noise
            // rate, which is 0 when the labels are clean whatever the rate setting says.
            let tau = if recipe.noise == Noise::None {
                0.0
            } else {
                recipe.rate
            };
            let ramp = step.mul_scalar(1.0 / ramp)?.clamp(0.0, 1.0)?;
            let keep = ramp
                .mul_scalar(-tau)?
                .add_scalar(1.0)?
                .mul_scalar(b as f32)?;
            let keep = keep.reshape(&[1, 1, 1])?;
            // Each sample's rank in its batch by loss: how many samples have a smaller one.
            let small = |l: &Tensor| -> Result<Tensor> {
                let l = l.detach()?;
                let rank = l.transpose()?.lt(&l)?.sum(2)?;
                rank.lt(&keep)
            };
            let (keep_a, keep_b) = (small(&la)?, small(&lb)?);
            let masked = |l: &Tensor, m: &Tensor| -> Result<Tensor> {
                let kept = m.sum_per_run()?.add_scalar(1e-6)?;
                l.mul(m)?.sum_per_run()?.div(&kept)
            };
            // Each network learns from the samples its twin finds easy.
            masked(&la, &keep_b)?.add(&masked(&lb, &keep_a)?)?
        }
        Kind::Aldr {
            margin,
            lambda,
            alpha,
        } => {
            let state = g.state("aldr.lambda", &[runs, n, 1], vec![lambda; runs * n])?;
            let logits = net.forward(&xb)?;
            // Logits scaled to mean absolute value 1, as the reference implementation does.
            let scale = logits.abs()?.mean(2)?.add_scalar(1e-6)?;
            let z = logits.div(&scale)?;
            let lam_old = state.gather_rows(&idx)?.clamp(0.05 * lambda, lambda)?;
            let p = z.div(&lam_old)?.detach()?.softmax()?;
            let logk = (c as f32).ln();
            let kl = p
                .mul(&p.mul_scalar(c as f32)?.add_scalar(1e-12)?.log()?)?
                .sum(2)?;
            let lam = kl
                .mul_scalar(-lambda / (alpha * logk))?
                .add_scalar(lambda)?
                .clamp(0.05 * lambda, lambda)?
                .detach()?;
            // λ·log mean_k exp((c·[k ≠ y] + z_k − z_y)/λ)
            let zy = z.mul(&yb)?.sum(2)?;
            let diff = yb
                .mul_scalar(-margin)?
                .add_scalar(margin)?
                .add(&z)?
                .sub(&zy)?;
            let inner = diff.div(&lam)?.logsumexp()?.add_scalar(-logk)?;
            let delta = lam.sub(&lam_old)?;
            assigns.push((state.clone(), state.add(&delta.scatter_add_rows(&idx, n)?)?));
            batch_mean(&inner.mul(&lam)?)?
        }
        Kind::Feasible { epsilon, dual_lr } => {
            let duals = g.state("feasible.dual", &[runs, n, 1], vec![1.0; runs * n])?;
            let l = per_sample_ce(&net.forward(&xb)?, &yb)?;
            let dual = duals.gather_rows(&idx)?;
            let ascent = l.detach()?.add_scalar(-epsilon)?.mul_scalar(dual_lr)?;
            let next = duals.add(&ascent.scatter_add_rows(&idx, n)?)?.relu()?;
            assigns.push((duals.clone(), next));
            batch_mean(&l.mul(&dual.detach()?)?)?
        }
    };
    let lr = g.per_run("lr", &[recipe.lr])?;
    let optimizer = if recipe.optimizer == Optimizer::Adam {
        OptimizerKind::adam()
    } else {
        OptimizerKind::sgd(0.9)
    };
    let mut train_entry = Entry::new("train")
        .metric("loss", &loss)
        .minimize(&loss, &params, optimizer, &lr)?;
    for (state, value) in &assigns {
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
const BETA_TABLE: usize = 1024;

/// Per point, the log-softmax of its logits row.
pub fn log_softmax(row: &[f32]) -> Vec<f32> {
    let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let lse = m + row.iter().map(|v| (v - m).exp()).sum::<f32>().ln();
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
