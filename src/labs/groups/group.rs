//! The groups lab's run group: one method under every run of an experiment.

use super::{methods, model, KEY_SHARE};
use crate::engine::gpu::GpuContext;
use crate::engine::{Exec, Result};
use crate::experiment::Experiment;
use crate::labs::{apply_method, Core, LocalFuture, RunGroup};

/// One method's run group.
pub struct Group {
    pub core: Core,
    pub recipe: model::Recipe,
    pub built: model::Built,
    /// Per run, each non-trivial irrep's share of the embedding variance (at the end).
    pub shares: Vec<Vec<(String, f64)>>,
}

impl RunGroup for Group {
    fn core(&self) -> &Core {
        &self.core
    }
    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }
    fn train(&mut self, steps: u32) -> LocalFuture<'_, Result<()>> {
        self.core.train(model::TRAIN, steps)
    }
    fn observe(&mut self) -> LocalFuture<'_, Result<()>> {
        Box::pin(self.evaluate())
    }
    fn observe_every(&self, total: u32) -> u32 {
        (total / 100).max(1)
    }
    fn finish(&mut self) -> LocalFuture<'_, Result<()>> {
        Box::pin(self.summarise())
    }
}

impl Group {
    pub async fn new(exp: &Experiment, method: &str, gpu: Option<&GpuContext>) -> Result<Group> {
        let recipe = apply_method(
            methods::METHODS,
            "groups",
            method,
            exp,
            model::Recipe::from_settings(exp),
        )?;
        let built = model::build(&recipe, exp.runs as usize, exp.seed)?;
        let exec = Exec::new(&built.program, gpu).await?;
        Ok(Group {
            core: Core::new(method, exec, exp.runs as usize),
            recipe,
            built,
            shares: Vec::new(),
        })
    }

    /// Runs the network on the whole table and records train and test accuracy and loss.
    async fn evaluate(&mut self) -> Result<()> {
        self.core.exec.run(model::EVAL, 1)?;
        let all = self.core.exec.read(&self.built.eval_all).await?;
        for (k, name) in model::EVAL_NAMES.iter().enumerate() {
            let values: Vec<f32> = all.iter().skip(k).step_by(4).copied().collect();
            self.core
                .history
                .record(name, self.core.step as u64, &values);
        }
        Ok(())
    }

    /// The end of a run: the embeddings' shares per irrep, the key ones, the first step at
    /// which test accuracy reached 0.99, and the logits' similarity to each character.
    async fn summarise(&mut self) -> Result<()> {
        let runs = self.core.history.runs.len();
        let group = &self.built.group;
        let order = group.order;
        let d = self.recipe.embed;
        let a = self.core.exec.read(&self.built.emb_a).await?;
        let b = self.core.exec.read(&self.built.emb_b).await?;
        self.core.exec.run(model::EVAL, 1)?;
        let logits = self.core.exec.read(&self.built.logits).await?;
        self.shares = (0..runs)
            .map(|r| {
                // [|G|, 2d]: both embeddings side by side, one row per element.
                let mut e = Vec::with_capacity(order * 2 * d);
                for x in 0..order {
                    let at = (r * order + x) * d;
                    e.extend_from_slice(&a[at..at + d]);
                    e.extend_from_slice(&b[at..at + d]);
                }
                group.shares(&e, 2 * d)
            })
            .collect();
        let names: Vec<String> = self
            .shares
            .first()
            .map_or(Vec::new(), |s| s.iter().map(|(n, _)| n.clone()).collect());
        for (i, name) in names.iter().enumerate() {
            let v: Vec<f32> = self.shares.iter().map(|s| s[i].1 as f32).collect();
            self.core
                .history
                .set_final(&format!("irrep_var/{name}"), &v);
        }
        for top in 1..=8usize.min(names.len()) {
            let v: Vec<f32> = self
                .shares
                .iter()
                .map(|s| {
                    let mut sorted: Vec<f64> = s.iter().map(|(_, v)| *v).collect();
                    sorted.sort_by(|x, y| y.total_cmp(x));
                    sorted.iter().take(top).sum::<f64>() as f32
                })
                .collect();
            self.core.history.set_final(&format!("top_var/{top}"), &v);
        }
        self.core.history.set_list(
            "key_reps",
            self.shares.iter().map(|s| key_reps(s)).collect(),
        );
        let reached: Vec<f32> = (0..runs)
            .map(|r| {
                self.core.history.runs[r]
                    .get("test_acc")
                    .and_then(|p| p.iter().find(|(_, v)| *v >= 0.99))
                    .map_or(f32::NAN, |(s, _)| *s as f32)
            })
            .collect();
        self.core.history.set_final("step_to_099", &reached);
        // Logit–character similarity: the cosine between each pair's centred logits over c and
        // χ_ρ(a·b·c⁻¹), over the whole table.
        let pairs = order * order;
        for (i, irrep) in group.irreps.iter().enumerate().filter(|(_, i)| !i.trivial) {
            let sims: Vec<f32> = (0..runs)
                .map(|r| {
                    let (mut dot, mut ll, mut kk) = (0.0f64, 0.0f64, 0.0f64);
                    for ab in 0..pairs {
                        let row = &logits[(r * pairs + ab) * order..(r * pairs + ab + 1) * order];
                        let mean = row.iter().map(|&v| v as f64).sum::<f64>() / order as f64;
                        let g = group.mul(ab / order, ab % order);
                        for (c, &v) in row.iter().enumerate() {
                            let k = group.character(i, group.mul(g, group.inverse[c] as usize));
                            let l = v as f64 - mean;
                            dot += l * k;
                            ll += l * l;
                            kk += k * k;
                        }
                    }
                    (dot / (ll.sqrt() * kk.sqrt()).max(1e-12)) as f32
                })
                .collect();
            self.core
                .history
                .set_final(&format!("char_sim/{}", irrep.name), &sims);
        }
        Ok(())
    }
}

/// The irreps holding at least `KEY_SHARE` of the variance, largest first.
pub fn key_reps(shares: &[(String, f64)]) -> Vec<String> {
    let mut key: Vec<&(String, f64)> = shares.iter().filter(|(_, v)| *v >= KEY_SHARE).collect();
    key.sort_by(|x, y| y.1.total_cmp(&x.1));
    key.into_iter().map(|(n, _)| n.clone()).collect()
}
