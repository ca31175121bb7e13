//! Fusion at record time: a tree of elementwise ops whose inner values nothing else reads becomes
//! one generated kernel; a matrix product or a random draw whose only reader is such a tree
//! computes the tree in its store (forward: the bias add and activation; backward: a product
//! times an activation's derivative; a draw and its floor); a reduction computes the maps only
//! it reads in its load (a squared error before its mean); a sum over a product's operand along
//! its contracted axis (a bias gradient beside its weight gradient) is done by the same
//! dispatch, by the invocations past the product's; and so are two row gathers by one index.
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
use super::layout::View;
use super::{gather, matmul, random, reduce};
use crate::error::{invalid, Result};
use crate::graph::Node;
use crate::op::{Op, ReduceOp, UnaryOp};
use crate::plan::Plan;
use crate::program::{Entry, Program};
use crate::shape::{Shape, MAX_RANK};
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;

/// Storage buffers a kernel may bind (`required_limits`), less its parameters and output.
const MAX_READ_BUFFERS: usize = 6;

/// One fused kernel's nodes.
pub(super) struct Group {
    /// In graph order, the root last.
    pub members: Vec<usize>,
    /// The matrix product, random draw or reduction the members read, computed by the same
    /// kernel, and the node they read it as (itself, or a reshape of it).
    pub core: Option<(usize, usize)>,
}

