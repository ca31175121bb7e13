//! The self-supervised lab's networks and objectives.
//!
//! Every method trains one encoder on two views of a batch, drawn on the device from the step
//! counter. On the digits the encoder is a ReLU MLP (64 → `width` × `depth` → `dim`); on the
//! toys it is a deep linear map (`depth` weight matrices, no biases), as in the theory papers.
//! The objectives act on the encoder's output directly: there is no separate projector, so what
//! the probes, RankMe and LiDAR measure is what the objective shapes.
//!
//! The evaluation entry computes the encoder's output on fixed inputs: the digits' train and test
//! images and a LiDAR set (8 views of 50 test images), the spectrum toy's fixed sample, or the
//! two-feature toy's unit inputs. The host turns them into the measures (`measures.rs`).

use super::data::{self, Augment, Augmenter, Images, FEATURES, SPECTRUM_NOISE, TOY_INPUTS};
use crate::data::digits::{CLASSES, PIXELS};
use crate::decl::Choice;
use crate::engine::error::invalid;
use crate::engine::{rng, Entry, Graph, OptimizerKind, Program, Result, Tensor};
use crate::experiment::Experiment;
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

/// How a method trains.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// NT-Xent over the 2B views at temperature τ.
    SimClr { tau: f32 },
    /// Barlow Twins: ‖C − I‖² with the off-diagonal terms weighted by λ, C the views'
    /// cross-correlation of standardised embeddings, or (unstandardised) their symmetrised
    /// cross-covariance as in the stepwise paper's analysis.
    Barlow { lambda: f32, standardise: bool },
    /// VICReg: invariance, variance and covariance terms with their weights.
    Vicreg {
        invariance: f32,
        variance: f32,
        covariance: f32,
    },
    /// BYOL: a predictor onto an EMA target; `entropy` > 0 adds the ER paper's entropy term.
    Byol { momentum: f32, entropy: f32 },
    /// SimSiam: a predictor onto the other view's embedding, through a stop-gradient or not.
    SimSiam { stop_gradient: bool },
    /// Self-distillation in latent space: predict the target encoder's embedding of view 2 from
    /// view 1 (squared error); the target is an EMA of the encoder (`momentum` 0: the encoder
    /// itself behind a stop-gradient).
    Jepa { momentum: f32 },
    /// Masked reconstruction in pixel space (digits), or view 2 from view 1 (toys).
    Mae { mask: f32 },
    /// The upper reference: cross-entropy on the labels through a linear head (digits only).
    Supervised,
    /// The lower reference: the encoder stays at its random initialisation.
    Random,
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
    pub kind: Kind,
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
            kind: Kind::SimClr { tau: 0.2 },
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
    fn new(
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
    fn map(&self, mut f: impl FnMut(&Tensor) -> Result<Tensor>) -> Result<Net> {
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
fn ema_target(g: &Graph, net: &Net, momentum: f32) -> Result<(Net, Vec<(Tensor, Tensor)>)> {
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
fn normalise(z: &Tensor) -> Result<Tensor> {
    z.div(&z.square()?.sum(2)?.add_scalar(1e-8)?.sqrt()?)
}

/// Per row, the cosine of a and b: [R, B, 1].
fn cosine(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    normalise(a)?.mul(&normalise(b)?)?.sum(2)
}

/// The rows of a, then those of b: [R, Ba + Bb, D].
fn stack_rows(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    a.transpose()?.concat(&b.transpose()?)?.transpose()
}

fn eye(g: &Graph, n: usize) -> Result<Tensor> {
    let data = (0..n * n)
        .map(|k| if k / n == k % n { 1.0 } else { 0.0 })
        .collect();
    g.input("ssl.eye", &[1, n, n], data)
}

/// Centred over the batch: [R, B, D].
fn centre(z: &Tensor) -> Result<Tensor> {
    z.sub(&z.mean(1)?)
}

/// Standardised over the batch (per dimension): [R, B, D].
fn standardise(z: &Tensor) -> Result<Tensor> {
    let c = centre(z)?;
    c.div(&c.square()?.mean(1)?.add_scalar(1e-5)?.sqrt()?)
}

/// The batch covariance (unbiased): [R, D, D].
fn covariance(z: &Tensor) -> Result<Tensor> {
    let b = z.dims()[1];
    let c = centre(z)?;
    c.matmul_t(&c, true, false)?
        .mul_scalar(1.0 / (b as f32 - 1.0).max(1.0))
}

/// NT-Xent (SimCLR): each of the 2B views must pick its partner among the other 2B − 1 by
/// cosine similarity / τ.
fn nt_xent(g: &Graph, z1: &Tensor, z2: &Tensor, tau: f32) -> Result<Tensor> {
    let b = z1.dims()[1];
    let z = normalise(&stack_rows(z1, z2)?)?;
    let n = 2 * b;
    let self_mask = eye(g, n)?.mul_scalar(-1e9)?;
    let logits = z
        .matmul_t(&z, false, true)?
        .mul_scalar(1.0 / tau)?
        .add(&self_mask)?;
    let partner: Vec<f32> = (0..n * n)
        .map(|k| {
            let (i, j) = (k / n, k % n);
            if j == (i + b) % n {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    let partner = g.input("ssl.partners", &[1, n, n], partner)?;
    logits
        .log_softmax()?
        .mul(&partner)?
        .sum(2)?
        .neg()?
        .mean_per_run()
}

/// Barlow Twins' ‖C − I‖² with the off-diagonal weighted by λ.
fn barlow(
    g: &Graph,
    z1: &Tensor,
    z2: &Tensor,
    lambda: f32,
    standardise_first: bool,
) -> Result<Tensor> {
    let (b, d) = (z1.dims()[1], z1.dims()[2]);
    let c = if standardise_first {
        standardise(z1)?
            .matmul_t(&standardise(z2)?, true, false)?
            .mul_scalar(1.0 / b as f32)?
    } else {
        let c12 = z1.matmul_t(z2, true, false)?;
        c12.add(&c12.transpose()?)?.mul_scalar(0.5 / b as f32)?
    };
    let i = eye(g, d)?;
    let on = c.sub(&i)?.square()?.mul(&i)?.sum_per_run()?;
    let off = c
        .square()?
        .mul(&i.mul_scalar(-1.0)?.add_scalar(1.0)?)?
        .sum_per_run()?;
    on.add(&off.mul_scalar(lambda)?)
}

/// VICReg's three terms, weighted.
fn vicreg(g: &Graph, z1: &Tensor, z2: &Tensor, weights: [f32; 3]) -> Result<Tensor> {
    let d = z1.dims()[2];
    let invariance = z1.sub(z2)?.square()?.mean_per_run()?;
    let variance = |z: &Tensor| -> Result<Tensor> {
        let b = z.dims()[1] as f32;
        let var = centre(z)?
            .square()?
            .sum(1)?
            .mul_scalar(1.0 / (b - 1.0).max(1.0))?;
        var.add_scalar(1e-4)?
            .sqrt()?
            .neg()?
            .add_scalar(1.0)?
            .relu()?
            .mean_per_run()
    };
    let off = eye(g, d)?.mul_scalar(-1.0)?.add_scalar(1.0)?;
    let covariance_term = |z: &Tensor| -> Result<Tensor> {
        covariance(z)?
            .square()?
            .mul(&off)?
            .sum_per_run()?
            .mul_scalar(1.0 / d as f32)
    };
    let var = variance(z1)?.add(&variance(z2)?)?.mul_scalar(0.5)?;
    let cov = covariance_term(z1)?.add(&covariance_term(z2)?)?;
    invariance
        .mul_scalar(weights[0])?
        .add(&var.mul_scalar(weights[1])?)?
        .add(&cov.mul_scalar(weights[2])?)
}

/// The ER paper's entropy estimate's loss side: mean_i log Σ_j exp(κ ẑᵢ·ẑⱼ) over the batch, a
/// von Mises–Fisher kernel density on the sphere (κ = 10); lower is higher entropy.
fn entropy_term(z: &Tensor) -> Result<Tensor> {
    let n = normalise(z)?;
    n.matmul_t(&n, false, true)?
        .mul_scalar(10.0)?
        .logsumexp()?
        .mean_per_run()
}

/// Builds the training and evaluation entries of `recipe` for `runs` runs. `train` and `test`
/// are the digits (unused by the toys); `few` the per-run labelled rows are not needed here.
pub fn build(
    recipe: &Recipe,
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
    if !digits && matches!(recipe.kind, Kind::Supervised) {
        return Err(invalid(
            "ssl",
            "the supervised reference needs labels: it runs on the digits only (scenario=digits)",
        ));
    }
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
    let own_head = matches!(
        recipe.kind,
        Kind::Mae { .. } | Kind::Supervised | Kind::Random
    );
    let encoder = if digits && recipe.projector && !own_head {
        let projector = Net::new(&g, "projector", &[dim, recipe.width, dim], true, true, 1.0)?;
        let mut layers = representation.layers.clone();
        layers.extend(projector.layers);
        // One stack: ReLU between every layer, the representation's output included.
        Net { layers, relu: true }
    } else {
        representation.clone()
    };
    // A head on the embedding: an MLP on the digits, one linear map on the toys.
    let head = |label: &str, out: usize| -> Result<Net> {
        if digits {
            Net::new(&g, label, &[dim, recipe.width, out], true, true, 1.0)
        } else {
            Net::new(&g, label, &[dim, out], false, false, recipe.init)
        }
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
            if recipe.kind == Kind::Supervised {
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

    let mut params = encoder.params();
    let mut assigns: Vec<(Tensor, Tensor)> = Vec::new();
    let z1 = encoder.forward(&v1)?;
    let loss = match recipe.kind {
        Kind::SimClr { tau } => nt_xent(&g, &z1, &encoder.forward(&v2)?, tau)?,
        Kind::Barlow {
            lambda,
            standardise,
        } => barlow(&g, &z1, &encoder.forward(&v2)?, lambda, standardise)?,
        Kind::Vicreg {
            invariance,
            variance,
            covariance,
        } => vicreg(
            &g,
            &z1,
            &encoder.forward(&v2)?,
            [invariance, variance, covariance],
        )?,
        Kind::Byol { momentum, entropy } => {
            let predictor = head("predictor", dim)?;
            params.extend(predictor.params());
            let (target, moves) = ema_target(&g, &encoder, momentum)?;
            assigns.extend(moves);
            let z2 = encoder.forward(&v2)?;
            let (t1, t2) = (
                target.forward(&v1)?.detach()?,
                target.forward(&v2)?.detach()?,
            );
            let term = |p: &Tensor, t: &Tensor| -> Result<Tensor> {
                cosine(&predictor.forward(p)?, t)?
                    .mul_scalar(-2.0)?
                    .add_scalar(2.0)?
                    .mean_per_run()
            };
            let mut loss = term(&z1, &t2)?.add(&term(&z2, &t1)?)?;
            if entropy > 0.0 {
                let h = entropy_term(&z1)?
                    .add(&entropy_term(&z2)?)?
                    .mul_scalar(0.5 * entropy)?;
                loss = loss.add(&h)?;
            }
            loss
        }
        Kind::SimSiam { stop_gradient } => {
            let predictor = head("predictor", dim)?;
            params.extend(predictor.params());
            let z2 = encoder.forward(&v2)?;
            let target = |z: &Tensor| {
                if stop_gradient {
                    z.detach()
                } else {
                    Ok(z.clone())
                }
            };
            let term = |p: &Tensor, t: &Tensor| -> Result<Tensor> {
                cosine(&predictor.forward(p)?, &target(t)?)?
                    .mul_scalar(-0.5)?
                    .mean_per_run()
            };
            term(&z1, &z2)?.add(&term(&z2, &z1)?)?
        }
        Kind::Jepa { momentum } => {
            let predictor = head("predictor", dim)?;
            params.extend(predictor.params());
            let target = if momentum > 0.0 {
                let (target, moves) = ema_target(&g, &encoder, momentum)?;
                assigns.extend(moves);
                target
            } else {
                encoder.map(|p| p.detach())?
            };
            let t2 = target.forward(&v2)?.detach()?;
            predictor
                .forward(&z1)?
                .sub(&t2)?
                .square()?
                .sum(2)?
                .mean_per_run()?
        }
        Kind::Mae { mask } => {
            let decoder = head("decoder", inputs)?;
            params.extend(decoder.params());
            if digits {
                let hidden = g
                    .random_uniform(&[runs, b, PIXELS], 0.0, 1.0, Some(&step))?
                    .lt(&g.scalar(mask)?)?;
                let seen = v1.mul(&hidden.mul_scalar(-1.0)?.add_scalar(1.0)?)?;
                let error = decoder
                    .forward(&representation.forward(&seen)?)?
                    .sub(&v1)?
                    .square()?
                    .mul(&hidden)?;
                error
                    .sum_per_run()?
                    .div(&hidden.sum_per_run()?.add_scalar(1.0)?)?
            } else {
                decoder
                    .forward(&z1)?
                    .sub(&v2)?
                    .square()?
                    .sum(2)?
                    .mean_per_run()?
            }
        }
        Kind::Supervised => {
            let linear = Net::new(&g, "head", &[dim, CLASSES], false, true, 1.0)?;
            params.extend(linear.params());
            let y = labels.expect("labels are built for the supervised reference");
            linear
                .forward(&representation.forward(&v1)?)?
                .log_softmax()?
                .mul(&y)?
                .sum(2)?
                .neg()?
                .mean_per_run()?
        }
        Kind::Random => g.zeros(&[runs])?,
    };

    let mut train_entry = Entry::new("train").metric("loss", &loss);
    if recipe.kind == Kind::Random {
        train_entry = train_entry.advancing_step();
    } else {
        let lr = g.per_run("lr", &[recipe.lr])?;
        let optimizer = if recipe.optimizer == Optimizer::Adam {
            OptimizerKind::adam()
        } else {
            OptimizerKind::sgd(0.0)
        };
        train_entry = train_entry.minimize(&loss, &params, optimizer, &lr)?;
    }
    for (state, value) in &assigns {
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
