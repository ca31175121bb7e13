//! Fusion at record time: a tree of elementwise ops whose inner values nothing else reads becomes
//! one generated kernel, and a matrix product whose only reader is such a tree computes the tree
//! in its store (forward: the bias add and activation; backward: a product times an activation's
//! derivative).
//!
//! The CPU backend stays unfused: it is the definition of every op and the oracle the fused
//! kernels are tested against. Fusion changes which dispatches a step makes, not the formulas: a
//! fused kernel calls the functions of `maps.wgsl` that the unfused kernels call, in graph order.
//!
//! A group has a root (the one node whose value is stored) and members of the root's shape, so
//! every member's element `i` is computed by invocation `i`. A member's every reader is in its
//! group, and no member is a value an entry keeps (an output, metric, assignment, gradient or
//! learning rate). The group's other inputs are external operands, read with broadcasting strides
//! from a table in the parameter block, so the generated source depends only on the tree's ops and
//! which operands are laid out like the output: programs of the same structure share pipelines.

use super::context::FAMILIES;
use super::dispatch::{groups_1d, Builder, Operands};
use super::elementwise::contiguous_strides;
use super::layout::Layout;
use super::matmul;
use crate::engine::error::{invalid, Result};
use crate::engine::graph::Node;
use crate::engine::op::{Op, UnaryOp};
use crate::engine::plan::Plan;
use crate::engine::program::Program;
use crate::engine::shape::MAX_RANK;
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;

/// Storage buffers a kernel may bind (`required_limits`), less its parameters and output.
const MAX_READ_BUFFERS: usize = 6;

/// One fused kernel's nodes.
pub(super) struct Group {
    /// In graph order, the root last.
    pub members: Vec<usize>,
    /// The matrix product the members read, computed by the same kernel.
    pub core: Option<usize>,
}

/// Which nodes a program's kernels compute together.
pub(super) struct Fusion {
    /// Nodes computed inside another node's kernel: no dispatch and no storage of their own.
    pub inlined: Vec<bool>,
    /// The groups, by root.
    pub groups: HashMap<usize, Group>,
}

/// The ops a group may hold: unary maps (broadcasting copies included), clamps, binary maps and
/// selects. Detach is a view, not a map.
fn is_map(op: &Op) -> bool {
    match op {
        Op::Unary(u) => *u != UnaryOp::Detach,
        Op::Clamp { .. } | Op::Binary(_) | Op::Select => true,
        _ => false,
    }
}

impl Fusion {
    /// Groups `program`'s nodes, largest ids (the end of the step) first, each group grown from its
    /// root towards the inputs while the rules above and the buffer limit allow.
    ///
    /// `METHODLAB_NO_FUSION=1` (native) turns fusion off: the benchmark's before and after.
    pub fn plan(program: &Program, plan: &Plan, nodes: &[Node], layout: &Layout) -> Fusion {
        let n = nodes.len();
        let mut fusion = Fusion {
            inlined: vec![false; n],
            groups: HashMap::new(),
        };
        if std::env::var_os("METHODLAB_NO_FUSION").is_some() {
            return fusion;
        }
        let mut computed = vec![false; n];
        for &i in plan
            .prologue
            .iter()
            .chain(plan.entries.iter().flat_map(|e| e.ops.iter()))
        {
            computed[i] = true;
        }
        let mut kept = vec![false; n];
        for e in &program.entries {
            let values = e.outputs.iter().chain(e.assigns.iter().map(|(_, v)| v));
            for t in values.chain(e.metrics.iter().map(|(_, t)| t)) {
                kept[t.id] = true;
            }
            if let Some(u) = &e.update {
                for g in &u.grads {
                    kept[g.id] = true;
                }
                kept[u.lr.id] = true;
            }
        }
        // Every node that reads each node, views (reshape, detach) included.
        let mut readers: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (c, node) in nodes.iter().enumerate() {
            if !computed[c] {
                continue;
            }
            let inputs: BTreeSet<usize> = node.inputs.iter().copied().collect();
            for x in inputs {
                readers[x].push(c);
            }
        }
        let movable =
            |x: usize| computed[x] && layout.is_dispatch[x] && !plan.is_static[x] && !kept[x];

        for root in (0..n).rev() {
            if !computed[root]
                || !layout.is_dispatch[root]
                || plan.is_static[root]
                || fusion.inlined[root]
                || !is_map(&nodes[root].op)
            {
                continue;
            }
            let Some(out) = layout.views[root] else {
                continue;
            };
            let shape = &nodes[root].shape;
            let mut members = BTreeSet::from([root]);
            let mut core: Option<usize> = None;
            let joins = |x: usize, members: &BTreeSet<usize>| {
                movable(x)
                    && nodes[x].shape == *shape
                    && readers[x].iter().all(|c| members.contains(c))
            };
            // Reads no buffer it writes, and binds at most `MAX_READ_BUFFERS`.
            let fits = |members: &BTreeSet<usize>, core: Option<usize>| {
                let mut read = BTreeSet::new();
                let core_inputs = core.iter().flat_map(|&c| nodes[c].inputs.iter());
                for x in externals(nodes, members, core)
                    .into_iter()
                    .chain(core_inputs.copied())
                {
                    match layout.views[x] {
                        Some(v) if v.buffer != out.buffer => {
                            read.insert(v.buffer);
                        }
                        _ => return false,
                    }
                }
                read.len() <= MAX_READ_BUFFERS
            };
            loop {
                let grown = externals(nodes, &members, core)
                    .into_iter()
                    .rev()
                    .filter(|&x| is_map(&nodes[x].op) && joins(x, &members))
                    .find(|&x| {
                        let mut with = members.clone();
                        with.insert(x);
                        fits(&with, core)
                    });
                match grown {
                    Some(x) => {
                        members.insert(x);
                    }
                    None => break,
                }
            }
            core = externals(nodes, &members, None)
                .into_iter()
                .rev()
                .filter(|&x| matches!(nodes[x].op, Op::MatMul { .. }) && joins(x, &members))
                .find(|&x| fits(&members, Some(x)));
            if members.len() == 1 && core.is_none() {
                continue;
            }
            for &m in members.iter().filter(|&&m| m != root).chain(core.iter()) {
                fusion.inlined[m] = true;
            }
            fusion.groups.insert(
                root,
                Group {
                    members: members.into_iter().collect(),
                    core,
                },
            );
        }
        fusion
    }
}

