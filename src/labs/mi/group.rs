//! The mi lab's run group: one method under every run of an experiment.

use super::{methods, model, Recipe};
use crate::engine::gpu::GpuContext;
use crate::engine::{Exec, MetricWindow, Result};
use crate::experiment::Experiment;
use crate::labs::{find_method, unknown_method, Core, LocalFuture, RunGroup};

/// One estimator's run group.
pub struct Group {
    pub core: Core,
    pub recipe: Recipe,
    /// Every metric window so far, oldest first: the per-level statistics are sums over them.
    windows: Vec<MetricWindow>,
    /// Windows closed at a level's middle or end and not yet recorded in the history.
    cut: Vec<MetricWindow>,
}

impl RunGroup for Group {
    fn core(&self) -> &Core {
        &self.core
    }
    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }
    fn train(&mut self, steps: u32) -> LocalFuture<'_, Result<()>> {
        Box::pin(Group::train(self, steps))
    }
    fn observe(&mut self) -> LocalFuture<'_, Result<()>> {
        Box::pin(Group::observe(self))
    }
    fn observe_every(&self, _total: u32) -> u32 {
        Group::observe_every(self)
    }
}

impl Group {
    /// Method `method`'s group under every run of `exp`, on the GPU when a context is given.
    pub async fn new(exp: &Experiment, method: &str, gpu: Option<&GpuContext>) -> Result<Group> {
        let chosen = find_method(methods::METHODS, |m| (m.declaration)(), "mi", method)
            .map_err(unknown_method)?;
        let mut recipe = Recipe::from_settings(exp);
        recipe.estimator = (chosen.estimator)(&exp.knobs(&(chosen.declaration)()));
        let built = model::build(&recipe, exp.runs as usize, exp.seed)?;
        let exec = Exec::new(&built.program, gpu).await?;
        Ok(Group {
            core: Core::new(method, exec, exp.runs as usize),
            recipe,
            windows: Vec::new(),
            cut: Vec::new(),
        })
    }

    /// The next step at which a metric window must close: the middle and the end of each level,
    /// so no window straddles a level or the start of a level's measured half.
    fn next_cut(&self) -> u32 {
        let (spl, half) = (
            self.recipe.steps_per_level.max(1),
            self.recipe.steps_per_level / 2,
        );
        let base = self.core.step / spl * spl;
        if self.core.step < base + half {
            base + half
        } else {
            base + spl
        }
    }

    /// Queues `steps` training steps, closing metric windows at half-level boundaries.
    pub async fn train(&mut self, steps: u32) -> Result<()> {
        let mut left = steps;
        while left > 0 {
            let cut = self.next_cut();
            let n = left.min(cut - self.core.step);
            self.core.exec.run(0, n)?;
            self.core.step += n;
            left -= n;
            if self.core.step == cut {
                if let Some(w) = self.core.exec.cut_metrics(0)? {
                    self.cut.push(w);
                }
            }
        }
        Ok(())
    }

    /// Steps between observations in the headless runner: ten points per level.
    pub fn observe_every(&self) -> u32 {
        (self.recipe.steps_per_level / 10).max(1)
    }

    /// Collects the metric windows that landed, records the estimate and the truth at their
    /// ends, and updates each level's statistics.
    pub async fn observe(&mut self) -> Result<()> {
        let landed = self.core.exec.metrics(0).await?;
        let first_new = self.windows.len();
        self.windows.append(&mut self.cut);
        self.windows.extend(landed);
        self.windows[first_new..].sort_by_key(|w| w.step);
        let runs = self.core.history.runs.len();
        for w in &self.windows[first_new..] {
            let truth = self.recipe.levels[self.recipe.level_of(w.step.saturating_sub(1))] as f32;
            self.core
                .history
                .record("mi_estimate", w.step, &w.values[0]);
            self.core
                .history
                .record("true_mi", w.step, &vec![truth; runs]);
        }
        for level in 0..self.recipe.levels.len() {
            if let Some((mean, std)) = self.level_stats(level) {
                self.core
                    .history
                    .set_final(&format!("level/{level}/mean"), &mean);
                self.core
                    .history
                    .set_final(&format!("level/{level}/std"), &std);
            }
        }
        Ok(())
    }

    /// Per run, the mean and standard deviation over the steps of the last half of `level`, from
    /// the windows' sums of the estimate and its square; `None` before any such step ran.
    pub fn level_stats(&self, level: usize) -> Option<(Vec<f32>, Vec<f32>)> {
        let spl = self.recipe.steps_per_level as u64;
        let from = level as u64 * spl + spl / 2;
        let to = (level as u64 + 1) * spl;
        let inside: Vec<&MetricWindow> = self
            .windows
            .iter()
            .filter(|w| w.step - w.steps >= from && w.step <= to)
            .collect();
        let steps: u64 = inside.iter().map(|w| w.steps).sum();
        if steps == 0 {
            return None;
        }
        let runs = self.core.history.runs.len();
        let (mut mean, mut std) = (vec![0.0; runs], vec![0.0; runs]);
        for r in 0..runs {
            let (mut s1, mut s2) = (0.0f64, 0.0f64);
            for w in &inside {
                s1 += w.values[0][r] as f64 * w.steps as f64;
                s2 += w.values[1][r] as f64 * w.steps as f64;
            }
            let m = s1 / steps as f64;
            mean[r] = m as f32;
            std[r] = (s2 / steps as f64 - m * m).max(0.0).sqrt() as f32;
        }
        Some((mean, std))
    }
}
