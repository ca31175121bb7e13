//! A lab's page, generic over its declarations: controls for every setting, method toggles with
//! their knobs, play / pause / step / reset, loss and accuracy curves with seed bands, and each
//! method's decision boundary. The experiment lives in the URL fragment.

use super::browser::{copy_text, download, download_png, now_ms, yield_now};
use super::{BackendStatus, SharedGpu};
use crate::experiment::{Experiment, LinkProblem, MethodChoice};
use crate::labs::{Kind, LabDecl, Setting, Value};
use crate::runner::{ClaimRow, ClaimState, Driver};
use crate::views::{BarView, ChartView, HeatmapView, NetworkView, Views};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use wasm_bindgen::{Clamped, JsCast};

const COLOURS: [&str; 10] = [
    "#2457c5", "#d1495b", "#2a9d8f", "#e9a03b", "#7b4fb0", "#5c6770", "#8c564b", "#17becf",
    "#bcbd22", "#e377c2",
];
/// Milliseconds of training work per frame the loop aims for: a 60 fps frame on the CPU; on the
/// GPU, waiting for the queue costs a round trip of its own, so batches must be longer to pay it.
const FRAME_BUDGET_MS: f64 = 12.0;
const GPU_FRAME_BUDGET_MS: f64 = 40.0;