/// The inputs of `members` computed outside the group (and not `core`), in id order.
fn externals(nodes: &[Node], members: &BTreeSet<usize>, core: Option<usize>) -> Vec<usize> {
    let found: BTreeSet<usize> = members
        .iter()
        .flat_map(|&m| nodes[m].inputs.iter().copied())
        .filter(|x| !members.contains(x) && Some(*x) != core)
        .collect();
    found.into_iter().collect()
}

/// Replaces what lies between `// FUSED <what> BEGIN` and `// FUSED <what> END` in `src`.
fn splice(src: &str, what: &str, with: &str) -> Result<String> {
    let begin = format!("// FUSED {what} BEGIN\n");
    let end = format!("// FUSED {what} END");
    let (Some(b), Some(e)) = (src.find(&begin), src.find(&end)) else {
        return Err(invalid(
            "fusion",
            format!("matmul.wgsl has no FUSED {what} markers"),
        ));
    };
    Ok(format!("{}{with}{}", &src[..b + begin.len()], &src[e..]))
}

/// Queues the dispatch of group `g` (rooted at `root`): a generated elementwise kernel, or the
/// matrix product with the group as its epilogue.
pub(super) fn encode(
    b: &mut Builder,
    nodes: &[Node],
    layout: &Layout,
    root: usize,
    g: &Group,
) -> Result<usize> {
    let out = layout.view(nodes, root)?;
    let shape = &nodes[root].shape;
    let members: BTreeSet<usize> = g.members.iter().copied().collect();
    let ext = externals(nodes, &members, g.core);
    let core = match g.core {
        Some(c) => {
            let o = Operands::new(nodes, layout, c)?;
            Some(matmul::product(&o, out.offset)?)
        }
        None => None,
    };

    // Each external buffer once; a product's operands keep their own names.
    let mut bindings = vec![(4, out.buffer)];
    let mut names = Vec::with_capacity(ext.len());
    let mut extra: Vec<usize> = Vec::new();
    for &x in &ext {
        let v = layout.view(nodes, x)?;
        let name = match &core {
            Some(p) if p.a.buffer == v.buffer => "a".to_string(),
            Some(p) if p.b.buffer == v.buffer => "b".to_string(),
            _ => {
                let j = extra
                    .iter()
                    .position(|&e| e == v.buffer)
                    .unwrap_or_else(|| {
                        extra.push(v.buffer);
                        bindings.push((5 + extra.len() as u32 - 1, v.buffer));
                        extra.len() - 1
                    });
                format!("e{j}")
            }
        };
        names.push(name);
    }
    if let Some(p) = &core {
        bindings.extend([(1, p.a.buffer), (2, p.b.buffer)]);
    }

    // The parameter block's tail: the output's padded shape, (elements, output offset), then per
    // external operand its strides and offset.
    let own = contiguous_strides(shape);
    let mut tail: Vec<u32> = shape.padded(MAX_RANK).iter().map(|&d| d as u32).collect();
    tail.extend([shape.numel() as u32, out.offset, 0, 0]);
    let mut value = String::from("fn fused_value(at: u32, core: f32) -> f32 {\n");
    let strides: Vec<[u32; MAX_RANK]> = ext
        .iter()
        .map(|&x| nodes[x].shape.broadcast_strides(shape))
        .collect();
    if strides.iter().any(|s| *s != own) {
        value.push_str("    let c = coords(at);\n");
    }
    for (k, (&x, s)) in ext.iter().zip(&strides).enumerate() {
        let v = layout.view(nodes, x)?;
        tail.extend(s);
        tail.extend([v.offset, 0, 0, 0]);
        let index = if *s == own {
            "at"
        } else {
            &format!("dot(c, p.ops[{k}].stride)")
        };
        let _ = writeln!(
            value,
            "    let x{k} = {}[p.ops[{k}].offset.x + {index}];",
            names[k]
        );
    }
    if ext.is_empty() {
        tail.extend([0; 8]);
    }
    let arg = |x: usize| -> String {
        if Some(x) == g.core {
            "core".into()
        } else if members.contains(&x) {
            format!("v{x}")
        } else {
            format!("x{}", ext.iter().position(|&e| e == x).unwrap_or(0))
        }
    };
    for &m in &g.members {
        let node = &nodes[m];
        let args: Vec<String> = node.inputs.iter().map(|&x| arg(x)).collect();
        let expr = match &node.op {
            Op::Unary(u) => format!("unary({}u, {})", *u as u32, args[0]),
            Op::Clamp { min, max } => format!(
                "clamp_keep_nan({}, f32_bits({}u), f32_bits({}u))",
                args[0],
                min.to_bits(),
                max.to_bits()
            ),
            Op::Binary(o) => format!("binary({}u, {}, {})", *o as u32, args[0], args[1]),
            Op::Select => format!("select({}, {}, {} != 0.0)", args[2], args[1], args[0]),
            op => return Err(invalid("fusion", format!("{} is not a map", op.name()))),
        };
        let _ = writeln!(value, "    let v{m} = {expr};");
    }
    let _ = write!(value, "    return v{root};\n}}\n{COORDS}");

    let operands = ext.len().max(1);
    let fields =
        format!("    dims: vec4<u32>,\n    fz: vec4<u32>,\n    ops: array<Operand, {operands}>,\n");
    let mut decls =
        String::from("struct Operand {\n    stride: vec4<u32>,\n    offset: vec4<u32>,\n}\n");
    for (j, _) in extra.iter().enumerate() {
        let _ = writeln!(
            decls,
            "@group(0) @binding({}) var<storage, read> e{j}: array<f32>;",
            5 + j
        );
    }
    match core {
        None => {
            let source = format!(
                "{decls}struct Params {{\n{fields}}}\n\
                 @group(0) @binding(0) var<storage, read> p: Params;\n\
                 @group(0) @binding(4) var<storage, read_write> out: array<f32>;\n\
                 {value}{ENTRY}"
            );
            let pipeline = b.context().fused_pipeline(&source, "fused_f32");
            Ok(b.dispatch_generated(
                "fused_f32",
                pipeline,
                bytemuck::cast_slice(&tail),
                bindings,
                groups_1d(shape.numel()),
            ))
        }
        Some(product) => {
            let matmul_src = FAMILIES
                .iter()
                .find(|(f, _)| *f == "matmul")
                .map(|(_, s)| *s)
                .ok_or_else(|| invalid("fusion", "no matmul family"))?;
            let source = splice(matmul_src, "PARAMS", &fields)?;
            let source = splice(&source, "BINDINGS", &decls)?;
            let epilogue = format!(
                "{value}fn epilogue(at: u32, v: f32) -> f32 {{ return fused_value(at, v); }}\n"
            );
            let source = splice(&source, "EPILOGUE", &epilogue)?;
            let pipeline = b.context().fused_pipeline(&source, "matmul_f32");
            let mut bytes = bytemuck::bytes_of(&product.params).to_vec();
            bytes.extend_from_slice(bytemuck::cast_slice(&tail));
            Ok(b.dispatch_generated(
                "matmul_fused_f32",
                pipeline,
                &bytes,
                bindings,
                product.groups,
            ))
        }
    }
}

/// An output element's coordinates (run axis first) from its index, as elementwise.wgsl's.
const COORDS: &str = "fn coords(i: u32) -> vec4<u32> {
    let d = p.dims;
    var rest = i;
    let l = rest % d.w;
    rest = rest / d.w;
    let j = rest % d.z;
    rest = rest / d.z;
    let k = rest % d.y;
    rest = rest / d.y;
    return vec4<u32>(rest, k, j, l);
}
";

const ENTRY: &str = "@compute @workgroup_size(64)
fn fused_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = linear_index(gid, groups);
    if (i >= p.fz.x) { return; }
    out[p.fz.y + i] = fused_value(i, 0.0);
}
";
