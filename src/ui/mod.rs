//! Leptos components only: the app shell and its pages. Logic lives in plain Rust elsewhere.

mod bench;
mod browser;
mod figures;
mod lab;

use crate::engine::gpu::GpuContext;
use crate::experiment::Experiment;
use crate::labs::registry;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::cell::RefCell;
use std::rc::Rc;

/// Which backend the page trains on, as the header's badge tells it.
#[derive(Clone, Debug, PartialEq)]
pub enum BackendStatus {
    Checking,
    WebGpu(String),
    /// The CPU backend, and why there is no WebGPU.
    Cpu(String),
}

impl BackendStatus {
    fn label(&self) -> String {
        match self {
            BackendStatus::Checking => "checking for WebGPU…".into(),
            BackendStatus::WebGpu(adapter) if adapter.is_empty() => "WebGPU".into(),
            BackendStatus::WebGpu(adapter) => format!("WebGPU: {adapter}"),
            BackendStatus::Cpu(why) => {
                // The first clause says it; the adapter's full story goes in the tooltip.
                let short = why.split(':').take(2).collect::<Vec<_>>().join(":");
                format!("CPU ({short})")
            }
        }
    }
    fn detail(&self) -> String {
        match self {
            BackendStatus::Cpu(why) => why.clone(),
            other => other.label(),
        }
    }
}

/// The GPU context, shared by every page once it is made (not Send: it lives on this thread).
pub type SharedGpu = Rc<RefCell<Option<GpuContext>>>;

#[component]
pub fn App() -> impl IntoView {
    let (backend, set_backend) = signal(BackendStatus::Checking);
    let gpu: SharedGpu = Rc::new(RefCell::new(None));
    {
        let gpu = gpu.clone();
        spawn_local(async move {
            match GpuContext::new().await {
                Ok(ctx) => {
                    let name = browser::adapter_name(&ctx);
                    browser::expose_device_loss(&ctx);
                    *gpu.borrow_mut() = Some(ctx);
                    set_backend.set(BackendStatus::WebGpu(name));
                }
                Err(e) => set_backend.set(BackendStatus::Cpu(e.to_string())),
            }
        });
    }
    // The route is the URL fragment: `#/bench`, or a lab's share link. Back and forward work
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
            if r.starts_with("/bench") {
                return;
            }
            let (e, p) = Experiment::from_link(&r, &labs);
            if e != experiment.get_untracked() {
                set_experiment.set(e);
            }
            if !p.is_empty() {
                set_problems.set(p);
            }
        });
    }
    // The GPU context is not Send; reactive views reach it through local storage.
    let gpu_store = StoredValue::new_local(gpu.clone());
    let on_bench = Memo::new(move |_| route.get().starts_with("/bench"));
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
            <h1>"methodlab"</h1>
            <nav>
                {labs.iter().map(|l| {
                    let id = l.id;
                    view! { <a href=move || if lab_id.get() == id { lab_link() } else { format!("#/{id}") } class:active=move || !on_bench.get() && lab_id.get() == id>{l.title}</a> }
                }).collect_view()}
                <a href="#/bench" class:active=move || on_bench.get()>"Engine benchmark"</a>
            </nav>
            <span class="badge" id="backend-badge" title=move || backend.get().detail() class:cpu=move || matches!(backend.get(), BackendStatus::Cpu(_))>
                {move || backend.get().label()}
            </span>
        </header>
        <main>
            {move || if on_bench.get() {
                view! { <bench::BenchPage gpu=gpu_store.get_value() backend=backend /> }.into_any()
            } else {
                let id = lab_id.get();
                let lab = labs.iter().find(|l| l.id == id).cloned().unwrap_or_else(|| labs[0].clone());
                view! { <lab::LabPage lab=lab experiment=experiment problems=problems set_problems=set_problems gpu=gpu_store.get_value() backend=backend set_backend=set_backend /> }.into_any()
            }}
        </main>
    }
}
