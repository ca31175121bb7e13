//! Claims checked in place, beside the page's session: a queue of claims (each on its own seeds
//! or on fresh ones), each run on engines of its own, so the session keeps its runs and its
//! drawing. A claim's links are cut into pieces (a method's slice of runs: `Piece`), the same
//! cut `methodlab check` makes over threads, so the reports, and the verdict, are the CLI's.
//! Plain Rust, tested natively with engines that only record what they are sent; the page
//! (`ui/lab.rs`) makes the engines and draws what [`Checks::card`] and [`Checks::tally`] say.

use super::{Engine, FromEngine, ToEngine};
use crate::claims::{CheckRecord, Claim, Evidence, Outcome, Seeds};
use crate::experiment::Experiment;
use crate::history::RunReport;
use crate::labs::{registry, Lab};
use std::collections::{BTreeMap, VecDeque};

/// A claim to check: its own seeds (`None`) or these. An estimate only times its methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    pub claim: &'static str,
    pub seeds: Option<Seeds>,
    /// Time one run of each method briefly, to say what the check would cost here.
    pub estimate: bool,
}

impl Job {
    /// The check of `claim` on its own seeds.
    pub fn check(claim: &'static str) -> Job {
        Job {
            claim,
            seeds: None,
            estimate: false,
        }
    }
}

/// Milliseconds of training an estimate times each method for.
pub const PROBE_MS: f64 = 400.0;

/// One engine's piece of a check: runs `first..first + runs` of `method` in the claim's
/// `query`-th link.
#[derive(Clone, Debug, PartialEq)]
pub struct Piece {
    pub query: usize,
    pub link: String,
    pub method: String,
    pub first: u32,
    pub runs: u32,
}

impl Piece {
    fn message(&self, estimate: bool) -> ToEngine {
        if estimate {
            return ToEngine::Probe {
                link: self.link.clone(),
                method: self.method.clone(),
                ms: PROBE_MS,
            };
        }
        ToEngine::Check {
            link: self.link.clone(),
            method: self.method.clone(),
            first: self.first,
            runs: self.runs,
        }
    }
}

/// What an engine gave back for a piece.
#[derive(Clone)]
enum Got {
    Reports(Vec<RunReport>),
    /// Milliseconds a training step of one run.
    Ms(f64),
}

/// The pieces of a claim's check on `engines` engines: every method of each of its links, each
/// method's runs cut into up to `engines` slices (the larger first), as the CLI cuts them over
/// threads. `Err` for a link that does not read (a claim's own links always do).
pub fn pieces(
    lab: &'static str,
    claim: &Claim,
    seeds: Option<Seeds>,
    engines: usize,
) -> Result<Vec<Piece>, String> {
    let labs = registry();
    let mut out = Vec::new();
    for query in 0..claim.queries.len() {
        let link = claim.link_on(lab, query, seeds);
        let (exp, problems) = Experiment::from_link(&link, &labs);
        if let Some(p) = problems.first() {
            return Err(format!("the link {link} is bad: {p}"));
        }
        for m in &exp.methods {
            for (first, runs) in slices(exp.runs, engines) {
                out.push(Piece {
                    query,
                    link: link.clone(),
                    method: m.id.clone(),
                    first,
                    runs,
                });
            }
        }
    }
    Ok(out)
}

/// A method's `runs` runs cut for `engines` engines: (first, count) slices of ⌈runs / engines⌉,
/// the last one shorter. A check's pieces and a sweep's are cut alike.
pub fn slices(runs: u32, engines: usize) -> impl Iterator<Item = (u32, u32)> {
    let per = runs.div_ceil(engines.max(1) as u32).max(1);
    (0..runs)
        .step_by(per as usize)
        .map(move |first| (first, per.min(runs - first)))
}

/// The check in progress.
struct Running<E> {
    job: Job,
    /// Counts jobs, so that a message of a stopped job's engine is known for one.
    serial: u64,
    claim: Claim,
    pieces: Vec<Piece>,
    got: Vec<Option<Got>>,
    /// Each engine and the piece it trains.
    engines: Vec<(E, Option<usize>)>,
    next: usize,
    started_ms: f64,
}

impl<E> Running<E> {
    fn runs(&self, done: bool) -> u32 {
        self.pieces
            .iter()
            .zip(&self.got)
            .filter(|(_, g)| g.is_some() || !done)
            .map(|(p, _)| p.runs)
            .sum()
    }
}

