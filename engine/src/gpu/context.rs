//! The device context (`GpuContext`): device, queue, compiled kernels and the pipeline cache.

use crate::error::{EngineError, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

// The shader sources are statics, not consts: a const's value is copied into each function that
// uses it, and the page's wasm carried every shader twice.
static COMMON: &str = include_str!("../../../shaders/common.wgsl");
/// The elementwise maps: prepended to every family after `COMMON`, and to generated kernels.
static MAPS: &str = include_str!("../../../shaders/maps.wgsl");
/// (family, source) of every shader file; each family's encoder is the module of the same name.
pub(super) static FAMILIES: [(&str, &str); 7] = [
    (
        "elementwise",
        include_str!("../../../shaders/elementwise.wgsl"),
    ),
    ("matmul", include_str!("../../../shaders/matmul.wgsl")),
    ("reduce", include_str!("../../../shaders/reduce.wgsl")),
    ("softmax", include_str!("../../../shaders/softmax.wgsl")),
    ("gather", include_str!("../../../shaders/gather.wgsl")),
    ("random", include_str!("../../../shaders/random.wgsl")),
    ("optim", include_str!("../../../shaders/optim.wgsl")),
];
/// (entry point, family) of every kernel.
const KERNELS: [(&str, &str); 14] = [
    ("unary_f32", "elementwise"),
    ("clamp_f32", "elementwise"),
    ("binary_f32", "elementwise"),
    ("select_f32", "elementwise"),
    ("concat_f32", "elementwise"),
    ("fill_f32", "elementwise"),
    ("accumulate_f32", "elementwise"),
    ("bump_f32", "elementwise"),
    ("matmul_f32", "matmul"),
    ("reduce_f32", "reduce"),
    ("softmax_f32", "softmax"),
    ("gather_rows_f32", "gather"),
    ("scatter_add_rows_f32", "gather"),
    ("random_f32", "random"),
];
const OPTIMIZER_KERNEL: (&str, &str) = ("optimizer_step", "optim");
/// Kernels compiled once per op code (the `OP` override of elementwise.wgsl, the optimizer's
/// kind in optim.wgsl), lazily, as programs need them: a switch over the op in every invocation
/// costs SwiftShader a quarter to a half of these kernels' time (the optimizer ran Adam's
/// arithmetic, powers included, under SGD's mask).
pub(super) const SPECIALIZED: [&str; 3] = ["unary_f32", "binary_f32", "optimizer_step"];

/// WebGPU's downlevel limits, except 8 storage buffers per shader stage (WebGPU's own default,
/// which every browser offers): kernel parameters are a storage buffer, not a uniform, because
/// Mesa's lavapipe (the test device) JIT-compiles a new shader variant for every dispatch whose
/// uniform values it can inline, leaking ~150 KB and ~1 ms each time.
pub fn required_limits() -> wgpu::Limits {
    wgpu::Limits {
        max_storage_buffers_per_shader_stage: 8,
        ..wgpu::Limits::downlevel_defaults()
    }
}

/// `required_limits`, with the adapter's own buffer and binding sizes where they are larger: many
/// runs of a large model pass WebGPU's 128 MiB binding (Adam's moments of the 2×256 MLP at
/// R = 256 are 87 MiB each, its parameters 348 MiB at R = 1,024), and hardware adapters and
/// browsers give more when asked. A program that still does not fit says so before it starts.
pub fn limits_for(adapter: &wgpu::Limits) -> wgpu::Limits {
    let base = required_limits();
    wgpu::Limits {
        max_storage_buffer_binding_size: base
            .max_storage_buffer_binding_size
            .max(adapter.max_storage_buffer_binding_size),
        max_buffer_size: base.max_buffer_size.max(adapter.max_buffer_size),
        ..base
    }
}

/// Compiled pipelines by (kernel, op code of a specialized one).
type Pipelines = HashMap<(&'static str, Option<u32>), wgpu::ComputePipeline>;

/// A device and queue, with the pipelines compiled for them. Clones share everything.
#[derive(Clone)]
pub struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    /// Adapter name and backend, for the page's badge and the CLI's JSON.
    pub adapter: String,
    /// The adapter is a fallback or software rasteriser (a browser's fallback adapter, a CPU
    /// device type, or SwiftShader, llvmpipe or lavapipe by name): measure before trusting it.
    pub software: bool,
    /// Fuse kernels at record time (`fusion`). Off on software adapters by default: there each
    /// generated kernel's compile costs more than its saved dispatches (an SSL program took 3.7 s
    /// to build on lavapipe fused, 1.2 s unfused; SwiftShader's steps/s did not change). Tests and
    /// the benchmark turn it on everywhere; the CLI's `METHODLAB_FUSION=on|off` chooses.
    pub fuse: bool,
    /// Whether programs run on the step kernel (`shaders/step.wgsl`: many steps of an entry in
    /// one dispatch) where they fit; the per-op path otherwise, and `GpuExec::path` says why.
    pub step: bool,
    /// The pipelines compiled so far, by (kernel, op code of a specialized one): each is compiled
    /// when a program first records it, so a context costs its shader modules only (the page's
    /// adapter check made one with every kernel compiled: 300 ms on SwiftShader before the badge
    /// could settle).
    pipelines: Arc<Mutex<Pipelines>>,
    modules: Arc<HashMap<&'static str, wgpu::ShaderModule>>,
    /// Generated (fused) kernels by their source, so programs of the same shapes share them.
    fused: Arc<Mutex<HashMap<String, wgpu::ComputePipeline>>>,
    errors: Arc<Mutex<Vec<String>>>,
    lost: Arc<Mutex<Option<String>>>,
}

impl GpuContext {
    /// Asks for an adapter and a device with WebGPU's downlevel limits, so what runs here runs in
    /// every browser. A clear `NoGpu` error says why when there is none; fall back to the CPU then.
    pub async fn new() -> Result<GpuContext> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle());
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            })
            .await
            .map_err(|e| EngineError::NoGpu(format!("no adapter: {e}")))?;
        let info = adapter.get_info();
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("methodlab"),
                required_limits: limits_for(&adapter.limits()),
                ..Default::default()
            })
            .await
            .map_err(|e| {
                EngineError::NoGpu(format!("adapter {} gave no device: {e}", info.name))
            })?;
        let mut ctx =
            Self::from_device(device, queue, format!("{} ({:?})", info.name, info.backend)).await?;
        ctx.software |= info.device_type == wgpu::DeviceType::Cpu;
        ctx.fuse = !ctx.software;
        Ok(ctx)
    }

    /// Wraps a device the caller made (tests, the page), with every kernel family's module.
    pub async fn from_device(
        device: wgpu::Device,
        queue: wgpu::Queue,
        adapter: String,
    ) -> Result<GpuContext> {
        let errors = Arc::new(Mutex::new(Vec::new()));
        let sink = errors.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            sink.lock().unwrap().push(e.to_string());
        }));
        let lost = Arc::new(Mutex::new(None));
        let lost_sink = lost.clone();
        device.set_device_lost_callback(move |reason, message| {
            *lost_sink.lock().unwrap() = Some(format!("{reason:?}: {message}"));
        });
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let modules: HashMap<&'static str, wgpu::ShaderModule> = FAMILIES
            .iter()
            .map(|(family, src)| {
                let source = format!("{COMMON}\n{MAPS}\n{src}");
                let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(family),
                    source: wgpu::ShaderSource::Wgsl(source.into()),
                });
                (*family, module)
            })
            .collect();
        if let Some(e) = scope.pop().await {
            return Err(EngineError::Gpu(format!("compiling kernels: {e}")));
        }
        let name = adapter.to_lowercase();
        let software = ["swiftshader", "llvmpipe", "lavapipe", "software"]
            .iter()
            .any(|s| name.contains(s));
        Ok(GpuContext {
            device,
            queue,
            adapter,
            software,
            fuse: !software,
            step: false,
            pipelines: Arc::new(Mutex::new(HashMap::new())),
            modules: Arc::new(modules),
            fused: Arc::new(Mutex::new(HashMap::new())),
            errors,
            lost,
        })
    }

    /// The pipeline of `kernel`; for a specialized one, its variant for op code `op`. Compiled
    /// on first use (an invalid one reports through the device's error sink, as any dispatch).
    pub(super) fn pipeline(&self, kernel: &'static str, op: Option<u32>) -> wgpu::ComputePipeline {
        let op = op.filter(|_| SPECIALIZED.contains(&kernel));
        let mut cache = self.pipelines.lock().unwrap();
        cache
            .entry((kernel, op))
            .or_insert_with(|| {
                let family = KERNELS
                    .iter()
                    .chain([&OPTIMIZER_KERNEL])
                    .find(|(k, _)| *k == kernel)
                    .map_or("elementwise", |(_, f)| *f);
                let constants = op.map(|op| [("OP", op as f64)]);
                self.device
                    .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                        label: Some(kernel),
                        layout: None,
                        module: &self.modules[family],
                        entry_point: Some(kernel),
                        compilation_options: wgpu::PipelineCompilationOptions {
                            constants: constants.as_ref().map_or(&[], |c| &c[..]),
                            ..Default::default()
                        },
                        cache: None,
                    })
            })
            .clone()
    }

    /// This context with fusion on or off (see `fuse`).
    pub fn with_fusion(mut self, on: bool) -> GpuContext {
        self.fuse = on;
        self
    }

    /// This context with the step kernel on or off (see `step`).
    pub fn with_step(mut self, on: bool) -> GpuContext {
        self.step = on;
        self
    }

    /// What the page's badge and the CLI's reports name: the adapter, whether it is a software
    /// one (SwiftShader and lavapipe pose as GPUs), and whether kernels are fused.
    pub fn describe(&self) -> String {
        let kind = if self.software { "software, " } else { "" };
        let fused = if self.step {
            "step kernel"
        } else if self.fuse {
            "fused"
        } else {
            "unfused"
        };
        format!("{} [{kind}{fused}]", self.adapter)
    }

    /// The pipeline of a generated kernel (`source` after `COMMON` and `MAPS`, entry point
    /// `entry`), compiled on first use and then shared by every program that generates the same.
    pub(super) fn fused_pipeline(&self, source: &str, entry: &str) -> wgpu::ComputePipeline {
        let mut cache = self.fused.lock().unwrap();
        if let Some(p) = cache.get(source) {
            return p.clone();
        }
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(entry),
                source: wgpu::ShaderSource::Wgsl(format!("{COMMON}\n{MAPS}\n{source}").into()),
            });
        let pipeline = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry),
                layout: None,
                module: &module,
                entry_point: Some(entry),
                compilation_options: Default::default(),
                cache: None,
            });
        cache.insert(source.to_string(), pipeline.clone());
        pipeline
    }

    /// The first error the device reported since the last call, or device loss.
    pub(super) fn check(&self) -> Result<()> {
        if let Some(why) = self.lost.lock().unwrap().clone() {
            return Err(EngineError::DeviceLost(why));
        }
        let mut errors = self.errors.lock().unwrap();
        if !errors.is_empty() {
            let all = errors.join("; ");
            errors.clear();
            let lower = all.to_lowercase();
            if lower.contains("out of memory") {
                return Err(EngineError::Gpu(format!("out of memory: {all}")));
            }
            return Err(EngineError::Gpu(all));
        }
        Ok(())
    }
}
