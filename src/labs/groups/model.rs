//! The group-operations model (Chughtai et al.): learned embeddings of a and b, concatenated,
//! one ReLU hidden layer and an unembedding to |G| logits, trained full-batch on a fixed share of
//! the multiplication table. One evaluation pass runs the network on every pair and reads the
//! train and test metrics off per-run masks, so the logits of the whole table are there to read.

use super::algebra::FiniteGroup;
use crate::engine::{nn, rng, Entry, Graph, OptimizerKind, Program, Result, Tensor};
use crate::experiment::Experiment;

/// Which group's table the network learns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupKind {
    /// C_p: addition mod p.
    Cyclic,
    /// D_n: the symmetries of an n-gon.
    Dihedral,
    /// S_5: the permutations of five things.
    Symmetric,
}

impl crate::decl::Choice for GroupKind {
    const OPTIONS: &'static [(&'static str, Self)] = &[
        ("cyclic", GroupKind::Cyclic),
        ("dihedral", GroupKind::Dihedral),
        ("symmetric", GroupKind::Symmetric),
    ];
}

/// What a run trains: the settings and what its method changed.
#[derive(Clone, Debug)]
pub struct Recipe {
    pub group: GroupKind,
    pub p: usize,
    pub n: usize,
    pub train_share: f32,
    pub embed: usize,
    pub width: usize,
    pub lr: f32,
    pub weight_decay: f32,
    pub beta2: f32,
    pub dropout: f32,
}

impl Recipe {
    pub fn from_settings(exp: &Experiment) -> Recipe {
        let s = exp.read();
        Recipe {
            group: s.choice("group"),
            p: s.usize("p"),
            n: s.usize("n"),
            train_share: s.f32("train"),
            embed: s.usize("embed"),
            width: s.usize("width"),
            lr: s.f32("lr"),
            weight_decay: 0.0,
            beta2: 0.98,
            dropout: 0.0,
        }
    }
    pub fn finite_group(&self) -> FiniteGroup {
        match self.group {
            GroupKind::Dihedral => FiniteGroup::dihedral(self.n),
            GroupKind::Symmetric => FiniteGroup::symmetric5(),
            GroupKind::Cyclic => FiniteGroup::cyclic(self.p),
        }
    }
}

pub struct Built {
    pub program: Program,
    pub group: FiniteGroup,
    /// [R, 4]: train_acc, test_acc, train_loss, test_loss.
    pub eval_all: Tensor,
    /// Logits of every pair, [R, |G|², |G|] (read at the end for the character similarity).
    pub logits: Tensor,
    pub emb_a: Tensor,
    pub emb_b: Tensor,
    /// Per run, which pairs (a·|G| + b) are in the training set.
    pub train_mask: Vec<Vec<bool>>,
}

/// Entry indices.
pub const TRAIN: usize = 0;
pub const EVAL: usize = 1;
pub const EVAL_NAMES: [&str; 4] = ["train_acc", "test_acc", "train_loss", "test_loss"];