/// Which nodes a program's kernels compute together.
pub(super) struct Fusion {
    /// Nodes computed inside another node's kernel: no dispatch and no storage of their own.
    pub inlined: Vec<bool>,
    /// The groups, by root.
    pub groups: HashMap<usize, Group>,
    /// Products that also do a sum, by the first of the two in graph order (where the one
    /// dispatch goes): (product, sum).
    pub siblings: HashMap<usize, (usize, usize)>,
    /// The second of each pair: stored as before, but with no dispatch of its own.
    pub moved: Vec<bool>,
    /// Maps whose value only a reduction reads, computed in its load instead of stored (a
    /// squared error before its mean): by reduction, in graph order, its input last.
    pub inputs: HashMap<usize, Vec<usize>>,
    /// Pairs of row gathers by the same index done by one dispatch, by the first in graph
    /// order (where the dispatch goes); the second is `moved`.
    pub gathers: HashMap<usize, usize>,
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
    /// Nothing is fused unless `on` (`GpuContext::fuse`).
    pub fn plan(
        program: &Program,
        plan: &Plan,
        nodes: &[Node],
        layout: &Layout,
        on: bool,
    ) -> Result<Fusion> {
        let n = nodes.len();
        let mut fusion = Fusion {
            inlined: vec![false; n],
            groups: HashMap::new(),
            siblings: HashMap::new(),
            moved: vec![false; n],
            inputs: HashMap::new(),
            gathers: HashMap::new(),
        };
        if !on {
            return Ok(fusion);
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
            let mut core: Option<(usize, usize)> = None;
            let joins = |x: usize, members: &BTreeSet<usize>| {
                movable(x)
                    && nodes[x].shape == *shape
                    && readers[x].iter().all(|c| members.contains(c))
            };
            // Reads no buffer it writes, and binds at most `MAX_READ_BUFFERS`.
            let fits = |members: &BTreeSet<usize>, core: Option<(usize, usize)>| {
                let mut read = BTreeSet::new();
                let core_inputs = core.iter().flat_map(|&(c, _)| nodes[c].inputs.iter());
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
            // The core, read directly or through a reshape (same elements, same order).
            let as_core = |x: usize| -> Option<(usize, usize)> {
                if is_core(&nodes[x].op) && joins(x, &members) {
                    return Some((x, x));
                }
                let y = *nodes[x].inputs.first()?;
                let through = nodes[x].op == Op::Reshape
                    && computed[x]
                    && !kept[x]
                    && nodes[x].shape == *shape
                    && readers[x].iter().all(|c| members.contains(c))
                    && is_core(&nodes[y].op)
                    && movable(y)
                    && readers[y] == [x];
                through.then_some((y, x))
            };
            core = externals(nodes, &members, None)
                .into_iter()
                .rev()
                .filter_map(as_core)
                .find(|&c| fits(&members, Some(c)));
            if members.len() == 1 && core.is_none() {
                continue;
            }
            let core_nodes = core.iter().flat_map(|&(c, view)| [c, view]);
            for m in members
                .iter()
                .copied()
                .filter(|&m| m != root)
                .chain(core_nodes)
            {
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

        // A reduction computes the maps only it reads in its load: its input is then a tree of
        // maps (a group without a core, or one map) read by nothing else, and the externals of
        // that tree and of the reduction's own epilogue, if it is a core, fit one kernel.
        let root_of_core: HashMap<usize, usize> = fusion
            .groups
            .iter()
            .filter_map(|(&root, g)| g.core.map(|(c, _)| (c, root)))
            .collect();
        for r in 0..n {
            if !matches!(nodes[r].op, Op::Reduce { .. })
                || !computed[r]
                || !layout.is_dispatch[r]
                || plan.is_static[r]
            {
                continue;
            }
            // The input, read directly or through a reshape (same elements, same order).
            let mut x = nodes[r].inputs[0];
            let mut reader = r;
            let through =
                nodes[x].op == Op::Reshape && computed[x] && !kept[x] && readers[x] == [r];
            if through {
                (reader, x) = (x, nodes[x].inputs[0]);
            }
            if !is_map(&nodes[x].op) || !movable(x) || readers[x] != [reader] || fusion.inlined[x] {
                continue;
            }
            let chain: BTreeSet<usize> = match fusion.groups.get(&x) {
                Some(g) if g.core.is_some() => continue,
                Some(g) => g.members.iter().copied().collect(),
                None => BTreeSet::from([x]),
            };
            let stored = root_of_core.get(&r).copied().unwrap_or(r);
            let Some(out) = layout.views[stored] else {
                continue;
            };
            let mut reads = externals(nodes, &chain, None);
            if let Some(g) = root_of_core
                .get(&r)
                .and_then(|root| fusion.groups.get(root))
            {
                let members: BTreeSet<usize> = g.members.iter().copied().collect();
                reads.extend(externals(nodes, &members, g.core));
            }
            // Every operand stored, none in the buffer written, and few enough buffers.
            let buffers: Option<BTreeSet<usize>> = reads
                .iter()
                .map(|&e| {
                    layout.views[e]
                        .filter(|v| v.buffer != out.buffer)
                        .map(|v| v.buffer)
                })
                .collect();
            if buffers.is_none_or(|b| b.len() > MAX_READ_BUFFERS) {
                continue;
            }
            fusion.groups.remove(&x);
            for &m in chain.iter().chain(through.then_some(&reader)) {
                fusion.inlined[m] = true;
            }
            fusion.inputs.insert(r, chain.into_iter().collect());
        }

        // A sum of a product's operand (a bias gradient beside its weight gradient, both reading
        // the layer's delta) is done by the product's dispatch when both are needed by the same
        // entries. The dispatch goes where the first of the two was, so every input of both must
        // be computed before it.
        let needed_by = |x: usize| -> Vec<bool> {
            plan.entries
                .iter()
                .map(|e| e.ops.binary_search(&x).is_ok())
                .collect()
        };
        let mut paired = BTreeSet::new();
        for sum in 0..n {
            if !matches!(
                nodes[sum].op,
                Op::Reduce {
                    op: ReduceOp::Sum,
                    ..
                }
            ) || !computed[sum]
                || !layout.is_dispatch[sum]
                || plan.is_static[sum]
                || fusion.inputs.contains_key(&sum)
                // The core of a group is computed by that group's kernel: paired as well, the
                // product went with it into a dispatch never made (EWC's weight gradients on the
                // fused path, issue 34).
                || fusion.inlined[sum]
            {
                continue;
            }
            let Some(out) = layout.views[sum] else {
                continue;
            };
            let x = nodes[sum].inputs[0];
            let product = readers[x].iter().copied().find(|&m| {
                matches!(nodes[m].op, Op::MatMul { .. })
                    && layout.is_dispatch[m]
                    && !plan.is_static[m]
                    && !fusion.inlined[m]
                    && !paired.contains(&m)
                    && needed_by(m) == needed_by(sum)
                    && nodes[m].inputs.iter().all(|&i| i < m.min(sum))
                    && nodes[m]
                        .inputs
                        .iter()
                        .all(|&i| layout.views[i].is_some_and(|v| v.buffer != out.buffer))
            });
            if let Some(m) = product {
                paired.insert(m);
                fusion.siblings.insert(m.min(sum), (m, sum));
                fusion.moved[m.max(sum)] = true;
            }
        }

        // Two row gathers by the same index (a batch's inputs and its targets) are one
        // dispatch, the invocations past the first's elements doing the second's, when both
        // are needed by the same entries; it goes where the first was, so the second's inputs
        // must be ready there, and neither may read a buffer they write.
        let ready_at = |x: usize, at: usize| !computed[x] || plan.is_static[x] || x < at;
        let free_gather = |x: usize, fusion: &Fusion| {
            nodes[x].op == Op::GatherRows
                && computed[x]
                && layout.is_dispatch[x]
                && !plan.is_static[x]
                && !fusion.moved[x]
                && !fusion.gathers.contains_key(&x)
        };
        for a in 0..n {
            if !free_gather(a, &fusion) {
                continue;
            }
            let idx = nodes[a].inputs[1];
            let Some(c) = (a + 1..n).find(|&c| {
                free_gather(c, &fusion)
                    && nodes[c].inputs[1] == idx
                    && needed_by(c) == needed_by(a)
                    && nodes[c].inputs.iter().all(|&i| ready_at(i, a))
            }) else {
                continue;
            };
            let (Some(out_a), Some(out_c)) = (layout.views[a], layout.views[c]) else {
                continue;
            };
            let apart = [nodes[a].inputs[0], idx, nodes[c].inputs[0]]
                .iter()
                .all(|&x| {
                    layout.views[x]
                        .is_some_and(|v| v.buffer != out_a.buffer && v.buffer != out_c.buffer)
                });
            if apart {
                fusion.gathers.insert(a, c);
                fusion.moved[c] = true;
            }
        }
        fusion.check(nodes, layout, &computed)?;
        Ok(fusion)
    }

    /// That every node needing a dispatch is computed by exactly one kernel: its own, its
    /// group's (as a member, the core, or the core's input chain), or its pair's. A plan that
    /// leaves a node out would run with that node's buffer never written: wrong numbers, no
    /// error. This makes it an error when the program is built.
    fn check(&self, nodes: &[Node], layout: &Layout, computed: &[bool]) -> Result<()> {
        let n = nodes.len();
        let needs = |x: usize| computed[x] && layout.is_dispatch[x];
        let mut by = vec![0u32; n];
        for x in (0..n).filter(|&x| needs(x) && !self.inlined[x] && !self.moved[x]) {
            by[x] += 1;
            let mut covered: Vec<usize> = Vec::new();
            if let Some(g) = self.groups.get(&x) {
                covered.extend(g.members.iter().filter(|&&m| m != x));
                if let Some((c, _)) = g.core {
                    covered.push(c);
                    covered.extend(self.inputs.get(&c).into_iter().flatten());
                }
            } else {
                covered.extend(self.inputs.get(&x).into_iter().flatten());
            }
            if let Some(&(product, sum)) = self.siblings.get(&x) {
                covered.push(if product == x { sum } else { product });
            }
            covered.extend(self.gathers.get(&x));
            for c in covered.into_iter().filter(|&c| needs(c)) {
                by[c] += 1;
            }
        }
        match (0..n).find(|&x| needs(x) && by[x] != 1) {
            None => Ok(()),
            Some(x) => Err(invalid(
                "fusion",
                format!(
                    "node {x} ({}) is computed by {} kernels, not one: a fusion bug \
                     (METHODLAB_FUSION=off runs without fusion)",
                    nodes[x].op.name(),
                    by[x]
                ),
            )),
        }
    }
}

/// Ops whose store can compute a group: matrix products, random draws and reductions.
fn is_core(op: &Op) -> bool {
    matches!(
        op,
        Op::MatMul { .. } | Op::Random { .. } | Op::Reduce { .. }
    )
}

/// The inputs of `members` computed outside the group (and not the core), in id order.
fn externals(
    nodes: &[Node],
    members: &BTreeSet<usize>,
    core: Option<(usize, usize)>,
) -> Vec<usize> {
    let found: BTreeSet<usize> = members
        .iter()
        .flat_map(|&m| nodes[m].inputs.iter().copied())
        .filter(|x| !members.contains(x) && core.is_none_or(|(c, view)| *x != c && *x != view))
        .collect();
    found.into_iter().collect()
}

/// Replaces what lies between `// FUSED <what> BEGIN` and `// FUSED <what> END` in `src`.
fn splice(src: &str, what: &str, with: &str) -> Result<String> {
    let begin = format!("// FUSED {what} BEGIN\n");
    let end = format!("// FUSED {what} END");
    let (Some(b), Some(e)) = (src.find(&begin), src.find(&end)) else {
        return Err(invalid("fusion", format!("no FUSED {what} markers")));
    };
    Ok(format!("{}{with}{}", &src[..b + begin.len()], &src[e..]))
}

/// A kernel family's source from `shaders/`.
fn family(name: &str) -> Result<&'static str> {
    FAMILIES
        .iter()
        .find(|(f, _)| *f == name)
        .map(|(_, s)| *s)
        .ok_or_else(|| invalid("fusion", format!("no kernel family {name}")))
}

/// The op whose store computes a group: its family's parameters and operands, bound as the
/// family binds them.
enum Core {
    Product(matmul::Product),
    Draw(random::Params, View),
    Reduction(reduce::Params, View),
}

impl Core {
    /// (array name, buffer, binding) of each operand.
    fn operands(&self) -> Vec<(&'static str, usize, u32)> {
        match self {
            Core::Product(p) => vec![("a", p.a.buffer, 1), ("b", p.b.buffer, 2)],
            Core::Draw(_, counter) => vec![("counter", counter.buffer, 1)],
            Core::Reduction(_, input) => vec![("a", input.buffer, 1)],
        }
    }
}

/// Queues the dispatch of group `g` (rooted at `root`): a generated elementwise kernel, or the
/// group's product, draw or reduction with the group as its epilogue. A reduction given its
/// `input` chain (`Fusion::inputs`) computes that in its load instead of reading it stored; a
/// reduction with an input chain and no epilogue is a group of no members whose root is its
/// core. `seed` is the graph's.
pub(super) fn encode(
    b: &mut Builder,
    nodes: &[Node],
    layout: &Layout,
    seed: u32,
    root: usize,
    g: &Group,
    input: Option<&[usize]>,
) -> Result<usize> {
    let out = layout.view(nodes, root)?;
    let shape = &nodes[root].shape;
    let members: BTreeSet<usize> = g.members.iter().copied().collect();
    let ext = externals(nodes, &members, g.core);
    let core = match g.core {
        Some((c, _)) => {
            let o = Operands::new(nodes, layout, c)?;
            Some(match o.node.op {
                Op::MatMul { .. } => Core::Product(matmul::product(&o, out.offset)?),
                Op::Reduce { .. } => {
                    let mut params = reduce::params(&o)?;
                    params.out_off = out.offset;
                    Core::Reduction(params, o.input(0)?)
                }
                _ => {
                    let (params, counter) = random::params(&o, seed, out.offset)?;
                    Core::Draw(params, counter)
                }
            })
        }
        None => None,
    };
    // A reduction computing its input reads no stored input, only the chain's operands.
    let core_operands = match (&core, input) {
        (Some(Core::Reduction(..)), Some(_)) => Vec::new(),
        _ => core.as_ref().map(Core::operands).unwrap_or_default(),
    };

    let mut arrays = Arrays {
        core: &core_operands,
        extra: Vec::new(),
    };
    // The parameter block's tail: the output's padded shape, (elements, output offset), then per
    // external operand its strides and offset; with an input chain, the input's padded shape and
    // its operands' table after that.
    let names = arrays.names(nodes, layout, &ext)?;
    let (value, table) = chain(
        nodes,
        layout,
        ("fused_value", "ops", "dims"),
        &g.members,
        root,
        g.core,
        &ext,
        &names,
    )?;
    let mut tail: Vec<u32> = shape.padded(MAX_RANK).iter().map(|&d| d as u32).collect();
    tail.extend([shape.numel() as u32, out.offset, 0, 0]);
    tail.extend(table);
    let mut fields = format!(
        "    dims: vec4<u32>,\n    fz: vec4<u32>,\n    ops: array<Operand, {}>,\n",
        ext.len().max(1)
    );
    let mut load = None;
    if let Some(chain_members) = input {
        let x = *chain_members
            .last()
            .ok_or_else(|| invalid("fusion", "an empty input chain"))?;
        let set: BTreeSet<usize> = chain_members.iter().copied().collect();
        let in_ext = externals(nodes, &set, None);
        let in_names = arrays.names(nodes, layout, &in_ext)?;
        let (source, in_table) = chain(
            nodes,
            layout,
            ("fused_input", "ins", "in_dims"),
            chain_members,
            x,
            None,
            &in_ext,
            &in_names,
        )?;
        tail.extend(nodes[x].shape.padded(MAX_RANK).iter().map(|&d| d as u32));
        tail.extend(in_table);
        let _ = write!(
            fields,
            "    in_dims: vec4<u32>,\n    ins: array<Operand, {}>,\n",
            in_ext.len().max(1)
        );
        load = Some(format!(
            "{source}fn input(at: u32) -> f32 {{ return fused_input(at, 0.0); }}\n"
        ));
    }

    // Each buffer bound once: the output, the core's operands, then the further buffers read.
    let mut bindings = vec![(4, out.buffer)];
    bindings.extend(
        core_operands
            .iter()
            .map(|&(_, buffer, slot)| (slot, buffer)),
    );
    let decls = format!(
        "struct Operand {{\n    stride: vec4<u32>,\n    offset: vec4<u32>,\n}}\n{}",
        read_only(&arrays.extra, &mut bindings)
    );
    let epilogue =
        format!("{value}fn epilogue(at: u32, v: f32) -> f32 {{ return fused_value(at, v); }}\n");
    let into_family = |name: &str| -> Result<String> {
        let source = splice(family(name)?, "PARAMS", &fields)?;
        let source = splice(&source, "BINDINGS", &decls)?;
        splice(&source, "EPILOGUE", &epilogue)
    };
    let (kernel, entry, source, mut bytes, groups) = match core {
        None => {
            let source = format!(
                "{decls}struct Params {{\n{fields}}}\n\
                 @group(0) @binding(0) var<storage, read> p: Params;\n\
                 @group(0) @binding(4) var<storage, read_write> out: array<f32>;\n\
                 {value}{ENTRY}"
            );
            let groups = groups_1d(shape.numel());
            ("fused_f32", "fused_f32", source, Vec::new(), groups)
        }
        Some(Core::Product(product)) => (
            "matmul_fused_f32",
            "matmul_f32",
            into_family("matmul")?,
            bytemuck::bytes_of(&product.params).to_vec(),
            product.groups,
        ),
        Some(Core::Draw(params, _)) => (
            "random_fused_f32",
            "random_f32",
            into_family("random")?,
            bytemuck::bytes_of(&params).to_vec(),
            groups_1d(shape.numel()),
        ),
        Some(Core::Reduction(params, _)) => {
            let mut source = into_family("reduce")?;
            if let Some(load) = &load {
                source = splice(&source, "INPUT", load)?;
            }
            (
                "reduce_fused_f32",
                "reduce_f32",
                source,
                bytemuck::bytes_of(&params).to_vec(),
                groups_1d(shape.numel()),
            )
        }
    };
    bytes.extend_from_slice(bytemuck::cast_slice(&tail));
    let pipeline = b.context().fused_pipeline(&source, entry);
    Ok(b.dispatch_generated(kernel, pipeline, &bytes, bindings, groups))
}

/// The arrays a generated kernel reads its operands from: a core operand's own name where the
/// operand lies in that operand's buffer, otherwise `e<j>`, one binding (from 5) per further
/// buffer, in `extra`.
struct Arrays<'a> {
    core: &'a [(&'static str, usize, u32)],
    extra: Vec<usize>,
}

