//! The few-shot digits' program: a method's training loss on base-class episodes
//! (`Algorithm::digits`), the novel pool's embeddings, and MAML's adaptation on novel
//! episodes. The episodes' parts (pools, the embedding network, the rules) are in `fewshot.rs`.

use super::fewshot::{
    cross_entropy, embed, init, logits, slot_onehot, Episodes, Pools, ADAPT_BATCH, ADAPT_STEPS,
    QUERIES, WAYS,
};
use super::methods::{Algorithm, Reading};
use super::model::{sgd_step_on, Recipe};
use crate::data::digits;
use crate::engine::{Entry, Graph, OptimizerKind, Program, Result, Tensor};

/// The loss of one training step on the base classes, per run: `algorithm`'s, on the pool.
pub fn loss(
    g: &Graph,
    p: &[Tensor],
    recipe: &Recipe,
    algorithm: &dyn Algorithm,
    pools: &Pools,
    step: &Tensor,
) -> Result<Tensor> {
    let m = pools.per_class;
    let pool = g.input("base.x", &[1, WAYS * m, digits::PIXELS], pools.base.clone())?;
    let identity = g.input(
        "classes",
        &[1, 1, WAYS],
        (0..WAYS).map(|c| c as f32).collect(),
    )?;
    // The slots' one-hot rows are also the episode's labels.
    let support_labels = slot_onehot(g, "episode.support.labels", recipe.shots)?;
    let query_labels = slot_onehot(g, "episode.query.labels", QUERIES)?;
    algorithm.digits(&Episodes {
        g,
        p,
        recipe,
        step,
        pool: &pool,
        per_class: m,
        identity: &identity,
        support_labels: &support_labels,
        query_labels: &query_labels,
    })
}

pub struct Built {
    pub program: Program,
    /// [R, novel images, H]: the novel pool's embeddings (the embedding methods' evaluation).
    pub embeddings: Tensor,
    /// MAML's evaluation: per episode of a batch, its support and query images (written in).
    pub support: Vec<Tensor>,
    pub query: Vec<Tensor>,
    /// [R, ADAPT_BATCH]: each episode's query accuracy after ADAPT_STEPS steps.
    pub accuracy: Tensor,
}

pub const TRAIN: usize = 0;
pub const EMBED: usize = 1;
pub const ADAPT: usize = 2;

pub fn build(
    recipe: &Recipe,
    algorithm: &dyn Algorithm,
    pools: &Pools,
    runs: usize,
    seed: u32,
) -> Result<Built> {
    let g = Graph::new(runs, seed);
    let step = g.step_counter()?;
    let p = init(&g, recipe.hidden)?;
    let loss = loss(&g, &p, recipe, algorithm, pools, &step)?;
    let lr = g.per_run("meta_lr", &[recipe.meta_lr])?;
    let train = Entry::new("train").metric("meta_loss", &loss).minimize(
        &loss,
        &p,
        OptimizerKind::adam(),
        &lr,
    )?;
    let n = pools.novel_class.len();
    let novel = g.input("novel.x", &[1, n, digits::PIXELS], pools.novel.clone())?;
    let embeddings = embed(&p, &novel)?.detach()?;
    let embed_entry = Entry::new("embed").output(&embeddings);

    // MAML's: ADAPT_BATCH episodes, each adapted from θ by ADAPT_STEPS SGD steps on its support.
    let k = recipe.shots;
    let (mut support, mut query, mut accuracy) = (Vec::new(), Vec::new(), None::<Tensor>);
    if algorithm.reads() == Reading::Adapt {
        let support_labels = slot_onehot(&g, "eval.support.labels", k)?;
        let query_class = g.input(
            "eval.query.class",
            &[1, WAYS * QUERIES, 1],
            (0..WAYS * QUERIES).map(|i| (i / QUERIES) as f32).collect(),
        )?;
        for e in 0..ADAPT_BATCH {
            let xs = g.input(
                &format!("eval.{e}.support"),
                &[1, WAYS * k, digits::PIXELS],
                vec![0.0; WAYS * k * digits::PIXELS],
            )?;
            let xq = g.input(
                &format!("eval.{e}.query"),
                &[1, WAYS * QUERIES, digits::PIXELS],
                vec![0.0; WAYS * QUERIES * digits::PIXELS],
            )?;
            let mut w = p.clone();
            for _ in 0..ADAPT_STEPS {
                w = sgd_step_on(
                    &w,
                    &|w: &[Tensor]| cross_entropy(&logits(w, &xs)?, &support_labels),
                    recipe.inner_lr,
                    true,
                )?;
            }
            let right = logits(&w, &xq)?
                .argmax_last()?
                .eq_mask(&query_class)?
                .mean_per_run()?
                .reshape(&[runs, 1])?;
            accuracy = Some(match accuracy {
                Some(a) => a.concat(&right)?,
                None => right,
            });
            support.push(xs);
            query.push(xq);
        }
    }
    let mut entries = vec![train, embed_entry];
    let accuracy = match accuracy {
        Some(a) => {
            let a = a.detach()?;
            entries.push(Entry::new("adapt").output(&a));
            a
        }
        None => embeddings.clone(),
    };
    Ok(Built {
        program: Program::new(&g, entries)?,
        embeddings,
        support,
        query,
        accuracy,
    })
}
