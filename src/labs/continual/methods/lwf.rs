//! Learning without Forgetting (Li & Hoiem 2016): before a new task, record the current model;
//! while the task trains, keep the old model's outputs on the new task's inputs:
//!
//!   loss = CE(new task) + α · T² · CE(softmax(ŷ_old / T), softmax(ŷ / T))
//!
//! over the outputs of the earlier tasks, with temperature T (the paper uses T = 2).
//!
//! NOTE: with a head per task the paper distils each old head separately; here the old heads'
//! outputs are distilled under one softmax over all of them (the same when one task came before).

use super::{zeros_like, Ctx, Hook, Hooks, Method, Phase};
use crate::decl::*;
use crate::engine::{nn, Result, Tensor};

pub const METHOD: Method = Method {
    declaration,
    make: |knobs| {
        Box::new(Lwf {
            temperature: knobs.f32("temperature"),
            alpha: knobs.f32("alpha"),
            state: None,
        })
    },
};

struct Lwf {
    temperature: f32,
    alpha: f32,
    state: Option<State>,
}

struct State {
    /// The old model's parameters, as in `Net::params`.
    old: Vec<Tensor>,
    /// [1, 1, C]: the outputs of the earlier tasks.
    old_mask: Tensor,
    /// [1]: 0 while the first task trains, 1 after.
    on: Tensor,
}

impl Hooks for Lwf {
    fn graph(&mut self, ctx: &mut Ctx) -> Result<()> {
        self.state = Some(graph(ctx, self.temperature, self.alpha)?);
        Ok(())
    }
    /// The model as it is now becomes the teacher, over the earlier tasks' outputs.
    fn begin_task<'a>(&'a mut self, at: &'a mut Phase<'_>) -> Hook<'a> {
        Box::pin(async move {
            let Some(s) = &self.state else {
                return Ok(());
            };
            for (p, o) in at.built.params.iter().zip(&s.old) {
                let theta = at.exec.read(p).await?;
                at.exec.write(o, &theta)?;
            }
            let mut mask = vec![0.0; at.stream.outputs];
            for task in &at.stream.tasks[..at.task] {
                for &k in &task.classes {
                    mask[k] = 1.0;
                }
            }
            at.exec.write(&s.old_mask, &mask)?;
            at.exec.write(&s.on, &[1.0])
        })
    }
}

fn graph(ctx: &mut Ctx, temperature: f32, alpha: f32) -> Result<State> {
    let g = ctx.g;
    let c = ctx.stream.outputs;
    let old = ctx
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| zeros_like(g, &format!("lwf.old.{i}"), p))
        .collect::<Result<Vec<_>>>()?;
    let old_mask = g.state("lwf.old_mask", &[1, 1, c], vec![0.0; c])?;
    let on = g.state("lwf.on", &[1], vec![0.0])?;
    let (_, old_logits) = ctx.net.forward(ctx.xb, Some(&old))?;
    let soft = |l: &Tensor| -> Result<Tensor> {
        super::super::model::masked(l, &old_mask)?.mul_scalar(1.0 / temperature)
    };
    let teacher = soft(&old_logits)?.softmax()?.detach()?;
    let distill = nn::cross_entropy_soft(&soft(ctx.raw_logits)?, &teacher)?;
    ctx.loss = ctx.loss.add(
        &distill
            .mul(&on)?
            .mul_scalar(alpha * temperature * temperature)?,
    )?;
    Ok(State { old, old_mask, on })
}

fn declaration() -> MethodDecl {
    MethodDecl {
        id: "lwf",
        title: "Learning without Forgetting",
        paper: Some(Paper {
            title: "Learning without Forgetting",
            url: "https://arxiv.org/abs/1606.09282",
        }),
        explain:
            "Distils the previous model's outputs on the new data: no stored data, and little help \
                  when the new data says nothing about the old classes.",
        knobs: vec![
            float(
                "temperature",
                "Temperature T",
                0.5,
                10.0,
                2.0,
                "",
                "Softens both distributions.",
            ),
            float(
                "alpha",
                "α",
                0.0,
                10.0,
                1.0,
                "",
                "Weight of the distillation term.",
            ),
        ],
        no_claim: Some(
            "Its paper keeps old tasks with a head per task; checked here only class-incrementally, where it fails as van de Ven et al. predict (class-il-replay). The task-incremental claim is not measured yet.",
        ),
    }
}
