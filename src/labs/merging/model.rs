//! The merging lab's network and program: a shared backbone with one head per task (head 0 for
//! the base task), all tasks' data on the device, and the entries the run group drives through
//! its phases: training (pre-training, then each fine-tune, the head picked per example),
//! evaluation of every task's test set with its own head (or the base head, zero-shot), and a
//! Fisher pass that samples labels from the model's own predictive distribution.

use crate::data::tasks::Stream;
use crate::engine::{grad, nn, Entry, Graph, OptimizerKind, Program, Result, Tensor};

pub struct Built {
    pub program: Program,
    /// Backbone parameters (what is merged), weight and bias per layer.
    pub backbone: Vec<Tensor>,
    /// Heads: weight and bias each; head 0 is the base task's.
    pub heads: Vec<(Tensor, Tensor)>,
    /// [1, 2]: offset and count of the rows batches come from.
    pub range: Tensor,
    /// [1]: 1 to evaluate every task with the base head (the base model, zero-shot).
    pub zero_shot: Tensor,
    /// [R, 1, 2K]: each task's test accuracy, then each task's validation accuracy.
    pub accuracy: Tensor,
    /// Σ g² of the backbone per example, from the Fisher entry.
    pub fisher: Vec<Tensor>,
    pub train: usize,
    pub eval: usize,
    pub fisher_entry: usize,
    /// RegMean's pass: each backbone layer's input Gram matrix, summed over batches.
    pub gram: Option<Gram>,
    /// Multi-task training: every task's backbone gradient on its own batch, [R, 1, K·P] (the
    /// entry also steps each head on its task), and the direction the host writes back.
    pub multitask: Option<MultiTask>,
}

/// Examples per batch of the Gram pass.
pub const GRAM_BATCH: usize = 50;

pub struct Gram {
    /// Per backbone layer: [R, n_in, n_in], Σ over the examples of xᵀx of its input.
    pub grams: Vec<Tensor>,
    pub entry: usize,
}

pub struct MultiTask {
    pub grads: Tensor,
    pub grads_entry: usize,
    pub direction: Vec<Tensor>,
    pub apply_entry: usize,
    /// Backbone parameter count per run.
    pub per_run: usize,
}

/// Inputs to the program.
pub struct Shape {
    pub width: usize,
    pub depth: usize,
    pub lr: f32,
    pub batch: usize,
}

