//! The driver: steps a session's run groups, observes them on one schedule and keeps what the
//! views draw and the exports write. The page, the CLI and the tests all drive labs through it,
//! so a link gives the same histories wherever it runs.

use crate::claims::{Claim, Evidence, Seeds, Verdict};
use crate::decl::Paper;
use crate::engine::gpu::GpuContext;
use crate::engine::{EngineError, Result};
use crate::experiment::Experiment;
use crate::history::{ExperimentReport, History, RunReport};
use crate::labs::{self, Lab, LabDecl, RunGroup};
use crate::views::{Picture, Views};
use serde::Serialize;
use std::collections::BTreeMap;

/// A session: one run group per enabled method of an experiment, all on one backend.
pub struct Driver {
    pub lab: &'static dyn Lab,
    pub decl: LabDecl,
    pub exp: Experiment,
    pub groups: Vec<Box<dyn RunGroup>>,
    /// Each group's runs of the experiment's: (first, count).
    pub slices: Vec<(usize, usize)>,
    /// Each group's latest picture, by method (refreshed by `refresh_pictures`).
    pub pictures: Vec<(String, Picture)>,
    /// Training steps of the whole experiment.
    pub total: u32,
    /// Steps between observations.
    pub every: u32,
    /// Verdicts of claims whose runs are all finished (they change no more), by claim id.
    verdicts: BTreeMap<&'static str, Verdict>,
    /// Counts what changes the views: observations, finishes, new groups, pictures.
    revision: u64,
}

/// Where a claim stands in a session: the page's Claims panel row.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimState {
    /// Checked on this session's runs.
    Checked,
    /// Its methods are still training.
    Training,
    /// This session is not the claim's experiment: its link opens that one.
    DifferentSetting,
    /// A method it reads is off.
    NotApplicable,
}

/// One claim as the page shows it.
#[derive(Clone, Debug, Serialize)]
pub struct ClaimRow {
    pub id: &'static str,
    pub text: &'static str,
    pub paper: Paper,
    /// The claim's own link.
    pub link: String,
    pub state: ClaimState,
    /// The verdict, once checked; otherwise why not yet.
    pub verdict: Option<Verdict>,
    pub note: String,
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

    /// A session with no groups yet: `add` builds them one by one. `steps` stops it early (the
    /// CLI's `--steps`), never past the experiment's own length: a report's link must
    /// reproduce it.
    pub fn start(exp: &Experiment, steps: Option<u32>) -> Result<Driver> {
        let lab = labs::lab(&exp.lab)?;
        let own = lab.total_steps(exp);
        let total = steps.map_or(own, |n| n.min(own)).max(1);
        Ok(Driver {
            lab,
            decl: lab.declaration(),
            exp: exp.clone(),
            groups: Vec::new(),
            slices: Vec::new(),
            pictures: Vec::new(),
            total,
            every: 1,
            verdicts: BTreeMap::new(),
            revision: 0,
        })
    }

    /// Builds one more method's group (observed at step 0). The page names the method in an
    /// error; the CLI's message is the lab's own.
    pub async fn add(&mut self, method: &str, gpu: Option<&GpuContext>) -> Result<()> {
        let runs = self.exp.runs as usize;
        self.add_runs(method, 0, runs, gpu).await
    }

    /// Builds a group of runs `first..first + runs` of a method (`Experiment::slice`): the
    /// page splits a session's runs over workers.
    pub async fn add_runs(
        &mut self,
        method: &str,
        first: usize,
        runs: usize,
        gpu: Option<&GpuContext>,
    ) -> Result<()> {
        let slice = self.exp.slice(first, runs);
        let mut group = self.lab.group(&slice, method, gpu).await?;
        group.observe().await?;
        self.revision += 1;
        self.every = group.observe_every(self.total);
        self.groups.push(group);
        self.slices.push((first, runs));
        Ok(())
    }

    /// A driver of the same groups built afresh, on `gpu`: auto's trial of the other backend.
    pub async fn copy_on(&self, gpu: Option<&GpuContext>) -> Result<Driver> {
        let mut copy = Driver::start(&self.exp, Some(self.total))?;
        for (g, &(first, runs)) in self.groups.iter().zip(&self.slices) {
            copy.add_runs(g.method(), first, runs, gpu).await?;
        }
        Ok(copy)
    }

