//! A lab's page, generic over its declarations: controls for every setting, method toggles with
//! their knobs, play / pause / step / reset, loss and accuracy curves with seed bands, and each
//! method's decision boundary. The experiment lives in the URL fragment.

use super::browser::{before, copy_text, download, now_ms, sleep_ms, yield_now};
use super::figures::{Bars, Chart, ClaimsPanel, Heatmap, Network, COLOURS};
use super::{adapter_detail, BackendStatus, SharedGpu};
use crate::engine::gpu::GpuContext;
use crate::engine::EngineError;
use crate::experiment::{BackendChoice, Experiment, LinkProblem, MethodChoice};
use crate::labs::{Kind, LabDecl, Setting, Value};
use crate::runner::{ClaimRow, Driver};
use crate::views::Views;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use wasm_bindgen::JsCast;

/// Milliseconds of training work per frame the loop aims for: a 60 fps frame on the CPU; on the
/// GPU, waiting for the queue costs a round trip of its own, so batches must be longer to pay it.
const FRAME_BUDGET_MS: f64 = 12.0;
const GPU_FRAME_BUDGET_MS: f64 = 40.0;
/// Wall time `auto` spends timing the CPU on the session's own steps, and at most on a copy of
/// the session on the GPU (building it included) when a CPU step is quick.
const AUTO_CPU_MS: f64 = 100.0;
const AUTO_GPU_MS: f64 = 220.0;

/// Counts a training loop as running until it returns, whichever way it does.
struct Running(RwSignal<u32>);

impl Drop for Running {
    fn drop(&mut self) {
        // `try_`: the page may be gone by the time a loop ends.
        self.0.try_update(|n| *n = n.saturating_sub(1));
    }
}

/// The page's training state: the session's driver and which experiment it belongs to.
struct Session {
    driver: Driver,
    generation: u32,
    /// The backend choice the runs were last placed by.
    placed: Option<BackendChoice>,
    /// The driver's revision the views were last built from.
    shown: Option<u64>,
}

