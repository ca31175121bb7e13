//! A lab page's training session in plain Rust: how an experiment's methods and runs are shared
//! out over engines (one per core), what each engine last said, and what a press or an engine's
//! message changes. The page (`ui/lab.rs`) keeps one, hands it the presses and the engines'
//! messages, and draws what [`Session::summary`] and [`Session::views`] give; it never decides
//! anything about the runs itself. Tested natively, with engines that only record what they are
//! sent.

pub mod checks;
pub mod sweeps;
mod wire;

pub use wire::{BackendStatus, Frame, FromEngine, ToEngine};

use crate::claims::Verdict;
use crate::experiment::{BackendChoice, Experiment};
use crate::history::{ExperimentReport, RunReport};
use crate::labs::{Lab, LabDecl};
use crate::runner::{claim_rows, ClaimRow};
use crate::views::Views;
use std::collections::BTreeMap;

/// An engine as the session sees it: somewhere to send messages. The page's is a worker or the
/// page itself (`ui::engine::EngineHandle`).
pub trait Engine {
    /// Sends a press: a frame trusts `running` and `playing` only once it has seen every press.
    fn send(&self, msg: ToEngine);
    /// Sends what is not a press (`Histories`, `Draw`, `Resend`).
    fn forward(&self, msg: ToEngine);
    /// Presses sent so far, the start included.
    fn sent(&self) -> u32;
    /// In a worker of its own (else in the page).
    fn in_worker(&self) -> bool;
}

/// An engine's share of a session: its methods, and its slice of each one's runs (first,
/// count; empty: all of them).
pub type Share = (Vec<String>, Vec<(u32, u32)>);

/// How a session trains `exp` on `cores` cores. A forced GPU trains in one engine: one device
/// queue, as the CLI does. Otherwise the runs are split over about one engine per core, each
/// training every method on a slice of them (balanced whatever the methods cost); with a
/// single run, the methods are, where the lab's views of a share of them merge (`split`,
/// `Lab::views_split`).
pub fn plan(exp: &Experiment, split: bool, cores: usize) -> Vec<Share> {
    let methods: Vec<String> = exp.methods.iter().map(|m| m.id.clone()).collect();
    let gpu_forced = exp.backend == BackendChoice::Gpu;
    if !gpu_forced && exp.runs > 1 {
        let n = engines_for_runs(cores, methods.len(), exp.runs);
        run_slices(methods.len(), exp.runs, n)
            .into_iter()
            .map(|slices| (methods.clone(), slices))
            .collect()
    } else if split && !gpu_forced {
        shares(&methods, cores.clamp(1, methods.len().max(1)))
            .into_iter()
            .map(|share| (share, Vec::new()))
            .collect()
    } else {
        vec![(methods, Vec::new())]
    }
}

/// How many engines train `methods` methods of `runs` runs each, split by runs (`run_slices`),
/// on `cores` cores: the count, from one per core up to two per core (and one per run), whose
/// busiest engine finishes first, the cores shared fairly. Runs are not cut, so one engine per
/// core can leave a core idle: 3 runs on 2 cores as 2 + 1 take 2 run-times, as 3 engines of 1
/// run sharing the 2 cores 1.5. Ties go to fewer engines (less memory, a shorter start).
pub fn engines_for_runs(cores: usize, methods: usize, runs: u32) -> usize {
    let cores = cores.max(1);
    let most = (2 * cores).min(runs.max(1) as usize).max(1);
    let work = (methods * runs as usize) as f64;
    let makespan = |n: usize| {
        let busiest = run_slices(methods, runs, n)
            .iter()
            .map(|slices| slices.iter().map(|&(_, count)| count).sum::<u32>())
            .max()
            .unwrap_or(0);
        (work / cores as f64).max(busiest as f64)
    };
    let fewest = cores.min(most);
    (fewest..=most).fold(fewest, |best, n| {
        if makespan(n) < makespan(best) - 1e-9 {
            n
        } else {
            best
        }
    })
}

/// How `methods` methods of `runs` runs each go to `n` engines (at most `runs`): engine e
/// trains the e-th contiguous slice of every method's runs, (first, count). Where the runs do
/// not divide evenly, the larger slices go to a different engine for each method, so that the
/// engines' shares differ by a run at most, whatever the methods cost.
pub fn run_slices(methods: usize, runs: u32, n: usize) -> Vec<Vec<(u32, u32)>> {
    let n = n.clamp(1, runs.max(1) as usize);
    let (base, extra) = (runs / n as u32, runs as usize % n);
    let mut out = vec![Vec::new(); n];
    for m in 0..methods {
        let mut first = 0;
        for (e, slices) in out.iter_mut().enumerate() {
            let count = base + u32::from((e + n - m % n) % n < extra);
            slices.push((first, count));
            first += count;
        }
    }
    out
}