    /// Group `i`'s runs' reports so far, each under its own seed.
    pub fn group_reports(&self, i: usize) -> Vec<RunReport> {
        let first = self.slices.get(i).map_or(0, |s| s.0);
        self.groups[i].reports(crate::engine::rng::run_seed(self.exp.seed, first))
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
                self.revision += 1;
            }
            if group.step() == total {
                group.finish().await?;
                self.revision += 1;
            }
        }
        Ok(())
    }

    /// Moves every group to the GPU (a context) or the CPU (`None`). A group between two
    /// observations first trains up to the next one, so no metric window is cut; then its run
    /// moves with every weight, moment and counter, and continues exactly as it would have.
    pub async fn move_to(&mut self, gpu: Option<&GpuContext>) -> Result<()> {
        let every = self.every.max(1);
        for i in 0..self.groups.len() {
            let step = self.groups[i].step();
            if step < self.total && !step.is_multiple_of(every) {
                self.train_group(i, every - step % every).await?;
            }
            self.groups[i].exec_mut().move_to(gpu).await?;
        }
        Ok(())
    }

    /// Trains every group for about `budget_ms` of wall time by the clock `now_ms`, in doubling
    /// chunks sized to fit what is left of the budget, and returns the steps per second after the
    /// first chunk (which pays for warm-up: kernel compiles, the first submit), or of the first
    /// alone if the budget held only one. These are the runs' own steps, observed on schedule;
    /// `None` if the session had finished already.
    pub async fn time_steps(
        &mut self,
        budget_ms: f64,
        now_ms: &dyn Fn() -> f64,
    ) -> Result<Option<f64>> {
        let start = now_ms();
        let mut chunk = 1u32;
        // (step, time) after the first chunk, and the rate since then.
        let (mut warm, mut rate) = (None, None);
        while !self.finished() {
            let (before, t0) = (self.step(), now_ms());
            self.train(chunk).await?;
            let t = now_ms();
            let (from, since) = *warm.get_or_insert((before, t0));
            rate = Some((self.step() - from) as f64 / (t - since).max(1e-3) * 1000.0);
            if warm == Some((before, t0)) {
                warm = Some((self.step(), t));
            }
            let left_ms = budget_ms - (t - start);
            if left_ms <= 0.0 {
                break;
            }
            // Double, but not past what the budget left has room for.
            let per_s = rate.unwrap_or(1.0);
            chunk = chunk
                .saturating_mul(2)
                .min((per_s * left_ms / 1000.0) as u32)
                .max(1);
        }
        Ok(rate)
    }

    /// Whether the groups train on the GPU.
    pub fn on_gpu(&self) -> bool {
        self.groups.first().is_some_and(|g| g.exec().is_gpu())
    }

    /// Each group's picture now (a readback each: call it now and then, not every frame).
    pub async fn refresh_pictures(&mut self) -> Result<()> {
        let mut pictures = Vec::new();
        for g in self.groups.iter_mut() {
            if let Some(p) = g.picture().await? {
                pictures.push((g.method().to_string(), p));
            }
        }
        if pictures != self.pictures {
            self.pictures = pictures;
            self.revision += 1;
        }
        Ok(())
    }

    /// Changes whenever what `views` and `claims` show may have changed: the page rebuilds them
    /// only then, not every frame.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// What the page draws now.
    pub fn views(&self) -> Views {
        let groups: Vec<&dyn RunGroup> = self.groups.iter().map(|g| &**g).collect();
        self.lab.views(&self.exp, &groups, &self.pictures)
    }

    /// What the page draws of the whole session when this driver trains the first slice of
    /// each method's runs and `others` holds the histories of the following slices, by method,
    /// in run order: the views of these groups with those runs appended.
    pub fn views_with<'a>(
        &mut self,
        others: impl IntoIterator<Item = &'a (String, History)>,
    ) -> Views {
        let own: Vec<usize> = self.groups.iter().map(|g| g.history().runs.len()).collect();
        for (method, h) in others {
            for g in self.groups.iter_mut().filter(|g| g.method() == method) {
                g.history_mut().append(h.clone());
            }
        }
        let views = self.views();
        for (g, runs) in self.groups.iter_mut().zip(own) {
            g.history_mut().truncate(runs);
        }
        views
    }

    /// The claims that read an enabled method, each checked once its groups have finished.
    pub fn claims(&mut self) -> Vec<ClaimRow> {
        let mut verdicts = std::mem::take(&mut self.verdicts);
        let total = self.total;
        let rows = claim_rows(
            self.lab,
            &self.exp,
            !self.groups.is_empty(),
            &|m| {
                self.groups
                    .iter()
                    .any(|g| g.method() == m && g.step() >= total)
            },
            &|m| {
                (0..self.groups.len())
                    .filter(|&i| self.groups[i].method() == m)
                    .flat_map(|i| self.group_reports(i))
                    .collect()
            },
            &mut verdicts,
        );
        self.verdicts = verdicts;
        rows
    }

    /// Every run's report so far.
    pub fn reports(&self) -> Vec<RunReport> {
        (0..self.groups.len())
            .flat_map(|i| self.group_reports(i))
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

/// Every claim of `lab` (those of another setting, or reading no method of `exp`, say so and
/// can be checked in place), each checked on `exp` once every method it reads has `finished`, on their `reports` (verdicts are kept in `verdicts`: a finished run changes
/// no more). `started`: whether the session has runs at all. The driver's, and the page's when
/// its runs train in several workers.
pub fn claim_rows(
    lab: &dyn Lab,
    exp: &Experiment,
    started: bool,
    finished: &dyn Fn(&str) -> bool,
    reports: &dyn Fn(&str) -> Vec<RunReport>,
    verdicts: &mut BTreeMap<&'static str, Verdict>,
) -> Vec<ClaimRow> {
    let decl = lab.declaration();
    let on: Vec<&str> = exp.methods.iter().map(|m| m.id.as_str()).collect();
    let mut rows = Vec::new();
    for claim in lab.claims() {
        let missing: Vec<&str> = claim
            .methods
            .iter()
            .copied()
            .filter(|m| !on.contains(m))
            .collect();
        let training = !claim
            .methods
            .iter()
            .filter(|m| on.contains(m))
            .all(|m| finished(m));
        let (state, note) = if !claim.checked_on(&decl, exp) {
            (
                ClaimState::DifferentSetting,
                "checked on a different setting: open it".to_string(),
            )
        } else if !missing.is_empty() {
            (
                ClaimState::NotApplicable,
                format!("needs {}", missing.join(", ")),
            )
        } else if training {
            (
                ClaimState::Training,
                if started {
                    "not enough evidence yet: its runs are training"
                } else {
                    "not enough evidence yet: press Play"
                }
                .to_string(),
            )
        } else {
            (ClaimState::Checked, String::new())
        };
        if state == ClaimState::Checked && !verdicts.contains_key(claim.id) {
            let by_method: BTreeMap<String, Vec<RunReport>> = claim
                .methods
                .iter()
                .map(|m| (m.to_string(), reports(m)))
                .filter(|(_, r)| !r.is_empty())
                .collect();
            let verdict = claim.evaluate(&Evidence {
                runs: vec![by_method],
            });
            verdicts.insert(claim.id, verdict);
        }
        rows.push(ClaimRow {
            id: claim.id,
            text: claim.text,
            paper: claim.paper.clone(),
            link: claim.link(decl.id, 0),
            verdict: verdicts.get(claim.id).cloned(),
            state,
            note,
        });
    }
    // This session's own claims first, then those that need another method or setting.
    rows.sort_by_key(|r| match r.state {
        ClaimState::Checked | ClaimState::Training => 0,
        ClaimState::NotApplicable => 1,
        ClaimState::DifferentSetting => 2,
    });
    rows
}

/// The backend's name in reports.
pub fn backend_name(gpu: Option<&GpuContext>) -> String {
    match gpu {
        Some(ctx) => format!("gpu: {}", ctx.describe()),
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
        driver.slices.clear();
    }
    Ok(ExperimentReport {
        lab: lab.id.to_string(),
        experiment: exp.to_link(lab),
        backend: backend_name(gpu),
        runs,
    })
}

/// `run_headless` on the CPU backend, shared out over `threads` threads. The units are slices
/// of the methods' runs (`thread_units`), each trained as an experiment of its own
/// (`Experiment::slice`), so the report is the same, bit for bit, as on one thread.
pub fn run_on_threads(
    exp: &Experiment,
    lab: &LabDecl,
    steps: Option<u32>,
    threads: usize,
) -> Result<ExperimentReport> {
    let units = thread_units(exp.methods.len(), exp.runs as usize, threads);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let threads = threads.clamp(1, units.len().max(1));
    let mut done: Vec<(Unit, Result<Vec<RunReport>>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&unit) = units.get(i) else {
                            return out;
                        };
                        let slice = exp.slice(unit.first, unit.runs);
                        let runs = pollster::block_on(async {
                            let mut driver = Driver::start(&slice, steps)?;
                            driver.add(&exp.methods[unit.method].id, None).await?;
                            driver.train(driver.total).await?;
                            Ok(driver.reports())
                        });
                        out.push((unit, runs));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    });
    done.sort_by_key(|(u, _)| (u.method, u.first));
    let mut runs = Vec::new();
    for (_, r) in done {
        runs.extend(r?);
    }
    Ok(ExperimentReport {
        lab: lab.id.to_string(),
        experiment: exp.to_link(lab),
        backend: backend_name(None),
        runs,
    })
}

