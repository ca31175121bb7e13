//! The continual lab's methods. Each file holds one method: its paper, what it adds to the
//! training step (`graph`), and what it does between tasks (called from the run group).

pub mod center;
pub mod ewc;
pub mod joint;
pub mod lwf;
pub mod magmax;
pub mod naive;
pub mod replay;
pub mod spectral;
pub mod upgd;

use super::model::{Net, Recipe};
use super::scenario::Stream;
use crate::engine::{Entry, Graph, Result, Tensor};

#[derive(Clone, Debug, PartialEq)]
pub enum Method {
    Naive,
    Joint,
    /// EWC with λ; `online: Some(γ)` is online EWC.
    Ewc {
        lambda: f32,
        online: Option<f32>,
    },
    Lwf {
        temperature: f32,
        alpha: f32,
    },
    Replay {
        buffer: usize,
    },
    /// λ scales the merged task vector.
    MagMax {
        lambda: f32,
    },
    Spectral {
        lambda: f32,
    },
    Upgd {
        lr: f32,
        sigma: f32,
        beta: f32,
        decay: f32,
    },
    Center {
        lambda: f32,
    },
}

/// What the training graph is built from, and what a method adds to it.
pub struct Ctx<'a> {
    pub g: &'a Graph,
    pub recipe: &'a Recipe,
    pub stream: &'a Stream,
    pub net: &'a Net,
    pub params: &'a [Tensor],
    pub step: &'a Tensor,
    pub x_train: &'a Tensor,
    pub y_train: &'a Tensor,
    /// [1, 2]: offset and count of the current task's training rows.
    pub range: &'a Tensor,
    pub train_mask: &'a Tensor,
    /// [1, N, C]: each training example's own head.
    pub row_masks: &'a Tensor,
    pub xb: &'a Tensor,
    pub yb: &'a Tensor,
    pub features: &'a Tensor,
    /// Masked to the batch's heads.
    pub logits: &'a Tensor,
    pub raw_logits: &'a Tensor,
    /// The loss to minimise, [R]: the data loss plus what methods add.
    pub loss: Tensor,
    pub assigns: Vec<(Tensor, Tensor)>,
    /// Extra entries (EWC's Fisher pass).
    pub entries: Vec<Entry>,
    /// Parameter assignments that replace the optimizer (UPGD).
    pub update: Option<Vec<(Tensor, Tensor)>>,
}

/// The states a method keeps on the device, for the host to update between tasks.
pub enum State {
    None,
    Ewc(ewc::State),
    Lwf(lwf::State),
    Replay(replay::State),
    Center(center::State),
}

pub fn graph(method: &Method, ctx: &mut Ctx) -> Result<State> {
    Ok(match method {
        Method::Naive | Method::Joint | Method::MagMax { .. } => State::None,
        Method::Spectral { lambda } => {
            spectral::graph(ctx, *lambda)?;
            State::None
        }
        Method::Upgd {
            lr,
            sigma,
            beta,
            decay,
        } => {
            upgd::graph(
                ctx,
                &upgd::Knobs {
                    lr: *lr,
                    sigma: *sigma,
                    beta: *beta,
                    decay: *decay,
                },
            )?;
            State::None
        }
        Method::Center { lambda } => State::Center(center::graph(ctx, *lambda)?),
        Method::Ewc { lambda, .. } => State::Ewc(ewc::graph(ctx, *lambda)?),
        Method::Lwf { temperature, alpha } => State::Lwf(lwf::graph(ctx, *temperature, *alpha)?),
        Method::Replay { buffer } => State::Replay(replay::graph(ctx, *buffer)?),
    })
}

/// Zeros shaped like `t`, as a state.
pub fn zeros_like(g: &Graph, label: &str, t: &Tensor) -> Result<Tensor> {
    let dims = t.dims();
    g.state(label, &dims, vec![0.0; t.shape().numel()])
}
