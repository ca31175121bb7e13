//! The continual lab's run group: one method under every run of an experiment.

use super::methods::{Hooks, Phase};
use super::model::{Built, Recipe};
use super::{invalid, methods, model, summary};
use crate::data::tasks::{self, Setting, Stream};
use crate::engine::gpu::GpuContext;
use crate::engine::{Exec, Result};
use crate::experiment::Experiment;
use crate::labs::LocalFuture;
use crate::labs::{Core, RunGroup};

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

/// When a method's hook runs.
#[derive(Clone, Copy)]
enum Moment {
    Start,
    BeginTask,
    EndTask,
    Scored,
}

/// One method's run group over the whole stream.
pub struct Group {
    pub core: Core,
    pub recipe: Recipe,
    pub stream: Stream,
    pub built: Built,
    /// The task now training (= tasks when the stream is done).
    pub task: usize,
    /// Rows of the accuracy matrix so far, each [R × T] (run-major).
    pub rows: Vec<Vec<f32>>,
    /// The 2-D scenario: run 0's boundary after each task.
    pub boundaries: Vec<Vec<f32>>,
    /// What the method does between tasks (and added to the step).
    hooks: Box<dyn Hooks>,
    seed: u32,
    runs: usize,
}

impl Group {
    /// Method `method`'s group under every run of `exp`, on the GPU when a context is given.
    pub async fn new(exp: &Experiment, method: &str, gpu: Option<&GpuContext>) -> Result<Group> {
        let recipe = Recipe::from_settings(exp);
        let mut hooks = methods::make(method, exp)?;
        let stream = tasks::build(
            recipe.scenario,
            recipe.tasks,
            recipe.rotation,
            exp.data_seed(),
        )
        .map_err(invalid)?;
        hooks.check(&stream).map_err(invalid)?;
        let runs = exp.runs as usize;
        let built = model::build(&recipe, &stream, runs, exp.seed, &mut *hooks)?;
        let exec = Exec::new(&built.program, gpu).await?;
        let mut group = Group {
            core: Core::new(method, exec, runs),
            recipe,
            stream,
            built,
            task: 0,
            rows: Vec::new(),
            boundaries: Vec::new(),
            hooks,
            seed: exp.seed,
            runs,
        };
        group.hook(Moment::Start).await?;
        let before = group.evaluate().await?;
        group.rows.push(before);
        Ok(group)
    }

    /// Runs one of the method's hooks at the current task.
    async fn hook(&mut self, moment: Moment) -> Result<()> {
        let mut at = Phase {
            exec: &mut self.core.exec,
            built: &self.built,
            stream: &self.stream,
            task: self.task,
            seed: self.seed,
            runs: self.runs,
        };
        let hooks = &mut *self.hooks;
        match moment {
            Moment::Start => hooks.start(&mut at).await,
            Moment::BeginTask => hooks.begin_task(&mut at).await,
            Moment::EndTask => hooks.end_task(&mut at).await,
            Moment::Scored => hooks.scored(&mut at).await,
        }
    }

    pub fn tasks(&self) -> usize {
        self.stream.tasks.len()
    }

    /// Every task's test accuracy now, [R × T].
    async fn evaluate(&mut self) -> Result<Vec<f32>> {
        self.core.exec.run(self.built.entries.eval, 1)?;
        self.core.exec.read(&self.built.accuracy).await
    }

    /// Trains `steps` steps, crossing into the next task (and its bookkeeping) when one ends.
    pub async fn train(&mut self, steps: u32) -> Result<()> {
        let mut left = steps;
        let spt = self.recipe.steps_per_task.max(1);
        while left > 0 && self.task < self.tasks() {
            let end = (self.task as u32 + 1) * spt;
            let n = left.min(end - self.core.step);
            self.core.exec.run(self.built.entries.train, n)?;
            self.core.step += n;
            left -= n;
            if self.core.step == end {
                self.end_task().await?;
            }
        }
        Ok(())
    }

