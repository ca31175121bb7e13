//! Leptos components only: the app shell and its pages. Logic lives in plain Rust elsewhere.

mod bench;
mod browser;
mod checks;
mod engine;
mod figures;
mod home;
mod lab;
mod own_data;
mod papers;
mod sweep;

use crate::engine::gpu::GpuContext;
use crate::experiment::{BackendChoice, Experiment};
use crate::labs::registry;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::RefCell;
use std::rc::Rc;

pub use crate::session::BackendStatus;

impl BackendStatus {
    /// WebGPU on `ctx`'s adapter, with `label` or the adapter's name, kind and fusion.
    pub fn webgpu(ctx: &GpuContext, label: Option<String>) -> BackendStatus {
        BackendStatus::WebGpu {
            label: label.unwrap_or_else(|| format!("WebGPU ({})", adapter_tag(ctx))),
            detail: adapter_detail(ctx),
        }
    }
}

/// The adapter in a few words for the badge: its name where the browser gives it, "software"
/// for a fallback or software one (SwiftShader and lavapipe pose as GPUs), and whether this
/// context runs the step kernel (`?step=on`), fuses kernels (the path a hardware GPU takes) or
/// neither.
pub fn adapter_tag(ctx: &GpuContext) -> String {
    let name = browser::adapter_name(ctx);
    let mut parts: Vec<&str> = Vec::new();
    if !name.is_empty() {
        parts.push(&name);
    }
    if ctx.software {
        parts.push("software");
    }
    parts.push(if ctx.step {
        "step kernel"
    } else if ctx.fuse {
        "fused"
    } else {
        "unfused"
    });
    parts.join(", ")
}

/// The adapter as the tooltip tells it: its description, and whether it is a fallback or
/// software one.
pub fn adapter_detail(ctx: &GpuContext) -> String {
    let name = if browser::adapter_name(ctx).is_empty() {
        "unnamed (the browser withholds its description)"
    } else {
        &ctx.adapter
    };
    let kind = if ctx.software {
        "a fallback or software adapter"
    } else {
        "a hardware adapter, as the browser reports it"
    };
    let fused = if ctx.fuse {
        "kernels fused into generated ones"
    } else {
        "kernels not fused (fusion is for hardware adapters: here compiling costs more than it saves)"
    };
    format!("WebGPU adapter: {name}; {kind}; {fused}")
}

/// The GPU context, shared by every page once it is made (not Send: it lives on this thread).
pub type SharedGpu = Rc<RefCell<Option<GpuContext>>>;

