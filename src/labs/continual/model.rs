//! The continual lab's model, data on the device and per-step sampling. One program per method
//! group: a training entry whose batch comes from the current task's range (the host moves the
//! range, the output masks and the methods' state at task boundaries), an evaluation entry that
//! scores every task's test set at once, and the methods' own entries.
//!
//! What a method plugs into (`Hooks`, with the `Ctx` and `Phase` it sees) is defined here
//! and implemented in `methods/`: the model names no method.

use crate::data::tasks::{Scenario, Setting, Stream};
use crate::engine::{nn, EngineError, Entry, Exec, Graph, OptimizerKind, Program, Result, Tensor};
use crate::experiment::Experiment;
use crate::labs::LocalFuture;
use crate::labs::Optimizer;

/// Logits of outputs a head may not use are pushed down by this much.
pub const MASKED: f32 = -1e4;
/// Side of the 2-D scenario's boundary grid.
pub const GRID: usize = 60;

#[derive(Clone, Debug, PartialEq)]
pub struct Recipe {
    pub scenario: Scenario,
    pub tasks: usize,
    pub steps_per_task: u32,
    pub width: usize,
    pub depth: usize,
    pub optimizer: Optimizer,
    pub lr: f32,
    pub batch: usize,
    pub rotation: f32,
}

impl Recipe {
    pub fn from_settings(exp: &Experiment) -> Recipe {
        let s = exp.read();
        Recipe {
            scenario: s.choice("scenario"),
            tasks: s.usize("tasks"),
            steps_per_task: s.u32("steps"),
            width: s.usize("width"),
            depth: s.usize("depth"),
            optimizer: s.choice("optimizer"),
            lr: s.f32("lr"),
            batch: s.usize("batch"),
            rotation: s.f32("rotation"),
        }
    }
    pub fn total_steps(&self) -> u32 {
        self.steps_per_task.saturating_mul(self.tasks as u32)
    }
}

/// Handles the host reads and writes between tasks.
pub struct Built {
    pub program: Program,
    pub params: Vec<Tensor>,
    /// Per run, each task's test accuracy: [R, 1, T].
    pub accuracy: Tensor,
    /// P(class 1) over the 2-D grid of run 0's model: [R, GRID², 1] (2-D scenario only).
    pub grid: Option<Tensor>,
    /// [1, 2]: offset and count of the rows the training batch is drawn from.
    pub range: Tensor,
    /// [1, 1, C]: 1 for the outputs the current task may train.
    pub train_mask: Tensor,
    /// [1, 1, C]: 1 for the outputs every test may use (class-incremental: all seen so far).
    pub eval_mask: Tensor,
    pub entries: Entries,
}

/// Entry indices of the program.
#[derive(Clone, Debug)]
pub struct Entries {
    pub train: usize,
    pub eval: usize,
    pub grid: Option<usize>,
    /// The method's own entries (EWC's Fisher pass), by name.
    pub methods: Vec<(String, usize)>,
}

impl Built {
    /// The index of the method's entry `name`.
    pub fn entry(&self, name: &str) -> Result<usize> {
        self.entries
            .methods
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, i)| *i)
            .ok_or_else(|| EngineError::Invalid {
                op: "continual",
                detail: format!("the program has no entry {name}"),
            })
    }
}

/// Pushes masked-out logits down: `logits + (mask − 1)·10⁴`.
pub fn masked(logits: &Tensor, mask: &Tensor) -> Result<Tensor> {
    logits.add(&mask.add_scalar(-1.0)?.mul_scalar(-MASKED)?)
}

/// The network, written out so methods can reach the penultimate features and run it with other
/// weights (LwF's old model).
pub struct Net {
    pub layers: Vec<nn::Linear>,
}

