//! What a backend compiles: named entries over one graph, each a fixed list of ops to replay.
//!
//! An entry is one kind of step (a training step, an evaluation pass): the values it computes, the
//! persistent state it assigns, an optional optimizer update, and per-run metrics it accumulates.
//! Entries of one program share the graph's persistent state (parameters, moments, counters), so an
//! evaluation entry sees the weights the training entry left.

use super::autodiff::grad;
use super::error::{invalid, shape_err, EngineError, Result};
use super::graph::{Graph, Tensor};
use super::op::{LeafKind, Op};

/// How parameters move, given their gradients. Per-run learning rates are `[R]` tensors.
#[derive(Clone, Debug)]
pub enum OptimizerKind {
    /// v ← μ·v + (g + wd·θ); θ ← θ - lr·v   (PyTorch's SGD; μ = 0 is plain SGD)
    Sgd { momentum: f32, weight_decay: f32 },
    /// Adam (Kingma & Ba) with L2 weight decay added to the gradient, or AdamW's decoupled decay
    /// θ ← θ - lr·wd·θ when `decoupled`.
    Adam {
        beta1: f32,
        beta2: f32,
        eps: f32,
        weight_decay: f32,
        decoupled: bool,
    },
}

impl OptimizerKind {
    pub fn sgd(momentum: f32) -> OptimizerKind {
        OptimizerKind::Sgd {
            momentum,
            weight_decay: 0.0,
        }
    }
    pub fn adam() -> OptimizerKind {
        OptimizerKind::Adam {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled: false,
        }
    }
    pub fn adamw(weight_decay: f32) -> OptimizerKind {
        OptimizerKind::Adam {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay,
            decoupled: true,
        }
    }
    /// Number of moment slots per parameter element.
    pub fn moments(&self) -> usize {
        match self {
            OptimizerKind::Sgd { .. } => 1,
            OptimizerKind::Adam { .. } => 2,
        }
    }
    fn validate(&self) -> Result<()> {
        let bad = |what: &str, v: f32, range: &str| {
            invalid("optimizer", format!("{what} = {v} must be in {range}"))
        };
        match *self {
            OptimizerKind::Sgd {
                momentum,
                weight_decay,
            } => {
                if !(0.0..1.0).contains(&momentum) {
                    return Err(bad("momentum", momentum, "[0, 1)"));
                }
                if weight_decay.is_nan() || weight_decay < 0.0 {
                    return Err(bad("weight decay", weight_decay, "[0, ∞)"));
                }
            }
            OptimizerKind::Adam {
                beta1,
                beta2,
                eps,
                weight_decay,
                ..
            } => {
                if !(0.0..1.0).contains(&beta1) {
                    return Err(bad("beta1", beta1, "[0, 1)"));
                }
                if !(0.0..1.0).contains(&beta2) {
                    return Err(bad("beta2", beta2, "[0, 1)"));
                }
                if eps.is_nan() || eps <= 0.0 {
                    return Err(bad("eps", eps, "(0, ∞)"));
                }
                if weight_decay.is_nan() || weight_decay < 0.0 {
                    return Err(bad("weight decay", weight_decay, "[0, ∞)"));
                }
            }
        }
        Ok(())
    }
}

/// An optimizer update of `params` by `grads` with per-run learning rates `lr` ([R] or [1]).
#[derive(Clone, Debug)]
pub struct Update {
    pub kind: OptimizerKind,
    pub lr: Tensor,
    pub params: Vec<Tensor>,
    pub grads: Vec<Tensor>,
}

/// One replayable step.
#[derive(Clone, Debug, Default)]
pub struct Entry {
    pub name: String,
    /// Values to compute and keep readable after the entry runs.
    pub outputs: Vec<Tensor>,
    /// `state ← value` at the end of the step, all values computed before any is written.
    pub assigns: Vec<(Tensor, Tensor)>,
    pub update: Option<Update>,
    /// Per-run `[R]` values summed over steps until read back.
    pub metrics: Vec<(String, Tensor)>,
    /// Adds one to the graph's step counter after the step (training entries do).
    pub advances_step: bool,
}

