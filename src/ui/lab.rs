//! A lab's page, generic over its declarations: controls for every setting, method toggles with
//! their knobs, play / pause / step / reset, loss and accuracy curves with seed bands, and each
//! method's decision boundary. The experiment lives in the URL fragment. Training runs in the
//! session's engines (`engine.rs`), in Web Workers; what the session is and does (its engines'
//! shares, what their messages and the presses change, an export) is plain Rust in
//! `crate::session`. This page hands it the presses and the engines' messages, and maps what it
//! says to signals and draws.

use super::browser::{
    console_log, copy_text, download, set_engines_live, set_fragment, set_lose_device_hook,
    sleep_ms, yield_now,
};
use super::engine::EngineHandle;
use super::figures::{Bars, Chart, ClaimsPanel, Heatmap, Network, COLOURS};
use super::own_data::{take_file, use_latest, OwnDataPanel};
use super::{adapter_detail, BackendStatus, SharedGpu};
use crate::engine::gpu::GpuContext;
use crate::experiment::{BackendChoice, Experiment, LinkProblem, MethodChoice};
use crate::labs::{Kind, LabDecl, Setting, Value};
use crate::runner::{export_csv, export_json, ClaimRow, Driver};
use crate::session::{self, FromEngine, Received, Session, ToEngine};
use crate::views::Views;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use wasm_bindgen::JsCast;

/// A session's engine as the page holds it: its handle, and what gets its messages (to start
/// it again in the page where its worker never started).
struct PageEngine {
    handle: EngineHandle,
    handler: Rc<dyn Fn(FromEngine)>,
}

impl session::Engine for PageEngine {
    fn send(&self, msg: ToEngine) {
        self.handle.send(msg)
    }
    fn forward(&self, msg: ToEngine) {
        self.handle.forward(msg)
    }
    fn sent(&self) -> u32 {
        self.handle.sent.get()
    }
    fn in_worker(&self) -> bool {
        self.handle.in_worker()
    }
}

/// How long an experiment must stand still before its session's engines start unasked.
const PREPARE_AFTER_MS: f64 = 250.0;

