//! A lab page's training engine: the session's driver, stepped off the page's main thread in a
//! dedicated Web Worker with its own wasm instance (the page's own bundle, started by
//! `assets/worker.js`), or in the page itself where no worker can start. The page sends it the
//! experiment's link and the controls' presses ([`ToEngine`]); it sends back what the page shows
//! ([`FromEngine`]): the step, the views when they change, the claims, the badge. The page only
//! draws and handles input, so it stays responsive however long a step takes.
//!
//! Both sides speak bincode (f32 NaN, a diverged run's value, survives it; JSON has no NaN).

use super::browser::{before, fetch_bytes, live_counts, now_ms, sleep_ms, yield_now, yield_task};
use super::{adapter_detail, BackendStatus};
use crate::data::digits;
use crate::engine::gpu::GpuContext;
use crate::engine::EngineError;
use crate::experiment::{BackendChoice, Experiment};
use crate::history::History;
use crate::labs::registry;
use crate::runner::Driver;
use crate::session::{Frame, FromEngine, ToEngine};
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Milliseconds of training per batch the loop aims for. In the page a batch must fit a 60 fps
/// frame; in a worker it only bounds how long a pause waits. On the GPU, waiting for the queue
/// costs a round trip of its own, so batches are longer to pay it.
const PAGE_BATCH_MS: f64 = 12.0;
const WORKER_BATCH_MS: f64 = 20.0;
const GPU_BATCH_MS: f64 = 40.0;
/// Progress frames at most this often while training (the page's step counter): each one costs
/// the page a layout and a paint, and a batch lands every 20 ms.
const FRAME_EVERY_MS: f64 = 50.0;
/// Views at most this often while training (the page redraws them), and less often when
/// building them costs more than 1/25 of the time between them (long histories).
const VIEWS_EVERY_MS: f64 = 100.0;
const VIEWS_SHARE: f64 = 25.0;
const VIEWS_EVERY_MAX_MS: f64 = 1000.0;
/// Wall time `auto` spends timing the CPU on the session's own steps, and at most on a copy of
/// the session on the GPU (building it included) when a CPU step is quick.
const AUTO_CPU_MS: f64 = 100.0;
const AUTO_GPU_MS: f64 = 220.0;

/// What a press asks of the training loop.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Drive {
    /// Train until paused or finished.
    Play,
    /// Train to the next observation.
    Step,
    /// Only place the runs where the backend choice says (a switch while paused).
    Place,
    /// Get ready before any press: build the runs, make the device, place them (auto times
    /// copies of them, so no step is taken).
    Prepare,
}

/// The engine's state between messages.
struct State {
    exp: Option<Experiment>,
    /// The methods it trains.
    methods: Vec<String>,
    /// Its slice of each method's runs, (first, count), when the runs are split over engines.
    runs: Vec<(u32, u32)>,
    /// The later slices' histories, by the place of their engine, for the engine of the first
    /// slices to draw.
    others: BTreeMap<u32, Vec<(String, History)>>,
    /// Counts the histories received, so that the views are drawn again.
    others_revision: u64,
    /// It draws the session (the first slices' engine, or the one the page promoted when that
    /// one failed); the others send their histories to it.
    draws: bool,
    /// Methods whose finished reports the page has.
    announced: BTreeSet<String>,
    /// The page found an adapter: the engine may make a device.
    gpu_allowed: bool,
    fusion: Option<bool>,
    step: Option<bool>,
    /// The page's adapter check, in words.
    adapter: String,
    /// This engine's device, made on first need; `Err` says why there is none.
    ctx: Option<Result<Rc<GpuContext>, String>>,
    driver: Option<Driver>,
    /// The backend choice the runs were last placed by.
    placed: Option<BackendChoice>,
    playing: bool,
    speed: u32,
    running: bool,
    /// Presses that came while a loop ran: it makes them before it stops.
    step_asked: bool,
    seen: u32,
    /// The driver and histories revisions the page last got views (or histories) for.
    shown: Option<(u64, u64)>,
    last_views_ms: f64,
    last_frame_ms: f64,
    /// What building the views last cost.
    views_cost_ms: f64,
}

/// A session's engine. `post` carries its messages to the page.
pub struct Engine {
    post: Box<dyn Fn(FromEngine)>,
    in_worker: bool,
    state: RefCell<State>,
}

