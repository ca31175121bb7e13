//! The self-supervised lab's data on the device, its networks and its program; each method's
//! objective is in its own file (`methods/`).
//!
//! Every method trains one encoder on two views of a batch, drawn on the device from the step
//! counter. On the digits the encoder is a ReLU MLP (64 → `width` × `depth` → `dim`), with a
//! projector (dim → width → dim) between it and the joint-embedding objectives unless
//! `projector=0`; the probes, RankMe and LiDAR read the representation before the projector
//! (SimCLR's finding). On the toys it is a deep linear map (`depth` weight matrices, no biases),
//! as in the theory papers, and the objectives read it directly.
//!
//! The evaluation entry computes the representation on fixed inputs: the digits' train and test
//! images and a LiDAR set (8 views of 50 test images), the spectrum toy's fixed sample, or the
//! two-feature toy's unit inputs. The host turns them into the measures (`methodlab-measures`).
//!
//! What a method plugs into (`Objective`, with the `Pair` it sees) is defined here and implemented
//! in `methods/`: the model names no method.

use super::data::{self, Augment, Augmenter, Images, FEATURES, SPECTRUM_NOISE, TOY_INPUTS};
use crate::data::digits::{CLASSES, PIXELS};
use crate::decl::Choice;
use crate::engine::{rng, Entry, Graph, OptimizerKind, Program, Result, Tensor};
use crate::experiment::Experiment;
use crate::labs::Loss;
use crate::labs::Optimizer;

/// Which data the lab trains on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scenario {
    Digits,
    Spectrum,
    TwoFeature,
}

impl Choice for Scenario {
    const OPTIONS: &'static [(&'static str, Self)] = &[
        ("digits", Scenario::Digits),
        ("spectrum", Scenario::Spectrum),
        ("twofeature", Scenario::TwoFeature),
    ];
}

#[derive(Clone, Debug)]
pub struct Recipe {
    pub scenario: Scenario,
    pub dim: usize,
    pub width: usize,
    pub depth: usize,
    pub optimizer: Optimizer,
    pub lr: f32,
    pub batch: usize,
    pub init: f32,
    pub augment: Augment,
    pub decay: f32,
    /// An MLP head between the representation and the objective (digits).
    pub projector: bool,
}

impl Recipe {
    pub fn from_settings(exp: &Experiment) -> Recipe {
        let s = exp.read();
        Recipe {
            scenario: s.choice("scenario"),
            dim: s.usize("dim"),
            width: s.usize("width"),
            depth: s.usize("depth"),
            optimizer: s.choice("optimizer"),
            lr: s.f32("lr"),
            batch: s.usize("batch"),
            init: s.f32("init"),
            augment: Augment {
                shift: s.usize("shift"),
                rotate: s.f32("rotate"),
                cutout: s.f32("cutout"),
                noise: s.f32("pixel_noise"),
            },
            decay: s.f32("decay"),
            projector: s.bool("projector"),
        }
    }
}

/// Objects and views of the LiDAR set (each object's views are one class).
pub const LIDAR_OBJECTS: usize = 50;
pub const LIDAR_VIEWS: usize = 8;
/// Rows of the spectrum toy's fixed evaluation sample.
pub const SPECTRUM_EVAL: usize = 1024;

/// What the evaluation entry computes, per scenario.
pub enum Outputs {
    /// [R, N, dim], [R, M, dim], [R, objects·views, dim].
    Digits {
        train: Tensor,
        test: Tensor,
        lidar: Tensor,
    },
    /// [R, SPECTRUM_EVAL, dim].
    Spectrum { sample: Tensor },
    /// [R, 2, dim]: the encoder's output for a unit of feature A and of feature B.
    TwoFeature { units: Tensor },
}

pub struct Built {
    pub program: Program,
    pub outputs: Outputs,
}

pub const TRAIN: usize = 0;
pub const EVAL: usize = 1;

/// A stack of layers: weights [R, in, out] and (on the digits) biases, ReLU between layers when
/// `relu`, none after the last.
#[derive(Clone)]
pub struct Net {
    pub layers: Vec<(Tensor, Option<Tensor>)>,
    pub relu: bool,
}