pub fn build(
    stream: &Stream,
    shape: &Shape,
    runs: usize,
    seed: u32,
    multitask: bool,
    gram: bool,
) -> Result<Built> {
    let g = Graph::new(runs, seed);
    let (d, c) = (stream.dims, stream.outputs);
    let heads_n = stream.tasks.len(); // head 0 = base, 1..=K the tasks
    let k = heads_n - 1;
    let mut sizes = vec![d];
    sizes.extend(std::iter::repeat_n(shape.width, shape.depth));
    let layers = sizes
        .windows(2)
        .enumerate()
        .map(|(i, w)| nn::Linear::with_init(&g, &format!("backbone.{i}"), w[0], w[1], nn::Init::He))
        .collect::<Result<Vec<_>>>()?;
    let heads = (0..heads_n)
        .map(|j| nn::Linear::with_init(&g, &format!("head.{j}"), shape.width, c, nn::Init::Xavier))
        .collect::<Result<Vec<_>>>()?;
    let backbone: Vec<Tensor> = layers.iter().flat_map(|l| l.params()).collect();
    let features = |x: &Tensor| -> Result<Tensor> {
        let mut h = x.clone();
        for l in &layers {
            h = l.forward(&h)?.relu()?;
        }
        Ok(h)
    };
    // Logits with each example's own head: Σⱼ selⱼ · headⱼ(h).
    let logits = |h: &Tensor, sel: &Tensor| -> Result<Tensor> {
        let mut out: Option<Tensor> = None;
        for (j, head) in heads.iter().enumerate() {
            let term = head.forward(h)?.mul(&sel.slice(j, 1)?)?;
            out = Some(match out {
                Some(o) => o.add(&term)?,
                None => term,
            });
        }
        Ok(out.expect("at least one head"))
    };
    let one_hot_rows = |task_of_row: &[usize]| -> Vec<f32> {
        let mut v = vec![0.0; task_of_row.len() * heads_n];
        for (r, &t) in task_of_row.iter().enumerate() {
            v[r * heads_n + t] = 1.0;
        }
        v
    };

    let n = stream.train_total();
    let mut xs = Vec::with_capacity(n * d);
    let mut ys = Vec::with_capacity(n);
    let mut task_of = Vec::with_capacity(n);
    for (t, task) in stream.tasks.iter().enumerate() {
        xs.extend_from_slice(&task.train.x);
        ys.extend_from_slice(&task.train.y);
        task_of.extend(std::iter::repeat_n(t, task.train.n));
    }
    let x_train = g.input("x_train", &[1, n, d], xs)?;
    let y_train = g.input("y_train", &[1, n, 1], ys)?;
    let heads_train = g.input("heads_train", &[1, n, heads_n], one_hot_rows(&task_of))?;
    let step = g.step_counter()?;
    let range = g.state("range", &[1, 2], vec![0.0, stream.tasks[0].train.n as f32])?;
    let pick = |counter: &Tensor, b: usize| -> Result<Tensor> {
        g.random_uniform(&[runs, b], 0.0, 1.0, Some(counter))?
            .mul(&range.slice(1, 1)?)?
            .floor()?
            .add(&range.slice(0, 1)?)
    };
    let idx = pick(&step, shape.batch)?;
    let xb = x_train.gather_rows(&idx)?;
    let yb = y_train.gather_rows(&idx)?.reshape(&[runs, shape.batch])?;
    let out = logits(&features(&xb)?, &heads_train.gather_rows(&idx)?)?;
    let loss = nn::cross_entropy(&out, &yb)?;
    let mut params = backbone.clone();
    params.extend(heads.iter().flat_map(|h| h.params()));
    let lr = g.per_run("lr", &[shape.lr])?;
    let train = Entry::new("train").metric("loss", &loss).minimize(
        &loss,
        &params,
        OptimizerKind::sgd(0.0),
        &lr,
    )?;

    // Evaluation of tasks 1..=K, each with its head (or the base head when zero-shot). Each
    // task's held-out rows alternate between its test half (odd rows, columns 0..K) and its
    // validation half (even rows, columns K..2K): a merge's λ is chosen on validation and
    // reported on test, as the task-arithmetic and TIES papers do.
    let m: usize = stream.tasks[1..].iter().map(|t| t.test.n).sum();
    let (mut xt, mut yt, mut task_t) = (Vec::new(), Vec::new(), Vec::new());
    let mut member = vec![0.0; m * 2 * k];
    let mut row = 0;
    for (t, task) in stream.tasks.iter().enumerate().skip(1) {
        xt.extend_from_slice(&task.test.x);
        yt.extend_from_slice(&task.test.y);
        let n = task.test.n;
        let (val_n, test_n) = (n.div_ceil(2), n / 2);
        for i in 0..n {
            task_t.push(t);
            if i % 2 == 1 {
                member[row * 2 * k + t - 1] = 1.0 / test_n as f32;
            } else {
                member[row * 2 * k + k + t - 1] = 1.0 / val_n as f32;
            }
            row += 1;
        }
    }
    let x_test = g.input("x_test", &[1, m, d], xt)?;
    let y_test = g.input("y_test", &[1, m], yt)?;
    let own = g.input("heads_test", &[1, m, heads_n], one_hot_rows(&task_t))?;
    let base_only = g.input("heads_base", &[1, m, heads_n], one_hot_rows(&vec![0; m]))?;
    let zero_shot = g.state("zero_shot", &[1], vec![0.0])?;
    let sel = base_only
        .mul(&zero_shot)?
        .add(&own.mul(&zero_shot.neg()?.add_scalar(1.0)?)?)?;
    let test_logits = logits(&features(&x_test)?, &sel)?;
    let correct = test_logits
        .argmax_last()?
        .reshape(&[runs, m])?
        .eq_mask(&y_test)?
        .reshape(&[runs, 1, m])?;
    let member = g.input("test_tasks", &[1, m, 2 * k], member)?;
    let accuracy = correct.matmul(&member)?.detach()?;
    let eval = Entry::new("eval").output(&accuracy);

    // Fisher: one example of the current range per step, its label drawn from the model's own
    // predictive distribution (Gumbel-max), the backbone's squared gradient added up.
    let counter = g.state("fisher.counter", &[1], vec![0.0])?;
    let i1 = pick(&counter, 1)?;
    let x1 = x_train.gather_rows(&i1)?;
    let l1 = logits(&features(&x1)?, &heads_train.gather_rows(&i1)?)?; // [R, 1, C]
    let gumbel = g
        .random_uniform(&[runs, 1, c], 1e-7, 1.0, Some(&counter))?
        .log()?
        .neg()?
        .log()?
        .neg()?;
    let sampled = l1.add(&gumbel)?.argmax_last()?.reshape(&[runs, 1])?;
    let nll = nn::cross_entropy(&l1, &sampled)?;
    let grads = grad(&nll, &backbone)?;
    let fisher = backbone
        .iter()
        .enumerate()
        .map(|(i, p)| {
            g.state(
                &format!("fisher.{i}"),
                &p.dims(),
                vec![0.0; p.shape().numel()],
            )
        })
        .collect::<Result<Vec<_>>>()?;
    let mut fisher_entry = Entry::new("fisher").assign(&counter, &counter.add_scalar(1.0)?);
    for (f, gi) in fisher.iter().zip(&grads) {
        fisher_entry = fisher_entry.assign(f, &f.add(&gi.square()?)?);
    }
    let mut entries = vec![train, eval, fisher_entry];
    let multitask = if multitask {
        let offsets = stream.offsets();
        let mut flat: Option<Tensor> = None;
        let mut grads_entry = Entry::new("multitask_grads").advancing_step();
        let mut losses: Option<Tensor> = None;
        for task in 1..heads_n {
            let n = stream.tasks[task].train.n;
            let idx = g
                .random_uniform(&[runs, shape.batch], 0.0, 1.0, Some(&step))?
                .mul_scalar(n as f32)?
                .floor()?
                .add_scalar(offsets[task] as f32)?;
            let x = x_train.gather_rows(&idx)?;
            let y = y_train.gather_rows(&idx)?.reshape(&[runs, shape.batch])?;
            let head = &heads[task];
            let l = nn::cross_entropy(&head.forward(&features(&x)?)?, &y)?;
            for (p, gp) in backbone.iter().zip(grad(&l, &backbone)?) {
                let row = gp.reshape(&[runs, 1, p.shape().numel() / runs])?;
                flat = Some(match flat {
                    Some(f) => f.concat(&row)?,
                    None => row,
                });
            }
            for (p, gp) in head.params().iter().zip(grad(&l, &head.params())?) {
                grads_entry = grads_entry.assign(p, &p.sub(&gp.mul(&lr)?)?);
            }
            losses = Some(match losses {
                Some(s) => s.add(&l)?,
                None => l,
            });
        }
        let grads = flat.expect("at least one task");
        if let Some(l) = losses {
            grads_entry = grads_entry.metric("loss", &l.mul_scalar(1.0 / k as f32)?);
        }
        grads_entry = grads_entry.output(&grads);
        let direction = backbone
            .iter()
            .enumerate()
            .map(|(i, p)| {
                g.state(
                    &format!("direction.{i}"),
                    &p.dims(),
                    vec![0.0; p.shape().numel()],
                )
            })
            .collect::<Result<Vec<_>>>()?;
        let mut apply = Entry::new("multitask_apply");
        for (p, d) in backbone.iter().zip(&direction) {
            apply = apply.assign(p, &p.sub(&d.mul(&lr.reshape(&[runs, 1, 1])?)?)?);
        }
        entries.push(grads_entry);
        entries.push(apply);
        Some(MultiTask {
            grads,
            grads_entry: 3,
            direction,
            apply_entry: 4,
            per_run: backbone.iter().map(|p| p.shape().numel() / runs).sum(),
        })
    } else {
        None
    };
    // RegMean: a batch of the current task's examples a step, each layer's input Gram added up
    // (its inputs as this model computes them: the task's own features).
    let gram = if gram {
        let counter = g.state("gram.counter", &[1], vec![0.0])?;
        let mut h = x_train.gather_rows(&pick(&counter, GRAM_BATCH)?)?;
        let mut entry = Entry::new("gram").assign(&counter, &counter.add_scalar(1.0)?);
        let mut grams = Vec::new();
        for (i, l) in layers.iter().enumerate() {
            let n_in = h.dims()[2];
            let sum = g.state(
                &format!("gram.{i}"),
                &[runs, n_in, n_in],
                vec![0.0; runs * n_in * n_in],
            )?;
            entry = entry.assign(&sum, &sum.add(&h.matmul_t(&h, true, false)?)?);
            grams.push(sum);
            h = l.forward(&h)?.relu()?;
        }
        entries.push(entry);
        Some(Gram {
            grams,
            entry: entries.len() - 1,
        })
    } else {
        None
    };
    Ok(Built {
        program: Program::new(&g, entries)?,
        backbone,
        heads: heads
            .iter()
            .map(|h| (h.weight.clone(), h.bias.clone()))
            .collect(),
        range,
        zero_shot,
        accuracy,
        fisher,
        train: 0,
        eval: 1,
        fisher_entry: 2,
        gram,
        multitask,
    })
}
