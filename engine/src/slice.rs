//! A program cut along its run axis: runs `[first, first + count)` of a program as a program of
//! their own, which computes for them exactly what the whole computes.
//!
//! Runs never read each other's values, so a group too large for one device binding runs as
//! slices, each a program of fewer runs (`Exec` does this on the GPU). A slice's graph is
//! seeded `seed + first` (run r draws from `seed + r`, `rng::run_seed`), its per-run leaves
//! keep their runs' values, and a draw shared by every run (a `[1, …]` draw) keeps its seed.
//!
//! A program whose ops mix runs cannot be cut: a reduction along the run axis (the gradient of a
//! parameter shared by every run), a reshape or transpose that moves the run axis, or an op
//! along the last axis of an `[R]` tensor. `slice` says which.

use super::error::{invalid, Result};
use super::graph::{Graph, Node, Tensor};
use super::op::Op;
use super::program::{Entry, Program, Update};
use std::rc::Rc;

/// Why `program`'s runs cannot be computed apart, or `None` when they can.
pub fn mixes_runs(program: &Program) -> Option<String> {
    let runs = program.graph.runs();
    if runs < 2 {
        return Some("it has one run".into());
    }
    program.graph.with_nodes(|nodes| {
        nodes.iter().enumerate().find_map(|(id, n)| {
            let per_run = |x: &Node| x.shape.runs() == runs;
            let why = |what: &str| Some(format!("node {id} ({}) {what}", n.op.name()));
            let d0 = n.shape.runs();
            if d0 != runs && d0 != 1 {
                return why("has no run axis");
            }
            let input = |k: usize| &nodes[n.inputs[k]];
            match &n.op {
                Op::Reduce { axis: 0, .. } if per_run(input(0)) => why("reduces over runs"),
                Op::Reshape if per_run(input(0)) != (d0 == runs) => why("moves the run axis"),
                Op::Transpose if n.shape.rank() < 3 && per_run(input(0)) => {
                    why("transposes the run axis")
                }
                Op::MatMul { .. } if n.inputs.iter().any(|&i| nodes[i].shape.rank() < 3) => {
                    why("multiplies along the run axis")
                }
                Op::Softmax(_) | Op::Concat | Op::Slice { .. }
                    if n.shape.rank() == 1 && d0 == runs =>
                {
                    why("works along the run axis")
                }
                _ => None,
            }
        })
    })
}

/// Runs `[first, first + count)` of `program` as a program of their own (see the module).
pub fn slice(program: &Program, first: usize, count: usize) -> Result<Program> {
    let runs = program.graph.runs();
    if count == 0 || first + count > runs {
        return Err(invalid(
            "slice",
            format!("runs {first}..{} of {runs}", first + count),
        ));
    }
    if let Some(why) = mixes_runs(program) {
        return Err(invalid(
            "slice",
            format!("the runs cannot be cut apart: {why}"),
        ));
    }
    let seed = program.graph.seed();
    let graph = Graph::new(count, seed.wrapping_add(first as u32));
    let nodes: Vec<Node> = program.graph.with_nodes(|nodes| {
        nodes
            .iter()
            .map(|n| {
                let mut n = n.clone();
                if n.shape.runs() == runs {
                    n.shape = n.shape.with_runs(count);
                    if let Some(init) = &n.init {
                        let per_run = n.shape.per_run();
                        let part = init[first * per_run..(first + count) * per_run].to_vec();
                        n.init = Some(Rc::new(part));
                    }
                    if let Op::Random { seed: own, .. } = &mut n.op {
                        *own = own.map(|s| s.wrapping_add(first as u32));
                    }
                } else if let Op::Random { seed: own, .. } = &mut n.op {
                    // A draw shared by every run is run 0's of its seed, whatever the slice.
                    own.get_or_insert(seed);
                }
                n
            })
            .collect()
    });
    graph.replace_nodes(nodes);
    let map = |t: &Tensor| graph.tensor(t.id);
    let entries = program
        .entries
        .iter()
        .map(|e| Entry {
            name: e.name.clone(),
            outputs: e.outputs.iter().map(map).collect(),
            assigns: e.assigns.iter().map(|(s, v)| (map(s), map(v))).collect(),
            update: e.update.as_ref().map(|u| Update {
                kind: u.kind.clone(),
                lr: map(&u.lr),
                params: u.params.iter().map(map).collect(),
                grads: u.grads.iter().map(map).collect(),
            }),
            metrics: e.metrics.iter().map(|(m, t)| (m.clone(), map(t))).collect(),
            advances_step: e.advances_step,
        })
        .collect();
    Program::new(&graph, entries)
}