/// `items` in `n` contiguous shares as even as can be, in order (so the views of the shares
/// one after the other are in the session's order).
pub fn shares<T: Clone>(items: &[T], n: usize) -> Vec<Vec<T>> {
    let n = n.clamp(1, items.len().max(1));
    let (base, extra) = (items.len() / n, items.len() % n);
    let mut out = Vec::new();
    let mut at = 0;
    for i in 0..n {
        let len = base + usize::from(i < extra);
        out.push(items[at..at + len].to_vec());
        at += len;
    }
    out
}

/// One engine of a session and what it last said.
pub struct Slot<E> {
    pub engine: E,
    /// What started it (to start it again in the page).
    pub start: ToEngine,
    /// Whether it has said anything: a worker that fails before it has never started.
    pub heard: bool,
    pub methods: Vec<String>,
    /// Its slice of each method's runs, (first, count), when the session's runs are split.
    pub runs: Vec<(u32, u32)>,
    pub step: u32,
    pub rate: f64,
    pub running: bool,
    pub playing: bool,
    pub ready: bool,
    pub views: Views,
    pub status: String,
    pub badge: Option<BackendStatus>,
    /// Why its worker failed: its methods stop, the others go on.
    pub failed: Option<String>,
    /// Reports of its methods that have finished.
    pub finished: BTreeMap<String, Vec<RunReport>>,
    /// What it holds: GPU buffers and wasm bytes.
    pub live: (u32, f64),
}

impl<E: Engine> Slot<E> {
    /// What a press just sent makes of the engine until a frame that has seen it says more.
    fn pressed(&mut self, msg: &ToEngine) {
        match msg {
            ToEngine::Play => (self.playing, self.running) = (true, true),
            ToEngine::Step => (self.playing, self.running) = (false, true),
            ToEngine::Pause => self.playing = false,
            _ => {}
        }
    }

    /// Who it trains, for a message: "plain, adam" or "plain runs 1–3, adam runs 1–3".
    fn what(&self) -> String {
        if self.runs.is_empty() {
            return self.methods.join(", ");
        }
        let runs: Vec<String> = (self.methods.iter().zip(&self.runs))
            .map(|(m, &(first, n))| match n {
                1 => format!("{m} run {}", first + 1),
                _ => format!("{m} runs {}–{}", first + 1, first + n),
            })
            .collect();
        runs.join(", ")
    }
}

/// An export waiting for every engine's reports: CSV or JSON, and each engine's so far
/// (where it trains, and its runs' reports).
type Export = (bool, Vec<Option<(String, Vec<RunReport>)>>);

/// The page's training session: its engines, which experiment it belongs to (a generation the
/// page bumps at every reset), and what it has gathered.
pub struct Session<E> {
    pub engines: Vec<Slot<E>>,
    pub generation: u32,
    /// Claims' verdicts once their runs have finished (they change no more).
    verdicts: BTreeMap<&'static str, Verdict>,
    export: Option<Export>,
    /// The status the engines last gave the page: it is shown again only when it changes, so
    /// that the page's own messages ("link copied") stay until the engines say something new.
    status: String,
}

/// What the page draws of a session, from what its engines last said.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// The slowest live engine's step.
    pub step: u32,
    /// The session's pace: its slowest engine's.
    pub rate: f64,
    pub running: bool,
    /// Every live engine has its runs built and placed: Play trains at once.
    pub ready: bool,
    /// Engines in workers of their own.
    pub workers: usize,
    /// No live engine plays.
    pub paused: bool,
    /// The engines' status, when it changed since the last summary (a failed worker's first).
    pub status: Option<String>,
    /// What the first live engine's badge says.
    pub badge: Option<BackendStatus>,
    /// What the workers hold, together: GPU buffers and wasm bytes (an engine in the page is
    /// the page's own).
    pub live: (u32, f64),
}

/// What the page does after an engine's message.
#[derive(Debug, PartialEq)]
pub enum Received {
    /// Redraw: the views (`views`), the claims (`finished`), or only the summary.
    Changed { views: bool, finished: bool },
    /// The GPU is gone: the page falls back to the CPU and starts a new session there.
    DeviceLost(String),
    /// A worker that never started (why): its share trains in the page instead
    /// ([`Session::replace`]).
    StartInPage(String),
    /// Every engine's reports are in: the export, by method, to download (CSV when `csv`).
    Export { csv: bool, report: ExperimentReport },
}