impl Engine {
    pub fn new(in_worker: bool, post: Box<dyn Fn(FromEngine)>) -> Rc<Engine> {
        Rc::new(Engine {
            post,
            in_worker,
            state: RefCell::new(State {
                exp: None,
                methods: Vec::new(),
                runs: Vec::new(),
                others: BTreeMap::new(),
                others_revision: 0,
                draws: true,
                announced: BTreeSet::new(),
                gpu_allowed: false,
                fusion: None,
                step: None,
                adapter: String::new(),
                ctx: None,
                driver: None,
                placed: None,
                playing: false,
                speed: u32::MAX,
                running: false,
                step_asked: false,
                seen: 0,
                shown: None,
                last_views_ms: f64::NEG_INFINITY,
                last_frame_ms: f64::NEG_INFINITY,
                views_cost_ms: 0.0,
            }),
        })
    }

    fn status(&self, s: impl Into<String>) {
        (self.post)(FromEngine::Status(s.into()));
    }

    /// Says what the loop is doing, unless it is getting ready with no press waiting for it.
    fn doing(&self, mode: Drive, s: &str) {
        let st = self.state.borrow();
        let waited_for = mode != Drive::Prepare || st.playing || st.step_asked;
        drop(st);
        if waited_for {
            self.status(s);
        }
    }

