//! The sweep view (`#/sweep/<lab>?…`): one or two settings given as lists or ranges, every cell
//! trained in workers beside the page (the pieces a claim's check trains, `session::sweeps`),
//! and a grid of the cells coloured by a metric or by a claim's verdict, each cell opening its
//! own link. A results file of `methodlab sweep` dropped on the page draws the same grid without
//! training anything; the page saves the same file.

use super::browser::{download, now_ms, set_fragment};
use super::checks::engines;
use super::engine::EngineHandle;
use crate::claims::{Claim, Outcome};
use crate::decl::LabDecl;
use crate::labs::{lab as registered, registry};
use crate::session::sweeps::SweepRun;
use crate::session::{FromEngine, ToEngine};
use crate::sweep::{
    cell_verdict, clock, declared, is_axis, mean_final, split_link, suggest, sweepable_claims,
    Results, Sweep,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::RefCell;
use std::rc::Rc;

type Shared = Rc<RefCell<SweepRun<EngineHandle>>>;

thread_local! {
    /// Sweeps seen on this page, the one on show last: a sweep's cells stay when the visitor
    /// edits its axes and comes back (or a file's results are shown while its link loads).
    static RUNS: RefCell<Vec<Shared>> = const { RefCell::new(Vec::new()) };
    static REVISION: RefCell<Option<RwSignal<u64>>> = const { RefCell::new(None) };
}

/// Sweeps kept for going back to.
const KEPT: usize = 8;

/// Bumped whenever a cell lands: the grid redraws on it (made once, in the page's root owner).
pub fn revision() -> RwSignal<u64> {
    REVISION.with(|r| *r.borrow_mut().get_or_insert_with(|| RwSignal::new(0)))
}

fn bump() {
    let _ = revision().try_update(|n| *n += 1);
}

/// The run of `sweep`, made the one on show: a kept one when it is the same sweep, else a new
/// one. Only the one on show trains.
fn current(sweep: &Sweep) -> Shared {
    RUNS.with(|runs| {
        let mut runs = runs.borrow_mut();
        let run = match runs.iter().position(|r| r.borrow().sweep == *sweep) {
            Some(i) => runs.remove(i),
            None => Rc::new(RefCell::new(SweepRun::new(sweep.clone()))),
        };
        for other in runs.iter() {
            stop_run(other);
        }
        runs.push(run.clone());
        let extra = runs.len().saturating_sub(KEPT);
        runs.drain(..extra);
        run
    })
}

/// The sweep on show, if any.
fn shown() -> Option<Shared> {
    RUNS.with(|r| r.borrow().last().cloned())
}

fn stop_run(run: &Shared) {
    let retired = {
        let mut r = run.borrow_mut();
        r.stop();
        r.take_retired()
    };
    if !retired.is_empty() {
        spawn_local(async move { drop(retired) });
    }
}

/// Stops the sweep on show (the page leaves it); its cells stay.
pub fn stop() {
    if let Some(run) = shown() {
        stop_run(&run);
        bump();
    }
}

fn on_message(serial: u64, slot: usize, msg: FromEngine) {
    let Some(run) = shown() else {
        return;
    };
    let retired = {
        let mut r = run.borrow_mut();
        r.on_message(serial, slot, msg);
        r.take_retired()
    };
    if !retired.is_empty() {
        spawn_local(async move { drop(retired) });
    }
    bump();
}

fn play(run: &Shared) {
    let mut spawn = |serial: u64, slot: usize, first: ToEngine| {
        EngineHandle::spawn(
            first,
            Rc::new(move |msg: FromEngine| on_message(serial, slot, msg)),
        )
    };
    run.borrow_mut().start(engines(), &mut spawn, now_ms());
    bump();
}

/// Reads a results file and shows its sweep; a problem goes to `report`.
fn open_file(file: web_sys::File, report: impl Fn(String) + 'static) {
    let name = file.name();
    spawn_local(async move {
        let text = match wasm_bindgen_futures::JsFuture::from(file.text()).await {
            Ok(t) => t.as_string().unwrap_or_default(),
            Err(_) => return report(format!("{name} could not be read")),
        };
        let run = Results::read(&text, &name)
            .and_then(|results| SweepRun::from_results(&results, &registry()));
        match run {
            Ok(run) => {
                let link = run.sweep.to_link();
                RUNS.with(|runs| {
                    let mut runs = runs.borrow_mut();
                    runs.retain(|r| r.borrow().sweep != run.sweep);
                    runs.push(Rc::new(RefCell::new(run)));
                });
                report(String::new());
                bump();
                set_fragment(&link);
            }
            Err(e) => report(e),
        }
    });
}

/// What the grid's cells show.
#[derive(Clone, Debug, PartialEq)]
enum Measure {
    Metric { method: String, metric: String },
    Claim(&'static str),
}

impl Measure {
    fn key(&self) -> String {
        match self {
            Measure::Metric { method, metric } => format!("metric:{method}:{metric}"),
            Measure::Claim(id) => format!("claim:{id}"),
        }
    }
}

/// The route's link with its axes replaced by `axes` (key, values), in order.
fn with_axes(route: &str, axes: &[(String, String)]) -> String {
    let (head, pairs) = split_link(route);
    let mut parts: Vec<String> = pairs
        .iter()
        .filter(|(k, v)| !is_axis(k, v) && !axes.iter().any(|(a, _)| a == k))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    parts.extend(axes.iter().map(|(k, v)| format!("{k}={v}")));
    format!("#{}?{}", head.trim_start_matches('#'), parts.join("&"))
}

/// The keys a sweep of `lab` may vary: its settings, then the knobs of the methods on.
fn keys(lab: &LabDecl, methods: &[String]) -> Vec<String> {
    lab.settings
        .iter()
        .filter(|s| lab.own_data.is_none_or(|o| o.setting != s.key))
        .map(|s| s.key.to_string())
        .chain(methods.iter().flat_map(|m| {
            lab.method(m)
                .map(|d| {
                    d.knobs
                        .iter()
                        .map(|k| format!("{m}.{}", k.key))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        }))
        .collect()
}

#[component]
pub fn SweepPage(route: Memo<String>) -> impl IntoView {
    let labs = registry();
    let message = RwSignal::new(String::new());
    let chosen = RwSignal::new(String::new());
    let rev = revision();
    // Ticks once a second while a sweep runs, so the time left counts down.
    let tick = RwSignal::new(0u64);
    if let Ok(handle) = set_interval_with_handle(
        move || {
            if shown().is_some_and(|r| r.borrow().is_running()) {
                tick.update(|t| *t += 1);
            }
        },
        std::time::Duration::from_millis(1000),
    ) {
        on_cleanup(move || handle.clear());
    }
    on_cleanup(stop);
    let parsed = {
        let labs = labs.clone();
        Memo::new(move |_| {
            let link = format!("#{}", route.get());
            Sweep::parse(&link, &labs)
                .map_err(|ps| ps.iter().map(|p| p.to_string()).collect::<Vec<_>>())
        })
    };
    // The lab, from the route even when its sweep does not parse (so the axes can be fixed).
    let lab_id = Memo::new(move |_| {
        let r = route.get();
        let path = r.trim_start_matches('/').trim_start_matches("sweep/");
        path.split('?').next().unwrap_or("").to_string()
    });
    let lab_decl = {
        let labs = labs.clone();
        move || {
            labs.iter()
                .find(|l| l.id == lab_id.get())
                .cloned()
                .unwrap_or_else(|| labs[0].clone())
        }
    };
    let run = move || parsed.get().ok().map(|s| current(&s));

    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        if let Some(file) = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|f| f.get(0))
        {
            open_file(file, move |m| message.set(m));
        }
    };
    let pick = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if let Some(file) = input.files().and_then(|f| f.get(0)) {
            open_file(file, move |m| message.set(m));
        }
        input.set_value("");
    };

    // The axis editor: each axis a key and its values; a change is a new link.
    let axes_now = move || {
        let r = route.get();
        split_link(&r)
            .1
            .iter()
            .filter(|(k, v)| is_axis(k, v))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    };
    let go =
        move |axes: Vec<(String, String)>| set_fragment(&with_axes(&route.get_untracked(), &axes));
    let editor = {
        let lab_decl = lab_decl.clone();
        move || {
            let lab = lab_decl();
            let methods: Vec<String> = parsed
                .get()
                .map(|s| s.methods)
                .unwrap_or_else(|_| lab.default_methods.iter().map(|m| m.to_string()).collect());
            let all = keys(&lab, &methods);
            let axes = axes_now();
            let rows = axes.iter().enumerate().map(|(i, (key, spec))| {
                let all = all.clone();
                let key = key.clone();
                let lab_for_key = lab.clone();
                view! {
                    <div class="sweep-axis" data-axis=i.to_string()>
                        <select class="sweep-key" aria-label="setting" on:change=move |ev| {
                            let k = event_target_value(&ev);
                            let mut a = axes_now();
                            let spec = declared(&lab_for_key, &k).map(suggest).unwrap_or_default();
                            a[i] = (k, spec);
                            go(a);
                        }>
                            {all.iter().map(|k| view! { <option value=k.clone() selected=*k == key>{k.clone()}</option> }).collect_view()}
                        </select>
                        <input class="sweep-values" aria-label="values" value=spec.clone() size="28"
                            title="a list (0.2,0.4,0.6) or a range: 1..4 every integer, 0..0.5:5 five evenly, 0.001..0.1:log:5 five on a log scale"
                            on:change=move |ev| {
                                let mut a = axes_now();
                                a[i].1 = event_target_value(&ev);
                                go(a);
                            } />
                        <button class="secondary sweep-remove" title="remove this axis" on:click=move |_| {
                            let mut a = axes_now();
                            a.remove(i);
                            go(a);
                        }>"×"</button>
                    </div>
                }
            }).collect_view();
            let add = (axes.len() < 2).then(|| {
                let lab = lab.clone();
                let unused: Vec<String> = all
                    .iter()
                    .filter(|k| !axes.iter().any(|(a, _)| a == *k))
                    .cloned()
                    .collect();
                view! {
                    <button class="secondary" id="sweep-add" on:click=move |_| {
                        let Some(k) = unused.first().cloned() else { return };
                        let spec = declared(&lab, &k).map(suggest).unwrap_or_default();
                        let mut a = axes_now();
                        a.push((k, spec));
                        go(a);
                    }>"Add a setting to sweep"</button>
                }
            });
            view! { <div class="sweep-axes" id="sweep-axes">{rows}{add}</div> }
        }
    };

    // What the cells are coloured by: a claim's verdict when one reads these methods, else a
    // metric of a method.
    let measures = move || -> Vec<(Measure, String)> {
        let Ok(sweep) = parsed.get() else {
            return Vec::new();
        };
        let Ok(lab) = registered(&sweep.lab) else {
            return Vec::new();
        };
        let decl = lab.declaration();
        let mut out: Vec<(Measure, String)> = sweepable_claims(lab, &sweep)
            .into_iter()
            .map(|c| (Measure::Claim(c.id), format!("claim: {}", c.id)))
            .collect();
        for m in &sweep.methods {
            let title = decl.method(m).map_or(m.as_str(), |d| d.title).to_string();
            for metric in &decl.metrics {
                out.push((
                    Measure::Metric {
                        method: m.clone(),
                        metric: metric.to_string(),
                    },
                    format!("{metric} · {title}"),
                ));
            }
        }
        out
    };
    let measure = move || {
        let all = measures();
        // The visitor's choice, else the link's claim, else the first there is.
        let key = match chosen.get() {
            k if k.is_empty() => parsed
                .get()
                .ok()
                .and_then(|s| s.claim)
                .map(|c| format!("claim:{c}"))
                .unwrap_or_default(),
            k => k,
        };
        all.iter()
            .find(|(m, _)| m.key() == key)
            .or(all.first())
            .map(|(m, _)| m.clone())
    };

    let grid = move || {
        rev.get();
        let Ok(sweep) = parsed.get() else {
            return ().into_any();
        };
        let Some(run) = run() else {
            return ().into_any();
        };
        let Some(measure) = measure() else {
            return ().into_any();
        };
        let claim: Option<Claim> = match &measure {
            Measure::Claim(id) => registered(&sweep.lab)
                .ok()
                .and_then(|l| l.claims().into_iter().find(|c| c.id == *id)),
            _ => None,
        };
        let r = run.borrow();
        // Each cell's figure, and the range the colours span.
        let values: Vec<Option<f32>> = r
            .cells
            .iter()
            .map(|c| match (&measure, c) {
                (Measure::Metric { method, metric }, Some(runs)) => {
                    mean_final(runs, method, metric)
                }
                _ => None,
            })
            .collect();
        let finite: Vec<f32> = values.iter().flatten().copied().collect();
        let (lo, hi) = finite
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        let last = sweep
            .axes
            .last()
            .map(|a| a.values.len())
            .unwrap_or(1)
            .max(1);
        let rows = sweep.cells.len().div_ceil(last);
        let cell_view = |c: usize| {
            let link = sweep.cells[c].clone();
            let (text, class, (bg, ink), title) = match (&r.cells[c], &claim) {
                (None, _) => (
                    "·".to_string(),
                    "pending",
                    Default::default(),
                    "not run yet".to_string(),
                ),
                (Some(runs), Some(claim)) => {
                    let v = cell_verdict(claim, runs);
                    let (mark, class) = match v.verdict {
                        Outcome::Supported => ("✓", "supported"),
                        Outcome::NotSupported => ("✗", "not-supported"),
                        Outcome::NotEnoughEvidence => ("?", "not-enough"),
                        Outcome::NotApplicable => ("–", "not-applicable"),
                    };
                    (
                        format!("{mark} {}/{}", v.agree, v.of),
                        class,
                        Default::default(),
                        format!("{}: {}", v.verdict.label(), v.effect),
                    )
                }
                (Some(_), None) => match values[c] {
                    Some(v) => {
                        let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
                        let (red, green, blue) = (
                            (255.0 - 219.0 * t) as u8,
                            (255.0 - 168.0 * t) as u8,
                            (255.0 - 58.0 * t) as u8,
                        );
                        let ink = if t > 0.6 { "#fff" } else { "#111" };
                        (
                            format!("{v:.3}"),
                            "value",
                            (format!("rgb({red},{green},{blue})"), ink.to_string()),
                            format!("mean over the seeds that ended well: {v}"),
                        )
                    }
                    None => (
                        "diverged".to_string(),
                        "diverged",
                        Default::default(),
                        "no run of this method ended well".to_string(),
                    ),
                },
            };
            // Colours through the CSSOM: the page's CSP refuses style attributes.
            view! { <td class=format!("sweep-cell {class}") data-cell=c.to_string() style:background=bg style:color=ink title=title><a href=link>{text}</a></td> }
        };
        let col_axis = sweep.axes.last().cloned();
        let row_label = |row: usize| -> String {
            let c = row * last;
            let values = sweep.values(c);
            values
                .iter()
                .take(values.len().saturating_sub(1))
                .map(|(k, v)| format!("{k} = {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        view! {
            <table class="sweep-grid" id="sweep-grid">
                <thead><tr>
                    <th>{col_axis.as_ref().map(|a| format!("{} →", a.key))}</th>
                    {col_axis.as_ref().map(|a| a.values.iter().map(|v| view! { <th>{v.clone()}</th> }).collect_view())}
                </tr></thead>
                <tbody>
                    {(0..rows).map(|row| view! {
                        <tr><th>{row_label(row)}</th>{(row * last..(row + 1) * last).filter(|&c| c < sweep.cells.len()).map(cell_view).collect_view()}</tr>
                    }).collect_view()}
                </tbody>
            </table>
            {(!finite.is_empty() && claim.is_none()).then(|| view! { <p class="help">{format!("Lightest {lo:.3}, darkest {hi:.3}: the mean over each cell's seeds.")}</p> })}
            {claim.as_ref().map(|c| view! { <p class="help">{format!("“{}” ({}). ✓ supported, ✗ not supported, ? not enough evidence; k/n: the seeds whose runs agree (a verdict also needs the claim's margin on the means), as `methodlab check {} --sweep` reads each cell.", c.text, c.paper.title, c.id)}</p> })}
        }.into_any()
    };

    let progress = move || {
        rev.get();
        tick.get();
        run().map(|r| r.borrow().progress(now_ms()))
    };
    let status = move || match progress() {
        None => String::new(),
        Some(p) => {
            let mut s = format!("{}/{} cells", p.done, p.cells);
            if p.running {
                s += &match p.left {
                    Some(left) => format!(" · {} left", clock(left)),
                    None => " · timing the first cell".into(),
                };
                s += &format!(" · {} workers on the CPU", engines());
            }
            if let Some(r) = run() {
                let r = r.borrow();
                if let Some(why) = &r.failed {
                    s += &format!(" · {why}");
                }
                if r.from_file {
                    s += " · from a results file";
                }
            }
            s
        }
    };
    let running = move || progress().is_some_and(|p| p.running);

    view! {
        <section class="lab sweep" id="sweep" on:dragover=|ev: leptos::ev::DragEvent| ev.prevent_default() on:drop=on_drop>
            <div class="toolbar">
                <h2>{move || format!("Sweep · {}", lab_decl().title)}</h2>
                <button id="sweep-play" disabled=move || parsed.get().is_err() data-running=move || running().to_string()
                    on:click=move |_| {
                        let Some(r) = run() else { return };
                        if r.borrow().is_running() { stop_run(&r); bump(); } else { play(&r); }
                    }>{move || if running() { "Pause" } else { "Play" }}</button>
                <progress id="sweep-progress" max=move || progress().map_or(1, |p| p.cells).to_string() value=move || progress().map_or(0, |p| p.done).to_string()></progress>
                <span class="status" id="sweep-status">{status}</span>
                <button id="sweep-save" class="secondary" disabled=move || progress().is_none_or(|p| p.done == 0) on:click=move |_| {
                    if let Some(r) = run() {
                        let r = r.borrow();
                        let _ = download(&format!("sweep-{}.jsonl", r.sweep.lab), "application/x-ndjson", &r.export());
                    }
                }>"Save results (.jsonl)"</button>
                <label class="file-pick secondary">
                    <input type="file" id="sweep-file" accept=".jsonl,.json,.txt,application/x-ndjson" on:change=pick />
                    "Open results"
                </label>
                <a id="sweep-back" href=move || parsed.get().map(|s| s.base).unwrap_or_else(|_| format!("#/{}", lab_id.get()))>"Back to the lab"</a>
            </div>
            <div class="problems" id="sweep-problems" style:display=move || if parsed.get().is_err() { "block" } else { "none" }>
                <strong>"This sweep cannot run:"</strong>
                <ul>{move || parsed.get().err().unwrap_or_default().into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
            </div>
            <p class="error" id="sweep-error" style:display=move || if message.get().is_empty() { "none" } else { "block" }>{move || message.get()}</p>
            <p class="summary">
                "Each cell is the lab's experiment at these values, its runs the seeds. The same sweep on the command line, or over a cluster with --shard: "
                <code id="sweep-cli">{move || parsed.get().map(|s| format!("methodlab sweep '{}' --out results.jsonl", s.to_link())).unwrap_or_default()}</code>
                ". Drop its results file here to draw them."
            </p>
            {editor}
            <label class="sweep-measure">"Colour by "
                <select id="sweep-measure" on:change=move |ev| chosen.set(event_target_value(&ev))>
                    {move || {
                        let now = measure().map(|m| m.key()).unwrap_or_default();
                        measures().into_iter().map(|(m, label)| { let k = m.key(); view! { <option value=k.clone() selected=k == now>{label}</option> } }).collect_view()
                    }}
                </select>
            </label>
            {grid}
        </section>
    }
}