impl Arrays<'_> {
    /// The array a value in `buffer` is read from.
    fn name(&mut self, buffer: usize) -> String {
        if let Some((name, _, _)) = self.core.iter().find(|(_, b, _)| *b == buffer) {
            return name.to_string();
        }
        let j = match self.extra.iter().position(|&e| e == buffer) {
            Some(j) => j,
            None => {
                self.extra.push(buffer);
                self.extra.len() - 1
            }
        };
        format!("e{j}")
    }

    fn names(
        &mut self,
        nodes: &[Node],
        layout: &Layout,
        operands: &[usize],
    ) -> Result<Vec<String>> {
        operands
            .iter()
            .map(|&x| Ok(self.name(layout.view(nodes, x)?.buffer)))
            .collect()
    }
}

/// The declarations of read-only arrays `e<j>` at bindings 5 + j, one per buffer in `extra`,
/// each added to `bindings`.
fn read_only(extra: &[usize], bindings: &mut Vec<(u32, usize)>) -> String {
    let mut decls = String::new();
    for (j, &buffer) in extra.iter().enumerate() {
        bindings.push((5 + j as u32, buffer));
        let _ = writeln!(
            decls,
            "@group(0) @binding({}) var<storage, read> e{j}: array<f32>;",
            5 + j
        );
    }
    decls
}

