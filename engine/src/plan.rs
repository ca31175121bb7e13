//! Which nodes each entry must compute, in what order, and which can be computed once up front.
//!
//! Shared by both backends so they execute the same op sequence: the CPU backend's op count is the
//! GPU backend's dispatch count, less what the GPU backend aliases.

use super::error::Result;
use super::graph::Node;
use super::op::{LeafKind, Op};
use super::program::Program;

#[derive(Clone, Debug, Default)]
pub struct EntryPlan {
    /// Non-static computed nodes, in graph order.
    pub ops: Vec<usize>,
}

#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// Nodes that depend only on inputs and constants: computed once when the program is built
    /// (and again if an input is rewritten).
    pub prologue: Vec<usize>,
    pub is_static: Vec<bool>,
    pub entries: Vec<EntryPlan>,
}

impl Plan {
    pub fn new(program: &Program) -> Result<Plan> {
        program
            .graph
            .with_nodes(|nodes| Ok(Plan::from_nodes(nodes, program)))
    }

    fn from_nodes(nodes: &[Node], program: &Program) -> Plan {
        let n = nodes.len();
        let mut is_static = vec![false; n];
        for (i, node) in nodes.iter().enumerate() {
            is_static[i] = match node.op {
                Op::Leaf(LeafKind::Input) | Op::Fill(_) => true,
                Op::Leaf(_) => false,
                _ => node.inputs.iter().all(|&j| is_static[j]),
            };
        }
        let mut needed_static = vec![false; n];
        let entries = program
            .entries
            .iter()
            .map(|e| {
                let mut needed = vec![false; n];
                let mut roots: Vec<usize> = e.outputs.iter().map(|t| t.id).collect();
                roots.extend(e.assigns.iter().map(|(_, v)| v.id));
                roots.extend(e.metrics.iter().map(|(_, t)| t.id));
                if let Some(u) = &e.update {
                    roots.extend(u.grads.iter().map(|t| t.id));
                    roots.push(u.lr.id);
                }
                for r in roots {
                    needed[r] = true;
                }
                for i in (0..n).rev() {
                    if needed[i] {
                        for &j in &nodes[i].inputs {
                            needed[j] = true;
                        }
                    }
                }
                let mut ops = Vec::new();
                for i in 0..n {
                    if !needed[i] {
                        continue;
                    }
                    if is_static[i] {
                        needed_static[i] = true;
                    } else if !matches!(nodes[i].op, Op::Leaf(_)) {
                        ops.push(i);
                    }
                }
                EntryPlan { ops }
            })
            .collect();
        let prologue = (0..n)
            .filter(|&i| needed_static[i] && !matches!(nodes[i].op, Op::Leaf(_)))
            .collect();
        Plan {
            prologue,
            is_static,
            entries,
        }
    }
}