impl<E: Engine> Session<E> {
    /// A session of `generation` on these engines, each with its start message and share.
    pub fn new(generation: u32, engines: Vec<(E, ToEngine, Share)>) -> Session<E> {
        Session {
            engines: engines
                .into_iter()
                .map(|(engine, start, (methods, runs))| Slot {
                    engine,
                    start,
                    heard: false,
                    methods,
                    runs,
                    step: 0,
                    rate: 0.0,
                    running: false,
                    playing: false,
                    ready: false,
                    views: Views::default(),
                    status: String::new(),
                    badge: None,
                    failed: None,
                    finished: BTreeMap::new(),
                    live: (0, 0.0),
                })
                .collect(),
            generation,
            verdicts: BTreeMap::new(),
            export: None,
            status: String::new(),
        }
    }

    /// Sends a press to every live engine. Play and Step end the page's own message; the
    /// engines' comes back with their next frame.
    pub fn press(&mut self, msg: &ToEngine) {
        if matches!(msg, ToEngine::Play | ToEngine::Step) {
            self.status.clear();
        }
        for e in self.engines.iter_mut().filter(|e| e.failed.is_none()) {
            e.engine.send(msg.clone());
            e.pressed(msg);
        }
    }

    /// Asks every engine for its reports, for an export (CSV when `csv`).
    pub fn ask_export(&mut self, csv: bool) {
        self.export = Some((csv, self.engines.iter().map(|_| None).collect()));
        self.press(&ToEngine::Reports);
    }

    /// Engine `slot`'s share trains in `engine` from now on (its worker never started), from
    /// where the presses left it.
    pub fn replace(&mut self, slot: usize, engine: E, backend: BackendChoice, speed: u32) {
        let Some(e) = self.engines.get_mut(slot) else {
            return;
        };
        e.engine = engine;
        e.engine.send(ToEngine::Backend(backend.as_str().into()));
        if speed != u32::MAX {
            e.engine.send(ToEngine::Speed(speed));
        }
        if e.playing {
            e.engine.send(ToEngine::Play);
        } else if e.running {
            e.engine.send(ToEngine::Step);
        }
    }

    /// What engine `slot` said; `exp` and `lab` name an export's runs.
    pub fn receive(
        &mut self,
        slot: usize,
        msg: FromEngine,
        exp: &Experiment,
        lab: &LabDecl,
    ) -> Received {
        let (mut views, mut finished) = (false, false);
        let mut forward = None;
        let mut promote = false;
        // The engine that draws the session: the first live one.
        let drawer = self.engines.iter().position(|e| e.failed.is_none());
        let Some(e) = self.engines.get_mut(slot) else {
            return Received::Changed {
                views,
                finished: false,
            };
        };
        if !matches!(msg, FromEngine::Failed(_)) {
            e.heard = true;
        }
        match msg {
            FromEngine::Frame(f) => {
                e.step = f.step;
                e.live = f.live;
                e.ready = f.ready;
                if let Some(r) = f.rate {
                    e.rate = r;
                }
                // A frame sent before the engine saw the latest press says nothing about what
                // that press started or stopped.
                if f.seen >= e.engine.sent() {
                    e.running = f.running;
                    e.playing = f.playing;
                }
                if let Some(v) = f.views {
                    e.views = v;
                    views = true;
                }
                // A later slice's runs: the first slice's engine draws them.
                if let Some(histories) = f.histories {
                    let slot = slot as u32;
                    forward = Some(ToEngine::Histories { slot, histories });
                }
                for (m, reports) in f.finished {
                    e.finished.insert(m, reports);
                    finished = true;
                }
            }
            FromEngine::Badge(b) => e.badge = Some(b),
            FromEngine::Status(t) => e.status = t,
            FromEngine::DeviceLost(why) => return Received::DeviceLost(why),
            FromEngine::Reports { backend, reports } => {
                if let Some((_, parts)) = self.export.as_mut() {
                    parts[slot] = Some((backend, reports));
                }
                let complete = self.export.as_ref().is_some_and(|(_, parts)| {
                    (parts.iter().zip(&self.engines))
                        .all(|(p, e)| p.is_some() || e.failed.is_some())
                });
                if complete {
                    if let Some((csv, parts)) = self.export.take() {
                        let report = export_report(parts, exp, lab);
                        return Received::Export { csv, report };
                    }
                }
            }
            // A check's answer: checks have engines of their own (`checks`).
            FromEngine::Checked(_) | FromEngine::Probed(_) => {}
            FromEngine::Failed(why) if !e.heard && e.engine.in_worker() => {
                return Received::StartInPage(why);
            }
            FromEngine::Failed(why) => {
                let drew = drawer == Some(slot) && !e.runs.is_empty();
                e.failed = Some(why);
                e.running = false;
                e.playing = false;
                if drew {
                    // It drew the session: the next live engine of the split draws from now
                    // on, and the others send it their histories again; the failed runs leave
                    // the views (the status names them).
                    e.views = Views::default();
                    views = true;
                    promote = true;
                }
            }
        }
        if let Some(d) = self.engines.iter().position(|e| e.failed.is_none()) {
            if promote {
                self.engines[d].engine.forward(ToEngine::Draw);
                for other in self.engines.iter().skip(d + 1) {
                    if other.failed.is_none() {
                        other.engine.forward(ToEngine::Resend);
                    }
                }
            }
            if let Some(msg) = forward {
                self.engines[d].engine.forward(msg);
            }
        }
        Received::Changed { views, finished }
    }