/// `count` slices of `runs` runs as even as can be: (first, count) each.
pub fn even(runs: usize, count: usize) -> Vec<(usize, usize)> {
    let count = count.clamp(1, runs.max(1));
    (0..count)
        .map(|k| {
            let first = k * runs / count;
            (first, (k + 1) * runs / count - first)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::CpuExec;
    use crate::nn;
    use crate::program::OptimizerKind;

    /// A small training program with per-run data, a per-run draw, a shared input and Adam.
    fn program(runs: usize) -> (Program, Tensor) {
        let g = Graph::new(runs, 11);
        let x = g
            .input(
                "x",
                &[1, 6, 3],
                (0..18).map(|i| i as f32 / 9.0 - 1.0).collect(),
            )
            .unwrap();
        let mlp = nn::Mlp::new(&g, "mlp", &[3, 5, 2], nn::Activation::Tanh).unwrap();
        let noise = g.random_normal(&[runs, 6, 3], 0.0, 0.1, None).unwrap();
        let out = mlp.forward(&x.add(&noise).unwrap()).unwrap();
        let loss = out.square().unwrap().mean_per_run().unwrap();
        let lr = g
            .per_run(
                "lr",
                &(0..runs).map(|r| 0.01 * (r + 1) as f32).collect::<Vec<_>>(),
            )
            .unwrap();
        let e = Entry::new("train")
            .metric("loss", &loss)
            .minimize(&loss, &mlp.params(), OptimizerKind::adam(), &lr)
            .unwrap();
        (Program::new(&g, vec![e]).unwrap(), loss)
    }

    #[test]
    fn a_slice_computes_what_the_whole_does_for_its_runs() {
        let (whole, loss) = program(5);
        let mut all = CpuExec::new(&whole).unwrap();
        all.run(0, 7).unwrap();
        let want = all.read(&loss).unwrap();
        for (first, count) in even(5, 2) {
            let part = slice(&whole, first, count).unwrap();
            let mut exec = CpuExec::new(&part).unwrap();
            exec.run(0, 7).unwrap();
            let got = exec.read(&part.graph.tensor(loss.id)).unwrap();
            assert_eq!(
                got,
                want[first..first + count],
                "runs {first}..{}",
                first + count
            );
        }
    }

    #[test]
    fn runs_that_mix_are_not_cut() {
        let g = Graph::new(3, 1);
        let w = g.param("w", &[1, 4], vec![0.5; 4]).unwrap();
        let x = g.input("x", &[3, 4], vec![1.0; 12]).unwrap();
        let loss = x.mul(&w).unwrap().sum_per_run().unwrap();
        let lr = g.per_run("lr", &[0.1]).unwrap();
        let e = Entry::new("train")
            .minimize(&loss, &[w], OptimizerKind::sgd(0.0), &lr)
            .unwrap();
        let p = Program::new(&g, vec![e]).unwrap();
        let why = mixes_runs(&p).expect("a shared parameter's gradient sums over runs");
        assert!(why.contains("reduces over runs"), "{why}");
        assert!(slice(&p, 0, 1).is_err());
    }

    #[test]
    fn slices_are_even_and_cover_every_run() {
        assert_eq!(even(5, 2), vec![(0, 2), (2, 3)]);
        assert_eq!(even(3, 8), vec![(0, 1), (1, 1), (2, 1)]);
    }
}