/// Runs `first..first + runs` of method `method`: one thread's piece of work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Unit {
    method: usize,
    first: usize,
    runs: usize,
}

/// The pieces `methods` methods of `runs` runs each are cut into for `threads` threads: each
/// method's runs in `threads` slices, taken from one queue. Methods cost unequally (MAML against
/// pretraining, IWAE against the VAE) or do not divide among the threads (3 on 2), and slices
/// keep the threads equally busy whatever they cost, while a slice still trains its runs
/// together. The larger slices are queued first, so that the short ones even out the threads
/// at the end. Default links on 2 threads, whole methods against slices: VAE 45.4 → 32.7 s,
/// merging 7.1 → 5.7 s (one thread: 54.7 and 10.1 s); slices of one run did no better.
fn thread_units(methods: usize, runs: usize, threads: usize) -> Vec<Unit> {
    let runs = runs.max(1);
    let per_method = runs.div_ceil(threads.max(1));
    let mut units: Vec<Unit> = (0..methods)
        .flat_map(|method| {
            (0..runs).step_by(per_method).map(move |first| Unit {
                method,
                first,
                runs: per_method.min(runs - first),
            })
        })
        .collect();
    units.sort_by_key(|u| std::cmp::Reverse(u.runs));
    units
}

/// Every run of the experiment `link` (a link of `lab`), by method: one of a claim's
/// experiments. A bad link is an error.
pub fn link_runs(
    lab: &LabDecl,
    link: &str,
    gpu: Option<&GpuContext>,
    threads: usize,
) -> Result<BTreeMap<String, Vec<RunReport>>> {
    let (exp, problems) = Experiment::from_link(link, std::slice::from_ref(lab));
    if let Some(p) = problems.first() {
        return Err(EngineError::Invalid {
            op: "claim",
            detail: format!("the link {link} is bad: {p}"),
        });
    }
    experiment_runs(lab, &exp, gpu, threads)
}

