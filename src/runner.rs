//! The driver: steps a session's run groups, observes them on one schedule and keeps what the
//! views draw and the exports write. The page, the CLI and the tests all drive labs through it,
//! so a link gives the same histories wherever it runs.

use crate::engine::gpu::GpuContext;
use crate::engine::{EngineError, Result};
use crate::experiment::Experiment;
use crate::history::{ExperimentReport, RunReport};
use crate::labs::{self, Lab, LabDecl, RunGroup};
use crate::views::{Picture, Views};

/// A session: one run group per enabled method of an experiment, all on one backend.
pub struct Driver {
    pub lab: &'static dyn Lab,
    pub decl: LabDecl,
    pub exp: Experiment,
    pub groups: Vec<Box<dyn RunGroup>>,
    /// Each group's latest picture, by method (refreshed by `refresh_pictures`).
    pub pictures: Vec<(String, Picture)>,
    /// Training steps of the whole experiment.
    pub total: u32,
    /// Steps between observations.
    pub every: u32,
}

impl Driver {
    /// Builds every enabled method's group and observes it at step 0. `steps` overrides the
    /// lab's length. A method that cannot be built names itself in the error.
    pub async fn new(
        exp: &Experiment,
        gpu: Option<&GpuContext>,
        steps: Option<u32>,
    ) -> Result<Driver> {
        let mut driver = Driver::start(exp, steps)?;
        for method in &exp.methods {
            driver.add(&method.id, gpu).await?;
        }
        Ok(driver)
    }

    /// A session with no groups yet: `add` builds them one by one.
    pub fn start(exp: &Experiment, steps: Option<u32>) -> Result<Driver> {
        let lab = labs::lab(&exp.lab)?;
        let total = steps.unwrap_or_else(|| lab.total_steps(exp)).max(1);
        Ok(Driver {
            lab,
            decl: lab.declaration(),
            exp: exp.clone(),
            groups: Vec::new(),
            pictures: Vec::new(),
            total,
            every: 1,
        })
    }

    /// Builds one more method's group (observed at step 0). The page names the method in an
    /// error; the CLI's message is the lab's own.
    pub async fn add(&mut self, method: &str, gpu: Option<&GpuContext>) -> Result<()> {
        let mut group = self.lab.group(&self.exp, method, gpu).await?;
        group.observe().await?;
        self.every = group.observe_every(self.total);
        self.groups.push(group);
        Ok(())
    }

    /// Steps taken (every group moves together).
    pub fn step(&self) -> u32 {
        self.groups.iter().map(|g| g.step()).min().unwrap_or(0)
    }

    pub fn finished(&self) -> bool {
        self.step() >= self.total
    }

    /// Trains every group `steps` more steps (at most to the end), observing each time a
    /// multiple of `every` is reached and at the end; then waits for the device once.
    pub async fn train(&mut self, steps: u32) -> Result<()> {
        for i in 0..self.groups.len() {
            self.train_group(i, steps).await?;
        }
        if let Some(g) = self.groups.last() {
            g.exec().finish().await?;
        }
        Ok(())
    }

    /// Trains group `i` alone, as `train` does.
    pub async fn train_group(&mut self, i: usize, steps: u32) -> Result<()> {
        let (total, every) = (self.total, self.every.max(1));
        let group = &mut self.groups[i];
        let end = group.step().saturating_add(steps).min(total);
        while group.step() < end {
            let (before, next) = (group.step(), ((group.step() / every + 1) * every).min(end));
            group.train(next - before).await?;
            if group.step() == before {
                return Err(EngineError::Invalid {
                    op: "driver",
                    detail: format!("{} stopped at step {before} of {total}", group.method()),
                });
            }
            if group.step().is_multiple_of(every) || group.step() == total {
                group.observe().await?;
            }
        }
        Ok(())
    }

    /// Each group's picture now (a readback each: call it now and then, not every frame).
    pub async fn refresh_pictures(&mut self) -> Result<()> {
        let mut pictures = Vec::new();
        for g in self.groups.iter_mut() {
            if let Some(p) = g.picture().await? {
                pictures.push((g.method().to_string(), p));
            }
        }
        self.pictures = pictures;
        Ok(())
    }

    /// What the page draws now.
    pub fn views(&self) -> Views {
        let groups: Vec<&dyn RunGroup> = self.groups.iter().map(|g| &**g).collect();
        self.lab.views(&self.exp, &groups, &self.pictures)
    }

    /// Every run's report so far.
    pub fn reports(&self) -> Vec<RunReport> {
        self.groups
            .iter()
            .flat_map(|g| g.reports(self.exp.seed))
            .collect()
    }

    /// The report of the experiment so far, as the CLI prints it and the page exports it.
    pub fn report(&self, backend: &str) -> ExperimentReport {
        ExperimentReport {
            lab: self.decl.id.to_string(),
            experiment: self.exp.to_link(&self.decl),
            backend: backend.to_string(),
            runs: self.reports(),
        }
    }
}

/// The backend's name in reports.
pub fn backend_name(gpu: Option<&GpuContext>) -> String {
    match gpu {
        Some(ctx) => format!("gpu: {}", ctx.adapter),
        None => "cpu".into(),
    }
}

/// Runs a whole experiment headless (the CLI, the tests), on the GPU when a context is given:
/// every enabled method in turn, for `steps` (default: the lab's own length). Each group is
/// dropped once reported, so only one is in memory at a time.
pub async fn run_headless(
    exp: &Experiment,
    lab: &LabDecl,
    gpu: Option<&GpuContext>,
    steps: Option<u32>,
) -> Result<ExperimentReport> {
    let mut driver = Driver::start(exp, steps)?;
    let mut runs = Vec::new();
    for method in &exp.methods {
        driver.add(&method.id, gpu).await?;
        driver.train(driver.total).await?;
        runs.extend(driver.reports());
        driver.groups.clear();
    }
    Ok(ExperimentReport {
        lab: lab.id.to_string(),
        experiment: exp.to_link(lab),
        backend: backend_name(gpu),
        runs,
    })
}
