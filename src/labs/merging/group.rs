//! The merging lab's run group: one method under every run of an experiment.

use super::model::Built;
use super::{
    aggregate, invalid, merge, model, Aggregator, Held, Merge, Tasks, FISHER_SAMPLES, GRAM_BATCHES,
    LAMBDAS,
};
use crate::data::tasks::{self as scenario, Stream};
use crate::engine::gpu::GpuContext;
use crate::engine::rng::{mix64, run_seed};
use crate::engine::{Exec, Result};
use crate::experiment::Experiment;
use crate::labs::{Core, LocalFuture, RunGroup};

/// One merge method's run group: its own pre-training and fine-tunes (the same for every method
/// of an experiment: same seed, same data), then its merges.
pub struct Group {
    pub core: Core,
    pub merge: Merge,
    pub stream: Stream,
    pub built: Built,
    base_steps: u32,
    steps: u32,
    runs: usize,
    seed: u32,
    /// The pre-trained backbone and base head, per parameter (all runs).
    theta0: Vec<Vec<f32>>,
    head0: Vec<Vec<f32>>,
    /// Each fine-tune's backbone and the backbone Fisher, per task, per parameter.
    tuned: Vec<Vec<Vec<f32>>>,
    fishers: Vec<Vec<Vec<f32>>>,
    /// RegMean: each fine-tune's Gram of each backbone layer's inputs, per task, per layer.
    grams: Vec<Vec<Vec<f32>>>,
    /// Per run: the base model's and each fine-tune's accuracy on every task.
    pub base_acc: Vec<Vec<f32>>,
    pub tuned_acc: Vec<Vec<f32>>,
    /// Per λ: per run, per task accuracy of the merge on the test and validation halves.
    pub sweep: Vec<(f32, Held)>,
    pub conflict: Vec<f32>,
    pub done: bool,
    /// Steps of the whole experiment: groups without a multi-task phase wait through it.
    total: u32,
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
        let s = exp.read();
        let tasks: Tasks = s.choice("scenario");
        let k = s.usize("tasks");
        let stream = scenario::build(tasks.scenario(), k + 1, s.f32("rotation"), exp.data_seed())
            .map_err(invalid)?;
        let merge = Merge::from_method(method, exp)?;
        let fraction = match &merge {
            Merge::Ties { keep } => Some(("ties.keep", *keep)),
            Merge::Dare { p } => Some(("dare.p", *p)),
            _ => None,
        };
        if let Some((key, v)) = fraction {
            if !(0.0..1.0).contains(&v) {
                return Err(invalid(format!("{key} = {v}: must be in [0, 1)")));
            }
        }
        let runs = exp.runs as usize;
        let shape = model::Shape {
            width: s.usize("width"),
            depth: s.usize("depth"),
            lr: s.f32("lr"),
            batch: s.usize("batch"),
        };
        let multitask = matches!(merge, Merge::MultiTask(_));
        let regmean = matches!(merge, Merge::RegMean { .. });
        let built = model::build(&stream, &shape, runs, exp.seed, multitask, regmean)?;
        let (base_steps, steps) = (s.u32("base_steps"), s.u32("steps"));
        let total = (super::LAB.total_steps)(exp);
        let exec = Exec::new(&built.program, gpu).await?;
        Ok(Group {
            core: Core::new(method, exec, runs),
            merge,
            stream,
            built,
            base_steps,
            steps,
            runs,
            seed: exp.seed,
            theta0: Vec::new(),
            head0: Vec::new(),
            tuned: Vec::new(),
            fishers: Vec::new(),
            grams: Vec::new(),
            base_acc: Vec::new(),
            tuned_acc: vec![Vec::new(); runs],
            sweep: Vec::new(),
            conflict: Vec::new(),
            done: false,
            total,
        })
    }

    pub fn tasks(&self) -> usize {
        self.stream.tasks.len() - 1
    }

    /// Steps of this group's own work: pre-training, the fine-tunes, and the multi-task phase.
    pub fn own_steps(&self) -> u32 {
        let k = self.tasks() as u32;
        let phases = if matches!(self.merge, Merge::MultiTask(_)) {
            2
        } else {
            1
        };
        self.base_steps + self.steps * k * phases
    }

    pub fn finetunes_end(&self) -> u32 {
        self.base_steps + self.steps * self.tasks() as u32
    }

    /// The phase boundary after the current step: end of pre-training or of a fine-tune.
    fn next_boundary(&self) -> u32 {
        if self.core.step < self.base_steps {
            self.base_steps
        } else if self.core.step >= self.finetunes_end() {
            self.own_steps()
        } else {
            let k = (self.core.step - self.base_steps) / self.steps.max(1);
            self.base_steps + (k + 1) * self.steps
        }
    }

    /// Every task's accuracy now, per run, on the test and validation halves.
    async fn accuracies(&mut self) -> Result<Held> {
        self.core.exec.run(self.built.eval, 1)?;
        let all = self.core.exec.read(&self.built.accuracy).await?;
        let k = self.tasks();
        let half = |from: usize| -> Vec<Vec<f32>> {
            (0..self.runs)
                .map(|r| all[r * 2 * k + from..r * 2 * k + from + k].to_vec())
                .collect()
        };
        Ok(Held {
            test: half(0),
            val: half(k),
        })
    }

    async fn read_all(&mut self, ts: &[crate::engine::Tensor]) -> Result<Vec<Vec<f32>>> {
        let mut out = Vec::new();
        for t in ts {
            out.push(self.core.exec.read(t).await?);
        }
        Ok(out)
    }

    fn write_all(&mut self, ts: &[crate::engine::Tensor], values: &[Vec<f32>]) -> Result<()> {
        for (t, v) in ts.iter().zip(values) {
            self.core.exec.write(t, v)?;
        }
        Ok(())
    }

    /// Trains `steps` steps through the phases; the merges run when the last fine-tune ends, a
    /// multi-task group then trains its one model. A group whose work is done waits (its step
    /// still counts) for the others.
    pub async fn train(&mut self, steps: u32) -> Result<()> {
        let mut left = steps;
        while left > 0 && self.core.step < self.own_steps() {
            let end = self.next_boundary();
            let n = left.min(end - self.core.step);
            if self.core.step >= self.finetunes_end() {
                self.multitask_steps(n).await?;
            } else {
                self.core.exec.run(self.built.train, n)?;
            }
            self.core.step += n;
            left -= n;
            if self.core.step == end {
                self.end_phase().await?;
            }
        }
        self.core.step = (self.core.step + left).min(self.total);
        Ok(())
    }

    /// `n` multi-task steps: every task's backbone gradient is read back, combined by the
    /// aggregator per run, and written back as the step's direction.
    async fn multitask_steps(&mut self, n: u32) -> Result<()> {
        let Merge::MultiTask(aggregator) = self.merge else {
            return Ok(());
        };
        let Some(mt) = self.built.multitask.as_ref() else {
            return Ok(());
        };
        let (grads_t, grads_entry, apply_entry, per_run) =
            (mt.grads.clone(), mt.grads_entry, mt.apply_entry, mt.per_run);
        let direction_t = mt.direction.clone();
        let sizes: Vec<usize> = self
            .built
            .backbone
            .iter()
            .map(|p| p.shape().numel() / self.runs)
            .collect();
        let k = self.tasks();
        for i in 0..n {
            self.core.exec.run(grads_entry, 1)?;
            let all = self.core.exec.read(&grads_t).await?;
            let mut direction: Vec<Vec<f32>> =
                sizes.iter().map(|s| vec![0.0; s * self.runs]).collect();
            let mut cosines = Vec::new();
            for r in 0..self.runs {
                let row = &all[r * k * per_run..(r + 1) * k * per_run];
                let g: Vec<Vec<f32>> = row.chunks(per_run).map(|c| c.to_vec()).collect();
                let gram = aggregate::gram(&g);
                let w = match aggregator {
                    Aggregator::Sum => aggregate::sum(k),
                    Aggregator::PcGrad => {
                        // A fresh order of the others for each task, seeded by step and run.
                        let run = run_seed(self.seed, r) as u64;
                        let order: Vec<Vec<usize>> = (0..k)
                            .map(|t| {
                                let mut o: Vec<usize> = (0..k).filter(|&j| j != t).collect();
                                let key = mix64(
                                    (run << 32) ^ ((self.core.step + i) as u64) << 8 ^ t as u64,
                                );
                                o.sort_by_key(|&j| mix64(key ^ j as u64));
                                o
                            })
                            .collect();
                        aggregate::pcgrad(&gram, &order)
                    }
                    Aggregator::Mgda => aggregate::mgda(&gram),
                    Aggregator::UpGrad => aggregate::upgrad(&gram),
                };
                let mut d = vec![0f64; per_run];
                for (gk, wk) in g.iter().zip(&w) {
                    for (di, gi) in d.iter_mut().zip(gk) {
                        *di += wk * *gi as f64;
                    }
                }
                let mut at = 0;
                for (p, &s) in sizes.iter().enumerate() {
                    for (j, v) in d[at..at + s].iter().enumerate() {
                        direction[p][r * s + j] = *v as f32;
                    }
                    at += s;
                }
                cosines.push(gram);
            }
            self.write_all(&direction_t, &direction)?;
            self.core.exec.run(apply_entry, 1)?;
            let step = self.core.step + i + 1;
            if step.is_multiple_of(10) {
                for a in 0..k {
                    for b in a + 1..k {
                        let values: Vec<f32> = cosines
                            .iter()
                            .map(|g| (g[a][b] / (g[a][a] * g[b][b]).sqrt().max(1e-30)) as f32)
                            .collect();
                        self.core.history.record(
                            &format!("grad_cosine/{}-{}", a + 1, b + 1),
                            step as u64,
                            &values,
                        );
                    }
                }
            }
        }
        Ok(())
    }

    async fn end_phase(&mut self) -> Result<()> {
        let backbone = self.built.backbone.clone();
        let offsets = self.stream.offsets();
        if self.core.step > self.finetunes_end() {
            // The multi-task model is done: one evaluation, every task with its own head.
            let acc = self.accuracies().await?;
            self.sweep.push((1.0, acc));
            self.summarise();
            self.done = true;
            return Ok(());
        }
        if self.core.step == self.base_steps {
            self.theta0 = self.read_all(&backbone).await?;
            let (w0, b0) = self.built.heads[0].clone();
            self.head0 = self.read_all(&[w0, b0]).await?;
            self.core.exec.write(&self.built.zero_shot, &[1.0])?;
            self.base_acc = self.accuracies().await?.test;
            self.core.exec.write(&self.built.zero_shot, &[0.0])?;
        } else {
            let task = self.tuned.len() + 1;
            let tuned = self.read_all(&backbone).await?;
            self.tuned.push(tuned);
            if self.merge == Merge::Fisher {
                let fisher = self.built.fisher.clone();
                let zeros: Vec<Vec<f32>> = fisher
                    .iter()
                    .map(|f| vec![0.0; f.shape().numel()])
                    .collect();
                self.write_all(&fisher, &zeros)?;
                self.core
                    .exec
                    .run(self.built.fisher_entry, FISHER_SAMPLES)?;
                let estimate = self.read_all(&fisher).await?;
                self.fishers.push(estimate);
            }
            if let Some(gram) = &self.built.gram {
                let (grams, entry) = (gram.grams.clone(), gram.entry);
                let zeros: Vec<Vec<f32>> =
                    grams.iter().map(|t| vec![0.0; t.shape().numel()]).collect();
                self.write_all(&grams, &zeros)?;
                self.core.exec.run(entry, GRAM_BATCHES)?;
                let estimate = self.read_all(&grams).await?;
                self.grams.push(estimate);
            }
            let acc = self.accuracies().await?.test;
            for (tuned, acc) in self.tuned_acc.iter_mut().zip(&acc) {
                tuned.push(acc[task - 1]);
            }
        }
        let next = self.tuned.len() + 1;
        if next <= self.tasks() {
            // The next fine-tune starts from the pre-trained backbone, its head from the base head.
            let theta0 = self.theta0.clone();
            self.write_all(&backbone, &theta0)?;
            let (w, b) = self.built.heads[next].clone();
            let head0 = self.head0.clone();
            self.write_all(&[w, b], &head0)?;
            self.core.exec.write(
                &self.built.range,
                &[offsets[next] as f32, self.stream.tasks[next].train.n as f32],
            )?;
        } else if matches!(self.merge, Merge::MultiTask(_)) {
            // The task vectors' conflict is still measured; then one model for all tasks starts
            // from the pre-trained backbone, every head from the base head.
            self.measure_conflict();
            let theta0 = self.theta0.clone();
            self.write_all(&backbone, &theta0)?;
            let head0 = self.head0.clone();
            for task in 1..=self.tasks() {
                let (w, b) = self.built.heads[task].clone();
                self.write_all(&[w, b], &head0)?;
            }
        } else {
            self.merge_all().await?;
        }
        Ok(())
    }

    /// Each fine-tune's task vector τₖ = θₖ − θ₀ for parameter `p`, over `span` (one run).
    fn task_vectors(&self, p: usize, span: std::ops::Range<usize>) -> Vec<Vec<f32>> {
        let t0 = &self.theta0[p][span.clone()];
        self.tuned
            .iter()
            .map(|m| {
                m[p][span.clone()]
                    .iter()
                    .zip(t0)
                    .map(|(a, b)| a - b)
                    .collect()
            })
            .collect()
    }

    /// The share of backbone weights whose task vectors disagree in sign, per run.
    fn measure_conflict(&mut self) {
        let runs = self.runs;
        let mut conflicts = vec![(0usize, 0f32); runs];
        for (p, t0) in self.theta0.iter().enumerate() {
            let per = t0.len() / runs;
            for (r, conflict) in conflicts.iter_mut().enumerate() {
                let taus = self.task_vectors(p, r * per..(r + 1) * per);
                let refs: Vec<&[f32]> = taus.iter().map(|v| v.as_slice()).collect();
                conflict.0 += per;
                conflict.1 += merge::sign_conflict(&refs) * per as f32;
            }
        }
        self.conflict = conflicts
            .iter()
            .map(|(n, c)| c / (*n).max(1) as f32)
            .collect();
    }

    /// Every run's merged backbone at λ (per parameter, all runs).
    fn merged(&self, merged_tau: &[Vec<f32>], lambda: f32) -> Vec<Vec<f32>> {
        self.theta0
            .iter()
            .zip(merged_tau)
            .map(|(t0, tau)| t0.iter().zip(tau).map(|(a, b)| a + lambda * b).collect())
            .collect()
    }

    async fn merge_all(&mut self) -> Result<()> {
        let runs = self.runs;
        self.measure_conflict();
        // The merged task vector, per parameter, all runs, from each run's own slices.
        let mut merged_tau = Vec::new();
        for (p, t0) in self.theta0.iter().enumerate() {
            let per = t0.len() / runs;
            let mut out = vec![0.0; t0.len()];
            for r in 0..runs {
                let span = r * per..(r + 1) * per;
                let taus = self.task_vectors(p, span.clone());
                let refs: Vec<&[f32]> = taus.iter().map(|v| v.as_slice()).collect();
                let fishers: Vec<&[f32]> =
                    self.fishers.iter().map(|f| &f[p][span.clone()]).collect();
                let salt = mix64(((run_seed(self.seed, r) as u64) << 32) ^ p as u64);
                // RegMean's weights (even parameters: weight, bias per layer) solve with the
                // layer's Grams.
                let merged = match self.merge {
                    Merge::RegMean { alpha } if p % 2 == 0 && !self.grams.is_empty() => {
                        let layer = p / 2;
                        let n_in = (self.grams[0][layer].len() / runs).isqrt();
                        let grams: Vec<&[f32]> = self
                            .grams
                            .iter()
                            .map(|g| &g[layer][r * n_in * n_in..(r + 1) * n_in * n_in])
                            .collect();
                        merge::regmean(&refs, &grams, n_in, alpha)
                    }
                    _ => self.merge.apply(&refs, &fishers, salt),
                };
                out[span].copy_from_slice(&merged);
            }
            merged_tau.push(out);
        }
        let lambdas: Vec<f32> = if self.merge.has_lambda() {
            LAMBDAS.to_vec()
        } else {
            vec![1.0]
        };
        let backbone = self.built.backbone.clone();
        for &lambda in &lambdas {
            let weights = self.merged(&merged_tau, lambda);
            self.write_all(&backbone, &weights)?;
            let acc = self.accuracies().await?;
            self.sweep.push((lambda, acc));
        }
        self.summarise();
        self.done = true;
        Ok(())
    }

    /// The CLI's names: task_acc/<model>/<task>, normalized_acc/<model>, lambda_sweep/<method>,
    /// sign_conflict, and best_lambda/<method>.
    fn summarise(&mut self) {
        let k = self.tasks();
        let m = self.core.method.clone();
        let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len().max(1) as f32;
        for (lambda, held) in &self.sweep {
            let x = (lambda * 100.0).round() as u64;
            for (name, acc) in [
                ("lambda_sweep", &held.test),
                ("lambda_sweep_val", &held.val),
            ] {
                let means: Vec<f32> = acc.iter().map(|a| mean(a)).collect();
                self.core.history.record(&format!("{name}/{m}"), x, &means);
            }
        }
        // Each run's λ: the best mean accuracy on validation; its test accuracy is reported.
        let mut best = Vec::new();
        for r in 0..self.runs {
            let (lambda, acc) = self
                .sweep
                .iter()
                .max_by(|a, b| mean(&a.1.val[r]).total_cmp(&mean(&b.1.val[r])))
                .map(|(l, held)| (*l, held.test[r].clone()))
                .unwrap_or((1.0, vec![0.0; k]));
            best.push((lambda, acc));
        }
        let normalized = |acc: &[f32], r: usize| -> f32 {
            mean(
                &acc.iter()
                    .zip(&self.tuned_acc[r])
                    .map(|(a, t)| a / t.max(1e-6))
                    .collect::<Vec<_>>(),
            )
        };
        for j in 0..k {
            let base: Vec<f32> = self.base_acc.iter().map(|a| a[j]).collect();
            let tuned: Vec<f32> = self.tuned_acc.iter().map(|a| a[j]).collect();
            let merged: Vec<f32> = best.iter().map(|(_, a)| a[j]).collect();
            self.core
                .history
                .set_final(&format!("task_acc/base/{}", j + 1), &base);
            self.core
                .history
                .set_final(&format!("task_acc/finetuned/{}", j + 1), &tuned);
            self.core
                .history
                .set_final(&format!("task_acc/{m}/{}", j + 1), &merged);
        }
        let base_n: Vec<f32> = (0..self.runs)
            .map(|r| normalized(&self.base_acc[r], r))
            .collect();
        let merged_n: Vec<f32> = (0..self.runs).map(|r| normalized(&best[r].1, r)).collect();
        self.core.history.set_final("normalized_acc/base", &base_n);
        self.core
            .history
            .set_final(&format!("normalized_acc/{m}"), &merged_n);
        self.core
            .history
            .set_final("normalized_acc/finetuned", &vec![1.0; self.runs]);
        let lambdas: Vec<f32> = best.iter().map(|(l, _)| *l).collect();
        self.core
            .history
            .set_final(&format!("best_lambda/{m}"), &lambdas);
        let conflict = self.conflict.clone();
        self.core.history.set_final("sign_conflict", &conflict);
    }

    /// Records the training loss (a NaN marks the run diverged).
    pub async fn observe(&mut self) -> Result<()> {
        let windows = self.core.exec.metrics(self.built.train).await?;
        if let Some(w) = windows.last() {
            self.core
                .history
                .record("loss", self.core.step as u64, &w.values[0]);
        }
        Ok(())
    }

    pub fn observe_every(&self) -> u32 {
        (self.steps / 4).max(1)
    }
}