    /// Records every task's accuracy and the training loss at the current step (a NaN loss
    /// marks its run diverged).
    pub async fn observe(&mut self) -> Result<()> {
        let windows = self.core.exec.metrics(self.built.entries.train).await?;
        if let Some(w) = windows.last() {
            self.core
                .history
                .record("loss", self.core.step as u64, &w.values[0]);
        }
        // A task's end already recorded this step.
        let recorded = self
            .core
            .history
            .runs
            .iter()
            .filter_map(|r| r.get("task_acc/0").and_then(|v| v.last()))
            .any(|&(step, _)| step == self.core.step as u64);
        if !recorded {
            let acc = self.evaluate().await?;
            self.record(&acc);
        }
        Ok(())
    }

    fn record(&mut self, acc: &[f32]) {
        let t = self.tasks();
        for j in 0..t {
            let values: Vec<f32> = (0..self.runs).map(|r| acc[r * t + j]).collect();
            self.core
                .history
                .record(&format!("task_acc/{j}"), self.core.step as u64, &values);
        }
    }

    /// The end of task `self.task`: the method's bookkeeping, a row of R, the next task's setup.
    async fn end_task(&mut self) -> Result<()> {
        self.hook(Moment::EndTask).await?;
        self.capture_boundary().await?;
        let acc = self.evaluate().await?;
        self.hook(Moment::Scored).await?;
        self.record(&acc);
        self.rows.push(acc);
        self.task += 1;
        if self.task < self.tasks() {
            self.begin_task().await?;
        } else {
            self.summarise();
        }
        Ok(())
    }

    async fn capture_boundary(&mut self) -> Result<()> {
        if let (Some(entry), Some(grid)) = (self.built.entries.grid, self.built.grid.clone()) {
            self.core.exec.run(entry, 1)?;
            let all = self.core.exec.read(&grid).await?;
            self.boundaries
                .push(all[..model::GRID * model::GRID].to_vec());
        }
        Ok(())
    }

    /// Points the sampler, the heads and the method at task `self.task`.
    async fn begin_task(&mut self) -> Result<()> {
        let t = self.task;
        let offsets = self.stream.offsets();
        let counts: Vec<usize> = self.stream.tasks.iter().map(|k| k.train.n).collect();
        let range = self.hooks.range(&offsets, &counts, t);
        self.core.exec.write(&self.built.range, &range)?;
        if self.stream.setting == Setting::ClassIncremental {
            let mut mask = vec![0.0; self.stream.outputs];
            for k in self.stream.train_classes(t) {
                mask[k] = 1.0;
            }
            self.core.exec.write(&self.built.train_mask, &mask)?;
            self.core.exec.write(&self.built.eval_mask, &mask)?;
        }
        self.hook(Moment::BeginTask).await
    }

    /// The summaries of R, per run, once the stream is done.
    fn summarise(&mut self) {
        let (t, runs) = (self.tasks(), self.runs);
        let per_run: Vec<Vec<Vec<f32>>> = (0..runs)
            .map(|r| {
                self.rows
                    .iter()
                    .map(|row| row[r * t..(r + 1) * t].to_vec())
                    .collect()
            })
            .collect();
        for (name, f) in [
            ("avg_acc", summary::avg_acc as fn(&[Vec<f32>]) -> f32),
            ("bwt", summary::bwt),
            ("forgetting", summary::forgetting),
            ("fwt", summary::fwt),
            ("learn_acc", summary::learn_acc),
        ] {
            let values: Vec<f32> = per_run.iter().map(|m| f(m)).collect();
            self.core.history.set_final(name, &values);
        }
        for (r, m) in per_run.into_iter().enumerate() {
            if self.core.history.diverged_at[r].is_none() {
                self.core.history.matrices[r].insert("acc_matrix".into(), m);
            }
        }
    }

    pub fn observe_every(&self) -> u32 {
        (self.recipe.steps_per_task / 5).max(1)
    }
}