impl Net {
    /// Weights N(0, gain²·init²/fan_in) with gain √2 for ReLU layers (He) and 1 otherwise;
    /// biases (when `bias`) start at 0.
    pub fn new(
        g: &Graph,
        label: &str,
        sizes: &[usize],
        relu: bool,
        bias: bool,
        init: f32,
    ) -> Result<Net> {
        let runs = g.runs();
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(i, w)| {
                let gain = if relu && i + 2 < sizes.len() {
                    2.0f32.sqrt()
                } else {
                    1.0
                };
                let std = gain * init / (w[0] as f32).sqrt();
                let weight =
                    g.param_normal(&format!("{label}.{i}.weight"), &[runs, w[0], w[1]], std)?;
                let b = if bias {
                    Some(g.param(
                        &format!("{label}.{i}.bias"),
                        &[runs, 1, w[1]],
                        vec![0.0; runs * w[1]],
                    )?)
                } else {
                    None
                };
                Ok((weight, b))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Net { layers, relu })
    }

    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut h = x.clone();
        for (i, (w, b)) in self.layers.iter().enumerate() {
            h = h.matmul(w)?;
            if let Some(b) = b {
                h = h.add(b)?;
            }
            if self.relu && i + 1 < self.layers.len() {
                h = h.relu()?;
            }
        }
        Ok(h)
    }

    pub fn params(&self) -> Vec<Tensor> {
        self.layers
            .iter()
            .flat_map(|(w, b)| std::iter::once(w.clone()).chain(b.clone()))
            .collect()
    }

    /// The same net with each parameter replaced by `f(parameter)`.
    pub fn map(&self, mut f: impl FnMut(&Tensor) -> Result<Tensor>) -> Result<Net> {
        let layers = self
            .layers
            .iter()
            .map(|(w, b)| Ok((f(w)?, b.as_ref().map(&mut f).transpose()?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Net {
            layers,
            relu: self.relu,
        })
    }
}

/// An EMA copy of `net` as device state, started at the net's initial weights, and the
/// assignments that move it: target ← m·target + (1 − m)·online.
pub fn ema_target(g: &Graph, net: &Net, momentum: f32) -> Result<(Net, Vec<(Tensor, Tensor)>)> {
    let mut assigns = Vec::new();
    let target = net.map(|p| {
        let init = g.node(p.id).init.map(|d| d.to_vec()).unwrap_or_default();
        let state = g.state(&format!("ema.{}", p.id), &p.dims(), init)?;
        let next = state
            .mul_scalar(momentum)?
            .add(&p.detach()?.mul_scalar(1.0 - momentum)?)?;
        assigns.push((state.clone(), next));
        Ok(state)
    })?;
    Ok((target, assigns))
}

/// Rows scaled to unit length: [R, B, D].
pub fn normalise(z: &Tensor) -> Result<Tensor> {
    z.div(&z.square()?.sum(2)?.add_scalar(1e-8)?.sqrt()?)
}

/// Per row, the cosine of a and b: [R, B, 1].
pub fn cosine(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    normalise(a)?.mul(&normalise(b)?)?.sum(2)
}

/// The rows of a, then those of b: [R, Ba + Bb, D].
pub fn stack_rows(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    a.transpose()?.concat(&b.transpose()?)?.transpose()
}

pub fn eye(g: &Graph, n: usize) -> Result<Tensor> {
    let data = (0..n * n)
        .map(|k| if k / n == k % n { 1.0 } else { 0.0 })
        .collect();
    g.input("ssl.eye", &[1, n, n], data)
}

/// Centred over the batch: [R, B, D].
pub fn centre(z: &Tensor) -> Result<Tensor> {
    z.sub(&z.mean(1)?)
}

/// Standardised over the batch (per dimension): [R, B, D].
pub fn standardise(z: &Tensor) -> Result<Tensor> {
    let c = centre(z)?;
    c.div(&c.square()?.mean(1)?.add_scalar(1e-5)?.sqrt()?)
}

/// The batch covariance (unbiased): [R, D, D].
pub fn covariance(z: &Tensor) -> Result<Tensor> {
    let b = z.dims()[1];
    let c = centre(z)?;
    c.matmul_t(&c, true, false)?
        .mul_scalar(1.0 / (b as f32 - 1.0).max(1.0))
}

/// Builds the training and evaluation entries of `recipe` for `runs` runs, training with
/// `objective`. `train` and `test` are the digits (unused by the toys).
pub fn build(
    recipe: &Recipe,
    objective: &dyn Objective,
    train: &Images,
    test: &Images,
    runs: usize,
    seed: u32,
    data_seed: u32,
) -> Result<Built> {
    let g = Graph::new(runs, seed);
    let step = g.step_counter()?;
    let (b, dim) = (recipe.batch, recipe.dim);
    let digits = recipe.scenario == Scenario::Digits;
    let inputs = match recipe.scenario {
        Scenario::Digits => PIXELS,
        Scenario::Spectrum => TOY_INPUTS,
        Scenario::TwoFeature => FEATURES.len(),
    };
    let mut sizes = vec![inputs];
    if digits {
        sizes.extend(std::iter::repeat_n(recipe.width, recipe.depth.max(1)));
    } else {
        sizes.extend(std::iter::repeat_n(dim, recipe.depth.max(1) - 1));
    }
    sizes.push(dim);
    let representation = Net::new(&g, "encoder", &sizes, digits, digits, recipe.init)?;
    // The objectives see the projector's output; the measures read the representation before
    // it (SimCLR's finding: the layer before the head keeps what the invariances discard).
    let encoder = if digits && recipe.projector && objective.through_projector() {
        let projector = Net::new(&g, "projector", &[dim, recipe.width, dim], true, true, 1.0)?;
        let mut layers = representation.layers.clone();
        layers.extend(projector.layers);
        // One stack: ReLU between every layer, the representation's output included.
        Net { layers, relu: true }
    } else {
        representation.clone()
    };
    // The two views of the batch.
    let augmenter = if digits {
        Some(Augmenter::new(&g, recipe.augment)?)
    } else {
        None
    };
    let mut labels = None;
    let (v1, v2) = match recipe.scenario {
        Scenario::Digits => {
            let x = g.input("train.x", &[1, train.n(), PIXELS], train.x.clone())?;
            let idx = g.random_index(&[runs, b], train.n(), Some(&step))?;
            let xb = x.gather_rows(&idx)?;
            let aug = augmenter.as_ref().expect("digits have an augmenter");
            if objective.labelled() {
                let onehot: Vec<f32> = train
                    .y
                    .iter()
                    .flat_map(|&c| (0..CLASSES).map(move |k| if k == c { 1.0 } else { 0.0 }))
                    .collect();
                let y = g.input("train.y", &[1, train.n(), CLASSES], onehot)?;
                labels = Some(y.gather_rows(&idx)?);
            }
            (aug.view(&xb, &step)?, aug.view(&xb, &step)?)
        }
        Scenario::Spectrum => {
            let sd: Vec<f32> = data::spectrum(recipe.decay)
                .iter()
                .map(|l| l.sqrt())
                .collect();
            let sd = g.input("spectrum.sd", &[1, 1, TOY_INPUTS], sd)?;
            let x = g
                .random_normal(&[runs, b, TOY_INPUTS], 0.0, 1.0, Some(&step))?
                .mul(&sd)?;
            let noise =
                || g.random_normal(&[runs, b, TOY_INPUTS], 0.0, SPECTRUM_NOISE, Some(&step));
            (x.add(&noise()?)?, x.add(&noise()?)?)
        }
        Scenario::TwoFeature => {
            let column = |f: &dyn Fn(f32, f32) -> f32| -> Vec<f32> {
                FEATURES.iter().map(|&(_, l, r)| f(l, r)).collect()
            };
            let n = FEATURES.len();
            let sd = g.input("features.sd", &[1, 1, n], column(&|l, _| l.sqrt()))?;
            let rho = g.input("features.rho", &[1, 1, n], column(&|_, r| r))?;
            let rest = g.input(
                "features.rest",
                &[1, 1, n],
                column(&|l, r| (l * (1.0 - r * r)).sqrt()),
            )?;
            let x = g
                .random_normal(&[runs, b, n], 0.0, 1.0, Some(&step))?
                .mul(&sd)?;
            let y = x.mul(&rho)?.add(
                &g.random_normal(&[runs, b, n], 0.0, 1.0, Some(&step))?
                    .mul(&rest)?,
            )?;
            (x, y)
        }
    };

    let z1 = encoder.forward(&v1)?;
    let loss = objective.loss(&Pair {
        g: &g,
        step: &step,
        encoder: &encoder,
        representation: &representation,
        v1: &v1,
        v2: &v2,
        z1: &z1,
        labels: labels.as_ref(),
        digits,
        inputs,
        dim,
        width: recipe.width,
        init: recipe.init,
    })?;
    let mut train_entry = Entry::new("train").metric("loss", &loss.value);
    if objective.trains() {
        let mut params = encoder.params();
        params.extend(loss.params);
        let lr = g.per_run("lr", &[recipe.lr])?;
        let optimizer = if recipe.optimizer == Optimizer::Adam {
            OptimizerKind::adam()
        } else {
            OptimizerKind::sgd(0.0)
        };
        train_entry = train_entry.minimize(&loss.value, &params, optimizer, &lr)?;
    } else {
        train_entry = train_entry.advancing_step();
    }
    for (state, value) in &loss.assigns {
        train_entry = train_entry.assign(state, value);
    }

    let (eval, outputs) = match recipe.scenario {
        Scenario::Digits => {
            let x_train = g.input("eval.train", &[1, train.n(), PIXELS], train.x.clone())?;
            let x_test = g.input("eval.test", &[1, test.n(), PIXELS], test.x.clone())?;
            let x_lidar = g.input(
                "eval.lidar",
                &[1, LIDAR_OBJECTS * LIDAR_VIEWS, PIXELS],
                lidar_images(test),
            )?;
            let aug = augmenter.as_ref().expect("digits have an augmenter");
            let train_z = representation.forward(&x_train)?.detach()?;
            let test_z = representation.forward(&x_test)?.detach()?;
            // The objects' augmented views are evaluation data every run shares, drawn from the
            // data's seed (a slice of the runs, seeded otherwise, draws the same).
            let views = g.with_draw_seed(data_seed, || aug.view(&x_lidar, &step))?;
            let lidar_z = representation.forward(&views)?.detach()?;
            let eval = Entry::new("eval")
                .output(&train_z)
                .output(&test_z)
                .output(&lidar_z);
            (
                eval,
                Outputs::Digits {
                    train: train_z,
                    test: test_z,
                    lidar: lidar_z,
                },
            )
        }
        Scenario::Spectrum => {
            let lambda = data::spectrum(recipe.decay);
            let sample: Vec<f32> = (0..SPECTRUM_EVAL * TOY_INPUTS)
                .map(|i| lambda[i % TOY_INPUTS].sqrt() * rng::normal(data_seed, 4242, 0, i as u32))
                .collect();
            let x = g.input("eval.sample", &[1, SPECTRUM_EVAL, TOY_INPUTS], sample)?;
            let z = encoder.forward(&x)?.detach()?;
            (
                Entry::new("eval").output(&z),
                Outputs::Spectrum { sample: z },
            )
        }
        Scenario::TwoFeature => {
            let n = FEATURES.len();
            let units = (0..n * n)
                .map(|k| if k / n == k % n { 1.0 } else { 0.0 })
                .collect();
            let x = g.input("eval.units", &[1, n, n], units)?;
            let z = encoder.forward(&x)?.detach()?;
            (
                Entry::new("eval").output(&z),
                Outputs::TwoFeature { units: z },
            )
        }
    };
    Ok(Built {
        program: Program::new(&g, vec![train_entry, eval])?,
        outputs,
    })
}

/// The LiDAR set's images: `LIDAR_VIEWS` copies of each of the first `LIDAR_OBJECTS / 10` test
/// images of every digit (each object's copies consecutive; the views are drawn on the device).
fn lidar_images(test: &Images) -> Vec<f32> {
    let per_class = LIDAR_OBJECTS / CLASSES;
    let mut picked = Vec::new();
    for c in 0..CLASSES {
        picked.extend((0..test.n()).filter(|&i| test.y[i] == c).take(per_class));
    }
    picked
        .iter()
        .flat_map(|&i| {
            std::iter::repeat_n(test.row(i), LIDAR_VIEWS)
                .flatten()
                .copied()
        })
        .collect()
}

/// What a method trains the encoder with.
pub trait Objective {
    /// The loss of one step on the batch's two views, and what else it trains.
    fn loss(&self, pair: &Pair) -> Result<Loss>;
    /// Whether the loss reads the projector's output (the joint-embedding methods), or the
    /// representation's through a head of its own (MAE and the references).
    fn through_projector(&self) -> bool {
        true
    }
    /// Whether it reads the batch's labels (the supervised reference).
    fn labelled(&self) -> bool {
        false
    }
    /// Whether anything trains (not for the random reference).
    fn trains(&self) -> bool {
        true
    }
}

/// What an objective sees of one training step.
pub struct Pair<'a> {
    pub g: &'a Graph,
    /// The step counter, for draws that change every step.
    pub step: &'a Tensor,
    /// The network the objective trains: the representation, then the projector where the
    /// objective reads it.
    pub encoder: &'a Net,
    /// The representation the measures read (the encoder without its projector).
    pub representation: &'a Net,
    /// The batch's two views [R, B, inputs], and the encoder's output on the first.
    pub v1: &'a Tensor,
    pub v2: &'a Tensor,
    pub z1: &'a Tensor,
    /// One-hot labels of the batch [R, B, C], for a `labelled` objective on the digits.
    pub labels: Option<&'a Tensor>,
    /// The digits (images: MLP heads, masked pixels), not a toy.
    pub digits: bool,
    /// Widths of the inputs, the embedding and a head's hidden layer; the toys' weight scale.
    pub inputs: usize,
    pub dim: usize,
    pub width: usize,
    pub init: f32,
}

impl Pair<'_> {
    /// A head from the embedding onto `out` units: an MLP on the digits, one linear map on the
    /// toys.
    pub fn head(&self, label: &str, out: usize) -> Result<Net> {
        if self.digits {
            Net::new(self.g, label, &[self.dim, self.width, out], true, true, 1.0)
        } else {
            Net::new(self.g, label, &[self.dim, out], false, false, self.init)
        }
    }
    /// The encoder's output on the second view.
    pub fn z2(&self) -> Result<Tensor> {
        self.encoder.forward(self.v2)
    }
}