/// `fn <name>(at: u32, core: f32) -> f32` (`names`: the function, its operand table and the
/// shape it counts `at` in, fields of the parameter block): the maps `members` (graph order) at
/// element `at` of `root`'s shape, returning `root`'s value. `core` stands for the core (or
/// the view of it) the maps read; external operand `ext[k]` is read from array `arrays[k]`
/// with its strides and offset from the table. Returns the source and the table's words (one
/// empty entry when there is no operand, as WGSL has no empty arrays).
#[allow(clippy::too_many_arguments)]
fn chain(
    nodes: &[Node],
    layout: &Layout,
    (name, table, dims): (&str, &str, &str),
    members: &[usize],
    root: usize,
    core: Option<(usize, usize)>,
    ext: &[usize],
    arrays: &[String],
) -> Result<(String, Vec<u32>)> {
    let shape = &nodes[root].shape;
    let own = contiguous_strides(shape);
    let mut words: Vec<u32> = Vec::new();
    let mut source = format!("fn {name}(at: u32, core: f32) -> f32 {{\n");
    let strides: Vec<[u32; MAX_RANK]> = ext
        .iter()
        .map(|&x| nodes[x].shape.broadcast_strides(shape))
        .collect();
    if strides.iter().any(|s| *s != own) {
        let _ = writeln!(source, "    let c = coords(at, p.{dims});");
    }
    for (k, (&x, s)) in ext.iter().zip(&strides).enumerate() {
        let v = layout.view(nodes, x)?;
        words.extend(s);
        words.extend([v.offset, 0, 0, 0]);
        let index = if *s == own {
            "at".to_string()
        } else {
            format!("dot(c, p.{table}[{k}].stride)")
        };
        let _ = writeln!(
            source,
            "    let x{k} = {}[p.{table}[{k}].offset.x + {index}];",
            arrays[k]
        );
    }
    if ext.is_empty() {
        words.extend([0; 8]);
    }
    let arg = |x: usize| -> String {
        if core.is_some_and(|(c, view)| x == c || x == view) {
            "core".into()
        } else if members.contains(&x) {
            format!("v{x}")
        } else {
            format!("x{}", ext.iter().position(|&e| e == x).unwrap_or(0))
        }
    };
    for &m in members {
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
        let _ = writeln!(source, "    let v{m} = {expr};");
    }
    let _ = write!(source, "    return {};\n}}\n", arg(root));
    Ok((source, words))
}