    /// Handles one message from the page.
    pub fn handle(self: &Rc<Self>, msg: ToEngine) {
        let mut st = self.state.borrow_mut();
        if !matches!(
            msg,
            ToEngine::Histories { .. } | ToEngine::Draw | ToEngine::Resend
        ) {
            st.seen += 1;
        }
        let idle = !st.running;
        match msg {
            ToEngine::Start {
                link,
                methods,
                runs,
                gpu,
                adapter,
                fusion,
                step,
            } => {
                let (exp, _) = Experiment::from_link(&link, &registry());
                st.exp = Some(exp);
                st.methods = methods;
                st.draws = runs.iter().all(|&(first, _)| first == 0);
                st.runs = runs;
                st.gpu_allowed = gpu;
                st.fusion = fusion;
                st.step = step;
                st.adapter = adapter;
                drop(st);
                self.spawn(Drive::Prepare);
            }
            ToEngine::Play => {
                st.playing = true;
                drop(st);
                self.spawn(Drive::Play);
            }
            ToEngine::Pause => {
                st.playing = false;
                drop(st);
                // Say so at once when nothing is running (the page waits for `running` to end).
                if idle {
                    self.frame(true);
                }
            }
            ToEngine::Step => {
                st.playing = false;
                if idle {
                    drop(st);
                    self.spawn(Drive::Step);
                } else {
                    st.step_asked = true;
                }
            }
            ToEngine::Speed(n) => st.speed = n.max(1),
            ToEngine::Backend(choice) => {
                let choice = BackendChoice::parse(&choice).unwrap_or_default();
                if let Some(exp) = st.exp.as_mut() {
                    exp.backend = choice;
                }
                // A running loop moves the runs at its next batch, or before it stops.
                if idle && st.driver.is_some() {
                    drop(st);
                    self.spawn(Drive::Place);
                }
            }
            ToEngine::Reports => {
                let (backend, reports) = match &st.driver {
                    Some(d) => (if d.on_gpu() { "webgpu" } else { "cpu" }, d.reports()),
                    None => ("cpu", Vec::new()),
                };
                drop(st);
                (self.post)(FromEngine::Reports {
                    backend: backend.into(),
                    reports,
                });
            }
            ToEngine::LoseDevice => {
                if let Some(Ok(ctx)) = &st.ctx {
                    ctx.device.destroy();
                }
            }
            ToEngine::Draw | ToEngine::Resend => {
                st.draws |= matches!(msg, ToEngine::Draw);
                st.shown = None;
                if idle {
                    drop(st);
                    self.frame(true);
                }
            }
            ToEngine::Check {
                link,
                method,
                first,
                runs,
            } => {
                drop(st);
                let me = self.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let out = me.check_piece(&link, &method, first, runs).await;
                    (me.post)(FromEngine::Checked(out));
                });
            }
            ToEngine::Probe { link, method, ms } => {
                drop(st);
                let me = self.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let out = me.probe(&link, &method, ms).await;
                    (me.post)(FromEngine::Probed(out));
                });
            }
            ToEngine::Histories { slot, histories } => {
                st.others.insert(slot, histories);
                st.others_revision += 1;
                // A running loop draws them at its next batch; an idle engine now.
                if idle {
                    drop(st);
                    self.frame(true);
                }
            }
        }
    }

    /// Trains a piece of a claim's check to its end on the CPU: its runs' reports. In the page
    /// it yields between observations, so the page stays responsive; a worker just trains.
    async fn check_piece(
        &self,
        link: &str,
        method: &str,
        first: u32,
        runs: u32,
    ) -> Result<Vec<crate::history::RunReport>, String> {
        use crate::runner::piece_driver;
        let mut built = piece_driver(link, method, first, runs).await;
        if built.is_err() && digits::wanted() {
            fetch_digits().await?;
            built = piece_driver(link, method, first, runs).await;
        }
        let mut driver = built.map_err(|e| format!("{method}: {e}"))?;
        while !driver.finished() {
            let every = driver.every.max(1);
            driver
                .train_group(0, every)
                .await
                .map_err(|e| format!("{method}: {e}"))?;
            if !self.in_worker {
                yield_now().await;
            }
        }
        Ok(driver.reports())
    }

    /// Milliseconds a training step of one run of `method` in `link` takes here: trained for
    /// about `ms` (or to its end), its build not counted.
    async fn probe(&self, link: &str, method: &str, ms: f64) -> Result<f64, String> {
        use crate::runner::piece_driver;
        let mut built = piece_driver(link, method, 0, 1).await;
        if built.is_err() && digits::wanted() {
            fetch_digits().await?;
            built = piece_driver(link, method, 0, 1).await;
        }
        let mut driver = built.map_err(|e| format!("{method}: {e}"))?;
        let (start, first) = (now_ms(), driver.step());
        while !driver.finished() && now_ms() - start < ms {
            driver
                .train_group(0, driver.every.max(1))
                .await
                .map_err(|e| format!("{method}: {e}"))?;
        }
        let steps = driver.step() - first;
        Ok((now_ms() - start) / f64::from(steps.max(1)))
    }

    fn spawn(self: &Rc<Self>, mode: Drive) {
        if self.state.borrow().running {
            return;
        }
        self.state.borrow_mut().running = true;
        let me = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            me.frame(false);
            me.drive(mode).await;
            me.state.borrow_mut().running = false;
            me.frame(true);
        });
    }

    /// Tells the page where the session is; the views and claims too when they changed and
    /// `force` or enough time has passed since the last ones.
    fn frame(&self, force: bool) {
        let mut guard = self.state.borrow_mut();
        let st = &mut *guard;
        if !force && now_ms() - st.last_frame_ms < FRAME_EVERY_MS {
            return;
        }
        st.last_frame_ms = now_ms();
        let mut frame = Frame {
            seen: st.seen,
            running: st.running,
            playing: st.playing,
            ready: st.driver.is_some() && st.placed.is_some(),
            live: live_counts(),
            ..Frame::default()
        };
        let every = (VIEWS_SHARE * st.views_cost_ms).clamp(VIEWS_EVERY_MS, VIEWS_EVERY_MAX_MS);
        let due = force || now_ms() - st.last_views_ms >= every;
        let later_slice = !st.draws;
        if let Some(d) = st.driver.as_mut() {
            frame.step = d.step();
            let revision = (d.revision(), st.others_revision);
            if due && st.shown != Some(revision) {
                let t0 = now_ms();
                if later_slice {
                    frame.histories = Some(
                        d.groups
                            .iter()
                            .map(|g| (g.method().to_string(), g.history().clone()))
                            .collect(),
                    );
                } else if st.others.is_empty() {
                    frame.views = Some(d.views());
                } else {
                    frame.views = Some(d.views_with(st.others.values().flatten()));
                }
                st.shown = Some(revision);
                st.last_views_ms = now_ms();
                st.views_cost_ms = st.last_views_ms - t0;
            }
            for (i, g) in d.groups.iter().enumerate() {
                if g.step() >= d.total && st.announced.insert(g.method().to_string()) {
                    let reports = d.group_reports(i);
                    frame.finished.push((g.method().to_string(), reports));
                }
            }
        }
        drop(guard);
        (self.post)(FromEngine::Frame(frame));
    }

    fn set_rate(&self, rate: f64) {
        let st = self.state.borrow();
        let frame = Frame {
            seen: st.seen,
            running: st.running,
            playing: st.playing,
            rate: Some(rate),
            step: st.driver.as_ref().map_or(0, |d| d.step()),
            ..Frame::default()
        };
        drop(st);
        (self.post)(FromEngine::Frame(frame));
    }

    /// The engine's device, made the first time a choice needs one.
    async fn device(&self) -> Option<Rc<GpuContext>> {
        if !self.state.borrow().gpu_allowed {
            return None;
        }
        if self.state.borrow().ctx.is_none() {
            let (fusion, step) = (self.state.borrow().fusion, self.state.borrow().step);
            let made = GpuContext::new()
                .await
                .map(|ctx| {
                    let ctx = match fusion {
                        Some(on) => ctx.with_fusion(on),
                        None => ctx,
                    };
                    Rc::new(ctx.with_step(step == Some(true)))
                })
                .map_err(|e| e.to_string());
            self.state.borrow_mut().ctx = Some(made);
        }
        match &self.state.borrow().ctx {
            Some(Ok(ctx)) => Some(ctx.clone()),
            _ => None,
        }
    }

    /// Why the engine has no device: its own failure to make one, or the page's check.
    fn no_device_reason(&self) -> String {
        let st = self.state.borrow();
        match &st.ctx {
            Some(Err(e)) => e.clone(),
            _ => st.adapter.clone(),
        }
    }

    async fn yield_now(&self) {
        if self.in_worker {
            yield_task().await
        } else {
            yield_now().await
        }
    }

    /// Builds the session if need be, then trains while playing (or to the next observation,
    /// or only places the runs). The driver observes on its schedule, so the page's histories
    /// are the CLI's for the same link; the engine only sizes each batch.
    async fn drive(self: &Rc<Self>, mut mode: Drive) {
        let Some(exp) = self.state.borrow().exp.clone() else {
            return;
        };
        if self.state.borrow().driver.is_none() {
            if mode == Drive::Place {
                return;
            }
            self.doing(mode, "building…");
            // A forced GPU builds there; auto and cpu build on the CPU (auto then times both).
            let ctx = if exp.backend == BackendChoice::Gpu {
                self.device().await
            } else {
                None
            };
            let (methods, runs) = {
                let st = self.state.borrow();
                (st.methods.clone(), st.runs.clone())
            };
            let mut built = build(&exp, &methods, &runs, ctx.as_deref()).await;
            // The digits are not in the wasm: the first build that reads them fails asking for
            // them; fetch the file once and build again.
            if built.is_err() && digits::wanted() {
                self.doing(mode, "loading the digits…");
                built = match fetch_digits().await {
                    Ok(()) => build(&exp, &methods, &runs, ctx.as_deref()).await,
                    Err(e) => Err(e),
                };
            }
            match built {
                Ok(driver) => {
                    self.state.borrow_mut().driver = Some(driver);
                    self.status("");
                }
                Err(e) => {
                    self.status(e);
                    self.state.borrow_mut().playing = false;
                    return;
                }
            }
        }
        let mut chunk = 1u32;
        let mut per_step_before = f64::INFINITY;
        // A stopped loop left the pictures current: the first ones are due in half a second.
        let mut last_grid = now_ms();
        let (mut rate_steps, mut rate_t0) = (0u32, now_ms());
        loop {
            let single = mode == Drive::Step;
            let Some(mut d) = self.state.borrow_mut().driver.take() else {
                return;
            };
            let (choice, speed, placed) = {
                let st = self.state.borrow();
                (
                    st.exp.as_ref().map(|e| e.backend).unwrap_or_default(),
                    st.speed,
                    st.placed,
                )
            };
            // Place the runs where the choice says (a switch moves them mid-run). Getting
            // ready, auto times both backends on copies of the runs; later (a switch to auto)
            // on the runs' own steps, which a single step or a capped speed must not jump
            // past: those train on the CPU until full-speed Play.
            let ctx = if choice == BackendChoice::Cpu {
                // Only an existing device, for the tooltip: the CPU needs none.
                match &self.state.borrow().ctx {
                    Some(Ok(ctx)) => Some(ctx.clone()),
                    _ => None,
                }
            } else {
                self.device().await
            };
            let timing = choice == BackendChoice::Auto && ctx.is_some();
            // Getting ready, auto times copies of the runs.
            let may_time = mode == Drive::Prepare || (!single && speed == u32::MAX);
            if timing && !may_time && placed.is_none() {
                (self.post)(FromEngine::Badge(BackendStatus::Cpu {
                    label: "CPU (auto times both at full-speed Play)".into(),
                    detail: self.no_device_reason(),
                }));
            } else if placed != Some(choice) && (!timing || may_time) {
                if timing {
                    self.doing(mode, "timing this experiment on the CPU and on WebGPU…");
                }
                let (why, allowed) = (self.no_device_reason(), self.state.borrow().gpu_allowed);
                let on_copies = mode == Drive::Prepare;
                match place(&mut d, choice, ctx.as_deref(), allowed, &why, on_copies).await {
                    Ok((badge, note)) => {
                        (self.post)(FromEngine::Badge(badge));
                        self.status(note.unwrap_or_default());
                        self.state.borrow_mut().placed = Some(choice);
                        // The other backend's pace: size batches afresh.
                        chunk = 1;
                        per_step_before = f64::INFINITY;
                    }
                    Err(e) => {
                        self.status(format!("could not move the runs: {e}"));
                        let mut st = self.state.borrow_mut();
                        st.playing = false;
                        st.driver = Some(d);
                        return;
                    }
                }
            }
            let done = d.step();
            let n = if matches!(mode, Drive::Place | Drive::Prepare) {
                0
            } else if single {
                d.every - done % d.every.max(1)
            } else {
                chunk.min(speed)
            }
            .min(d.total.saturating_sub(done));
            // Train every group, then wait once: they share the device's queue.
            let t0 = now_ms();
            let mut failed = d.train(n).await.err();
            let train_ms = now_ms() - t0;
            let budget = if d.on_gpu() {
                GPU_BATCH_MS
            } else if self.in_worker {
                WORKER_BATCH_MS
            } else {
                PAGE_BATCH_MS
            };
            // Grow the chunk while a batch fits the budget, or on the GPU while a bigger chunk
            // still cuts the time per step (a round trip longer than the budget must not pin
            // the loop at one step a batch); shrink it otherwise.
            let per_step = train_ms / n.max(1) as f64;
            let amortising =
                d.on_gpu() && per_step < 0.8 * per_step_before && train_ms < 6.0 * budget;
            per_step_before = per_step;
            chunk = if train_ms < budget || amortising {
                (chunk * 3).div_ceil(2).min(5000)
            } else {
                (chunk * 2 / 3).max(1)
            };
            let finished = d.finished();
            // Pictures cost a readback each: now and then, and whenever the loop stops, so a
            // stopped session shows its runs as they are (and Play need not draw them at once).
            let ends = single || matches!(mode, Drive::Place | Drive::Prepare) || finished;
            if failed.is_none()
                && (now_ms() - last_grid > 500.0 || ends || !self.state.borrow().playing)
            {
                last_grid = now_ms();
                failed = d.refresh_pictures().await.err();
            }
            rate_steps += n;
            // Twice a second, and at the end (a run shorter than that gets its one figure).
            let rate = (now_ms() - rate_t0 > 500.0 || (finished && rate_steps > 0)).then(|| {
                let r = rate_steps as f64 / ((now_ms() - rate_t0) / 1000.0);
                rate_steps = 0;
                rate_t0 = now_ms();
                r
            });
            self.state.borrow_mut().driver = Some(d);
            if let Some(e) = failed {
                self.state.borrow_mut().playing = false;
                if let EngineError::DeviceLost(why) = &e {
                    (self.post)(FromEngine::DeviceLost(why.clone()));
                } else {
                    self.status(format!("stopped: {e}"));
                }
                return;
            }
            if let Some(r) = rate {
                self.set_rate(r);
            }
            let stopping = ends || !self.state.borrow().playing;
            if finished && self.in_worker {
                // The other workers' last histories may be waiting in the queue: take them in
                // first, so the last views are drawn once, with every run.
                self.yield_now().await;
            }
            self.frame(stopping);
            if stopping {
                // Presses made while this batch was in flight found the loop busy and left
                // their work to it: make it before stopping.
                let next = {
                    let mut st = self.state.borrow_mut();
                    if finished {
                        st.playing = false;
                    }
                    let moved = st.exp.as_ref().map(|e| e.backend) != st.placed;
                    if st.step_asked && !finished {
                        st.step_asked = false;
                        Some(Drive::Step)
                    } else if moved && st.placed.is_some() {
                        Some(Drive::Place)
                    } else if st.playing && !finished {
                        Some(Drive::Play)
                    } else {
                        None
                    }
                };
                let Some(next) = next else {
                    return;
                };
                mode = next;
                self.yield_now().await;
                continue;
            }
            if speed != u32::MAX {
                // A capped speed is steps per frame: a class watches single steps land.
                sleep_ms(16.0).await;
            } else {
                self.yield_now().await;
            }
        }
    }
}