/// Where a claim's card stands.
#[derive(Clone, Debug, PartialEq)]
pub enum CardState {
    Idle,
    /// Waiting behind `ahead` other checks.
    Queued {
        ahead: usize,
    },
    Running {
        done: u32,
        total: u32,
        /// Seconds left, once a piece has finished to measure by.
        left_s: Option<f64>,
    },
}

/// How a new engine is made: for job `serial`, engine `slot`, sent `first` first. The page makes
/// a worker whose messages come back to [`Checks::on_message`] with the same two numbers.
pub type Spawn<'a, E> = &'a mut dyn FnMut(u64, usize, ToEngine) -> E;

/// A lab page's checks: the queue, the one running, and every result so far (kept for the
/// page's life, whatever session it shows).
pub struct Checks<E> {
    lab: &'static dyn Lab,
    /// Engines a check trains on (one a core).
    engines: usize,
    /// Where the runs train, as a record says it ("cpu (wasm)").
    backend: String,
    queue: VecDeque<Job>,
    running: Option<Running<E>>,
    serial: u64,
    /// By claim id: the latest check's record, or why it could not run.
    pub results: BTreeMap<&'static str, Result<CheckRecord, String>>,
    /// Every record in the order they finished (an export keeps each, fresh seeds too).
    pub records: Vec<CheckRecord>,
    /// Seconds a slow claim's check would take here, by claim id, once timed (`Err`: why it
    /// could not be).
    pub estimates: BTreeMap<&'static str, Result<f64, String>>,
    /// The whole lab was asked for: the tally is shown.
    pub whole_lab: bool,
    /// Engines of stopped checks, for the page to drop outside their own message handlers.
    retired: Vec<E>,
}

impl<E: Engine> Checks<E> {
    pub fn new(lab: &'static dyn Lab, engines: usize, backend: &str) -> Checks<E> {
        Checks {
            lab,
            engines: engines.max(1),
            backend: backend.into(),
            queue: VecDeque::new(),
            running: None,
            serial: 0,
            results: BTreeMap::new(),
            records: Vec::new(),
            estimates: BTreeMap::new(),
            whole_lab: false,
            retired: Vec::new(),
        }
    }

    fn claim(&self, id: &str) -> Option<Claim> {
        self.lab.claims().into_iter().find(|c| c.id == id)
    }

    /// Queues `job` (once: a claim queued or running is not queued again) and starts it when
    /// nothing runs.
    pub fn ask(&mut self, job: Job, spawn: Spawn<E>, now_ms: f64) {
        let busy = self
            .running
            .as_ref()
            .is_some_and(|r| r.job.claim == job.claim)
            || self.queue.iter().any(|j| j.claim == job.claim);
        if !busy && self.claim(job.claim).is_some() {
            self.queue.push_back(job);
        }
        self.start_next(spawn, now_ms);
    }

    /// Times the slow claims' methods first (a moment each), so their cards say what a check
    /// would cost here, then queues every claim that is not slow, on its own seeds, and shows
    /// the tally.
    pub fn ask_lab(&mut self, spawn: Spawn<E>, now_ms: f64) {
        self.whole_lab = true;
        let claims = self.lab.claims();
        for c in claims.iter().filter(|c| c.slow) {
            if !self.estimates.contains_key(c.id) {
                let job = Job {
                    estimate: true,
                    ..Job::check(c.id)
                };
                self.ask(job, spawn, now_ms);
            }
        }
        for c in claims.iter().filter(|c| !c.slow) {
            let checked =
                matches!(self.results.get(c.id), Some(Ok(r)) if r.seeds == CheckRecord::OWN_SEEDS);
            if !checked {
                self.ask(Job::check(c.id), spawn, now_ms);
            }
        }
    }

    /// Stops `claim`'s check: out of the queue, or its engines stopped and the next one started.
    pub fn cancel(&mut self, claim: &str, spawn: Spawn<E>, now_ms: f64) {
        self.queue.retain(|j| j.claim != claim || j.estimate);
        if self
            .running
            .as_ref()
            .is_some_and(|r| r.job.claim == claim && !r.job.estimate)
        {
            self.stop();
            self.start_next(spawn, now_ms);
        }
    }

