//! The basics lab's run group: one method under every run of an experiment.

use super::{methods, model};
use crate::engine::gpu::GpuContext;
use crate::engine::{Exec, Result};
use crate::experiment::Experiment;
use crate::labs::{find_method, unknown_method, Core, LocalFuture, RunGroup};
use crate::views::Picture;

/// One method's run group: its compiled program on a backend, its step and its history.
pub struct Group {
    pub core: Core,
    pub recipe: model::Recipe,
    pub built: model::Built,
}

impl RunGroup for Group {
    fn core(&self) -> &Core {
        &self.core
    }
    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }
    fn train(&mut self, steps: u32) -> LocalFuture<'_, Result<()>> {
        let done = Group::train(self, steps);
        Box::pin(async move { done })
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
    fn picture(&mut self) -> LocalFuture<'_, Result<Option<Picture>>> {
        Box::pin(async move {
            Ok(Some(Picture {
                grid: self.grid().await?,
                weights: self.network().await?,
            }))
        })
    }
}

impl Group {
    /// Method `method`'s group under every run of `exp`, on the GPU when a context is given.
    pub async fn new(exp: &Experiment, method: &str, gpu: Option<&GpuContext>) -> Result<Group> {
        let table = methods::METHODS;
        let chosen =
            find_method(table, |m| (m.declaration)(), "basics", method).map_err(unknown_method)?;
        let declared = (chosen.declaration)();
        let mut recipe = model::Recipe::from_settings(exp);
        (chosen.apply)(&mut recipe, &exp.knobs(&declared));
        let built = model::build(&recipe, exp.runs as usize, exp.seed, exp.data_seed())?;
        let exec = Exec::new(&built.program, gpu).await?;
        Ok(Group {
            core: Core::new(method, exec, exp.runs as usize),
            recipe,
            built,
        })
    }
    /// Trains `steps` steps (queued; the GPU runs them asynchronously).
    pub fn train(&mut self, steps: u32) -> Result<()> {
        self.core.exec.run(0, steps)?;
        self.core.step += steps;
        Ok(())
    }
    /// Evaluates on the whole train and test sets and records the metrics at the current step.
    pub async fn evaluate(&mut self) -> Result<()> {
        self.core.exec.run(1, 1)?;
        let all = self.core.exec.read(&self.built.eval_all).await?;
        let width = self.built.eval.len();
        for (k, (name, _)) in self.built.eval.iter().enumerate() {
            let values: Vec<f32> = all.iter().skip(k).step_by(width).copied().collect();
            self.core
                .history
                .record(name, self.core.step as u64, &values);
        }
        Ok(())
    }
    /// The end-of-run summaries (weight_sq, confidence), as each run's final values.
    pub async fn summarise(&mut self) -> Result<()> {
        self.core.exec.run(3, 1)?;
        let all = self.core.exec.read(&self.built.summary_all).await?;
        let width = self.built.summary.len();
        for (k, (name, _)) in self.built.summary.iter().enumerate() {
            let values: Vec<f32> = all.iter().skip(k).step_by(width).copied().collect();
            self.core.history.set_final(name, &values);
        }
        Ok(())
    }

    /// Run 0's weights, layer by layer, [in × out] each.
    pub async fn network(&mut self) -> Result<Vec<Vec<f32>>> {
        let mut out = Vec::new();
        for (w, pair) in self
            .built
            .weights
            .clone()
            .iter()
            .zip(self.built.sizes.windows(2))
        {
            let all = self.core.exec.read(w).await?;
            out.push(all[..pair[0] * pair[1]].to_vec());
        }
        Ok(out)
    }
    /// The decision-boundary grid of every run: [R × GRID²] row-major, P(class 1) or the
    /// regression output.
    pub async fn grid(&mut self) -> Result<Vec<f32>> {
        self.core.exec.run(2, 1)?;
        self.core.exec.read(&self.built.grid).await
    }
}