impl Net {
    /// (features before the last layer, logits) for inputs x, with `weights` in place of the
    /// layers' own when given (weight, bias per layer, in order).
    pub fn forward(&self, x: &Tensor, weights: Option<&[Tensor]>) -> Result<(Tensor, Tensor)> {
        let mut h = x.clone();
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            let (w, b) = match weights {
                Some(ws) => (&ws[2 * i], &ws[2 * i + 1]),
                None => (&layer.weight, &layer.bias),
            };
            if i == last {
                let logits = h.matmul(w)?.add(b)?;
                return Ok((h, logits));
            }
            h = h.matmul(w)?.add(b)?.relu()?;
        }
        unreachable!("a net has at least one layer")
    }
    pub fn params(&self) -> Vec<Tensor> {
        self.layers.iter().flat_map(|l| l.params()).collect()
    }
}

/// The program of one method group: `hooks.graph` adds the method's part of the step.
pub fn build(
    recipe: &Recipe,
    stream: &Stream,
    runs: usize,
    seed: u32,
    hooks: &mut dyn Hooks,
) -> Result<Built> {
    let g = Graph::new(runs, seed);
    let (d, c, t) = (stream.dims, stream.outputs, stream.tasks.len());
    let mut sizes = vec![d];
    sizes.extend(std::iter::repeat_n(recipe.width, recipe.depth));
    sizes.push(c);
    let layers = sizes
        .windows(2)
        .enumerate()
        .map(|(i, w)| nn::Linear::with_init(&g, &format!("net.{i}"), w[0], w[1], nn::Init::He))
        .collect::<Result<Vec<_>>>()?;
    let net = Net { layers };
    let params = net.params();

    // Every task's training examples, concatenated in task order.
    let n = stream.train_total();
    let mut xs = Vec::with_capacity(n * d);
    let mut ys = Vec::with_capacity(n);
    for task in &stream.tasks {
        xs.extend_from_slice(&task.train.x);
        ys.extend_from_slice(&task.train.y);
    }
    let x_train = g.input("x_train", &[1, n, d], xs)?;
    let y_train = g.input("y_train", &[1, n, 1], ys)?;
    let step = g.step_counter()?;
    let range = g.state("range", &[1, 2], vec![0.0, stream.tasks[0].train.n as f32])?;
    let mut first = vec![0.0; c];
    for &k in &stream.train_classes(0) {
        first[k] = 1.0;
    }
    // Class-incrementally the one head grows task by task; otherwise every output may train and
    // each example's own row mask picks its head.
    let class_il = stream.setting == Setting::ClassIncremental;
    let train_mask = g.state(
        "train_mask",
        &[1, 1, c],
        if class_il {
            first.clone()
        } else {
            vec![1.0; c]
        },
    )?;
    let mut row_masks = Vec::with_capacity(n * c);
    for task in &stream.tasks {
        let mut mask = vec![0.0; c];
        match stream.setting {
            Setting::TaskIncremental => task.classes.iter().for_each(|&j| mask[j] = 1.0),
            _ => mask.iter_mut().for_each(|v| *v = 1.0),
        }
        for _ in 0..task.train.n {
            row_masks.extend_from_slice(&mask);
        }
    }
    let row_masks = g.input("train_masks", &[1, n, c], row_masks)?;
    let eval_mask = g.state(
        "eval_mask",
        &[1, 1, c],
        if stream.setting == Setting::ClassIncremental {
            first
        } else {
            vec![1.0; c]
        },
    )?;

    // The batch: uniform over the current range.
    let b = recipe.batch;
    let offset = range.slice(0, 1)?;
    let count = range.slice(1, 1)?;
    let idx = g
        .random_uniform(&[runs, b], 0.0, 1.0, Some(&step))?
        .mul(&count)?
        .floor()?
        .add(&offset)?;
    let xb = x_train.gather_rows(&idx)?;
    let yb = y_train.gather_rows(&idx)?.reshape(&[runs, b])?;
    let (features, raw_logits) = net.forward(&xb, None)?;
    let logits = masked(&raw_logits, &row_masks.gather_rows(&idx)?.mul(&train_mask)?)?;
    let data_loss = nn::cross_entropy(&logits, &yb)?;

    let mut ctx = Ctx {
        g: &g,
        recipe,
        stream,
        net: &net,
        params: &params,
        step: &step,
        x_train: &x_train,
        y_train: &y_train,
        range: &range,
        train_mask: &train_mask,
        row_masks: &row_masks,
        xb: &xb,
        yb: &yb,
        features: &features,
        logits: &logits,
        raw_logits: &raw_logits,
        loss: data_loss.clone(),
        assigns: Vec::new(),
        entries: Vec::new(),
        update: None,
    };
    hooks.graph(&mut ctx)?;
    let Ctx {
        loss,
        assigns,
        entries: extra_entries,
        update,
        ..
    } = ctx;

    let lr = g.per_run("lr", &[recipe.lr])?;
    let mut train = Entry::new("train").metric("loss", &data_loss);
    for (s, v) in &assigns {
        train = train.assign(s, v);
    }
    let train = match update {
        // A method that is its own optimizer (UPGD) assigns the parameters itself.
        Some(assigns) => {
            let mut e = train.advancing_step();
            for (p, v) in assigns {
                e = e.assign(&p, &v);
            }
            e
        }
        None => {
            let kind = if recipe.optimizer == Optimizer::Adam {
                OptimizerKind::adam()
            } else {
                OptimizerKind::sgd(0.0)
            };
            train.minimize(&loss, &params, kind, &lr)?
        }
    };

    // Evaluation: every task's test set in one pass; per-row masks give task-incremental heads.
    let m: usize = stream.tasks.iter().map(|k| k.test.n).sum();
    let (mut xt, mut yt) = (Vec::with_capacity(m * d), Vec::with_capacity(m));
    let mut row_mask = Vec::with_capacity(m * c);
    let mut member = vec![0.0; m * t];
    let mut row = 0;
    for (k, task) in stream.tasks.iter().enumerate() {
        xt.extend_from_slice(&task.test.x);
        yt.extend_from_slice(&task.test.y);
        for _ in 0..task.test.n {
            let mut mask = vec![0.0; c];
            match stream.setting {
                Setting::TaskIncremental => task.classes.iter().for_each(|&j| mask[j] = 1.0),
                _ => mask.iter_mut().for_each(|v| *v = 1.0),
            }
            row_mask.extend(mask);
            member[row * t + k] = 1.0 / task.test.n as f32;
            row += 1;
        }
    }
    let x_test = g.input("x_test", &[1, m, d], xt)?;
    let y_test = g.input("y_test", &[1, m], yt)?;
    let rows = g.input("test_masks", &[1, m, c], row_mask)?;
    let member = g.input("test_tasks", &[1, m, t], member)?;
    let (_, test_logits) = net.forward(&x_test, None)?;
    let test_logits = masked(&test_logits, &rows.mul(&eval_mask)?)?;
    let correct = test_logits
        .argmax_last()?
        .reshape(&[runs, m])?
        .eq_mask(&y_test)?
        .reshape(&[runs, 1, m])?;
    let accuracy = correct.matmul(&member)?.detach()?;
    let mut entries = vec![train, Entry::new("eval").output(&accuracy)];
    let eval = 1;

    let grid = match stream.extent {
        Some(e) => {
            let mut pts = Vec::with_capacity(2 * GRID * GRID);
            for r in 0..GRID {
                for col in 0..GRID {
                    let at = |k: usize| -e + 2.0 * e * (k as f32 + 0.5) / GRID as f32;
                    pts.push(at(col));
                    pts.push(-at(r));
                }
            }
            let gx = g.input("grid", &[1, GRID * GRID, 2], pts)?;
            let (_, out) = net.forward(&gx, None)?;
            let p = out.softmax()?.slice(1, 1)?;
            entries.push(Entry::new("grid").output(&p));
            Some(p)
        }
        None => None,
    };
    let grid_entry = grid.as_ref().map(|_| entries.len() - 1);
    let mut methods = Vec::new();
    for e in extra_entries {
        methods.push((e.name.clone(), entries.len()));
        entries.push(e);
    }
    Ok(Built {
        program: Program::new(&g, entries)?,
        params,
        accuracy,
        grid,
        range,
        train_mask,
        eval_mask,
        entries: Entries {
            train: 0,
            eval,
            grid: grid_entry,
            methods,
        },
    })
}