    /// What the page draws now. The status comes only when it changed.
    pub fn summary(&mut self) -> Summary {
        let live: Vec<&Slot<E>> = self.engines.iter().filter(|e| e.failed.is_none()).collect();
        let failed = self.engines.iter().find_map(|e| {
            let why = e.failed.as_ref()?;
            Some(format!("{} stopped: its worker failed: {why}", e.what()))
        });
        let status = failed
            .or_else(|| {
                self.engines
                    .iter()
                    .map(|e| e.status.clone())
                    .find(|t| !t.is_empty())
            })
            .unwrap_or_default();
        let summary = Summary {
            step: live.iter().map(|e| e.step).min().unwrap_or(0),
            rate: live.iter().map(|e| e.rate).reduce(f64::min).unwrap_or(0.0),
            running: live.iter().any(|e| e.running),
            ready: !live.is_empty() && live.iter().all(|e| e.ready),
            workers: self.engines.iter().filter(|e| e.engine.in_worker()).count(),
            paused: live.iter().all(|e| !e.playing),
            status: (status != self.status).then(|| status.clone()),
            badge: live.first().and_then(|e| e.badge.clone()),
            live: (live.iter())
                .filter(|e| e.engine.in_worker())
                .fold((0, 0.0), |(g, b), e| (g + e.live.0, b + e.live.1)),
        };
        self.status = status;
        summary
    }

    /// The session's views: each engine's, merged in the session's order.
    pub fn views(&self) -> Views {
        Views::merge(self.engines.iter().map(|e| e.views.clone()))
    }

    /// The claims' rows: a method's runs, in order, from every engine that trains some of
    /// them; it has finished when each of those has finished it.
    pub fn claims(&mut self, lab: &dyn Lab, exp: &Experiment) -> Vec<ClaimRow> {
        let engines = &self.engines;
        let reports = |m: &str| {
            engines
                .iter()
                .filter_map(|e| e.finished.get(m))
                .flatten()
                .cloned()
                .collect()
        };
        let finished = |m: &str| {
            let training: Vec<&Slot<E>> = (engines.iter())
                .filter(|e| e.methods.iter().any(|x| x == m))
                .collect();
            !training.is_empty() && training.iter().all(|e| e.finished.contains_key(m))
        };
        claim_rows(lab, exp, true, &finished, &reports, &mut self.verdicts)
    }
}

/// An export from every engine's reports: where they trained, and the runs by method, each
/// method's runs in order, as one engine (and the CLI) lists them.
pub fn export_report(
    parts: Vec<Option<(String, Vec<RunReport>)>>,
    exp: &Experiment,
    lab: &LabDecl,
) -> ExperimentReport {
    let mut backends = Vec::new();
    let mut runs = Vec::new();
    for (backend, reports) in parts.into_iter().flatten() {
        if !backends.contains(&backend) {
            backends.push(backend);
        }
        runs.extend(reports);
    }
    runs.sort_by_key(|r| exp.methods.iter().position(|m| m.id == r.method));
    ExperimentReport {
        lab: lab.id.to_string(),
        experiment: exp.to_link(lab),
        backend: backends.join(" + "),
        runs,
    }
}

#[cfg(test)]
mod tests;