#[component]
pub fn App() -> impl IntoView {
    // The adapter check's outcome (and a lost device), and what the badge says now: a lab page
    // sets the badge when it has chosen where to train.
    let (adapter, set_adapter) = signal(BackendStatus::Checking);
    let (backend, set_backend) = signal(BackendStatus::Checking);
    // Made here, in the root, so it lives as long as the page: checks outlive a lab's page.
    let _ = checks::revision();
    let _ = sweep::revision();
    let gpu: SharedGpu = Rc::new(RefCell::new(None));
    browser::expose_live_counts();
    {
        let gpu = gpu.clone();
        spawn_local(async move {
            match GpuContext::new().await {
                Ok(ctx) => {
                    let ctx = match browser::fusion_override() {
                        Some(on) => ctx.with_fusion(on),
                        None => ctx,
                    };
                    let ctx = ctx.with_step(browser::step_override() == Some(true));
                    browser::expose_device_loss(&ctx);
                    let status = BackendStatus::webgpu(&ctx, None);
                    *gpu.borrow_mut() = Some(ctx);
                    set_adapter.set(status.clone());
                    set_backend.set(status);
                }
                Err(e) => {
                    let status = BackendStatus::cpu_because(&e.to_string());
                    set_adapter.set(status.clone());
                    set_backend.set(status);
                }
            }
        });
    }
    // The route is the URL fragment: none (the front page), `#/bench`, or a lab's share link. Back and forward work
    // because every control change sets the fragment, which lands here.
    let labs = registry();
    let (route, set_route) = signal(browser::fragment());
    let _ = window_event_listener(leptos::ev::hashchange, move |_| {
        set_route.set(browser::fragment())
    });
    let first = Experiment::from_link(&route.get_untracked(), &labs);
    let (experiment, set_experiment) = signal(first.0);
    let (problems, set_problems) = signal(first.1);
    {
        let labs = labs.clone();
        Effect::new(move |_| {
            let r = route.get();
            if r.starts_with("/bench")
                || r.starts_with("/papers")
                || crate::sweep::is_sweep_route(&r)
                || matches!(r.as_str(), "" | "/")
            {
                return;
            }
            let (e, p) = Experiment::from_link(&r, &labs);
            if e != experiment.get_untracked() {
                set_experiment.set(e);
            }
            if !p.is_empty() {
                set_problems.set(p);
            } else {
                // A file a link asked for, given: that problem is answered.
                set_problems.update(|ps| ps.retain(|q| !q.wants_table()));
            }
        });
    }
    // The GPU context is not Send; reactive views reach it through local storage.
    let gpu_store = StoredValue::new_local(gpu.clone());
    let on_bench = Memo::new(move |_| route.get().starts_with("/bench"));
    // The papers catalogue, with a search when the link has one (`#/papers?q=…`).
    let papers_query = Memo::new(move |_| {
        let r = route.get();
        r.strip_prefix("/papers").map(|rest| {
            rest.split_once("q=")
                .map(|(_, q)| {
                    js_sys::decode_uri_component(&q.replace('+', " "))
                        .ok()
                        .and_then(|s| s.as_string())
                        .unwrap_or_default()
                })
                .unwrap_or_default()
        })
    });
    let on_papers = Memo::new(move |_| papers_query.get().is_some());
    // A sweep of a lab's settings: `#/sweep/<lab>?…`.
    let route_memo = Memo::new(move |_| route.get());
    let on_sweep = Memo::new(move |_| crate::sweep::is_sweep_route(&route.get()));
    // The front page: the site's address with no lab in it.
    let on_home = Memo::new(move |_| matches!(route.get().as_str(), "" | "/"));
    // The benchmark measures both backends itself, and the front page trains nothing: their
    // badge is the adapter's.
    Effect::new(move |_| {
        if on_bench.get() || on_home.get() || on_papers.get() || on_sweep.get() {
            set_backend.set(adapter.get());
        }
    });
    let lab_id = Memo::new(move |_| experiment.get().lab);
    let lab_link = move || {
        let id = lab_id.get();
        let labs = registry();
        let lab = labs
            .iter()
            .find(|l| l.id == id)
            .cloned()
            .unwrap_or_else(|| labs[0].clone());
        experiment.get().to_link(&lab)
    };
    view! {
        <header class="top">
            <h1><a href="#/" class:active=move || on_home.get()>"methodlab"</a></h1>
            <nav>
                {labs.iter().map(|l| {
                    let id = l.id;
                    view! { <a href=move || if lab_id.get() == id { lab_link() } else { format!("#/{id}") } class:active=move || !on_bench.get() && !on_home.get() && !on_papers.get() && lab_id.get() == id>{l.title}</a> }
                }).collect_view()}
                <a href="#/papers" id="nav-papers" class:active=move || on_papers.get()>"Papers"</a>
                <a href="#/bench" class:active=move || on_bench.get()>"Engine benchmark"</a>
            </nav>
            <span class="backend">
                <span class="badge" id="backend-badge" title=move || backend.get().detail() class:cpu=move || matches!(backend.get(), BackendStatus::Cpu { .. })>
                    {move || backend.get().label()}
                </span>
                <select id="backend-choice" aria-label="backend" title="where to train: auto times both and takes the faster" disabled=move || on_bench.get() || on_home.get() || on_papers.get() || on_sweep.get()
                    prop:value=move || experiment.get().backend.as_str()
                    on:change=move |ev| {
                        let Some(choice) = BackendChoice::parse(&event_target_value(&ev)) else { return };
                        let mut e = experiment.get_untracked();
                        e.backend = choice;
                        let labs = registry();
                        if let Some(lab) = labs.iter().find(|l| l.id == e.lab) {
                            browser::set_fragment(&e.to_link(lab));
                        }
                    }>
                    {BackendChoice::ALL.iter().map(|b| view! { <option value=b.as_str()>{b.as_str()}</option> }).collect_view()}
                </select>
            </span>
        </header>
        <main>
            {move || if on_home.get() {
                view! { <home::Home /> }.into_any()
            } else if let Some(q) = papers_query.get() {
                view! { <papers::Papers query=q /> }.into_any()
            } else if on_sweep.get() {
                view! { <sweep::SweepPage route=route_memo /> }.into_any()
            } else if on_bench.get() {
                view! { <bench::BenchPage gpu=gpu_store.get_value() backend=adapter /> }.into_any()
            } else {
                let id = lab_id.get();
                let lab = labs.iter().find(|l| l.id == id).cloned().unwrap_or_else(|| labs[0].clone());
                view! { <lab::LabPage lab=lab experiment=experiment problems=problems set_problems=set_problems gpu=gpu_store.get_value() adapter=adapter set_adapter=set_adapter set_backend=set_backend /> }.into_any()
            }}
        </main>
    }
}