/// Every run of `exp`, by method: on the GPU when a context is given, else on the CPU over
/// `threads` threads.
pub fn experiment_runs(
    lab: &LabDecl,
    exp: &Experiment,
    gpu: Option<&GpuContext>,
    threads: usize,
) -> Result<BTreeMap<String, Vec<RunReport>>> {
    let report = match gpu {
        Some(ctx) => pollster::block_on(run_headless(exp, lab, Some(ctx), None))?,
        None => run_on_threads(exp, lab, None, threads)?,
    };
    let mut by_method: BTreeMap<String, Vec<RunReport>> = BTreeMap::new();
    for r in report.runs {
        by_method.entry(r.method.clone()).or_default().push(r);
    }
    Ok(by_method)
}

/// A piece of a claim's check (`session::checks::Piece`) ready to train on the CPU: runs
/// `first..first + runs` of `method` in the experiment `link`, as `run_on_threads` builds a
/// thread's slice, so its reports are the CLI's bit for bit.
pub async fn piece_driver(link: &str, method: &str, first: u32, runs: u32) -> Result<Driver> {
    let (exp, problems) = Experiment::from_link(link, &labs::registry());
    if let Some(p) = problems.first() {
        return Err(EngineError::Invalid {
            op: "check",
            detail: format!("the link {link} is bad: {p}"),
        });
    }
    let slice = exp.slice(first as usize, runs as usize);
    let mut driver = Driver::start(&slice, None)?;
    driver.add(method, None).await?;
    Ok(driver)
}