/// The page's training state: the session's driver and which experiment it belongs to.
struct Session {
    driver: Driver,
    generation: u32,
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
    backend: ReadSignal<BackendStatus>,
    set_backend: WriteSignal<BackendStatus>,
) -> impl IntoView {
    let (playing, set_playing) = signal(false);
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
    let reset = {
        let (session, generation) = (session.clone(), generation.clone());
        Rc::new(move || {
            generation.set(generation.get() + 1);
            *session.borrow_mut() = None;
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
            let _ = backend.get();
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
        Rc::new(move |single: bool| {
            let (session, generation, gpu) = (session.clone(), generation.clone(), gpu.clone());
            spawn_local(async move {
                let my_generation = generation.get();
                let exp = experiment.get_untracked();
                if session.borrow().is_none() {
                    while backend.get_untracked() == BackendStatus::Checking {
                        yield_now().await;
                    }
                    set_status.set("building…".into());
                    let ctx = gpu.borrow().clone();
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
                    let done = d.step();
                    let n = if single {
                        d.every - done % d.every.max(1)
                    } else {
                        chunk.min(speed.get_untracked())
                    }
                    .min(d.total.saturating_sub(done));
                    // Train every group, then wait once: they share the device's queue.
                    let t0 = now_ms();
                    let mut failed = d.train(n).await.err();
                    let train_ms = now_ms() - t0;
                    let budget = if d.groups.first().is_some_and(|g| g.exec().is_gpu()) {
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
                    set_views.set(s.driver.views());
                    set_claims.set(s.driver.claims());
                    *session.borrow_mut() = Some(s);
                    if let Some(e) = failed {
                        if let crate::engine::EngineError::DeviceLost(why) = &e {
                            // The CPU takes over: the badge says so and the run starts again there.
                            *gpu.borrow_mut() = None;
                            set_backend
                                .set(BackendStatus::Cpu(format!("WebGPU device lost: {why}")));
                            set_status
                                .set("the GPU was lost; running on the CPU now: press Play".into());
                        } else {
                            set_status.set(format!("stopped: {e}"));
                        }
                        set_playing.set(false);
                        return;
                    }
                    if single || finished || !playing.get_untracked() {
                        if finished {
                            set_playing.set(false);
                        }
                        return;
                    }
                    yield_now().await;
                }
            });
        })
    };

    // Play or pause (the button and the space bar).
    let toggle = {
        let drive = drive.clone();
        Rc::new(move || {
            if playing.get_untracked() {
                set_playing.set(false);
            } else {
                set_playing.set(true);
                drive(false);
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
            drive(true);
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
                    drive(true);
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
            let backend_name = match backend.get_untracked() {
                BackendStatus::WebGpu(_) => "webgpu",
                _ => "cpu",
            };
            let exported = session.borrow_mut().as_mut().map(|s| {
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
                <button id="play" on:click=play>{move || if playing.get() { "Pause" } else { "Play" }}</button>
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

/// A line chart of one metric: each method's mean over runs with a band from the lowest to the
/// highest run, and the chart's dashed reference lines.
#[component]
fn Chart(chart: ChartView) -> impl IntoView {
    let (w, h, pad) = if chart.wide {
        (700.0f64, 300.0f64, 34.0f64)
    } else {
        (340.0f64, 190.0f64, 34.0f64)
    };
    let values = chart
        .series
        .iter()
        .flat_map(|s| s.band.iter().flat_map(|p| [p.low as f64, p.high as f64]))
        .chain(
            chart
                .guides
                .iter()
                .flat_map(|g| g.points.iter().map(|p| p.1)),
        )
        .filter(|v| v.is_finite());
    let (lo, hi) = match chart.range {
        Some(range) => range,
        None => {
            let (lo, hi) = values.fold((0.0f64, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
            (lo, if hi > lo { hi } else { lo + 1.0 })
        }
    };
    let max_step = chart
        .series
        .iter()
        .flat_map(|s| s.band.iter().map(|p| p.step as f64))
        .chain(
            chart
                .guides
                .iter()
                .flat_map(|g| g.points.iter().map(|p| p.0)),
        )
        .fold(1.0f64, f64::max);
    // Wide charts keep a right margin for their legend.
    let right = if chart.wide { 96.0 } else { 8.0 };
    let x = move |s: f64| pad + (w - pad - right) * s / max_step;
    let y = move |v: f64| {
        let t = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
        h - pad - (h - pad - 8.0) * t
    };
    let series = chart
        .series
        .iter()
        .map(|s| {
            let c = COLOURS[s.colour % COLOURS.len()];
            let line: String = s
                .band
                .iter()
                .map(|p| format!("{:.1},{:.1} ", x(p.step as f64), y(p.mean as f64)))
                .collect();
            let upper = s
                .band
                .iter()
                .map(|p| format!("{:.1},{:.1}", x(p.step as f64), y(p.high as f64)));
            let lower = s
                .band
                .iter()
                .rev()
                .map(|p| format!("{:.1},{:.1}", x(p.step as f64), y(p.low as f64)));
            let area = upper.chain(lower).collect::<Vec<_>>().join(" ");
            view! {
                <g class="series" class:dashed=s.dashed data-method=s.method.clone()>
                    <polygon points=area fill=c fill-opacity=if s.dashed { "0.08" } else { "0.18" } stroke="none" />
                    <polyline points=line fill="none" stroke=c stroke-width="2" stroke-dasharray=s.dashed.then_some("6 4") />
                </g>
            }
        })
        .collect_view();
    let guides = chart
        .guides
        .iter()
        .map(|g| {
            let line: String = g
                .points
                .iter()
                .map(|&(s, v)| format!("{:.1},{:.1} ", x(s), y(v)))
                .collect();
            let (lx, ly) = g.points.first().map_or((0.0, 0.0), |&(s, v)| (x(s), y(v)));
            view! {
                <g class="guide">
                    <polyline points=line fill="none" stroke="#1d232b" stroke-width="1.2" stroke-dasharray="4 3" />
                    <text x=lx + 4.0 y=ly - 4.0 class="tick" font-size="10" fill="#5b6673">{g.label.clone()}</text>
                </g>
            }
        })
        .collect_view();
    // Wide charts carry a legend; the small ones rely on the method cards' swatches.
    let legend = chart
        .series
        .iter()
        .filter(|s| chart.wide && !s.dashed)
        .enumerate()
        .map(|(i, s)| {
            let c = COLOURS[s.colour % COLOURS.len()];
            view! { <text x=w - right + 8.0 y=22.0 + 14.0 * i as f64 fill=c class="legend" font-size="12" font-weight="600">{s.method.clone()}</text> }
        })
        .collect_view();
    let tick = |v: f64| {
        if (v.round() - v).abs() < 1e-9 {
            format!("{v:.0}")
        } else {
            format!("{v:.2}")
        }
    };
    let figure = NodeRef::<leptos::html::Figure>::new();
    let file = format!("{}.png", chart.metric.replace([':', '/'], "-"));
    view! {
        <figure class="chart" data-metric=chart.metric.clone() node_ref=figure>
            <figcaption>{chart.title.clone()}<PngButton figure=figure file=file /></figcaption>
            <svg viewBox=format!("0 0 {w} {h}") width=w height=h xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">
                <line x1=pad y1={h - pad} x2={w - right} y2={h - pad} class="axis" stroke="#b8c0ca" />
                <line x1=pad y1="8" x2=pad y2={h - pad} class="axis" stroke="#b8c0ca" />
                <text x="4" y="14" class="tick" font-size="10" fill="#5b6673">{tick(hi)}</text>
                <text x="4" y={h - pad + 4.0} class="tick" font-size="10" fill="#5b6673">{tick(lo)}</text>
                <text x={w - right - 52.0} y={h - 8.0} class="tick" font-size="10" fill="#5b6673">{format!("{} {max_step:.0}", chart.x_label)}</text>
                {guides}
                {series}
                {legend}
            </svg>
        </figure>
    }
}

/// Blue (class 0, or low) through white to orange (class 1, or high).
fn colour(p: f32) -> [u8; 3] {
    let t = if p.is_finite() {
        p.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let (r, g, b) = if t < 0.5 {
        let k = t / 0.5;
        (70.0 + 185.0 * k, 120.0 + 135.0 * k, 200.0 + 55.0 * k)
    } else {
        let k = (t - 0.5) / 0.5;
        (255.0, 255.0 - 105.0 * k, 255.0 - 200.0 * k)
    };
    [r as u8, g as u8, b as u8]
}

/// The 2-D drawing context of a mounted canvas (`None` before it mounts).
fn context_2d(canvas: NodeRef<leptos::html::Canvas>) -> Option<web_sys::CanvasRenderingContext2d> {
    let el = canvas.get()?;
    let el: &web_sys::HtmlCanvasElement = el.unchecked_ref();
    el.get_context("2d").ok()??.dyn_into().ok()
}

/// A method's heatmap (the Basics decision boundary: P(class 1) of the first run) with the data.
#[component]
fn Heatmap(map: HeatmapView) -> impl IntoView {
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let HeatmapView {
        method,
        cols,
        cell,
        values: grid,
        extent,
        points,
        annotate,
        line,
    } = map;
    let title = method.clone();
    let caption = method;
    let cols = cols.max(1);
    let rows = grid.len().div_ceil(cols).max(1);
    let cell = cell.max(1);
    let (width, height) = (cols * cell, rows * cell);
    Effect::new(move |_| {
        let Some(ctx) = context_2d(canvas) else {
            return;
        };
        // Each cell is `cell` × `cell` pixels, so points and values can be drawn crisply on top.
        // A matrix of accuracies runs white → blue; a boundary blue → white → orange.
        let paint = |p: f32| {
            if annotate {
                let t = if p.is_finite() {
                    p.clamp(0.0, 1.0)
                } else {
                    0.0
                };
                [
                    (255.0 - 219.0 * t) as u8,
                    (255.0 - 168.0 * t) as u8,
                    (255.0 - 58.0 * t) as u8,
                ]
            } else {
                colour(p)
            }
        };
        let mut pixels = vec![0u8; width * height * 4];
        for (i, &p) in grid.iter().enumerate().take(rows * cols) {
            let [r, g, b] = paint(p);
            let (row, col) = (i / cols, i % cols);
            for dy in 0..cell {
                for dx in 0..cell {
                    let at = 4 * ((row * cell + dy) * width + col * cell + dx);
                    pixels[at..at + 4].copy_from_slice(&[r, g, b, 255]);
                }
            }
        }
        if let Ok(image) = web_sys::ImageData::new_with_u8_clamped_array_and_sh(
            Clamped(&pixels),
            width as u32,
            height as u32,
        ) {
            let _ = ctx.put_image_data(&image, 0.0, 0.0);
        }
        if annotate {
            ctx.set_font(&format!(
                "{}px sans-serif",
                (cell as f64 * 0.38).clamp(8.0, 13.0)
            ));
            ctx.set_text_align("center");
            ctx.set_text_baseline("middle");
            for (i, &p) in grid.iter().enumerate().take(rows * cols) {
                let (row, col) = (i / cols, i % cols);
                ctx.set_fill_style_str(if p > 0.6 { "#fff" } else { "#1d232b" });
                let _ = ctx.fill_text(
                    &format!("{:.0}", 100.0 * p),
                    (col * cell) as f64 + cell as f64 / 2.0,
                    (row * cell) as f64 + cell as f64 / 2.0,
                );
            }
        }
        // The reference boundary w·(x, y) = 0, dashed, across the whole square.
        if let Some([wx, wy]) = line {
            let (wx, wy, e) = (wx as f64, wy as f64, extent as f64);
            let to_px = |x: f64, y: f64| {
                (
                    (x + e) / (2.0 * e) * width as f64,
                    (e - y) / (2.0 * e) * height as f64,
                )
            };
            // Along the direction (−wy, wx), far enough to leave the square both ways.
            let n = wx.hypot(wy).max(1e-12);
            let (dx, dy) = (-wy / n * 3.0 * e, wx / n * 3.0 * e);
            let (a, b) = (to_px(-dx, -dy), to_px(dx, dy));
            ctx.begin_path();
            ctx.move_to(a.0, a.1);
            ctx.line_to(b.0, b.1);
            let _ = ctx.set_line_dash(&js_sys::Array::of2(&6.0.into(), &4.0.into()));
            ctx.set_stroke_style_str("#1d232b");
            ctx.set_line_width(1.5);
            ctx.stroke();
            let _ = ctx.set_line_dash(&js_sys::Array::new());
        }
        // Train points ringed in white, test points in black.
        for &(x, y, label, test) in points.iter() {
            let e = extent as f64;
            let (px, py) = (
                (x as f64 + e) / (2.0 * e) * width as f64,
                (e - y as f64) / (2.0 * e) * height as f64,
            );
            let [r, g, b] = colour(label);
            ctx.begin_path();
            let _ = ctx.arc(px, py, 2.6, 0.0, std::f64::consts::TAU);
            ctx.set_fill_style_str(&format!("rgb({r},{g},{b})"));
            ctx.fill();
            ctx.set_stroke_style_str(if test { "#000" } else { "#fff" });
            ctx.set_line_width(0.8);
            ctx.stroke();
        }
    });
    let figure = NodeRef::<leptos::html::Figure>::new();
    let file = format!("{}.png", title.replace([':', '/', ' ', '(', ')'], "-"));
    view! {
        <figure class="boundary" data-method=title.clone() node_ref=figure>
            <figcaption>{caption}<PngButton figure=figure file=file /></figcaption>
            <canvas node_ref=canvas width=width height=height></canvas>
        </figure>
    }
}

/// A figure's "PNG" button: downloads what the figure shows.
#[component]
fn PngButton(figure: NodeRef<leptos::html::Figure>, file: String) -> impl IntoView {
    view! {
        <button class="png" title="Download as PNG" on:click=move |_| {
            let file = file.clone();
            if let Some(el) = figure.get_untracked() {
                let el: web_sys::Element = el.into();
                spawn_local(async move {
                    if download_png(&el, &file).await.is_err() {
                        super::browser::console_log("PNG export failed");
                    }
                });
            }
        }>"PNG"</button>
    }
}

/// A network drawing: a column of units per layer, every link's width its |weight| (relative to
/// the largest) and its colour the sign (orange positive, blue negative), as in TensorFlow
/// Playground.
#[component]
fn Network(net: NetworkView) -> impl IntoView {
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let figure = NodeRef::<leptos::html::Figure>::new();
    let (width, height) = (420.0f64, 240.0f64);
    let method = net.method.clone();
    let file = format!("network-{}.png", net.method);
    Effect::new(move |_| {
        let Some(ctx) = context_2d(canvas) else {
            return;
        };
        ctx.set_fill_style_str("#fff");
        ctx.fill_rect(0.0, 0.0, width, height);
        let layers = net.sizes.len();
        let (left, right, top, bottom) = (56.0, 20.0, 14.0, 14.0);
        let x = |l: usize| left + (width - left - right) * l as f64 / (layers - 1).max(1) as f64;
        let y = |l: usize, i: usize| {
            let n = net.sizes[l].max(1);
            top + (height - top - bottom) * (i as f64 + 0.5) / n as f64
        };
        let biggest = net
            .weights
            .iter()
            .flatten()
            .fold(1e-6f32, |m, w| m.max(w.abs()));
        for (l, w) in net.weights.iter().enumerate() {
            let (n_in, n_out) = (net.sizes[l], net.sizes[l + 1]);
            for i in 0..n_in {
                for j in 0..n_out {
                    let v = w.get(i * n_out + j).copied().unwrap_or(0.0);
                    let t = (v.abs() / biggest) as f64;
                    let alpha = 0.15 + 0.85 * t;
                    ctx.set_stroke_style_str(&if v >= 0.0 {
                        format!("rgba(233,130,30,{alpha:.2})")
                    } else {
                        format!("rgba(36,87,197,{alpha:.2})")
                    });
                    ctx.set_line_width(0.3 + 3.5 * t);
                    ctx.begin_path();
                    ctx.move_to(x(l), y(l, i));
                    ctx.line_to(x(l + 1), y(l + 1, j));
                    ctx.stroke();
                }
            }
        }
        ctx.set_font("11px sans-serif");
        for (l, &n) in net.sizes.iter().enumerate() {
            for i in 0..n {
                ctx.begin_path();
                let _ = ctx.arc(x(l), y(l, i), 3.5, 0.0, std::f64::consts::TAU);
                ctx.set_fill_style_str("#1d232b");
                ctx.fill();
                if l == 0 {
                    if let Some(name) = net.inputs.get(i) {
                        ctx.set_text_align("right");
                        let _ = ctx.fill_text(name, x(0) - 8.0, y(0, i) + 4.0);
                    }
                }
            }
        }
    });
    view! {
        <figure class="network" data-method=method.clone() node_ref=figure>
            <figcaption>{format!("{method}: the network")}<PngButton figure=figure file=file /></figcaption>
            <canvas node_ref=canvas width=width height=height></canvas>
        </figure>
    }
}

/// A bar chart with seed whiskers: groups (methods) along x, one bar per named value.
#[component]
fn Bars(bars: BarView) -> impl IntoView {
    let (w, h, pad, bottom) = (700.0f64, 240.0f64, 34.0f64, 40.0f64);
    let (lo, hi) = bars.range;
    let y = move |v: f64| {
        let t = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
        h - bottom - (h - bottom - 10.0) * t
    };
    let groups = bars.groups.len().max(1) as f64;
    let per = bars.names.len().max(1) as f64;
    let slot = (w - pad - 110.0) / groups;
    let bar_w = (slot * 0.8 / per).min(36.0);
    let zero = y(0.0_f64.clamp(lo, hi));
    let body = bars
        .groups
        .iter()
        .enumerate()
        .map(|(gi, (label, values))| {
            let x0 = pad + slot * gi as f64 + (slot - bar_w * per) / 2.0;
            let rects = values
                .iter()
                .zip(&bars.names)
                .enumerate()
                .filter(|(_, ((m, _), _))| m.is_finite())
                .map(|(bi, (&(m, sd), (_, colour)))| {
                    let c = COLOURS[colour % COLOURS.len()];
                    let x = x0 + bar_w * bi as f64;
                    let (top, base) = (y(m).min(zero), y(m).max(zero));
                    view! {
                        <rect x=x y=top width=bar_w - 2.0 height=(base - top).max(0.5) fill=c fill-opacity="0.85" />
                        <line x1=x + bar_w / 2.0 - 1.0 x2=x + bar_w / 2.0 - 1.0 y1=y(m - sd) y2=y(m + sd) stroke="#1d232b" stroke-width="1.2" />
                    }
                })
                .collect_view();
            view! {
                <g class="bar-group" data-method=label.clone()>
                    {rects}
                    <text x=pad + slot * gi as f64 + slot / 2.0 y=h - bottom + 16.0 text-anchor="middle" font-size="11" fill="#1d232b">{label.clone()}</text>
                </g>
            }
        })
        .collect_view();
    let legend = bars
        .names
        .iter()
        .enumerate()
        .map(|(i, (name, colour))| {
            view! { <text x=w - 100.0 y=22.0 + 14.0 * i as f64 fill=COLOURS[colour % COLOURS.len()] font-size="12" font-weight="600">{name.clone()}</text> }
        })
        .collect_view();
    let figure = NodeRef::<leptos::html::Figure>::new();
    let file = format!("{}.png", bars.metric);
    view! {
        <figure class="chart bars" data-metric=bars.metric.clone() node_ref=figure>
            <figcaption>{bars.title.clone()}<PngButton figure=figure file=file /></figcaption>
            <svg viewBox=format!("0 0 {w} {h}") width=w height=h xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">
                <line x1=pad y1=zero x2=w - 110.0 y2=zero stroke="#b8c0ca" />
                <line x1=pad y1="10" x2=pad y2=h - bottom stroke="#b8c0ca" />
                <text x="4" y="14" font-size="10" fill="#5b6673">{format!("{hi}")}</text>
                <text x="4" y=h - bottom font-size="10" fill="#5b6673">{format!("{lo}")}</text>
                {body}
                {legend}
            </svg>
        </figure>
    }
}

/// The Claims panel: each claim that reads an enabled method, with its verdict, effect, one dot
/// per seed (filled: agrees) and its reason; a click opens the claim's own link.
#[component]
fn ClaimsPanel(claims: ReadSignal<Vec<ClaimRow>>) -> impl IntoView {
    view! {
        <section class="claims" id="claims" style:display=move || if claims.get().is_empty() { "none" } else { "block" }>
            <h3>"Claims"</h3>
            {move || claims.get().into_iter().map(|row| {
                let verdict = match (&row.state, &row.verdict) {
                    (ClaimState::Checked, Some(v)) => v.verdict.label().to_string(),
                    (ClaimState::DifferentSetting, _) => "other setting".into(),
                    (ClaimState::NotApplicable, _) => "not applicable".into(),
                    _ => "not enough evidence yet".into(),
                };
                let class = verdict.replace(' ', "-");
                let label = verdict.clone();
                let detail = row.verdict.clone();
                view! {
                    <div class=format!("claim {class}") data-claim=row.id data-verdict=verdict.clone()>
                        <div class="claim-head">
                            <span class="verdict">{label}</span>
                            <a class="claim-link" href=row.link.clone() title="Open the experiment this claim is checked on">"open its link"</a>
                        </div>
                        <p class="claim-text">{row.text}</p>
                        <a class="paper" href=row.paper.url target="_blank" rel="noopener">{row.paper.title}</a>
                        {detail.map(|v| {
                            let dots = v.per_seed.iter().enumerate().map(|(i, s)| {
                                let fill = match (s.value.is_some(), s.agrees) {
                                    (false, _) => "#bbb",
                                    (true, true) => "#2a9d8f",
                                    (true, false) => "#d1495b",
                                };
                                let title = format!("seed {}: {}{}", s.seed, s.value.map_or(s.status.clone(), |x| format!("{x:.4}")), if s.agrees { " (agrees)" } else { "" });
                                view! { <circle cx=8.0 + 16.0 * i as f64 cy=8.0 r=6.0 fill=fill><title>{title}</title></circle> }
                            }).collect_view();
                            let width = 16.0 * v.per_seed.len().max(1) as f64;
                            let p = v.p_value.map(|p| format!(", sign test p = {p:.3}")).unwrap_or_default();
                            view! {
                                <p class="effect">{v.effect.clone()}</p>
                                <div class="seeds">
                                    <svg class="seed-dots" width=width height="16">{dots}</svg>
                                    <span class="agree">{format!("{} of {} seeds agree{p}", v.agree, v.of)}</span>
                                </div>
                                <p class="sentence">{v.sentence.clone()}</p>
                            }
                        })}
                        {(!row.note.is_empty()).then(|| view! { <p class="note">{row.note.clone()}</p> })}
                    </div>
                }
            }).collect_view()}
        </section>
    }
}