/// What the training graph is built from, and what a method adds to it.
pub struct Ctx<'a> {
    pub g: &'a Graph,
    pub recipe: &'a Recipe,
    pub stream: &'a Stream,
    pub net: &'a Net,
    pub params: &'a [Tensor],
    pub step: &'a Tensor,
    pub x_train: &'a Tensor,
    pub y_train: &'a Tensor,
    /// [1, 2]: offset and count of the current task's training rows.
    pub range: &'a Tensor,
    pub train_mask: &'a Tensor,
    /// [1, N, C]: each training example's own head.
    pub row_masks: &'a Tensor,
    pub xb: &'a Tensor,
    pub yb: &'a Tensor,
    pub features: &'a Tensor,
    /// Masked to the batch's heads.
    pub logits: &'a Tensor,
    pub raw_logits: &'a Tensor,
    /// The loss to minimise, [R]: the data loss plus what methods add.
    pub loss: Tensor,
    pub assigns: Vec<(Tensor, Tensor)>,
    /// Extra entries (EWC's Fisher pass).
    pub entries: Vec<Entry>,
    /// Parameter assignments that replace the optimizer (UPGD).
    pub update: Option<Vec<(Tensor, Tensor)>>,
}

/// What the run group lends a method at a task boundary: the device, the program's handles, the
/// stream, and which task.
pub struct Phase<'g> {
    pub exec: &'g mut Exec,
    pub built: &'g Built,
    pub stream: &'g Stream,
    /// The task that is about to train (`begin_task`) or has just trained (`end_task`).
    pub task: usize,
    pub seed: u32,
    pub runs: usize,
}