impl Entry {
    pub fn new(name: &str) -> Entry {
        Entry {
            name: name.into(),
            ..Default::default()
        }
    }
    pub fn output(mut self, t: &Tensor) -> Entry {
        self.outputs.push(t.clone());
        self
    }
    pub fn assign(mut self, state: &Tensor, value: &Tensor) -> Entry {
        self.assigns.push((state.clone(), value.clone()));
        self
    }
    pub fn metric(mut self, name: &str, value: &Tensor) -> Entry {
        self.metrics.push((name.into(), value.clone()));
        self
    }
    /// Minimise Σ_runs `loss` over `params`: gradients are built here, in the graph.
    pub fn minimize(
        mut self,
        loss: &Tensor,
        params: &[Tensor],
        kind: OptimizerKind,
        lr: &Tensor,
    ) -> Result<Entry> {
        let grads = grad(loss, params)?;
        self.update = Some(Update {
            kind,
            lr: lr.clone(),
            params: params.to_vec(),
            grads,
        });
        self.advances_step = true;
        Ok(self)
    }
    pub fn advancing_step(mut self) -> Entry {
        self.advances_step = true;
        self
    }
}

/// A graph and its entries, checked and ready for a backend.
#[derive(Clone, Debug)]
pub struct Program {
    pub graph: Graph,
    pub entries: Vec<Entry>,
    /// The step counter `[1]` (State), present when any entry advances it or a random op reads it.
    pub step: Tensor,
}

impl Graph {
    /// The graph's step counter, a `[1]` state starting at 0. Random ops that take it as their
    /// counter draw fresh numbers every step; Adam reads it for bias correction.
    pub fn step_counter(&self) -> Result<Tensor> {
        let found = self.with_nodes(|nodes| {
            nodes
                .iter()
                .position(|n| n.op == Op::Leaf(LeafKind::State) && n.label == "step")
        });
        match found {
            Some(id) => Ok(self.tensor(id)),
            None => self.state("step", &[1], vec![0.0]),
        }
    }
}

impl Program {
    pub fn new(graph: &Graph, entries: Vec<Entry>) -> Result<Program> {
        let step = graph.step_counter()?;
        let runs = graph.runs();
        for e in &entries {
            for t in e
                .outputs
                .iter()
                .chain(e.assigns.iter().flat_map(|(a, b)| [a, b]))
            {
                if !t.graph().same(graph) {
                    return Err(invalid(
                        "program",
                        format!("entry {}: a tensor from another graph", e.name),
                    ));
                }
            }
            for (state, value) in &e.assigns {
                if state.op() != Op::Leaf(LeafKind::State)
                    && state.op() != Op::Leaf(LeafKind::Param)
                {
                    return Err(invalid(
                        "assign",
                        format!("entry {}: target is not a state or parameter", e.name),
                    ));
                }
                let vs = value.shape();
                let ss = state.shape();
                if vs != ss && !(vs.numel() == ss.numel() && vs.runs() == ss.runs()) {
                    return Err(shape_err(
                        "assign",
                        format!("entry {}: value {vs} into state {ss}", e.name),
                    ));
                }
            }
            for (name, m) in &e.metrics {
                let s = m.shape();
                if s.rank() != 1 || (s.0[0] != runs && s.0[0] != 1) {
                    return Err(shape_err(
                        "metric",
                        format!("{name}: {s} must be [R] = [{runs}]"),
                    ));
                }
            }
            if let Some(u) = &e.update {
                u.kind.validate()?;
                let ls = u.lr.shape();
                if ls.rank() != 1 || (ls.0[0] != runs && ls.0[0] != 1) {
                    return Err(shape_err(
                        "optimizer",
                        format!("learning rate {ls} must be [R] = [{runs}] or [1]"),
                    ));
                }
                if u.params.len() != u.grads.len() {
                    return Err(invalid("optimizer", "one gradient per parameter"));
                }
                for (p, g) in u.params.iter().zip(&u.grads) {
                    if p.op() != Op::Leaf(LeafKind::Param) {
                        return Err(invalid("optimizer", "only parameters can be optimized"));
                    }
                    if p.shape() != g.shape() {
                        return Err(shape_err(
                            "optimizer",
                            format!("parameter {} and gradient {}", p.shape(), g.shape()),
                        ));
                    }
                }
                let mut ids: Vec<usize> = u.params.iter().map(|p| p.id).collect();
                ids.sort_unstable();
                ids.dedup();
                if ids.len() != u.params.len() {
                    return Err(invalid("optimizer", "a parameter is listed twice"));
                }
            }
        }
        Ok(Program {
            graph: graph.clone(),
            entries,
            step,
        })
    }