    /// Stops everything: the page leaves the lab.
    pub fn cancel_all(&mut self) {
        self.queue.clear();
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            self.retired.extend(r.engines.into_iter().map(|(e, _)| e));
        }
    }

    /// Engines to drop: the page drops them outside the handler of their own message.
    pub fn take_retired(&mut self) -> Vec<E> {
        std::mem::take(&mut self.retired)
    }

    fn start_next(&mut self, spawn: Spawn<E>, now_ms: f64) {
        while self.running.is_none() {
            let Some(job) = self.queue.pop_front() else {
                return;
            };
            let Some(claim) = self.claim(job.claim) else {
                continue;
            };
            // An estimate times one run of each method of each link.
            let cut = if job.estimate {
                usize::MAX
            } else {
                self.engines
            };
            let pieces = match pieces(self.lab.id(), &claim, job.seeds, cut) {
                Ok(p) if job.estimate => p.into_iter().filter(|p| p.first == 0).collect(),
                Ok(p) if !p.is_empty() => p,
                Ok(_) => {
                    self.results
                        .insert(job.claim, Err("no runs to train".into()));
                    continue;
                }
                Err(e) => {
                    self.results.insert(job.claim, Err(e));
                    continue;
                }
            };
            self.serial += 1;
            let mut running = Running {
                job,
                serial: self.serial,
                claim,
                got: vec![None; pieces.len()],
                pieces,
                engines: Vec::new(),
                next: 0,
                started_ms: now_ms,
            };
            for slot in 0..self.engines.min(running.pieces.len()) {
                let msg = running.pieces[slot].message(job.estimate);
                running
                    .engines
                    .push((spawn(running.serial, slot, msg), Some(slot)));
                running.next += 1;
            }
            self.running = Some(running);
        }
    }

    /// An engine's message: `serial` and `slot` as given to `spawn`. A finished piece starts the
    /// next one on that engine; the last one gives the verdict and starts the next claim.
    pub fn on_message(
        &mut self,
        serial: u64,
        slot: usize,
        msg: FromEngine,
        spawn: Spawn<E>,
        now_ms: f64,
    ) {
        let Some(r) = self.running.as_mut().filter(|r| r.serial == serial) else {
            return;
        };
        let got = match msg {
            FromEngine::Checked(Ok(reports)) => Ok(Got::Reports(reports)),
            FromEngine::Probed(Ok(ms)) => Ok(Got::Ms(ms)),
            FromEngine::Checked(Err(why))
            | FromEngine::Probed(Err(why))
            | FromEngine::Failed(why) => Err(why),
            _ => return,
        };
        let failed = match got {
            Ok(got) => {
                let Some(piece) = r.engines.get(slot).and_then(|e| e.1) else {
                    return;
                };
                r.got[piece] = Some(got);
                r.engines[slot].1 = None;
                if r.next < r.pieces.len() {
                    let msg = r.pieces[r.next].message(r.job.estimate);
                    r.engines[slot].0.send(msg);
                    r.engines[slot].1 = Some(r.next);
                    r.next += 1;
                }
                None
            }
            Err(why) => Some(why),
        };
        let (id, estimate) = (r.job.claim, r.job.estimate);
        if let Some(why) = failed {
            if estimate {
                self.estimates.insert(id, Err(why));
            } else {
                self.results
                    .insert(id, Err(format!("the check stopped: {why}")));
            }
            self.stop();
        } else if r.got.iter().all(Option::is_some) && estimate {
            let seconds = self
                .estimate()
                .ok_or_else(|| "a method was not timed".to_string());
            self.estimates.insert(id, seconds);
            self.stop();
        } else if r.got.iter().all(Option::is_some) {
            let record = self.record(now_ms);
            self.results.insert(id, Ok(record.clone()));
            self.records.push(record);
            self.stop();
        }
        self.start_next(spawn, now_ms);
    }

    /// What the running estimate's timings make of its claim's check here: each piece of the
    /// check its method's milliseconds a step × its runs × the link's steps, the engines
    /// sharing the pieces.
    fn estimate(&self) -> Option<f64> {
        let r = self.running.as_ref()?;
        let labs = registry();
        let check = pieces(self.lab.id(), &r.claim, r.job.seeds, self.engines).ok()?;
        let mut ms = 0.0;
        for p in &check {
            let timed = r.pieces.iter().zip(&r.got).find_map(|(q, g)| match g {
                Some(Got::Ms(ms)) if q.query == p.query && q.method == p.method => Some(*ms),
                _ => None,
            })?;
            let (exp, _) = Experiment::from_link(&p.link, &labs);
            ms += timed * p.runs as f64 * self.lab.total_steps(&exp) as f64;
        }
        Some(ms / 1000.0 / self.engines as f64)
    }

    /// The verdict of the running check, every piece in.
    fn record(&self, now_ms: f64) -> CheckRecord {
        let r = self.running.as_ref().expect("a running check");
        let mut runs: Vec<BTreeMap<String, Vec<RunReport>>> =
            vec![BTreeMap::new(); r.claim.queries.len()];
        // Pieces are in (query, method, first) order: each method's runs in seed order.
        for (piece, got) in r.pieces.iter().zip(&r.got) {
            if let Some(Got::Reports(reports)) = got {
                runs[piece.query]
                    .entry(piece.method.clone())
                    .or_default()
                    .extend(reports.iter().cloned());
            }
        }
        CheckRecord {
            lab: self.lab.id().into(),
            seeds: r
                .job
                .seeds
                .map_or(CheckRecord::OWN_SEEDS.into(), |s| s.to_string()),
            backend: self.backend.clone(),
            seconds: ((now_ms - r.started_ms) / 1000.0).max(0.0),
            verdict: r.claim.evaluate(&Evidence { runs }),
        }
    }

    /// Where `claim`'s card stands.
    pub fn card(&self, claim: &str, now_ms: f64) -> CardState {
        if let Some(r) = self
            .running
            .as_ref()
            .filter(|r| r.job.claim == claim && !r.job.estimate)
        {
            let (done, total) = (r.runs(true), r.runs(false));
            let elapsed = (now_ms - r.started_ms) / 1000.0;
            return CardState::Running {
                done,
                total,
                left_s: (done > 0).then(|| elapsed / done as f64 * (total - done) as f64),
            };
        }
        match self
            .queue
            .iter()
            .position(|j| j.claim == claim && !j.estimate)
        {
            Some(i) => CardState::Queued {
                ahead: i + usize::from(self.running.is_some()),
            },
            None => CardState::Idle,
        }
    }

    /// Whether any check runs or waits.
    pub fn busy(&self) -> bool {
        self.running.is_some() || !self.queue.is_empty()
    }

    /// The lab's tally once the whole lab was asked for: "5 of 6 supported on your machine, 1
    /// not supported as recorded", over its claims that are not slow, checked on their own
    /// seeds; "4 of 6 checked" while some still run.
    pub fn tally(&self) -> Option<String> {
        if !self.whole_lab {
            return None;
        }
        let claims: Vec<Claim> = self.lab.claims().into_iter().filter(|c| !c.slow).collect();
        let checked: Vec<(&Claim, &CheckRecord)> = claims
            .iter()
            .filter_map(|c| match self.results.get(c.id) {
                Some(Ok(r)) if r.seeds == CheckRecord::OWN_SEEDS => Some((c, r)),
                _ => None,
            })
            .collect();
        let n = claims.len();
        let count = |f: &dyn Fn(&Claim, Outcome) -> bool| {
            checked
                .iter()
                .filter(|(c, r)| f(c, r.verdict.verdict))
                .count()
        };
        let supported = count(&|_, o| o == Outcome::Supported);
        let mut parts = vec![format!("{supported} of {n} supported on your machine")];
        let as_recorded = count(&|c, o| o == Outcome::NotSupported && c.expect == o);
        if as_recorded > 0 {
            parts.push(format!("{as_recorded} not supported as recorded"));
        }
        let differ = count(&|c, o| o == Outcome::NotSupported && c.expect != o);
        if differ > 0 {
            parts.push(format!(
                "{differ} not supported where supported is recorded"
            ));
        }
        let thin = count(&|_, o| matches!(o, Outcome::NotEnoughEvidence | Outcome::NotApplicable));
        if thin > 0 {
            parts.push(format!("{thin} without enough evidence"));
        }
        let failed = claims
            .iter()
            .filter(|c| matches!(self.results.get(c.id), Some(Err(_))))
            .count();
        if failed > 0 {
            parts.push(format!("{failed} could not run"));
        }
        let mut text = parts.join(", ");
        if checked.len() + failed < n {
            text = format!("{} of {n} checked: {text}", checked.len() + failed);
        }
        Some(text)
    }

    /// Every record so far as JSON: a list of what `methodlab check <claim>` prints.
    pub fn export(&self) -> String {
        serde_json::to_string_pretty(&self.records).unwrap_or_else(|_| "[]".into())
    }
}