/// Queues product `product` with sum `sum` of one of its operands: the invocations past the
/// product's tiles each sum one output element, in the order reduce.wgsl sums it.
pub(super) fn encode_with_sum(
    b: &mut Builder,
    nodes: &[Node],
    layout: &Layout,
    product: usize,
    sum: usize,
) -> Result<usize> {
    let o = Operands::new(nodes, layout, product)?;
    let prod = matmul::product(&o, o.out.offset)?;
    let s = reduce::params(&Operands::new(nodes, layout, sum)?)?;
    let input = nodes[sum].inputs[0];
    let array = if nodes[product].inputs[0] == input {
        "a"
    } else {
        "b"
    };
    let sum_out = layout.view(nodes, sum)?;
    let (target, mut bindings) = if sum_out.buffer == o.out.buffer {
        ("out", Vec::new())
    } else {
        ("sum_out", vec![(3, sum_out.buffer)])
    };
    bindings.extend([(1, prod.a.buffer), (2, prod.b.buffer), (4, o.out.buffer)]);
    let tiles = prod.params.runs as usize
        * prod.params.m.div_ceil(4) as usize
        * prod.params.n.div_ceil(4) as usize;
    let outputs = (s.outer * s.inner) as usize;
    let fields = "    s_outer: u32,\n    s_len: u32,\n    s_inner: u32,\n    s_in_off: u32,\n    s_out_off: u32,\n    s_pad0: u32,\n    s_pad1: u32,\n    s_pad2: u32,\n";
    let decls = if target == "out" {
        String::new()
    } else {
        "@group(0) @binding(3) var<storage, read_write> sum_out: array<f32>;\n".to_string()
    };
    let prologue = "    let product_tiles = p.runs * ((p.m + 3u) / 4u) * ((p.n + 3u) / 4u);\n    \
         if (i >= product_tiles) { sum_along(i - product_tiles); return; }\n";
    let function = format!(
        "fn sum_along(i: u32) {{\n    \
             if (i >= p.s_outer * p.s_inner) {{ return; }}\n    \
             let base = p.s_in_off + (i / p.s_inner) * p.s_len * p.s_inner + i % p.s_inner;\n    \
             var acc = 0.0;\n    \
             for (var k = 0u; k < p.s_len; k = k + 1u) {{ acc = acc + {array}[base + k * p.s_inner]; }}\n    \
             {target}[p.s_out_off + i] = acc;\n\
         }}\n\
         fn epilogue(at: u32, v: f32) -> f32 {{ return v; }}\n"
    );
    let source = splice(family("matmul")?, "PARAMS", fields)?;
    let source = splice(&source, "BINDINGS", &decls)?;
    let source = splice(&source, "EPILOGUE", &function)?;
    let source = splice(&source, "PROLOGUE", prologue)?;
    let mut bytes = bytemuck::bytes_of(&prod.params).to_vec();
    let extra = [s.outer, s.len, s.inner, s.in_off, s.out_off, 0, 0, 0];
    bytes.extend_from_slice(bytemuck::cast_slice(&extra));
    let pipeline = b.context().fused_pipeline(&source, "matmul_f32");
    Ok(b.dispatch_generated(
        "matmul_sum_f32",
        pipeline,
        &bytes,
        bindings,
        groups_1d(tiles + outputs),
    ))
}
/// Queues gathers `a` and `c`, which read the same index, as one dispatch: the invocations past
/// `a`'s elements compute `c`'s, each as gather.wgsl's `gather_rows_f32` does.
pub(super) fn encode_gathers(
    b: &mut Builder,
    nodes: &[Node],
    layout: &Layout,
    a: usize,
    c: usize,
) -> Result<usize> {
    let (oa, oc) = (
        Operands::new(nodes, layout, a)?,
        Operands::new(nodes, layout, c)?,
    );
    let (pa, _, src_a, idx) = gather::params(&oa)?;
    let (pc, _, src_c, _) = gather::params(&oc)?;
    // Each buffer read bound once, from binding 5; the outputs at 4 and, in a buffer apart, 3.
    let mut arrays = Arrays {
        core: &[],
        extra: Vec::new(),
    };
    let (from_a, index, from_c) = (
        arrays.name(src_a.buffer),
        arrays.name(idx.buffer),
        arrays.name(src_c.buffer),
    );
    let apart = oc.out.buffer != oa.out.buffer;
    let into_c = if apart { "out_c" } else { "out" };
    let mut bindings = vec![(4, oa.out.buffer)];
    let mut decls =
        String::from("@group(0) @binding(4) var<storage, read_write> out: array<f32>;\n");
    if apart {
        bindings.push((3, oc.out.buffer));
        decls.push_str("@group(0) @binding(3) var<storage, read_write> out_c: array<f32>;\n");
    }
    decls.push_str(&read_only(&arrays.extra, &mut bindings));
    let one = |g: &str, i: &str, src: &str, out: &str| {
        format!(
            "        let col = {i} % p.{g}.d;\n        \
             let t = {i} / p.{g}.d;\n        \
             let k = t % p.{g}.batch;\n        \
             let run = t / p.{g}.batch;\n        \
             let v = {index}[p.{g}.idx_off + run * p.{g}.idx_run_stride + k];\n        \
             let row = min(u32(max(v, 0.0)), p.{g}.src_rows - 1u);\n        \
             {out}[p.{g}.out_off + {i}] = \
             {src}[p.{g}.src_off + run * p.{g}.src_run_stride + row * p.{g}.d + col];\n"
        )
    };
    let source = format!(
        "struct Gather {{\n    n: u32,\n    src_rows: u32,\n    d: u32,\n    batch: u32,\n    \
         src_off: u32,\n    idx_off: u32,\n    out_off: u32,\n    src_run_stride: u32,\n    \
         idx_run_stride: u32,\n    _pad0: u32,\n    _pad1: u32,\n    _pad2: u32,\n}}\n\
         struct Params {{\n    a: Gather,\n    c: Gather,\n}}\n\
         @group(0) @binding(0) var<storage, read> p: Params;\n\
         {decls}\
         @compute @workgroup_size(64)\n\
         fn gathers_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {{\n    \
             let i = linear_index(gid, groups);\n    \
             if (i < p.a.n) {{\n{}        return;\n    }}\n    \
             if (i - p.a.n < p.c.n) {{\n{}    }}\n\
         }}\n",
        one("a", "i", &from_a, "out"),
        one("c", "(i - p.a.n)", &from_c, into_c),
    );
    let mut bytes = bytemuck::bytes_of(&pa).to_vec();
    bytes.extend_from_slice(bytemuck::bytes_of(&pc));
    let pipeline = b.context().fused_pipeline(&source, "gathers_f32");
    Ok(b.dispatch_generated(
        "gathers_f32",
        pipeline,
        &bytes,
        bindings,
        groups_1d((pa.n + pc.n) as usize),
    ))
}

