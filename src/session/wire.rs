//! What a lab page and its training engines say to each other (in bincode: f32 NaN, a
//! diverged run's value, survives it; JSON has no NaN), and the backend badge they share.

use crate::history::{History, RunReport};
use crate::views::Views;
use serde::{Deserialize, Serialize};

/// What the page asks of its engine.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum ToEngine {
    /// The session: its share link (the backend choice included), and whether the page found a
    /// WebGPU adapter (the engine then makes its own device when a choice needs one).
    Start {
        link: String,
        /// The methods this engine trains: its share of the link's.
        methods: Vec<String>,
        /// The runs of each method it trains, (first, count), when the session's runs are
        /// split over engines (empty: all of them). The engine with every method's first runs
        /// draws the whole session; the others send it their runs' histories through the page
        /// (`Frame::histories`, `ToEngine::Histories`).
        runs: Vec<(u32, u32)>,
        gpu: bool,
        /// The page's adapter check, for the badge's tooltip when the engine has no device.
        adapter: String,
        /// Kernel fusion forced on or off (the page's `?fusion=on|off`); `None`: the
        /// adapter's default (on for hardware adapters).
        fusion: Option<bool>,
        /// The step kernel forced on or off (the page's `?step=on|off`); `None`: off.
        #[serde(default)]
        step: Option<bool>,
    },
    Play,
    Pause,
    /// Train to the next observation.
    Step,
    /// Most steps per frame (`u32::MAX`: as fast as it goes).
    Speed(u32),
    /// A new backend choice ("auto", "gpu", "cpu"): the runs move, mid-run if need be.
    Backend(String),
    /// Every run's report so far, for an export.
    Reports,
    /// Destroys the engine's device, as a driver reset would (the end-to-end tests).
    LoseDevice,
    /// The histories of the runs the engine in place `slot` of the session trains, by method,
    /// to draw after this engine's own (and those of lower places). Not a press: a frame's
    /// `seen` does not count it.
    Histories {
        slot: u32,
        histories: Vec<(String, History)>,
    },
    /// Draw the session from now on: the engine that drew it failed. Not a press either.
    Draw,
    /// Send the histories again (to a newly promoted drawing engine). Not a press either.
    Resend,
    /// A piece of a claim's check, outside any session: train runs `first..first + runs` of
    /// `method` in the experiment `link` to its end on the CPU and send their reports
    /// (`FromEngine::Checked`).
    Check {
        link: String,
        method: String,
        first: u32,
        runs: u32,
    },
    /// Times one run of `method` in the experiment `link` on the CPU for about `ms`
    /// milliseconds of training (its build not counted): `FromEngine::Probed`, what a slow
    /// claim's check would cost here.
    Probe {
        link: String,
        method: String,
        ms: f64,
    },
}

/// What the engine tells the page.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum FromEngine {
    Frame(Frame),
    Badge(BackendStatus),
    Status(String),
    /// The device is gone: the page falls back to the CPU for its next session.
    DeviceLost(String),
    /// Every run's report so far, and where they train ("webgpu" or "cpu").
    Reports {
        backend: String,
        reports: Vec<RunReport>,
    },
    /// The engine itself failed (a worker that crashed): its runs stop, with the message.
    Failed(String),
    /// A check's piece, trained: its runs' reports, or why it could not be.
    Checked(Result<Vec<RunReport>, String>),
    /// A probe's milliseconds per training step of one run, or why it could not be timed.
    Probed(Result<f64, String>),
}

/// Progress after a batch of steps.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Frame {
    /// How many of the page's messages the engine had handled: the page trusts `running` and
    /// `playing` only from frames that have seen its latest press.
    pub seen: u32,
    pub step: u32,
    /// Steps per second, about twice a second while training.
    pub rate: Option<f64>,
    /// A training loop is running: a pause takes effect when the batch in flight lands.
    pub running: bool,
    pub playing: bool,
    /// The runs are built and placed: a Play trains at once.
    pub ready: bool,
    /// Set when something they show changed (at most ten times a second while training).
    pub views: Option<Views>,
    /// In place of views, from an engine that trains a later slice of the runs: its histories
    /// by method, for the first slice's engine to draw.
    pub histories: Option<Vec<(String, History)>>,
    /// The reports of methods that have just finished (claims are checked on them).
    pub finished: Vec<(String, Vec<RunReport>)>,
    /// What the engine holds: GPU buffers of live programs, and its wasm memory in bytes (a
    /// worker's own; the page's when it runs in the page).
    pub live: (u32, f64),
}

/// What the header's badge says: the backend the page trains on (or would), in a few words, and
/// the whole story (adapter, measurements) for its tooltip.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum BackendStatus {
    Checking,
    WebGpu { label: String, detail: String },
    Cpu { label: String, detail: String },
}

impl BackendStatus {
    pub fn label(&self) -> String {
        match self {
            BackendStatus::Checking => "checking for WebGPU…".into(),
            BackendStatus::WebGpu { label, .. } | BackendStatus::Cpu { label, .. } => label.clone(),
        }
    }
    pub fn detail(&self) -> String {
        match self {
            BackendStatus::Checking => self.label(),
            BackendStatus::WebGpu { detail, .. } | BackendStatus::Cpu { detail, .. } => {
                detail.clone()
            }
        }
    }
    pub fn is_gpu(&self) -> bool {
        matches!(self, BackendStatus::WebGpu { .. })
    }
    /// The CPU, because of `why` (no adapter, a lost device): its first clause in the badge.
    pub fn cpu_because(why: &str) -> BackendStatus {
        let short = why.split(':').take(2).collect::<Vec<_>>().join(":");
        BackendStatus::Cpu {
            label: format!("CPU ({short})"),
            detail: why.to_string(),
        }
    }
}