pub fn build(recipe: &Recipe, runs: usize, seed: u32) -> Result<Built> {
    let group = recipe.finite_group();
    let order = group.order;
    let pairs = order * order;
    let train_count = ((recipe.train_share * pairs as f32).round() as usize).clamp(1, pairs - 1);
    // Each run's split: a seeded shuffle of the table, the first share for training.
    let mut train_a = Vec::with_capacity(runs * train_count);
    let mut train_b = Vec::with_capacity(runs * train_count);
    let mut train_y = Vec::with_capacity(runs * train_count);
    let mut masks = Vec::with_capacity(runs);
    for r in 0..runs {
        let s = rng::run_seed(seed, r);
        let mut order_of: Vec<usize> = (0..pairs).collect();
        for i in (1..pairs).rev() {
            let j = rng::bits(s, 91, 0, i as u32) as usize % (i + 1);
            order_of.swap(i, j);
        }
        let mut mask = vec![false; pairs];
        for &k in &order_of[..train_count] {
            mask[k] = true;
            let (a, b) = (k / order, k % order);
            train_a.push(a as f32);
            train_b.push(b as f32);
            train_y.push(group.mul(a, b) as f32);
        }
        masks.push(mask);
    }
    let g = Graph::new(runs, seed);
    let step = g.step_counter()?;
    let ta = g.input("train.a", &[runs, train_count], train_a)?;
    let tb = g.input("train.b", &[runs, train_count], train_b)?;
    let ty = g.input("train.y", &[runs, train_count], train_y)?;
    let all_a = g.input(
        "all.a",
        &[1, pairs],
        (0..pairs).map(|k| (k / order) as f32).collect(),
    )?;
    let all_b = g.input(
        "all.b",
        &[1, pairs],
        (0..pairs).map(|k| (k % order) as f32).collect(),
    )?;
    let all_y = g.input(
        "all.y",
        &[1, pairs],
        (0..pairs)
            .map(|k| group.mul(k / order, k % order) as f32)
            .collect(),
    )?;
    let mask_data: Vec<f32> = masks
        .iter()
        .flat_map(|m| m.iter().map(|&t| t as u8 as f32))
        .collect();
    let in_train = g.input("train.mask", &[runs, pairs], mask_data.clone())?;
    let in_test = g.input(
        "test.mask",
        &[runs, pairs],
        mask_data.iter().map(|t| 1.0 - t).collect(),
    )?;

    let scale = 1.0 / (recipe.embed as f32).sqrt();
    let emb_a = g.param_normal("embed.a", &[runs, order, recipe.embed], scale)?;
    let emb_b = g.param_normal("embed.b", &[runs, order, recipe.embed], scale)?;
    let hidden = nn::Linear::new(
        &g,
        "hidden",
        2 * recipe.embed,
        recipe.width,
        nn::Activation::Relu,
    )?;
    let unembed = nn::Linear::new(&g, "unembed", recipe.width, order, nn::Activation::Linear)?;
    let forward = |a: &Tensor, b: &Tensor, train: bool| -> Result<Tensor> {
        let x = emb_a.gather_rows(a)?.concat(&emb_b.gather_rows(b)?)?;
        let mut h = hidden.forward(&x)?.relu()?;
        if train && recipe.dropout > 0.0 {
            let keep = g
                .random_uniform(&h.dims(), 0.0, 1.0, Some(&step))?
                .ge(&g.scalar(recipe.dropout)?)?;
            h = h.mul(&keep)?.mul_scalar(1.0 / (1.0 - recipe.dropout))?;
        }
        unembed.forward(&h)
    };

    let loss = nn::cross_entropy(&forward(&ta, &tb, true)?, &ty)?;
    let mut params = vec![emb_a.clone(), emb_b.clone()];
    params.extend(hidden.params());
    params.extend(unembed.params());
    let lr = g.per_run("lr", &[recipe.lr])?;
    let kind = OptimizerKind::Adam {
        beta1: 0.9,
        beta2: recipe.beta2,
        eps: 1e-8,
        weight_decay: recipe.weight_decay,
        decoupled: true,
    };
    let train = Entry::new("train").minimize(&loss, &params, kind, &lr)?;

    // Every pair at once; train and test metrics through the masks.
    let logits = forward(&all_a, &all_b, false)?;
    let correct = {
        let s = logits.shape();
        logits
            .argmax_last()?
            .reshape(&[s.0[0], s.0[1]])?
            .eq_mask(&all_y)?
    };
    let nll = logits
        .log_softmax()?
        .mul(&nn::one_hot(&all_y, order)?)?
        .sum(2)?
        .reshape(&[runs, pairs])?
        .neg()?;
    let share = |per_pair: &Tensor, mask: &Tensor, count: usize| -> Result<Tensor> {
        per_pair
            .mul(mask)?
            .sum_per_run()?
            .mul_scalar(1.0 / count as f32)?
            .reshape(&[runs, 1])
    };
    let test_count = pairs - train_count;
    let eval_all = share(&correct, &in_train, train_count)?
        .concat(&share(&correct, &in_test, test_count)?)?
        .concat(&share(&nll, &in_train, train_count)?)?
        .concat(&share(&nll, &in_test, test_count)?)?
        .detach()?;
    let eval = Entry::new("eval").output(&eval_all).output(&logits);
    Ok(Built {
        program: Program::new(&g, vec![train, eval])?,
        group,
        eval_all,
        logits,
        emb_a,
        emb_b,
        train_mask: masks,
    })
}