/// A training step's tail in one dispatch: every metric added to its running sum, then the step
/// counter bumped (the last invocation). Returns the sums buffer and the dispatch, or `None`
/// where the entry keeps no metric, a metric lives in the leaves the bump writes, or the metrics
/// need more buffers than a kernel binds; the caller then queues them one by one.
pub(super) fn tail(
    b: &mut Builder,
    nodes: &[Node],
    layout: &Layout,
    e: &Entry,
    runs: usize,
    step: View,
    on: bool,
) -> Result<Option<(usize, usize)>> {
    if e.metrics.is_empty() || !e.advances_step || !on {
        return Ok(None);
    }
    let mut buffers: Vec<usize> = Vec::new();
    let mut table: Vec<u32> = Vec::new();
    let mut reads = String::new();
    for (m, (_, t)) in e.metrics.iter().enumerate() {
        let v = layout.view(nodes, t.id)?;
        if v.buffer == layout.leaves {
            return Ok(None);
        }
        let j = buffers
            .iter()
            .position(|&x| x == v.buffer)
            .unwrap_or_else(|| {
                buffers.push(v.buffer);
                buffers.len() - 1
            });
        let run_stride = t.shape().broadcast_strides(&Shape::new(&[runs]))[0];
        table.extend([v.offset, run_stride, 0, 0]);
        let _ = writeln!(
            reads,
            "        case {m}u: {{ sums[i] = sums[i] + e{j}[p.m[{m}].x + r * p.m[{m}].y]; }}"
        );
    }
    if buffers.len() > MAX_READ_BUFFERS - 1 {
        return Ok(None);
    }
    let sums = b.storage(&format!("{}.metrics", e.name), e.metrics.len() * runs);
    let total = (e.metrics.len() * runs) as u32;
    let mut bytes: Vec<u32> = vec![step.offset, total, runs as u32, 0];
    bytes.extend(table);
    let mut bindings = vec![(3, layout.leaves), (4, sums)];
    let decls = read_only(&buffers, &mut bindings);
    let source = format!(
        "struct Params {{\n    step: vec4<u32>,\n    m: array<vec4<u32>, {}>,\n}}\n\
         @group(0) @binding(0) var<storage, read> p: Params;\n\
         @group(0) @binding(3) var<storage, read_write> leaves: array<f32>;\n\
         @group(0) @binding(4) var<storage, read_write> sums: array<f32>;\n\
         {decls}\
         @compute @workgroup_size(64)\n\
         fn tail_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {{\n    \
             let i = linear_index(gid, groups);\n    \
             if (i == p.step.y) {{ leaves[p.step.x] = leaves[p.step.x] + 1.0; return; }}\n    \
             if (i > p.step.y) {{ return; }}\n    \
             let r = i % p.step.z;\n    \
             switch i / p.step.z {{\n{reads}        default: {{}}\n    }}\n\
         }}\n",
        e.metrics.len()
    );
    let pipeline = b.context().fused_pipeline(&source, "tail_f32");
    let dispatch = b.dispatch_generated(
        "tail_f32",
        pipeline,
        bytemuck::cast_slice(&bytes),
        bindings,
        groups_1d(total as usize + 1),
    );
    Ok(Some((sums, dispatch)))
}

const ENTRY: &str = "@compute @workgroup_size(64)
fn fused_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = linear_index(gid, groups);
    if (i >= p.fz.x) { return; }
    out[p.fz.y + i] = fused_value(i, 0.0);
}
";