    pub fn entry_index(&self, name: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.name == name)
    }
}

/// Figures a backend counts while it replays, for benchmarks (never for assertions on speed).
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Counters {
    pub steps: u64,
    /// Kernel dispatches issued (for the CPU backend: ops executed).
    pub dispatches: u64,
    /// Bytes written from the host to the device after the program was built.
    pub upload_bytes: u64,
    /// Metric readbacks requested.
    pub readbacks: u64,
    /// Queue submissions.
    pub submits: u64,
}

impl Counters {
    /// Adds one slice's work (a program's runs cut into slices that step together): the work is
    /// summed, the steps counted once.
    pub fn add_slice(&mut self, c: Counters) {
        self.steps = c.steps;
        self.dispatches += c.dispatches;
        self.upload_bytes += c.upload_bytes;
        self.readbacks += c.readbacks;
        self.submits += c.submits;
    }
}

/// Mean of each metric over the steps since the last read, per run: `values[metric][run]`.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricWindow {
    /// The step counter after the last step of the window.
    pub step: u64,
    pub steps: u64,
    pub names: Vec<String>,
    pub values: Vec<Vec<f32>>,
}

impl MetricWindow {
    /// Per run: did any metric turn NaN or infinite in this window? (A NaN anywhere in a window's
    /// steps poisons its sum, so no diverged step is missed between readbacks.)
    pub fn diverged(&self) -> Vec<bool> {
        let runs = self.values.first().map_or(0, Vec::len);
        (0..runs)
            .map(|r| self.values.iter().any(|m| !m[r].is_finite()))
            .collect()
    }
}

/// What a run carries from one step to the next, whatever the backend: every leaf (parameters,
/// state, the step counter, data written since the build) and every optimizer moment. Restored
/// into the same program on either backend, the run continues as if it had never moved.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// (node id, values) of every leaf, in node order.
    pub leaves: Vec<(usize, Vec<f32>)>,
    /// Per entry, per updated parameter: its `kind.moments()` slabs one after another, as the CPU
    /// keeps them (Adam: m, then v). Empty for an entry without an update.
    pub moments: Vec<Vec<Vec<f32>>>,
}

impl Snapshot {
    /// That this snapshot fits `program`: the same leaves and moments, of the same sizes.
    pub fn check(&self, program: &Program) -> Result<()> {
        let bad = |what: String| invalid("restore", format!("the snapshot {what}"));
        let leaves: Vec<(usize, usize)> = program.graph.with_nodes(|nodes| {
            nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| matches!(n.op, Op::Leaf(_)))
                .map(|(id, n)| (id, n.shape.numel()))
                .collect()
        });
        let have: Vec<(usize, usize)> = self.leaves.iter().map(|(id, v)| (*id, v.len())).collect();
        if have != leaves {
            return Err(bad("has other leaves than this program".into()));
        }
        if self.moments.len() != program.entries.len() {
            return Err(bad("has moments for another number of entries".into()));
        }
        for (e, m) in program.entries.iter().zip(&self.moments) {
            let want: Vec<usize> = e
                .update
                .iter()
                .flat_map(|u| {
                    u.params
                        .iter()
                        .map(|p| p.shape().numel() * u.kind.moments())
                })
                .collect();
            let got: Vec<usize> = m.iter().map(|v| v.len()).collect();
            if want != got {
                return Err(bad(format!("has other moments for entry {}", e.name)));
            }
        }
        Ok(())
    }
}

/// The error of a snapshot taken while entry `k`'s metrics are still being summed.
pub(crate) fn open_window(program: &Program, k: usize) -> EngineError {
    invalid(
        "snapshot",
        format!(
            "entry {} has metrics not yet taken: take them first",
            program.entries[k].name
        ),
    )
}