/// The cores the browser reports (`navigator.hardwareConcurrency`), at least 1.
fn cores() -> usize {
    web_sys::window()
        .map(|w| w.navigator().hardware_concurrency())
        .unwrap_or(1.0)
        .max(1.0) as usize
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
            label: "auto: timing CPU and WebGPU…".into(),
            detail: adapter_detail(ctx),
        },
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
    // The engine is training: a pause takes effect once its batch in flight lands, and the page
    // says so (`data-busy` on Play) so nothing reads a step counter that is about to move.
    let running = RwSignal::new(0u32);
    // Every engine of the session has its runs built and placed (`data-ready` on Play).
    let ready = RwSignal::new(false);
    // How many workers the session trains in (`data-workers` on Play, for the tests).
    let workers = RwSignal::new(0usize);
    let (step, set_step) = signal(0u32);
    let (rate, set_rate) = signal(0.0f64);
    let (views, set_views) = signal(Views::default());
    let (claims, set_claims) = signal(Vec::<ClaimRow>::new());
    let (status, set_status) = signal(String::new());
    // Most steps per frame: "slow" lets a class watch single steps land.
    let (speed, set_speed) = signal(u32::MAX);
    let (classroom, set_classroom) = signal(false);
    let session: Rc<RefCell<Option<Session<PageEngine>>>> = Rc::new(RefCell::new(None));
    let generation = Rc::new(Cell::new(0u32));
    // The page is gone: no session starts any more.
    let closed = Rc::new(Cell::new(false));
    // Bumped by every reset, so the next session's engines start (see `PREPARE_AFTER_MS`).
    let resets = RwSignal::new(0u32);
    let lab = Arc::new(lab);
    // The experiment's last step (`data-total` on Play, for the tests).
    let total = {
        let id = lab.id;
        Memo::new(move |_| crate::labs::lab(id).map_or(0, |l| l.total_steps(&experiment.get())))
    };

    // Forgets the session: a reset, or a new experiment. Its engine stops (a worker is
    // terminated), and anything it still sends is ignored.
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
            resets.update(|n| *n += 1);
            let old = session.borrow_mut().take();
            drop(old);
            set_engines_live((0, 0.0));
            ready.set(false);
            workers.set(0);
            idle();
            set_playing.set(false);
            running.set(0);
            set_step.set(0);
            set_rate.set(0.0);
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
        let (reset, idle) = (reset.clone(), idle.clone());
        // Classroom options (hidden controls, presentation) change no run: not a reset.
        let runnable = Memo::new(move |_| experiment.get().runnable());
        Effect::new(move |previous: Option<(Experiment, BackendStatus)>| {
            let now = (runnable.get(), adapter.get());
            match &previous {
                // The first run only subscribes: there is nothing to reset yet, and a Play or
                // Step pressed before this effect first ran must not be cancelled by it.
                None => set_claims.set(
                    Driver::start(&experiment.get_untracked(), None)
                        .map(|mut d| d.claims())
                        .unwrap_or_default(),
                ),
                // The adapter check landing on the same experiment: nothing has trained yet, and
                // a Play or Step pressed while the badge said "checking" is waiting for it. Only
                // the badge changes.
                Some((exp, BackendStatus::Checking)) if *exp == now.0 => idle(),
                // A new experiment, or a lost device: start over.
                Some(_) => reset(),
            }
            now
        });
    }

    // The page's signals from what the session's engines last said.
    let show = {
        let (session, lab) = (session.clone(), lab.clone());
        move |views_changed: bool, finished_changed: bool| {
            let mut guard = session.borrow_mut();
            let Some(s) = guard.as_mut() else {
                return;
            };
            let now = s.summary();
            // Workers' own; an engine in the page is counted with the page.
            set_engines_live(now.live);
            set_step.set(now.step);
            set_rate.set(now.rate);
            running.set(u32::from(now.running));
            ready.set(now.ready);
            workers.set(now.workers);
            if now.paused {
                set_playing.set(false);
            }
            if let Some(status) = now.status {
                set_status.set(status);
            }
            if let Some(b) = now.badge {
                set_backend.set(b);
            }
            if views_changed {
                set_views.set(s.views());
            }
            if finished_changed {
                if let Ok(this) = crate::labs::lab(lab.id) {
                    set_claims.set(s.claims(this, &experiment.get_untracked()));
                }
            }
        }
    };

    // What engine `slot` of the session of generation `mine` sends.
    let on_message = {
        let (session, generation, gpu, lab) = (
            session.clone(),
            generation.clone(),
            gpu.clone(),
            lab.clone(),
        );
        move |mine: u32, slot: usize| -> Rc<dyn Fn(FromEngine)> {
            let (session, generation, gpu, lab, show) = (
                session.clone(),
                generation.clone(),
                gpu.clone(),
                lab.clone(),
                show.clone(),
            );
            Rc::new(move |msg: FromEngine| {
                if generation.get() != mine {
                    return;
                }
                let received = {
                    let mut guard = session.borrow_mut();
                    let Some(s) = guard.as_mut() else {
                        return;
                    };
                    s.receive(slot, msg, &experiment.get_untracked(), &lab)
                };
                match received {
                    Received::Changed { views, finished } => show(views, finished),
                    Received::DeviceLost(why) => {
                        // The CPU takes over: the badge says so, and the session starts again
                        // there (the weights went with the device).
                        *gpu.borrow_mut() = None;
                        set_playing.set(false);
                        set_adapter.set(BackendStatus::cpu_because(&format!(
                            "WebGPU device lost: {why}"
                        )));
                        set_status
                            .set("the GPU was lost; running on the CPU now: press Play".into());
                    }
                    Received::StartInPage(why) => {
                        // The worker never started (its script or wasm did not load): its share
                        // trains in the page instead. After this handler: it belongs to the
                        // worker being replaced.
                        console_log(&format!(
                            "a training worker did not start ({why}): training in the page"
                        ));
                        let session = session.clone();
                        spawn_local(async move {
                            let mut guard = session.borrow_mut();
                            let Some(s) = guard.as_mut().filter(|s| s.generation == mine) else {
                                return;
                            };
                            let (start, handler) = {
                                let e = &s.engines[slot];
                                (e.start.clone(), e.engine.handler.clone())
                            };
                            let handle = EngineHandle::in_page(start, handler.clone());
                            let (choice, n) =
                                (experiment.get_untracked().backend, speed.get_untracked());
                            s.replace(slot, PageEngine { handle, handler }, choice, n);
                        });
                    }
                    Received::Export { csv, report } => {
                        let claims = claims.get_untracked();
                        let (ext, mime, text) = if csv {
                            ("csv", "text/csv", export_csv(&report, &claims))
                        } else {
                            ("json", "application/json", export_json(&report, &claims))
                        };
                        if download(&format!("methodlab-{}.{ext}", lab.id), mime, &text).is_err() {
                            set_status.set("the browser refused the download".into());
                        }
                    }
                }
            })
        }
    };

    // Sends a press to every engine of the session (`None`: none), starting them (once the
    // adapter check is in) if there are none yet.
    let start_or_send = {
        let (session, generation, gpu, lab, closed) = (
            session.clone(),
            generation.clone(),
            gpu.clone(),
            lab.clone(),
            closed.clone(),
        );
        Rc::new(move |msg: Option<ToEngine>| {
            if closed.get() {
                return;
            }
            // A press ends the page's own message; the engines' comes back with their next frame.
            if matches!(msg, Some(ToEngine::Play | ToEngine::Step)) {
                set_status.set(String::new());
            }
            if let Some(s) = session.borrow_mut().as_mut() {
                if let Some(msg) = &msg {
                    s.press(msg);
                }
                return;
            }
            let (session, generation, gpu, lab, on_message) = (
                session.clone(),
                generation.clone(),
                gpu.clone(),
                lab.clone(),
                on_message.clone(),
            );
            let mine = generation.get();
            spawn_local(async move {
                while adapter.get_untracked() == BackendStatus::Checking {
                    yield_now().await;
                }
                if generation.get() != mine {
                    return;
                }
                if session.borrow().is_none() {
                    let exp = experiment.get_untracked();
                    // Whole, any table included: the engines' workers were given no file.
                    let link = exp.to_link_inline(&lab);
                    let split = crate::labs::lab(lab.id).is_ok_and(|l| l.views_split());
                    let mut engines = Vec::new();
                    for (slot, (methods, runs)) in
                        session::plan(&exp, split, cores()).into_iter().enumerate()
                    {
                        let start = ToEngine::Start {
                            link: link.clone(),
                            methods: methods.clone(),
                            runs: runs.clone(),
                            gpu: gpu.borrow().is_some(),
                            adapter: adapter.get_untracked().detail(),
                            fusion: super::browser::fusion_override(),
                            step: super::browser::step_override(),
                        };
                        let handler = on_message(mine, slot);
                        let handle = EngineHandle::spawn(start.clone(), handler.clone());
                        if speed.get_untracked() != u32::MAX {
                            handle.send(ToEngine::Speed(speed.get_untracked()));
                        }
                        engines.push((PageEngine { handle, handler }, start, (methods, runs)));
                    }
                    *session.borrow_mut() = Some(Session::new(mine, engines));
                }
                if let Some(s) = session
                    .borrow_mut()
                    .as_mut()
                    .filter(|s| s.generation == mine)
                {
                    if let Some(msg) = &msg {
                        s.press(msg);
                    }
                }
            });
        })
    };
    let send = {
        let start_or_send = start_or_send.clone();
        Rc::new(move |msg: ToEngine| start_or_send(Some(msg)))
    };
    // Each experiment's engines start once it has stood still for a moment, before any press:
    // they load, build the runs, make their device and (under auto) time both backends in the
    // background, so that Play trains at once. A press before then starts them itself.
    {
        let prepares = Rc::new(Cell::new(0u32));
        Effect::new(move |_| {
            // A new experiment resets the session; so does the adapter check landing.
            let _ = (resets.get(), adapter.get());
            let asked = prepares.get() + 1;
            prepares.set(asked);
            let (prepares, start_or_send) = (prepares.clone(), start_or_send.clone());
            spawn_local(async move {
                sleep_ms(PREPARE_AFTER_MS).await;
                // Only the last of a burst of changes (a slider dragged) starts engines.
                if prepares.get() == asked {
                    start_or_send(None);
                }
            });
        });
    }

    // Leaving the page (for another lab) ends its session: its workers are terminated. The
    // session's engines hold handlers that hold the session, so nothing else would.
    {
        let held = send_wrapper::SendWrapper::new((session.clone(), generation.clone(), closed));
        let id = lab.id;
        on_cleanup(move || {
            // Its claims' checks stop too; their results stay for when the visitor comes back.
            super::checks::stop(id);
            let (session, generation, closed) = &*held;
            closed.set(true);
            generation.set(generation.get() + 1);
            drop(session.borrow_mut().take());
        });
    }

    // The test hook `methodlabLoseDevice()` reaches the engines' devices too.
    {
        let send = send.clone();
        let session = session.clone();
        set_lose_device_hook(Some(Rc::new(move || {
            if session.borrow().is_some() {
                send(ToEngine::LoseDevice);
            }
        })));
        on_cleanup(|| set_lose_device_hook(None));
    }

    // A backend switch: the engine moves the runs, at its next batch or now.
    {
        let (session, send) = (session.clone(), send.clone());
        let choice = Memo::new(move |_| experiment.get().backend);
        Effect::new(move |_| {
            let choice = choice.get();
            if session.borrow().is_some() {
                send(ToEngine::Backend(choice.as_str().into()));
            } else {
                idle();
            }
        });
    }

    // Play or pause (the button and the space bar).
    let toggle = {
        let send = send.clone();
        Rc::new(move || {
            if playing.get_untracked() {
                set_playing.set(false);
                send(ToEngine::Pause);
            } else {
                set_playing.set(true);
                running.set(1);
                send(ToEngine::Play);
            }
        })
    };
    let step_once = {
        let send = send.clone();
        Rc::new(move || {
            set_playing.set(false);
            running.set(1);
            send(ToEngine::Step);
        })
    };
    let play = {
        let toggle = toggle.clone();
        move |_| toggle()
    };
    let step_click = {
        let step_once = step_once.clone();
        move |_| step_once()
    };
    let reset_click = {
        let reset = reset.clone();
        move |_| reset()
    };
    {
        let send = send.clone();
        Effect::new(move |previous: Option<()>| {
            let n = speed.get();
            if previous.is_some() {
                send(ToEngine::Speed(n));
            }
        });
    }

    // Keyboard: space plays or pauses, s steps, r resets (not while typing in a field).
    {
        let (step_once, toggle, reset) = (step_once.clone(), toggle.clone(), reset.clone());
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
                "s" => step_once(),
                "r" => reset(),
                _ => {}
            }
        });
        on_cleanup(move || handle.remove());
    }

    // Export: every run's status, final metrics and history, as the CLI writes them, with the
    // link as it is now (classroom options included), once every engine has sent its reports.
    let export = {
        let session = session.clone();
        move |csv: bool| match session.borrow_mut().as_mut() {
            Some(s) => s.ask_export(csv),
            None => set_status.set("nothing to export yet: press Play or Step".into()),
        }
    };
    let (export_csv, export_json) = (export.clone(), export);

    let lab_for_controls = lab.clone();
    let lab_for_methods = lab.clone();
    let lab_for_title = lab.clone();
    // Your own data: what the last file given said (a problem, or a note).
    let own_message = RwSignal::new(String::new());
    let on_drop = {
        let lab = lab.clone();
        move |ev: leptos::ev::DragEvent| {
            ev.prevent_default();
            let Some(file) = ev
                .data_transfer()
                .and_then(|d| d.files())
                .and_then(|f| f.get(0))
            else {
                return;
            };
            if lab.own_data.is_some() {
                take_file(file, lab.clone(), experiment, move |m| own_message.set(m));
            } else {
                set_status.set(format!("{} trains on its own data only: your own data goes into Basics or Imperfect labels", lab.title));
            }
        }
    };
    view! {
        <section class="lab" class:present=move || experiment.get().present
            on:dragover=|ev: leptos::ev::DragEvent| ev.prevent_default() on:drop=on_drop>
            <div class="problems" id="link-problems" style:display=move || if problems.get().is_empty() { "none" } else { "block" }>
                <button class="dismiss" on:click=move |_| set_problems.set(Vec::new())>"×"</button>
                <strong>"This link had problems; defaults were used for these keys:"</strong>
                <ul>{move || problems.get().into_iter().map(|p| view! { <li>{p.to_string()}</li> }).collect_view()}</ul>
            </div>
            <div class="toolbar">
                <h2>{lab_for_title.title}</h2>
                <button id="play" on:click=play data-busy=move || (running.get() > 0).to_string() data-ready=move || ready.get().to_string() data-workers=move || workers.get().to_string() data-total=move || total.get().to_string()>{move || if playing.get() { "Pause" } else { "Play" }}</button>
                <button id="step" class="secondary" on:click=step_click>"Step"</button>
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
                <a id="sweep-open" class="button secondary" title="this experiment over a grid of settings: a metric or a claim's verdict a cell"
                    href={
                        let lab = lab_for_title.clone();
                        move || experiment.get().to_link(&lab).replacen("#/", "#/sweep/", 1)
                    }>"Sweep"</a>
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
                            {lab.settings.iter().filter(|s| shown(s.key)).map(|s| { let control = setting_control(s, exp.settings.get(s.key).cloned().unwrap_or(s.default.clone()), {
                                let key = s.key;
                                let lab = lab.clone();
                                move |v: Value| {
                                    // Own data chosen again: the table given last, if any.
                                    let own = lab.own_data.is_some_and(|o| o.setting == key) && v.as_str() == "own";
                                    if own && use_latest(&lab, experiment) {
                                        return;
                                    }
                                    let mut e = experiment.get_untracked();
                                    e.settings.insert(key.to_string(), v);
                                    set_fragment(&e.to_link(&lab));
                                }
                            });
                            // Your own data, right under the setting that chooses it.
                            let own = lab.own_data.is_some_and(|o| o.setting == s.key).then(|| {
                                view! { <OwnDataPanel lab=lab.clone() experiment=experiment message=own_message /> }
                            });
                            view! { {control} {own} }
                            }).collect_view()}
                        }
                    }}
                </aside>
                <div class="main">
                    // The lab's signature view first, beside the controls, where the eye goes.
                    <div class="signature" id="signature">
                        {move || {
                            let v = views.get();
                            let top = signature_charts(&v);
                            v.charts.into_iter().enumerate().filter(|(i, _)| top.contains(i)).map(|(_, chart)| view! { <Chart chart=chart /> }).collect_view()
                        }}
                        <div class="boundaries">
                            {move || views.get().heatmaps.into_iter().map(|h| view! { <Heatmap map=h /> }).collect_view()}
                        </div>
                        <div class="networks">
                            {move || views.get().networks.into_iter().map(|n| view! { <Network net=n /> }).collect_view()}
                        </div>
                    </div>
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
                        {move || {
                            let v = views.get();
                            let top = signature_charts(&v);
                            v.charts.into_iter().enumerate().filter(|(i, _)| !top.contains(i)).map(|(_, chart)| view! { <Chart chart=chart /> }).collect_view()
                        }}
                        {move || views.get().bars.into_iter().filter(|b| !b.groups.is_empty()).map(|bars| view! { <Bars bars=bars /> }).collect_view()}
                    </div>
                    <ClaimsPanel claims=claims lab=lab.id />
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
                </div>
            </div>
        </section>
    }
}

/// Which charts stand in the signature view at the top: none where the lab draws pictures
/// (heatmaps: a decision boundary, an accuracy matrix), else its wide charts (its main picture),
/// else its first chart.
fn signature_charts(v: &Views) -> Vec<usize> {
    if !v.heatmaps.is_empty() {
        return Vec::new();
    }
    let wide: Vec<usize> = (0..v.charts.len()).filter(|&i| v.charts[i].wide).collect();
    if wide.is_empty() && !v.charts.is_empty() {
        vec![0]
    } else {
        wide
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
