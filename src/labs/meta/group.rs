//! The meta lab's run group: one method under every run of an experiment.

use super::model::{EVAL_STEPS, GRID};
use super::{digit_program, fewshot, methods, model, sine_program, PROGRESS_EPISODES};
use crate::engine::error::invalid;
use crate::engine::gpu::GpuContext;
use crate::engine::{Exec, Result};
use crate::experiment::Experiment;
use crate::labs::{Core, LocalFuture, RunGroup};
use std::sync::Arc;

/// One method's run group.
pub struct Group {
    pub core: Core,
    pub recipe: model::Recipe,
    /// How its few-shot accuracy is read (`methods::Algorithm::reads`).
    pub reads: methods::Reading,
    /// The run's length: the digits' last evaluation is the full one.
    pub total: u32,
    pub scenario: Scenario,
}

/// What a group's scenario builds and keeps.
pub enum Scenario {
    Sinusoid {
        built: sine_program::Built,
        /// Held-out task 0 as run 0 sees it: the true curve on the grid, the shots, and the
        /// predictions before adapting, after 1 step and after EVAL_STEPS.
        picture: Option<TaskPicture>,
    },
    Digits {
        built: digit_program::Built,
        pools: fewshot::Pools,
        episodes: Vec<fewshot::Episode>,
        /// Run 0's novel embeddings projected on their first two principal axes, with each
        /// image's class: (x, y, class, false).
        projection: Arc<Vec<(f32, f32, f32, bool)>>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct TaskPicture {
    pub truth: Vec<f32>,
    pub shots: Vec<(f32, f32)>,
    pub predictions: [Vec<f32>; 3],
}

impl RunGroup for Group {
    fn core(&self) -> &Core {
        &self.core
    }
    fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }
    fn train(&mut self, steps: u32) -> LocalFuture<'_, Result<()>> {
        // Both scenarios' programs put training first.
        self.core.train(sine_program::TRAIN, steps)
    }
    fn observe(&mut self) -> LocalFuture<'_, Result<()>> {
        Box::pin(self.evaluate())
    }
    fn observe_every(&self, total: u32) -> u32 {
        // Scoring digits means hundreds of episodes (MAML adapts to each): ten times a run.
        match self.scenario {
            Scenario::Sinusoid { .. } => (total / 20).max(1),
            Scenario::Digits { .. } => (total / 10).max(1),
        }
    }
}

impl Group {
    pub async fn new(exp: &Experiment, method: &str, gpu: Option<&GpuContext>) -> Result<Group> {
        let recipe = model::Recipe::from_settings(exp);
        let algorithm = methods::algorithm(method, exp)?;
        let runs = exp.runs as usize;
        let (scenario, exec) = match recipe.scenario {
            model::Scenario::Sinusoid => {
                let built = sine_program::build(&recipe, &*algorithm, runs, exp.seed)?;
                let exec = Exec::new(&built.program, gpu).await?;
                (
                    Scenario::Sinusoid {
                        built,
                        picture: None,
                    },
                    exec,
                )
            }
            model::Scenario::Digits => {
                let pools = fewshot::pools().map_err(|e| invalid("meta digits", e))?;
                let built = digit_program::build(&recipe, &*algorithm, &pools, runs, exp.seed)?;
                let exec = Exec::new(&built.program, gpu).await?;
                let episodes = (0..recipe.episodes)
                    .map(|i| fewshot::episode(&pools, i, recipe.shots))
                    .collect();
                let scenario = Scenario::Digits {
                    built,
                    pools,
                    episodes,
                    projection: Arc::new(Vec::new()),
                };
                (scenario, exec)
            }
        };
        Ok(Group {
            core: Core::new(method, exec, runs),
            recipe,
            reads: algorithm.reads(),
            total: exp.read().u32("steps"),
            scenario,
        })
    }

    /// Records the meta-loss of the training steps since the last observation, then scores the
    /// current weights on the scenario's held-out tasks.
    async fn evaluate(&mut self) -> Result<()> {
        let train = match self.scenario {
            Scenario::Sinusoid { .. } => sine_program::TRAIN,
            Scenario::Digits { .. } => digit_program::TRAIN,
        };
        if let Some(w) = self.core.exec.metrics(train).await?.last() {
            self.core.history.record("meta_loss", w.step, &w.values[0]);
        }
        match self.scenario {
            Scenario::Sinusoid { .. } => self.evaluate_sinusoid().await,
            Scenario::Digits { .. } => self.evaluate_digits().await,
        }
    }