/// A session's driver with every method's group built (of its slice of the runs, where
/// `runs` gives them), or the message to show.
async fn build(
    exp: &Experiment,
    methods: &[String],
    runs: &[(u32, u32)],
    ctx: Option<&GpuContext>,
) -> Result<Driver, String> {
    let mut driver = Driver::start(exp, None).map_err(|e| e.to_string())?;
    for (i, m) in methods.iter().enumerate() {
        let (first, count) = runs.get(i).copied().unwrap_or((0, exp.runs));
        driver
            .add_runs(m, first as usize, count as usize, ctx)
            .await
            .map_err(|e| format!("{m}: {e}"))?;
    }
    Ok(driver)
}

/// Fetches the digits file (beside the page, or beside `worker.js` in a worker: the same folder)
/// and hands it to `data::digits`. The browser caches it like any other file of the page.
async fn fetch_digits() -> Result<(), String> {
    fetch_bytes(digits::FILE)
        .await
        .and_then(digits::provide)
        .map_err(|why| {
            format!(
                "the digits data set ({}) could not be loaded: {why}",
                digits::FILE
            )
        })
}

/// Steps per second as the badge prints them: 1,380 or 62 or 0.8.
fn rate_text(per_s: f64) -> String {
    if per_s < 10.0 {
        return format!("{per_s:.1}");
    }
    let digits = format!("{:.0}", per_s);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Puts the session's runs where `choice` says and returns what the badge says, and a line for
/// the status when the choice could not be honoured (`why`: why there is no device). Under
/// `auto` with a device, it times the runs' own steps on the CPU, times a copy on the GPU, and
/// keeps the faster: every step timed on the CPU is a real step of the run. `on_copies` (before
/// any press) times a copy on the CPU too, and the runs stay at their step.
async fn place(
    d: &mut Driver,
    choice: BackendChoice,
    ctx: Option<&GpuContext>,
    gpu_allowed: bool,
    why: &str,
    on_copies: bool,
) -> Result<(BackendStatus, Option<String>), EngineError> {
    let cpu = |label: String, detail: String| BackendStatus::Cpu { label, detail };
    if choice == BackendChoice::Cpu && gpu_allowed {
        // Chosen with an adapter at hand (the engine makes no device for it).
        if d.on_gpu() {
            d.move_to(None).await?;
        }
        let detail = ctx.map_or_else(|| why.to_string(), adapter_detail);
        return Ok((
            cpu("CPU (chosen)".into(), format!("backend=cpu. {detail}")),
            None,
        ));
    }
    let Some(ctx) = ctx else {
        if d.on_gpu() {
            d.move_to(None).await?;
        }
        let note = (choice == BackendChoice::Gpu).then(|| {
            format!("backend=gpu, but this browser gives no WebGPU ({why}): training on the CPU")
        });
        return Ok((BackendStatus::cpu_because(why), note));
    };
    match choice {
        BackendChoice::Cpu => {
            if d.on_gpu() {
                d.move_to(None).await?;
            }
            Ok((
                cpu(
                    "CPU (chosen)".into(),
                    format!("backend=cpu. {}", adapter_detail(ctx)),
                ),
                None,
            ))
        }
        BackendChoice::Gpu => {
            if !d.on_gpu() {
                d.move_to(Some(ctx)).await?;
            }
            Ok((BackendStatus::webgpu(ctx, None), None))
        }
        BackendChoice::Auto => {
            // The CPU on the session's own steps; the GPU on a copy of it, against a deadline:
            // a software adapter can take a minute to compile and run one step, and the engine
            // must not wait for that to learn that the CPU is faster.
            if d.on_gpu() {
                d.move_to(None).await?;
            }
            let on_cpu = if on_copies {
                let mut copy = d.copy_on(None).await?;
                copy.time_steps(AUTO_CPU_MS, &now_ms).await?
            } else {
                d.time_steps(AUTO_CPU_MS, &now_ms).await?
            };
            // A slow CPU step means a long experiment: the GPU's copy may then take up to three
            // CPU steps' time (compiling its kernels included), up to 3 s.
            let deadline = on_cpu.map_or(AUTO_GPU_MS, |r| (3000.0 / r).clamp(AUTO_GPU_MS, 3000.0));
            // A run the CPU ends before a trial on the GPU could is not worth the trial.
            let left_ms = on_cpu.map(|r| d.total.saturating_sub(d.step()) as f64 / r * 1000.0);
            let on_gpu = match left_ms {
                Some(ms) if ms < deadline => GpuTiming::Skipped(ms),
                _ => time_gpu(d, ctx, deadline).await,
            };
            let gpu_wins = match (&on_gpu, on_cpu) {
                (GpuTiming::Rate(g), Some(c)) => *g > c,
                (GpuTiming::Rate(_), None) => true,
                _ => false,
            };
            if gpu_wins {
                d.move_to(Some(ctx)).await?;
            }
            let cpu_text = on_cpu.map(rate_text).unwrap_or_else(|| "–".into());
            let gpu_text = match &on_gpu {
                GpuTiming::Rate(r) => rate_text(*r),
                GpuTiming::Below(r) => format!("< {}", rate_text(*r)),
                GpuTiming::Failed(_) => "failed".into(),
                GpuTiming::Skipped(_) => "not timed".into(),
            };
            let mut detail = format!(
                "auto timed this experiment's runs: CPU {cpu_text} steps/s, WebGPU {gpu_text} steps/s"
            );
            match &on_gpu {
                GpuTiming::Below(_) => detail.push_str(&format!(
                    " (no more steps landed within {deadline:.0} ms, compiling included)"
                )),
                GpuTiming::Failed(e) => detail.push_str(&format!(" ({e})")),
                GpuTiming::Skipped(ms) => detail.push_str(&format!(
                    " (the CPU ends the run in {ms:.0} ms, sooner than WebGPU could be timed)"
                )),
                GpuTiming::Rate(_) => {}
            }
            detail.push_str(&format!(". {}", adapter_detail(ctx)));
            Ok((
                if gpu_wins {
                    BackendStatus::WebGpu {
                        label: format!(
                            "WebGPU ({}): {gpu_text} steps/s here vs CPU {cpu_text}",
                            super::adapter_tag(ctx)
                        ),
                        detail,
                    }
                } else if matches!(on_gpu, GpuTiming::Skipped(_)) {
                    cpu(
                        format!("CPU: {cpu_text} steps/s here (too short a run to time WebGPU)"),
                        detail,
                    )
                } else {
                    cpu(
                        format!("CPU: {cpu_text} steps/s here vs WebGPU {gpu_text}"),
                        detail,
                    )
                },
                None,
            ))
        }
    }
}

/// How a copy of the session fared on the GPU.
enum GpuTiming {
    /// Steps per second once warm.
    Rate(f64),
    /// The deadline passed first: fewer steps per second than this, warm-up included.
    Below(f64),
    Failed(String),
    /// Not tried: the CPU ends the run in this many milliseconds, within the trial's deadline.
    Skipped(f64),
}

/// Builds a copy of the session on the GPU and times its steps, all within `deadline_ms`. The
/// copy is dropped either way (work still queued on the device finishes there, unwatched).
async fn time_gpu(d: &Driver, ctx: &GpuContext, deadline_ms: f64) -> GpuTiming {
    let start = now_ms();
    let done = Rc::new(Cell::new(0u32));
    let trial = {
        let done = done.clone();
        async move {
            let mut copy = d.copy_on(Some(ctx)).await?;
            let (mut chunk, mut warm, mut rate) = (1u32, None, None);
            while !copy.finished() {
                copy.train(chunk).await?;
                done.set(copy.step());
                let t = now_ms();
                match warm {
                    None => warm = Some((copy.step(), t)),
                    Some((from, since)) => {
                        rate = Some((copy.step() - from) as f64 / (t - since).max(1e-3) * 1000.0)
                    }
                }
                if t - start > deadline_ms * 0.8 {
                    break;
                }
                chunk = chunk.saturating_mul(2);
            }
            Ok::<_, EngineError>(rate)
        }
    };
    match before(trial, sleep_ms(deadline_ms)).await {
        Some(Ok(Some(rate))) => GpuTiming::Rate(rate),
        Some(Err(e)) => GpuTiming::Failed(e.to_string()),
        // Only the warm-up chunk landed, or not even that.
        Some(Ok(None)) | None => {
            GpuTiming::Below((done.get() + 1) as f64 / (now_ms() - start).max(1.0) * 1000.0)
        }
    }
}

// ---- The worker's side ----

fn encode<T: Serialize>(msg: &T) -> js_sys::Uint8Array {
    let bytes = bincode::serialize(msg).unwrap_or_default();
    js_sys::Uint8Array::from(bytes.as_slice())
}

fn decode<T: for<'de> Deserialize<'de>>(data: &JsValue) -> Option<T> {
    let bytes = data.dyn_ref::<js_sys::Uint8Array>()?.to_vec();
    bincode::deserialize(&bytes).ok()
}

/// Called by `assets/worker.js` in a dedicated worker once the wasm is up: the engine answers
/// the page's messages from now on.
#[wasm_bindgen]
pub fn methodlab_worker_start() {
    let Ok(scope) = js_sys::global().dyn_into::<web_sys::DedicatedWorkerGlobalScope>() else {
        return;
    };
    let out = scope.clone();
    let engine = Engine::new(
        true,
        Box::new(move |msg| {
            let _ = out.post_message(&encode(&msg));
        }),
    );
    let on_message =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            if let Some(msg) = decode::<ToEngine>(&ev.data()) {
                engine.handle(msg);
            }
        });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
}