/// A future a hook returns.
pub type Hook<'a> = LocalFuture<'a, Result<()>>;

/// What a method changes. Every hook defaults to changing nothing: naive fine-tuning is the
/// method with no hooks.
pub trait Hooks {
    /// Whether its knobs fit the stream (replay's buffer), or why not.
    fn check(&self, _stream: &Stream) -> std::result::Result<(), String> {
        Ok(())
    }
    /// What it adds to the training step (a penalty, a replayed batch, its own update); it
    /// keeps the handles of the device state it updates between tasks.
    fn graph(&mut self, _ctx: &mut Ctx) -> Result<()> {
        Ok(())
    }
    /// The training rows `[offset, count]` while task `t` trains: the task's own by default.
    fn range(&self, offsets: &[usize], counts: &[usize], t: usize) -> [f32; 2] {
        [offsets[t] as f32, counts[t] as f32]
    }
    /// Once, before the first task trains (MagMax keeps the starting weights).
    fn start<'a>(&'a mut self, _at: &'a mut Phase<'_>) -> Hook<'a> {
        Box::pin(async { Ok(()) })
    }
    /// Before task `at.task` (after the first) trains: LwF's teacher, frozen centres.
    fn begin_task<'a>(&'a mut self, _at: &'a mut Phase<'_>) -> Hook<'a> {
        Box::pin(async { Ok(()) })
    }
    /// After task `at.task` trained, before it is scored: EWC's Fisher, replay's buffer,
    /// MagMax's merge in place of the weights.
    fn end_task<'a>(&'a mut self, _at: &'a mut Phase<'_>) -> Hook<'a> {
        Box::pin(async { Ok(()) })
    }
    /// After the task's end was scored (MagMax puts the fine-tuned weights back).
    fn scored<'a>(&'a mut self, _at: &'a mut Phase<'_>) -> Hook<'a> {
        Box::pin(async { Ok(()) })
    }
}

/// Naive fine-tuning's hooks, and any method's that needs none.
pub struct NoHooks;
impl Hooks for NoHooks {}

/// Zeros shaped like `t`, as a state.
pub fn zeros_like(g: &Graph, label: &str, t: &Tensor) -> Result<Tensor> {
    let dims = t.dims();
    g.state(label, &dims, vec![0.0; t.shape().numel()])
}