    /// The novel-class accuracy over the evaluation episodes, per run, with its 95 % interval
    /// (1.96 standard errors over episodes), and run 0's embedding projected to 2-D. While
    /// training it reads the first PROGRESS_EPISODES episodes (MAML adapts to each); at the end,
    /// all of them.
    async fn evaluate_digits(&mut self) -> Result<()> {
        let step = self.core.step as u64;
        let runs = self.core.history.runs.len();
        let Scenario::Digits {
            built,
            pools,
            episodes,
            projection,
        } = &mut self.scenario
        else {
            return Ok(());
        };
        let shots = self.recipe.shots;
        let episodes = if self.core.step >= self.total {
            &episodes[..]
        } else {
            &episodes[..episodes.len().min(PROGRESS_EPISODES)]
        };
        // Per run, each episode's accuracy.
        let mut accuracy = vec![Vec::with_capacity(episodes.len()); runs];
        self.core.exec.run(digit_program::EMBED, 1)?;
        let embeddings = self.core.exec.read(&built.embeddings).await?;
        let dim = self.recipe.hidden;
        let per_run = pools.novel_class.len() * dim;
        match self.reads {
            methods::Reading::Adapt => {
                for batch in episodes.chunks(fewshot::ADAPT_BATCH) {
                    for (e, episode) in batch.iter().enumerate() {
                        self.core
                            .exec
                            .write(&built.support[e], &fewshot::images(pools, &episode.support))?;
                        self.core
                            .exec
                            .write(&built.query[e], &fewshot::images(pools, &episode.query))?;
                    }
                    self.core.exec.run(digit_program::ADAPT, 1)?;
                    let got = self.core.exec.read(&built.accuracy).await?;
                    for (r, acc) in accuracy.iter_mut().enumerate() {
                        let row = &got[r * fewshot::ADAPT_BATCH..][..batch.len()];
                        acc.extend(row.iter().map(|&a| a as f64));
                    }
                }
            }
            methods::Reading::Rule(rule) => {
                for (r, acc) in accuracy.iter_mut().enumerate() {
                    let mine = &embeddings[r * per_run..(r + 1) * per_run];
                    acc.extend(
                        episodes
                            .iter()
                            .map(|e| fewshot::classify(rule, mine, dim, e, shots)),
                    );
                }
            }
        }
        let (mean, ci): (Vec<f32>, Vec<f32>) = accuracy
            .iter()
            .map(|a| {
                let n = a.len().max(1) as f64;
                let m = a.iter().sum::<f64>() / n;
                let var = a.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
                (m as f32, (1.96 * (var / n).sqrt()) as f32)
            })
            .unzip();
        self.core.history.record("fewshot_acc", step, &mean);
        self.core.history.record("fewshot_ci", step, &ci);
        *projection = Arc::new(fewshot::project(
            &embeddings[..per_run],
            dim,
            &pools.novel_class,
        ));
        Ok(())
    }

    /// Adapts the current weights to every held-out task and records the mean query MSE after
    /// 0, 1 and EVAL_STEPS steps (and every step in between as a final), and the zero
    /// predictor's MSE on the same tasks.
    async fn evaluate_sinusoid(&mut self) -> Result<()> {
        let step = self.core.step as u64;
        let Scenario::Sinusoid { built, picture } = &mut self.scenario else {
            return Ok(());
        };
        let runs = self.core.history.runs.len();
        let tasks = self.recipe.eval_tasks;
        let grid = model::grid();
        let mut sums = vec![0.0f64; runs * (EVAL_STEPS + 1)];
        let mut zero = 0.0f64;
        for i in 0..tasks {
            let (amp, phase, xs) = model::held_out(i, self.recipe.shots);
            let wave = |x: &[f32]| -> Vec<f32> {
                x.iter()
                    .map(|&v| amp * crate::engine::math::sin(v + phase))
                    .collect()
            };
            let (ys, yq) = (wave(&xs), wave(&grid));
            zero += yq.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / GRID as f64;
            self.core.exec.write(&built.support_x, &xs)?;
            self.core.exec.write(&built.support_y, &ys)?;
            self.core.exec.write(&built.query_y, &yq)?;
            self.core.exec.run(sine_program::EVAL, 1)?;
            let curve = self.core.exec.read(&built.curve).await?;
            for (s, c) in sums.iter_mut().zip(&curve) {
                *s += *c as f64;
            }
            if i == 0 {
                let p = self.core.exec.read(&built.predictions).await?;
                let column = |c: usize| (0..GRID).map(|g| p[g * 3 + c]).collect::<Vec<_>>();
                *picture = Some(TaskPicture {
                    truth: yq.clone(),
                    shots: xs.iter().copied().zip(ys.iter().copied()).collect(),
                    predictions: [column(0), column(1), column(2)],
                });
            }
        }
        let at = |k: usize| -> Vec<f32> {
            (0..runs)
                .map(|r| (sums[r * (EVAL_STEPS + 1) + k] / tasks as f64) as f32)
                .collect()
        };
        for k in 0..=EVAL_STEPS {
            if [0, 1, EVAL_STEPS].contains(&k) {
                self.core
                    .history
                    .record(&format!("mse_after/{k}"), step, &at(k));
            } else {
                self.core
                    .history
                    .set_final(&format!("mse_after/{k}"), &at(k));
            }
        }
        self.core
            .history
            .record("mse_zero", step, &vec![(zero / tasks as f64) as f32; runs]);
        Ok(())
    }
}
