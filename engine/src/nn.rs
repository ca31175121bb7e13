//! Layers and losses composed from primitives: no kernel of their own, gradients for free.

use super::error::{invalid, shape_err, Result};
use super::graph::{Graph, Tensor};

/// Activation functions a layer stack can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    Relu,
    Tanh,
    Sigmoid,
    Gelu,
    Linear,
}

impl Activation {
    pub fn apply(self, x: &Tensor) -> Result<Tensor> {
        match self {
            Activation::Relu => x.relu(),
            Activation::Tanh => x.tanh(),
            Activation::Sigmoid => x.sigmoid(),
            Activation::Gelu => x.gelu(),
            Activation::Linear => Ok(x.clone()),
        }
    }
}

/// y = x W + b, with W [R, in, out] and b [R, 1, out], one set per run.
#[derive(Clone, Debug)]
pub struct Linear {
    pub weight: Tensor,
    pub bias: Tensor,
}

/// How weights start: He (variance 2/fan_in, keeps relu activations at unit scale) or Xavier
/// (variance 2/(fan_in + fan_out), smaller outputs: Keras's default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Init {
    He,
    Xavier,
}

impl Init {
    /// He for relu-like activations, Xavier otherwise.
    pub fn for_activation(activation: Activation) -> Init {
        match activation {
            Activation::Relu | Activation::Gelu => Init::He,
            _ => Init::Xavier,
        }
    }
}

impl Linear {
    /// He init for relu-like activations, Xavier otherwise; biases start at zero.
    pub fn new(
        g: &Graph,
        label: &str,
        inputs: usize,
        outputs: usize,
        activation: Activation,
    ) -> Result<Linear> {
        Linear::with_init(g, label, inputs, outputs, Init::for_activation(activation))
    }
    /// A layer with the given weight init; biases start at zero.
    pub fn with_init(
        g: &Graph,
        label: &str,
        inputs: usize,
        outputs: usize,
        init: Init,
    ) -> Result<Linear> {
        if inputs == 0 || outputs == 0 {
            return Err(invalid(
                "linear",
                format!("{label}: {inputs} → {outputs} units"),
            ));
        }
        let runs = g.runs();
        let dims = [runs, inputs, outputs];
        let weight = match init {
            Init::He => g.param_he(&format!("{label}.weight"), &dims)?,
            Init::Xavier => g.param_xavier(&format!("{label}.weight"), &dims)?,
        };
        let bias = g.param(
            &format!("{label}.bias"),
            &[runs, 1, outputs],
            vec![0.0; runs * outputs],
        )?;
        Ok(Linear { weight, bias })
    }
    /// x: [R|1, B, in] -> [R, B, out].
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.matmul(&self.weight)?.add(&self.bias)
    }
    pub fn params(&self) -> Vec<Tensor> {
        vec![self.weight.clone(), self.bias.clone()]
    }
}

/// A stack of Linear layers with one activation between them and none after the last.
#[derive(Clone, Debug)]
pub struct Mlp {
    pub layers: Vec<Linear>,
    pub activation: Activation,
}

impl Mlp {
    /// `sizes` = [inputs, hidden..., outputs]; each layer's init suits the activation after it.
    pub fn new(g: &Graph, label: &str, sizes: &[usize], activation: Activation) -> Result<Mlp> {
        Mlp::build(g, label, sizes, activation, None)
    }
    /// Like `new`, with every layer started by `init`.
    pub fn with_init(
        g: &Graph,
        label: &str,
        sizes: &[usize],
        activation: Activation,
        init: Init,
    ) -> Result<Mlp> {
        Mlp::build(g, label, sizes, activation, Some(init))
    }
    fn build(
        g: &Graph,
        label: &str,
        sizes: &[usize],
        activation: Activation,
        init: Option<Init>,
    ) -> Result<Mlp> {
        if sizes.len() < 2 {
            return Err(invalid(
                "mlp",
                format!("{label}: needs at least input and output sizes, got {sizes:?}"),
            ));
        }
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(i, w)| {
                let last = i + 2 == sizes.len();
                let after = if last { Activation::Linear } else { activation };
                Linear::with_init(
                    g,
                    &format!("{label}.{i}"),
                    w[0],
                    w[1],
                    init.unwrap_or(Init::for_activation(after)),
                )
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Mlp { layers, activation })
    }
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut h = x.clone();
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(&h)?;
            if i + 1 < self.layers.len() {
                h = self.activation.apply(&h)?;
            }
        }
        Ok(h)
    }
    pub fn params(&self) -> Vec<Tensor> {
        self.layers.iter().flat_map(Linear::params).collect()
    }
}

/// One-hot rows from integer-valued labels [R|1, B]: [R|1, B, classes].
pub fn one_hot(labels: &Tensor, classes: usize) -> Result<Tensor> {
    let s = labels.shape();
    if s.rank() != 2 {
        return Err(shape_err("one_hot", format!("labels {s} must be [R, B]")));
    }
    let ramp = labels.graph().input(
        "class_ramp",
        &[1, 1, classes],
        (0..classes).map(|c| c as f32).collect(),
    )?;
    labels.reshape(&[s.0[0], s.0[1], 1])?.eq_mask(&ramp)
}

/// Mean cross-entropy per run of logits [R, B, C] against soft targets [R|1, B, C]: [R].
pub fn cross_entropy_soft(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    let (l, t) = (logits.shape(), targets.shape());
    if l.rank() != 3 || t.rank() != 3 || l.0[1..] != t.0[1..] {
        return Err(shape_err(
            "cross_entropy",
            format!("logits {l} and targets {t} must both be [R, B, C]"),
        ));
    }
    let batch = l.0[1] as f32;
    logits
        .log_softmax()?
        .mul(targets)?
        .sum_per_run()?
        .mul_scalar(-1.0 / batch)
}

/// Mean cross-entropy per run of logits [R, B, C] against class labels [R|1, B]: [R].
pub fn cross_entropy(logits: &Tensor, labels: &Tensor) -> Result<Tensor> {
    let classes = logits.shape().last();
    cross_entropy_soft(logits, &one_hot(labels, classes)?)
}

/// Mean squared error per run: [R].
pub fn mse(pred: &Tensor, target: &Tensor) -> Result<Tensor> {
    pred.sub(target)?.square()?.mean_per_run()
}

/// KL(p ‖ q) per run, mean over the batch, from log-probabilities [R, B, C]: [R].
pub fn kl_div_log(log_p: &Tensor, log_q: &Tensor) -> Result<Tensor> {
    let batch = log_p.shape().0[1] as f32;
    log_p
        .exp()?
        .mul(&log_p.sub(log_q)?)?
        .sum_per_run()?
        .mul_scalar(1.0 / batch)
}

/// Fraction of rows whose largest logit is the label, per run: [R]. No gradient.
pub fn accuracy(logits: &Tensor, labels: &Tensor) -> Result<Tensor> {
    let s = logits.shape();
    let pred = logits.argmax_last()?.reshape(&[s.0[0], s.0[1]])?;
    pred.eq_mask(labels)?.mean_per_run()?.detach()
}