/// What a press of the page's controls asks of the training loop.
#[derive(Clone, Copy, PartialEq)]
enum Drive {
    /// Train until paused or finished.
    Play,
    /// Train to the next observation.
    Step,
    /// Only place the runs where the backend choice says (a switch while paused).
    Place,
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
/// the status when the choice could not be honoured. Under `auto` with an adapter, it times the
/// runs' own steps on the backend they are on, moves them, times them there, and keeps the
/// faster (moving back if need be): every step timed is a real step of the run.
async fn place(
    d: &mut Driver,
    choice: BackendChoice,
    ctx: Option<&GpuContext>,
    adapter: &BackendStatus,
) -> Result<(BackendStatus, Option<String>), EngineError> {
    let cpu = |label: String, detail: String| BackendStatus::Cpu { label, detail };
    let Some(ctx) = ctx else {
        if d.on_gpu() {
            d.move_to(None).await?;
        }
        let why = adapter.detail();
        let note = (choice == BackendChoice::Gpu).then(|| {
            format!("backend=gpu, but this browser gives no WebGPU ({why}): training on the CPU")
        });
        return Ok((BackendStatus::cpu_because(&why), note));
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
            // a software adapter can take a minute to compile and run one step, and the page must
            // not wait for that to learn that the CPU is faster.
            if d.on_gpu() {
                d.move_to(None).await?;
            }
            let on_cpu = d.time_steps(AUTO_CPU_MS, &now_ms).await?;
            // A slow CPU step means a long experiment: the GPU's copy may then take up to three
            // CPU steps' time (compiling its kernels included), up to 3 s.
            let deadline = on_cpu.map_or(AUTO_GPU_MS, |r| (3000.0 / r).clamp(AUTO_GPU_MS, 3000.0));
            let on_gpu = time_gpu(&d.exp, d.total, ctx, deadline).await;
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
            };
            let mut detail = format!(
                "auto timed this experiment's runs: CPU {cpu_text} steps/s, WebGPU {gpu_text} steps/s"
            );
            match &on_gpu {
                GpuTiming::Below(_) => detail.push_str(&format!(
                    " (no more steps landed within {deadline:.0} ms, compiling included)"
                )),
                GpuTiming::Failed(e) => detail.push_str(&format!(" ({e})")),
                GpuTiming::Rate(_) => {}
            }
            detail.push_str(&format!(". {}", adapter_detail(ctx)));
            Ok((
                if gpu_wins {
                    BackendStatus::WebGpu {
                        label: format!("WebGPU: {gpu_text} steps/s here vs CPU {cpu_text}"),
                        detail,
                    }
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
}

/// Builds a copy of the session on the GPU and times its steps, all within `deadline_ms`. The
/// copy is dropped either way (work still queued on the device finishes there, unwatched).
async fn time_gpu(exp: &Experiment, total: u32, ctx: &GpuContext, deadline_ms: f64) -> GpuTiming {
    let start = now_ms();
    let done = Rc::new(Cell::new(0u32));
    let trial = {
        let done = done.clone();
        async move {
            let mut copy = Driver::new(exp, Some(ctx), Some(total)).await?;
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

/// What the badge says before a session has placed its runs.
fn idle_badge(
    choice: BackendChoice,
    ctx: Option<&GpuContext>,
    adapter: &BackendStatus,
) -> BackendStatus {
    match (choice, ctx) {
        (_, None) => adapter.clone(),
        (BackendChoice::Gpu, Some(ctx)) => BackendStatus::webgpu(ctx, None),
        (BackendChoice::Cpu, Some(ctx)) => BackendStatus::Cpu {
            label: "CPU (chosen)".into(),
            detail: format!("backend=cpu. {}", adapter_detail(ctx)),
        },
        (BackendChoice::Auto, Some(ctx)) => BackendStatus::WebGpu {
            label: "auto: CPU or WebGPU, timed at Play".into(),
            detail: adapter_detail(ctx),
        },
    }
}

fn set_fragment(link: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_hash(link.trim_start_matches('#'));
    }
}

#[component]
pub fn LabPage(
    lab: LabDecl,
    experiment: ReadSignal<Experiment>,
    problems: ReadSignal<Vec<LinkProblem>>,
    set_problems: WriteSignal<Vec<LinkProblem>>,
    gpu: SharedGpu,
    adapter: ReadSignal<BackendStatus>,
    set_adapter: WriteSignal<BackendStatus>,
    set_backend: WriteSignal<BackendStatus>,
) -> impl IntoView {
    let (playing, set_playing) = signal(false);
    // Training loops still running: a pause takes effect once the frame in flight lands, and the
    // page says so (`data-busy` on Play) so nothing reads a step counter that is about to move.
    let running = RwSignal::new(0u32);
    let (step, set_step) = signal(0u32);
    let (rate, set_rate) = signal(0.0f64);
    let (views, set_views) = signal(Views::default());
    let (claims, set_claims) = signal(Vec::<ClaimRow>::new());
    let (status, set_status) = signal(String::new());
    // Most steps per frame: "slow" lets a class watch single steps land.
    let (speed, set_speed) = signal(u32::MAX);
    let (classroom, set_classroom) = signal(false);
    let session: Rc<RefCell<Option<Session>>> = Rc::new(RefCell::new(None));
    let generation = Rc::new(Cell::new(0u32));
    let lab = Arc::new(lab);

    // Forgets the session: a reset, or a new experiment. A frame still awaiting sees the new
    // generation and drops itself.
    let idle = {
        let gpu = gpu.clone();
        move || {
            if adapter.get_untracked() != BackendStatus::Checking {
                set_backend.set(idle_badge(
                    experiment.get_untracked().backend,
                    gpu.borrow().as_ref(),
                    &adapter.get_untracked(),
                ));
            }
        }
    };
    let reset = {
        let (session, generation, idle) = (session.clone(), generation.clone(), idle.clone());
        Rc::new(move || {
            generation.set(generation.get() + 1);
            *session.borrow_mut() = None;
            idle();
            set_playing.set(false);
            set_step.set(0);
            set_views.set(Views::default());
            set_claims.set(
                Driver::start(&experiment.get_untracked(), None)
                    .map(|mut d| d.claims())
                    .unwrap_or_default(),
            );
        })
    };
    // Any change of experiment (a control, back/forward, a pasted link) starts over.
    {
        let reset = reset.clone();
        // Classroom options (hidden controls, presentation) change no run: not a reset.
        let runnable = Memo::new(move |_| experiment.get().runnable());
        Effect::new(move |previous: Option<()>| {
            let _ = runnable.get();
            // A lost device (or the adapter check landing) starts over too.
            let _ = adapter.get();
            // The first run only subscribes: there is nothing to reset yet, and a Play or Step
            // pressed before this effect first ran must not be cancelled by it.
            if previous.is_some() {
                reset();
            } else {
                set_claims.set(
                    Driver::start(&experiment.get_untracked(), None)
                        .map(|mut d| d.claims())
                        .unwrap_or_default(),
                );
            }
        });
    }

    // Builds the session if needed, then trains while playing (or `single`: to the next
    // observation). The driver observes on its schedule, so the page's histories are the
    // CLI's for the same link; the page only sizes each frame's work and draws.
    let drive = {
        let (session, generation, gpu) = (session.clone(), generation.clone(), gpu.clone());
        Rc::new(move |mode: Drive| {
            let (session, generation, gpu) = (session.clone(), generation.clone(), gpu.clone());
            let single = mode == Drive::Step;
            running.update(|n| *n += 1);
            spawn_local(async move {
                let _running = Running(running);
                let mut mode = mode;
                let my_generation = generation.get();
                let exp = experiment.get_untracked();
                if session.borrow().is_none() {
                    if mode == Drive::Place {
                        return;
                    }
                    while adapter.get_untracked() == BackendStatus::Checking {
                        yield_now().await;
                    }
                    set_status.set("building…".into());
                    // A forced GPU builds there; auto and cpu build on the CPU (auto then times both).
                    let ctx = gpu
                        .borrow()
                        .clone()
                        .filter(|_| exp.backend == BackendChoice::Gpu);
                    let mut driver = match Driver::start(&exp, None) {
                        Ok(d) => d,
                        Err(e) => {
                            set_status.set(e.to_string());
                            set_playing.set(false);
                            return;
                        }
                    };
                    for m in &exp.methods {
                        if let Err(e) = driver.add(&m.id, ctx.as_ref()).await {
                            set_status.set(format!("{}: {e}", m.id));
                            set_playing.set(false);
                            return;
                        }
                    }
                    if generation.get() != my_generation {
                        return;
                    }
                    *session.borrow_mut() = Some(Session {
                        driver,
                        generation: my_generation,
                        placed: None,
                        shown: None,
                    });
                    set_status.set(String::new());
                }
                let mut chunk = 1u32;
                let mut per_step_before = f64::INFINITY;
                let mut last_grid = f64::NEG_INFINITY;
                let (mut rate_steps, mut rate_t0) = (0u32, now_ms());
                loop {
                    let Some(mut s) = session.borrow_mut().take() else {
                        return;
                    };
                    if s.generation != generation.get() {
                        return;
                    }
                    let d = &mut s.driver;
                    let chosen_at_start = experiment.get_untracked().backend;
                    // Place the runs where the choice says (a switch moves them mid-run). Auto
                    // times both backends on the run's own steps, which a single step or a
                    // capped speed must not jump past: those train on the CPU until full-speed Play.
                    let choice = experiment.get_untracked().backend;
                    let timing = choice == BackendChoice::Auto && gpu.borrow().is_some();
                    let may_time = !single && speed.get_untracked() == u32::MAX;
                    if timing && !may_time && s.placed.is_none() {
                        set_backend.set(BackendStatus::Cpu {
                            label: "CPU (auto times both at full-speed Play)".into(),
                            detail: adapter.get_untracked().detail(),
                        });
                    } else if s.placed != Some(choice) && (!timing || may_time) {
                        if timing {
                            set_status
                                .set("timing this experiment on the CPU and on WebGPU…".into());
                        }
                        let ctx = gpu.borrow().clone();
                        match place(d, choice, ctx.as_ref(), &adapter.get_untracked()).await {
                            Ok((badge, note)) => {
                                set_backend.set(badge);
                                set_status.set(note.unwrap_or_default());
                                s.placed = Some(choice);
                                // The other backend's pace: size frames afresh.
                                chunk = 1;
                                per_step_before = f64::INFINITY;
                            }
                            Err(e) => {
                                set_status.set(format!("could not move the runs: {e}"));
                                set_playing.set(false);
                                *session.borrow_mut() = Some(s);
                                return;
                            }
                        }
                        if s.generation != generation.get() {
                            return;
                        }
                    }
                    let d = &mut s.driver;
                    let done = d.step();
                    let n = if mode == Drive::Place {
                        0
                    } else if single {
                        d.every - done % d.every.max(1)
                    } else {
                        chunk.min(speed.get_untracked())
                    }
                    .min(d.total.saturating_sub(done));
                    // Train every group, then wait once: they share the device's queue.
                    let t0 = now_ms();
                    let mut failed = d.train(n).await.err();
                    let train_ms = now_ms() - t0;
                    let budget = if d.on_gpu() {
                        GPU_FRAME_BUDGET_MS
                    } else {
                        FRAME_BUDGET_MS
                    };
                    // Grow the chunk while a frame fits the budget, or while a bigger chunk still
                    // cuts the time per step (a GPU round trip longer than the budget must not
                    // pin the loop at one step a frame); shrink it otherwise.
                    let per_step = train_ms / n.max(1) as f64;
                    let amortising = per_step < 0.8 * per_step_before && train_ms < 6.0 * budget;
                    per_step_before = per_step;
                    chunk = if train_ms < budget || amortising {
                        (chunk * 3).div_ceil(2).min(5000)
                    } else {
                        (chunk * 2 / 3).max(1)
                    };
                    let finished = d.finished();
                    // Pictures cost a readback each: now and then, not every frame.
                    if failed.is_none() && (now_ms() - last_grid > 500.0 || single || finished) {
                        last_grid = now_ms();
                        failed = d.refresh_pictures().await.err();
                    }
                    // A reset or a new experiment while this frame awaited: drop it silently.
                    if s.generation != generation.get() {
                        return;
                    }
                    rate_steps += n;
                    if now_ms() - rate_t0 > 500.0 {
                        set_rate.set(rate_steps as f64 / ((now_ms() - rate_t0) / 1000.0));
                        rate_steps = 0;
                        rate_t0 = now_ms();
                    }
                    set_step.set(s.driver.step());
                    // Views are rebuilt (and redrawn) only when something they show changed.
                    if s.shown != Some(s.driver.revision()) {
                        s.shown = Some(s.driver.revision());
                        set_views.set(s.driver.views());
                        set_claims.set(s.driver.claims());
                    }
                    *session.borrow_mut() = Some(s);
                    if let Some(e) = failed {
                        if let crate::engine::EngineError::DeviceLost(why) = &e {
                            // The CPU takes over: the badge says so and the run starts again there
                            // (the weights went with the device).
                            *gpu.borrow_mut() = None;
                            set_adapter.set(BackendStatus::cpu_because(&format!(
                                "WebGPU device lost: {why}"
                            )));
                            set_status
                                .set("the GPU was lost; running on the CPU now: press Play".into());
                        } else {
                            set_status.set(format!("stopped: {e}"));
                        }
                        set_playing.set(false);
                        return;
                    }
                    if single || mode == Drive::Place || finished || !playing.get_untracked() {
                        if finished {
                            set_playing.set(false);
                        }
                        // A switch made while this frame was in flight found the loop busy and
                        // left the move to it: make it before stopping.
                        if experiment.get_untracked().backend != chosen_at_start {
                            mode = Drive::Place;
                            yield_now().await;
                            continue;
                        }
                        return;
                    }
                    yield_now().await;
                }
            });
        })
    };

    // A backend switch: the loop moves the runs at its next frame; paused, they move now.
    {
        let (drive, session) = (drive.clone(), session.clone());
        let choice = Memo::new(move |_| experiment.get().backend);
        Effect::new(move |_| {
            let _ = choice.get();
            // A running loop moves the runs itself, at its next frame or before it stops.
            if playing.get_untracked() || running.get_untracked() > 0 {
                return;
            }
            if session.borrow().is_some() {
                drive(Drive::Place);
            } else {
                idle();
            }
        });
    }

    // Play or pause (the button and the space bar).
    let toggle = {
        let drive = drive.clone();
        Rc::new(move || {
            if playing.get_untracked() {
                set_playing.set(false);
            } else {
                set_playing.set(true);
                drive(Drive::Play);
            }
        })
    };
    let play = {
        let toggle = toggle.clone();
        move |_| toggle()
    };
    let step_once = {
        let drive = drive.clone();
        move |_| {
            set_playing.set(false);
            drive(Drive::Step);
        }
    };
    let reset_click = {
        let reset = reset.clone();
        move |_| reset()
    };

    // Keyboard: space plays or pauses, s steps, r resets (not while typing in a field).
    {
        let (drive, toggle, reset) = (drive.clone(), toggle.clone(), reset.clone());
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            let typing = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|e| matches!(e.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"));
            if typing || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
                return;
            }
            match ev.key().as_str() {
                " " => {
                    ev.prevent_default();
                    toggle();
                }
                "s" => {
                    set_playing.set(false);
                    drive(Drive::Step);
                }
                "r" => reset(),
                _ => {}
            }
        });
        on_cleanup(move || handle.remove());
    }

    // Export: every run's status, final metrics and history, as the CLI writes them.
    let export = {
        let (session, lab) = (session.clone(), lab.clone());
        move |csv: bool| {
            let exported = session.borrow_mut().as_mut().map(|s| {
                let backend_name = if s.driver.on_gpu() { "webgpu" } else { "cpu" };
                let mut report = s.driver.report(backend_name);
                // The link as it is now, classroom options included.
                report.experiment = experiment.get_untracked().to_link(&lab);
                (report, s.driver.claims())
            });
            let Some((report, claims)) = exported else {
                set_status.set("nothing to export yet: press Play or Step".into());
                return;
            };
            let result = if csv {
                download(
                    &format!("methodlab-{}.csv", lab.id),
                    "text/csv",
                    &crate::runner::export_csv(&report, &claims),
                )
            } else {
                download(
                    &format!("methodlab-{}.json", lab.id),
                    "application/json",
                    &crate::runner::export_json(&report, &claims),
                )
            };
            if result.is_err() {
                set_status.set("the browser refused the download".into());
            }
        }
    };
    let (export_csv, export_json) = (export.clone(), export);

    let lab_for_controls = lab.clone();
    let lab_for_methods = lab.clone();
    let lab_for_title = lab.clone();
    view! {
        <section class="lab" class:present=move || experiment.get().present>
            <div class="problems" id="link-problems" style:display=move || if problems.get().is_empty() { "none" } else { "block" }>
                <button class="dismiss" on:click=move |_| set_problems.set(Vec::new())>"×"</button>
                <strong>"This link had problems; defaults were used for these keys:"</strong>
                <ul>{move || problems.get().into_iter().map(|p| view! { <li>{p.to_string()}</li> }).collect_view()}</ul>
            </div>
            <div class="toolbar">
                <h2>{lab_for_title.title}</h2>
                <button id="play" on:click=play data-busy=move || (running.get() > 0).to_string()>{move || if playing.get() { "Pause" } else { "Play" }}</button>
                <button id="step" class="secondary" on:click=step_once>"Step"</button>
                <button id="reset" class="secondary" on:click=reset_click>"Reset"</button>
                <span class="counter">"step " <b id="step-counter">{move || step.get()}</b></span>
                <span class="counter"><b>{move || format!("{:.0}", rate.get())}</b>" steps/s"</span>
                <button id="export-csv" class="secondary" on:click=move |_| export_csv(true)>"Export CSV"</button>
                <button id="export-json" class="secondary" on:click=move |_| export_json(false)>"Export JSON"</button>
                <select id="speed" title="Most training steps per frame" on:change=move |ev| {
                    set_speed.set(event_target_value(&ev).parse::<u32>().unwrap_or(u32::MAX))
                }>
                    <option value="1">"slow: 1 step a frame"</option>
                    <option value="10">"10 steps a frame"</option>
                    <option value="100">"100 steps a frame"</option>
                    <option value="4294967295" selected=true>"as fast as it goes"</option>
                </select>
                <button id="copy-link" class="secondary" on:click=move |_| {
                    spawn_local(async move {
                        let href = web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default();
                        match copy_text(&href).await {
                            Ok(()) => set_status.set("link copied".into()),
                            Err(_) => set_status.set(format!("copy this link: {href}")),
                        }
                    });
                }>"Copy link"</button>
                <button id="classroom" class="secondary" class:on=move || classroom.get() on:click=move |_| set_classroom.update(|c| *c = !*c)>"Classroom"</button>
                <button id="present" class="secondary" class:on=move || experiment.get().present on:click={
                    let lab = lab_for_title.clone();
                    move |_| {
                        let mut e = experiment.get_untracked();
                        e.present = !e.present;
                        set_fragment(&e.to_link(&lab));
                    }
                }>"Present"</button>
                <span class="status">{move || status.get()}</span>
            </div>
            {
                let lab = lab_for_title.clone();
                move || classroom.get().then(|| {
                    let exp = experiment.get();
                    let lab = lab.clone();
                    let labels: Vec<(&'static str, &'static str)> = [("seed", "Seed"), ("runs", "Runs"), ("methods", "Methods")]
                        .into_iter()
                        .chain(lab.settings.iter().map(|s| (s.key, s.label)))
                        .collect();
                    view! {
                        <div class="classroom" id="classroom-panel">
                            <strong>"Hide from the class:"</strong>
                            {labels.into_iter().map(|(key, label)| {
                                let hidden = exp.hide.iter().any(|h| h == key);
                                let lab = lab.clone();
                                view! {
                                    <label><input type="checkbox" class="hide-control" data-key=key prop:checked=hidden on:change=move |ev| {
                                        let mut e = experiment.get_untracked();
                                        e.hide.retain(|h| h != key);
                                        if event_target_checked(&ev) {
                                            e.hide.push(key.to_string());
                                        }
                                        set_fragment(&e.to_link(&lab));
                                    } />{label}</label>
                                }
                            }).collect_view()}
                            <span class="help">"Hidden controls and presentation mode are saved in the link."</span>
                        </div>
                    }
                })
            }
            <p class="summary">{lab_for_title.summary}</p>
            <nav class="presets">
                <span>"Presets:"</span>
                {lab_for_title.presets.iter().map(|p| view! {
                    <a class="preset" data-preset=p.id href=lab_for_title.preset_link(p)>{p.title}</a>
                }).collect_view()}
            </nav>
            <div class="columns">
                <aside class="controls">
                    {move || {
                        let lab = lab_for_controls.clone();
                        let exp = experiment.get();
                        let shown = |k: &str| !exp.hide.iter().any(|h| h == k);
                        view! {
                            <RunControls exp=exp.clone() lab=lab.clone() />
                            {lab.settings.iter().filter(|s| shown(s.key)).map(|s| setting_control(s, exp.settings.get(s.key).cloned().unwrap_or(s.default.clone()), {
                                let key = s.key;
                                let lab = lab.clone();
                                move |v: Value| {
                                    let mut e = experiment.get_untracked();
                                    e.settings.insert(key.to_string(), v);
                                    set_fragment(&e.to_link(&lab));
                                }
                            })).collect_view()}
                        }
                    }}
                </aside>
                <div class="main">
                    <div class="methods">
                        {move || {
                            let lab = lab_for_methods.clone();
                            let exp = experiment.get();
                            let hide_methods = exp.hide.iter().any(|h| h == "methods");
                            lab.methods.iter().enumerate().filter(|(_, m)| !hide_methods || exp.methods.iter().any(|c| c.id == m.id)).map(|(i, m)| {
                                let on = exp.methods.iter().any(|c| c.id == m.id);
                                let id = m.id;
                                let lab2 = lab.clone();
                                let toggle = move |_| {
                                    let mut e = experiment.get_untracked();
                                    if e.methods.iter().any(|c| c.id == id) {
                                        if e.methods.len() > 1 {
                                            e.methods.retain(|c| c.id != id);
                                        }
                                    } else {
                                        e.methods.push(MethodChoice { id: id.into(), knobs: BTreeMap::new() });
                                    }
                                    set_fragment(&e.to_link(&lab2));
                                };
                                let knobs = if on {
                                    m.knobs.iter().map(|k| {
                                        let value = exp.knob(&lab, id, k.key).unwrap_or(k.default.clone());
                                        let (key, lab3) = (k.key, lab.clone());
                                        setting_control(k, value, move |v: Value| {
                                            let mut e = experiment.get_untracked();
                                            if let Some(c) = e.methods.iter_mut().find(|c| c.id == id) {
                                                c.knobs.insert(key.to_string(), v);
                                            }
                                            set_fragment(&e.to_link(&lab3));
                                        }).into_any()
                                    }).collect_view().into_any()
                                } else {
                                    ().into_any()
                                };
                                view! {
                                    <div class="method" class:on=on>
                                        <label>
                                            <input type="checkbox" class="method-toggle" data-method=id prop:checked=on on:change=toggle />
                                            <span class="swatch" style:background=COLOURS[i % COLOURS.len()]></span>
                                            {m.title}
                                        </label>
                                        {m.paper.as_ref().map(|p| view! { <a class="paper" href=p.url target="_blank" rel="noopener">{p.title}</a> })}
                                        <p class="help">{m.explain}</p>
                                        {knobs}
                                    </div>
                                }
                            }).collect_view()
                        }}
                    </div>
                    <div class="charts">
                        {move || views.get().charts.into_iter().map(|chart| view! { <Chart chart=chart /> }).collect_view()}
                        {move || views.get().bars.into_iter().filter(|b| !b.groups.is_empty()).map(|bars| view! { <Bars bars=bars /> }).collect_view()}
                    </div>
                    <ClaimsPanel claims=claims />
                    <table class="finals" id="finals">
                        {move || {
                            let table = views.get().table;
                            let columns = table.columns.clone();
                            view! {
                                <thead><tr><th>"method"</th>{table.columns.iter().map(|(_, h)| view! { <th>{h.clone()}</th> }).collect_view()}</tr></thead>
                                <tbody>
                                    {table.rows.into_iter().map(|(method, cells)| view! {
                                        <tr data-method=method.clone()>
                                            <td>{method.clone()}</td>
                                            {cells.into_iter().zip(columns.clone()).map(|(cell, (class, _))| view! { <td class=class>{cell}</td> }).collect_view()}
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            }
                        }}
                    </table>
                    <div class="boundaries">
                        {move || views.get().heatmaps.into_iter().map(|h| view! { <Heatmap map=h /> }).collect_view()}
                    </div>
                    <div class="networks">
                        {move || views.get().networks.into_iter().map(|n| view! { <Network net=n /> }).collect_view()}
                    </div>
                </div>
            </div>
        </section>
    }
}

#[component]
fn RunControls(exp: Experiment, lab: Arc<LabDecl>) -> impl IntoView {
    let seed = exp.seed;
    let runs = exp.runs;
    let (show_seed, show_runs) = (
        !exp.hide.iter().any(|h| h == "seed"),
        !exp.hide.iter().any(|h| h == "runs"),
    );
    let (lab1, lab2) = (lab.clone(), lab);
    let (e1, e2) = (exp.clone(), exp);
    view! {
        <div class="control" style:display=if show_seed { "" } else { "none" }>
            <label>"Seed"</label>
            <div class="seed-row">
                <input type="number" id="seed" min="0" prop:value=seed.to_string() on:change={
                    let (e1, lab1) = (e1.clone(), lab1.clone());
                    move |ev| {
                        if let Ok(v) = event_target_value(&ev).parse::<u32>() {
                            let mut e = e1.clone();
                            e.seed = v;
                            set_fragment(&e.to_link(&lab1));
                        }
                    }
                } />
                // New data and new initial weights: a fresh seed, kept in the link.
                <button id="regenerate" class="secondary" title="Draw new data and weights (a new seed)" on:click=move |_| {
                    let mut e = e1.clone();
                    e.seed = (js_sys::Math::random() * 1_000_000.0) as u32;
                    set_fragment(&e.to_link(&lab1));
                }>"Regenerate"</button>
            </div>
        </div>
        <div class="control" style:display=if show_runs { "" } else { "none" }>
            <label>"Runs (seeds) per method"</label>
            <input type="number" id="runs" min="1" max="64" prop:value=runs.to_string() on:change=move |ev| {
                if let Ok(v) = event_target_value(&ev).parse::<u32>() {
                    let mut e = e2.clone();
                    e.runs = v.clamp(1, 64);
                    set_fragment(&e.to_link(&lab2));
                }
            } />
        </div>
    }
}

/// A control for one setting or knob, generated from its declaration.
fn setting_control(
    s: &Setting,
    value: Value,
    on_change: impl Fn(Value) + Clone + 'static,
) -> impl IntoView {
    let label = format!(
        "{}{}",
        s.label,
        if s.unit.is_empty() {
            String::new()
        } else {
            format!(" ({})", s.unit)
        }
    );
    let help = s.help;
    let key = s.key;
    let input = match s.kind.clone() {
        Kind::Bool => view! {
            <input type="checkbox" data-key=key prop:checked=value.as_bool() on:change=move |ev| on_change(Value::Bool(event_target_checked(&ev))) />
        }
        .into_any(),
        Kind::Choice { options } => {
            let current = value.as_str().to_string();
            view! {
                <select data-key=key on:change=move |ev| on_change(Value::Choice(event_target_value(&ev)))>
                    {options.iter().map(|o| view! { <option value=*o selected=*o == current>{*o}</option> }).collect_view()}
                </select>
            }
            .into_any()
        }
        Kind::Int { min, max } => {
            let shown = value.to_link();
            view! {
                <input type="range" data-key=key min=min max=max step="1" prop:value=shown.clone()
                    on:change=move |ev| { if let Ok(v) = event_target_value(&ev).parse::<i64>() { on_change(Value::Int(v.clamp(min, max))) } } />
                <span class="value">{shown}</span>
            }
            .into_any()
        }
        Kind::Float { min, max, log } => {
            let v = value.as_f64();
            // Log-scale sliders move in log10 units.
            let (lo, hi, pos) = if log { (min.log10(), max.log10(), v.log10()) } else { (min, max, v) };
            let shown = value.to_link();
            view! {
                <input type="range" data-key=key min=lo max=hi step=((hi - lo) / 200.0).to_string() prop:value=pos.to_string()
                    on:change=move |ev| {
                        if let Ok(p) = event_target_value(&ev).parse::<f64>() {
                            let raw = if log { 10f64.powf(p) } else { p };
                            // Three significant digits keep links short.
                            let rounded = format!("{raw:.3e}").parse::<f64>().unwrap_or(raw).clamp(min, max);
                            on_change(Value::Float(rounded))
                        }
                    } />
                <span class="value">{shown}</span>
            }
            .into_any()
        }
    };
    view! {
        <div class="control" title=help>
            <label>{label}</label>
            {input}
        </div>
    }
}