// ---- The page's side ----

enum Transport {
    Worker {
        worker: web_sys::Worker,
        _on_message: Closure<dyn Fn(web_sys::MessageEvent)>,
        _on_error: Closure<dyn Fn(web_sys::Event)>,
    },
    InPage(Rc<Engine>),
}

/// The page's hold on a session's engine. Dropping it stops the engine: a worker is
/// terminated (its memory with it); an engine in the page stops at its next batch.
pub struct EngineHandle {
    transport: Transport,
    /// Messages sent, so a frame can tell whether it has seen the latest press.
    pub sent: Rc<Cell<u32>>,
    alive: Rc<Cell<bool>>,
}

impl EngineHandle {
    /// Starts an engine in a worker (in the page if the browser will not start one), sending it
    /// `start` first. `on_message` gets its messages until the handle is dropped.
    pub fn spawn(start: ToEngine, on_message: Rc<dyn Fn(FromEngine)>) -> EngineHandle {
        let alive = Rc::new(Cell::new(true));
        match start_worker(on_message.clone(), alive.clone()) {
            Ok(transport) => EngineHandle::with(transport, alive, start),
            Err(_) => EngineHandle::in_page(start, on_message),
        }
    }

    /// An engine in the page itself: where no worker starts (or one failed to load).
    pub fn in_page(start: ToEngine, on_message: Rc<dyn Fn(FromEngine)>) -> EngineHandle {
        let alive = Rc::new(Cell::new(true));
        let delivered = alive.clone();
        // Delivered in a task of its own, as a worker's would be: never inside the page's call
        // that caused it.
        let engine = Engine::new(
            false,
            Box::new(move |msg| {
                let (alive, on_message) = (delivered.clone(), on_message.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    if alive.get() {
                        on_message(msg)
                    }
                });
            }),
        );
        EngineHandle::with(Transport::InPage(engine), alive, start)
    }

    fn with(transport: Transport, alive: Rc<Cell<bool>>, start: ToEngine) -> EngineHandle {
        let handle = EngineHandle {
            transport,
            sent: Rc::new(Cell::new(0)),
            alive,
        };
        handle.send(start);
        handle
    }

    pub fn in_worker(&self) -> bool {
        matches!(self.transport, Transport::Worker { .. })
    }

    pub fn send(&self, msg: ToEngine) {
        self.sent.set(self.sent.get() + 1);
        self.forward(msg);
    }

    /// Sends what is not a press (`ToEngine::Histories`): frames' `seen` does not count it.
    pub fn forward(&self, msg: ToEngine) {
        match &self.transport {
            Transport::Worker { worker, .. } => {
                let _ = worker.post_message(&encode(&msg));
            }
            Transport::InPage(engine) => engine.handle(msg),
        }
    }
}