/// The evidence of a claim: each of its experiments run once, on its own seeds or on `seeds`.
pub fn claim_evidence(
    lab: &LabDecl,
    claim: &Claim,
    seeds: Option<Seeds>,
    gpu: Option<&GpuContext>,
    threads: usize,
) -> Result<Evidence> {
    let runs = (0..claim.queries.len())
        .map(|i| link_runs(lab, &claim.link_on(lab.id, i, seeds), gpu, threads))
        .collect::<Result<Vec<_>>>()?;
    Ok(Evidence { runs })
}

/// The page's export with the claims: the report's JSON with a `claims` list (each row's state
/// and verdict), and its CSV with `claim/<id>` rows: a verdict row, then each seed's value and
/// whether it agrees.
pub fn export_json(report: &ExperimentReport, claims: &[ClaimRow]) -> String {
    #[derive(Serialize)]
    struct Export<'a> {
        #[serde(flatten)]
        report: &'a ExperimentReport,
        claims: &'a [ClaimRow],
    }
    serde_json::to_string_pretty(&Export { report, claims }).unwrap_or_default()
}

pub fn export_csv(report: &ExperimentReport, claims: &[ClaimRow]) -> String {
    let mut out = report.to_csv();
    for row in claims {
        let Some(v) = &row.verdict else { continue };
        out.push_str(&format!(
            "claim/{},,verdict,,{}\n",
            row.id,
            v.verdict.label()
        ));
        for s in &v.per_seed {
            let value = s.value.map_or(String::new(), |x| x.to_string());
            out.push_str(&format!("claim/{},{},value,,{value}\n", row.id, s.seed));
            out.push_str(&format!(
                "claim/{},{},agrees,,{}\n",
                row.id, s.seed, s.agrees as u8
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every run of every method exactly once.
    fn covers(units: &[Unit], methods: usize, runs: usize) {
        let mut seen: Vec<(usize, usize)> = units
            .iter()
            .flat_map(|u| (u.first..u.first + u.runs).map(move |r| (u.method, r)))
            .collect();
        seen.sort();
        let want: Vec<_> = (0..methods)
            .flat_map(|m| (0..runs).map(move |r| (m, r)))
            .collect();
        assert_eq!(seen, want, "{units:?}");
    }

    #[test]
    fn steps_stop_a_run_early_never_past_its_link() {
        let labs = crate::labs::registry();
        let (exp, _) = Experiment::from_link("#/basics?v=1&steps=30", &labs);
        assert_eq!(Driver::start(&exp, Some(10)).unwrap().total, 10);
        assert_eq!(Driver::start(&exp, Some(300)).unwrap().total, 30);
        assert_eq!(Driver::start(&exp, None).unwrap().total, 30);
    }

    #[test]
    fn each_method_is_cut_in_a_slice_per_thread() {
        for (methods, runs, threads, slices) in [
            (3, 3, 2, 2),
            (2, 5, 2, 2),
            (1, 5, 4, 3),
            (4, 1, 2, 1),
            (2, 3, 8, 3),
        ] {
            let units = thread_units(methods, runs, threads);
            covers(&units, methods, runs);
            assert_eq!(units.len(), methods * slices, "{units:?}");
            let units = thread_units(methods, runs, 1);
            assert_eq!(units.len(), methods, "one thread, whole methods: {units:?}");
        }
        assert!(thread_units(0, 3, 2).is_empty());
    }
}
