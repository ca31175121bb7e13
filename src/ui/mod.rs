//! Leptos components only: the app shell and its pages. Logic lives in plain Rust elsewhere.

mod bench;
mod browser;

use crate::engine::gpu::GpuContext;
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
            BackendStatus::Cpu(why) => format!("CPU ({why})"),
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
                    *gpu.borrow_mut() = Some(ctx);
                    set_backend.set(BackendStatus::WebGpu(name));
                }
                Err(e) => set_backend.set(BackendStatus::Cpu(e.to_string())),
            }
        });
    }
    view! {
        <header class="top">
            <h1>"methodlab"</h1>
            <nav>
                <a href="#/bench" class="active">"Engine benchmark"</a>
            </nav>
            <span class="badge" id="backend-badge" class:cpu=move || matches!(backend.get(), BackendStatus::Cpu(_))>
                {move || backend.get().label()}
            </span>
        </header>
        <main>
            <bench::BenchPage gpu=gpu backend=backend />
        </main>
    }
}