impl Drop for EngineHandle {
    fn drop(&mut self) {
        self.alive.set(false);
        match &self.transport {
            Transport::Worker { worker, .. } => worker.terminate(),
            Transport::InPage(engine) => {
                // Its loop stops at the next batch: nothing asks it to go on.
                let mut st = engine.state.borrow_mut();
                st.playing = false;
                st.step_asked = false;
            }
        }
    }
}

/// The worker's script, with the page's wasm-bindgen glue and wasm (which `assets/boot.js`
/// records) in its query.
fn start_worker(
    on_message: Rc<dyn Fn(FromEngine)>,
    alive: Rc<Cell<bool>>,
) -> Result<Transport, JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let bundle = js_sys::Reflect::get(&window, &"methodlabBundle".into())?;
    let field = |k: &str| {
        js_sys::Reflect::get(&bundle, &k.into())
            .ok()
            .and_then(|v| v.as_string())
            .ok_or_else(|| JsValue::from_str("no bundle"))
    };
    let (js, wasm) = (field("js")?, field("wasm")?);
    let url = format!(
        "worker.js?js={}&wasm={}",
        js_sys::encode_uri_component(&js),
        js_sys::encode_uri_component(&wasm)
    );
    let options = web_sys::WorkerOptions::new();
    options.set_type(web_sys::WorkerType::Module);
    let worker = web_sys::Worker::new_with_options(&url, &options)?;
    let (seen, alive2) = (on_message.clone(), alive.clone());
    let on_msg = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
        if !alive2.get() {
            return;
        }
        if let Some(msg) = decode::<FromEngine>(&ev.data()) {
            seen(msg);
        }
    });
    // An `ErrorEvent` for an uncaught error; a plain `Event` when the script did not load.
    // Either way the worker is done: an uncaught error (a panic is a trap) leaves its engine in
    // no state to trust, and it would go on training and drawing otherwise.
    let failing = worker.clone();
    let on_err = Closure::<dyn Fn(web_sys::Event)>::new(move |ev: web_sys::Event| {
        // Handled here: not an uncaught error of the page too.
        ev.prevent_default();
        if alive.get() {
            alive.set(false);
            failing.terminate();
            let message = js_sys::Reflect::get(&ev, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
                .unwrap_or_else(|| "its script or wasm did not load".into());
            on_message(FromEngine::Failed(message));
        }
    });
    worker.set_onmessage(Some(on_msg.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_err.as_ref().unchecked_ref()));
    Ok(Transport::Worker {
        worker,
        _on_message: on_msg,
        _on_error: on_err,
    })
}
