//! The native command-line runner: runs share links headless, checks links and the papers'
//! claims, lists the labs' declarations, and benchmarks the engine. Native only: for wasm32
//! (cargo builds every binary for integration tests) it compiles to an empty `main`.
#![cfg_attr(target_arch = "wasm32", allow(unused))]

#[cfg(target_arch = "wasm32")]
fn main() {}

/// stdout writes that end quietly when the reader has gone (`methodlab run … | head`), instead
/// of panicking as `println!` does on a closed pipe.
#[cfg(not(target_arch = "wasm32"))]
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}
#[cfg(not(target_arch = "wasm32"))]
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write;
        let _ = write!(std::io::stdout().lock(), $($t)*);
    }};
}

#[cfg(not(target_arch = "wasm32"))]
mod cli {

    use methodlab::bench::{
        mean, profile_table, time_steps, windows_mean, Figure, Measurement, Workload,
    };
    use methodlab::engine::gpu::{GpuContext, GpuExec};
    use methodlab::engine::{Counters, CpuExec, EngineError, Exec, Result};
    use methodlab::experiment::BackendChoice;
    use methodlab::sweep::clock;
    use std::process::ExitCode;
    use std::time::Instant;

    /// The usage, with the workload names from where they are declared.
    fn usage() -> String {
        USAGE.replace("WORKLOADS", &Workload::names().join("|"))
    }

    const USAGE: &str = "usage:
  methodlab labs
      Prints every lab's declarations (settings with ranges and defaults, methods with their
      ids, knobs and papers, metric names) as JSON: the data the page's controls come from.
  methodlab run '<share link or fragment>' [--steps N] [--backend cpu|gpu] [--format json|csv] [--threads N] [--data FILE.csv]
      Runs the experiment headless and prints each run's status, final metrics and history;
      --steps N stops it after N steps (at most the link's own length). A bad link exits with
      status 2 and the same messages the page shows. --data trains on your own table (Basics,
      imperfect labels): the file a link names, or any CSV of numeric columns and a label. On the CPU the methods share out over
      --threads threads (default: every core), with the same numbers.
      Without --backend, the link's backend= decides: gpu asks for the GPU, auto and cpu run on
      the CPU.
  methodlab claims
      Lists every lab's papers' claims as JSON: {lab, id, text, paper, link, seeds, …}.
  methodlab papers [words…] [--format text|json]
      The papers catalogue: every paper the labs show, by lab, with its methods, its claims and
      their recorded verdicts and the link that opens it; then every paper of the seed list not
      shown yet, planned (the issue), open, or why no small lab can show it. Words search the
      titles (and labs): every word, any case.
  methodlab check '<claim id, lab/claim id, or share link>' [--seeds 1001-1005] [--backend cpu|gpu] [--threads N]
                  [--sweep 'key=values&…' [--format json|csv]]
      Runs a claim on its own links, or a link and then every claim of its lab against it, and
      prints one JSON verdict a claim: {id, verdict, effect, per_seed, p_value, interval,
      improvement, sentence, …}. verdict is supported, not_supported, not_enough_evidence or
      not_applicable; p_value is the sign test's, interval the 95 % bootstrap interval of the
      seeds' mean effect, improvement P(A > B) over every pair of runs. --seeds runs a claim's
      links on those seeds (both ends included) in place of its own. Exits 0 whatever the
      verdicts; 2 on a bad link or an unknown id. --sweep checks the claim in every cell of a
      grid of its settings (values as in a sweep link) and prints a verdict a cell.
  methodlab sweep '<sweep link>' [--out FILE.jsonl] [--resume] [--shard i/n] [--steps N] [--backend cpu|gpu] [--threads N]
      Runs a sweep: a link where settings or knobs are lists (rate=0.2,0.4) or ranges
      (width=16..128:log:4, lr=0.001..0.1:log:5, depth=1..3, noise=0..0.4:5). Every combination
      is a cell, an experiment of its own with the link's methods and runs (seeds). Writes a
      header line, then one JSON line per run as each cell ends: {cell, run, values, method,
      seed, status, final, link}; progress and time left on stderr. --shard i/n runs every n-th
      cell from i (0 <= i < n); --resume continues FILE, skipping the cells it holds.
  methodlab merge A.jsonl B.jsonl …
      Combines shards' results into what the whole sweep writes (on stdout), reporting runs
      found twice and cells missing (exit status 1 when any is missing).
  methodlab link '<share link or fragment>'
      Checks a share link: prints its canonical form, or each problem and exits with status 2.
  methodlab link -
      Checks one link per line of standard input and prints one JSON line per link:
      {ok, canonical, problems}. Exits 0 however bad the links.
  methodlab bench [--backend cpu|gpu|both] [--runs 1,4,16,64] [--workload WORKLOADS]
                  [--seconds S] [--format text|json] [--profile] [--threads N]
      Trains each workload for about S seconds (default 1) per backend and run count and prints
      steps/s, dispatches per step, bytes uploaded per step and readbacks per 1000 steps.
      --threads N (default 1) trains the CPU's runs as N slices on N threads, as run does.
      --profile also prints the GPU's time per kernel of one step, summed by kernel.";

    struct BenchArgs {
        cpu: bool,
        gpu: bool,
        runs: Vec<usize>,
        workloads: Vec<Workload>,
        seconds: f64,
        json: bool,
        profile: bool,
        threads: usize,
    }

    fn parse_bench(args: &[String]) -> std::result::Result<BenchArgs, String> {
        let mut out = BenchArgs {
            cpu: true,
            gpu: true,
            runs: vec![1, 4, 16, 64],
            workloads: Workload::ALL.to_vec(),
            seconds: 1.0,
            json: false,
            profile: false,
            threads: 1,
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let mut value = || {
                it.next()
                    .cloned()
                    .ok_or_else(|| format!("{flag} needs a value"))
            };
            match flag.as_str() {
                "--backend" => match value()?.as_str() {
                    "cpu" => (out.cpu, out.gpu) = (true, false),
                    "gpu" => (out.cpu, out.gpu) = (false, true),
                    "both" => (out.cpu, out.gpu) = (true, true),
                    v => return Err(format!("--backend {v}: expected cpu, gpu or both")),
                },
                "--runs" => {
                    let v = value()?;
                    out.runs = v
                    .split(',')
                    .map(|r| match r.trim().parse::<usize>() {
                        Ok(n) if (1..=1024).contains(&n) => Ok(n),
                        _ => Err(format!("--runs {v}: expected a comma-separated list of integers in 1..=1024")),
                    })
                    .collect::<std::result::Result<_, _>>()?;
                }
                "--workload" => {
                    let v = value()?;
                    out.workloads = Workload::named(&v).ok_or_else(|| {
                        format!(
                            "--workload {v}: expected one of {}",
                            Workload::names().join(", ")
                        )
                    })?;
                }
                "--seconds" => {
                    let v = value()?;
                    out.seconds = match v.parse::<f64>() {
                        Ok(s) if (0.01..=600.0).contains(&s) => s,
                        _ => {
                            return Err(format!("--seconds {v}: expected a number in [0.01, 600]"))
                        }
                    };
                }
                "--profile" => out.profile = true,
                "--threads" => {
                    let v = value()?;
                    out.threads = match v.parse::<usize>() {
                        Ok(n) if (1..=256).contains(&n) => n,
                        _ => return Err(format!("--threads {v}: expected an integer in 1..=256")),
                    };
                }
                "--format" => match value()?.as_str() {
                    "json" => out.json = true,
                    "text" => out.json = false,
                    v => return Err(format!("--format {v}: expected text or json")),
                },
                _ => return Err(format!("unknown option {flag}")),
            }
        }
        Ok(out)
    }

    fn bench_cpu(
        w: Workload,
        runs: usize,
        threads: usize,
        seconds: f64,
        clock: &dyn Fn() -> f64,
    ) -> Result<Figure> {
        if threads > 1 && runs > 1 {
            return bench_cpu_threads(w, runs, threads, seconds, clock);
        }
        let mut exec = CpuExec::new(&w.program(runs, 1)?)?;
        let mut before = None;
        let (steps, elapsed) = time_steps(seconds, clock, &mut |n| {
            exec.run(0, n)?;
            before.get_or_insert(exec.counters());
            Ok(())
        })?;
        let after = exec.counters();
        // Outside the timing: the mean loss of up to 100 more steps, so the figure is where
        // training got to rather than the mean over the whole timed run (one window, as the
        // GPU's is).
        exec.take_metrics(0);
        exec.run(0, loss_steps(steps))?;
        let last_loss = exec
            .take_metrics(0)
            .map_or(f32::NAN, |m| mean(&m.values[0]));
        let before = before.unwrap_or(after);
        Ok(Figure::new(
            "cpu",
            w,
            runs,
            Measurement {
                steps,
                seconds: elapsed,
                before,
                after,
                last_loss,
            },
        ))
    }

    /// What a bench thread is asked to do with its slice of the runs.
    enum Order {
        /// Train n steps; answers with the slice's counters.
        Steps(u32),
        /// Train n more steps and answer with the mean loss of each of its runs.
        Loss(u32),
    }

    /// `bench_cpu` with the runs cut into `threads` slices (`engine::slice`), each trained by a
    /// thread of its own, as `methodlab run --threads` trains a lab's runs: a slice computes for
    /// its runs what the whole group computes, bit for bit. Each thread builds its own executor
    /// (the CPU's are not `Send`) and steps when told, so every slice has trained the same steps
    /// whenever the clock is read.
    fn bench_cpu_threads(
        w: Workload,
        runs: usize,
        threads: usize,
        seconds: f64,
        clock: &dyn Fn() -> f64,
    ) -> Result<Figure> {
        use std::sync::mpsc::channel;
        type Answer = Result<(Counters, Vec<f32>)>;
        let ended = || EngineError::Invalid {
            op: "bench",
            detail: "a bench thread ended early".into(),
        };
        let slices = methodlab::engine::slice::even(runs, threads);
        std::thread::scope(|scope| {
            let mut workers = Vec::new();
            for &(first, count) in &slices {
                let (order_tx, order_rx) = channel::<Order>();
                let (answer_tx, answer_rx) = channel::<Answer>();
                scope.spawn(move || {
                    let built = w
                        .program(runs, 1)
                        .and_then(|p| methodlab::engine::slice::slice(&p, first, count))
                        .and_then(|p| CpuExec::new(&p));
                    let mut exec = match built {
                        Ok(e) => e,
                        Err(e) => {
                            let _ = answer_tx.send(Err(e));
                            return;
                        }
                    };
                    for order in order_rx {
                        let answer = match order {
                            Order::Steps(n) => exec.run(0, n).map(|_| (exec.counters(), vec![])),
                            Order::Loss(n) => {
                                exec.take_metrics(0);
                                exec.run(0, n).map(|_| {
                                    let losses = exec.take_metrics(0).map(|m| m.values[0].clone());
                                    (exec.counters(), losses.unwrap_or_default())
                                })
                            }
                        };
                        if answer_tx.send(answer).is_err() {
                            return;
                        }
                    }
                });
                workers.push((order_tx, answer_rx));
            }
            // Every slice's answer to one order: counters added up (steps counted once), the
            // runs' losses in run order.
            let ask = |order: &dyn Fn() -> Order| -> Answer {
                for (tx, _) in &workers {
                    tx.send(order()).map_err(|_| ended())?;
                }
                let mut total = Counters::default();
                let mut losses = Vec::new();
                for (_, rx) in &workers {
                    let (c, l) = rx.recv().map_err(|_| ended())??;
                    total.add_slice(c);
                    losses.extend(l);
                }
                Ok((total, losses))
            };
            let mut before = None;
            let mut after = Counters::default();
            let (steps, elapsed) = time_steps(seconds, clock, &mut |n| {
                after = ask(&|| Order::Steps(n))?.0;
                before.get_or_insert(after);
                Ok(())
            })?;
            let (_, losses) = ask(&|| Order::Loss(loss_steps(steps)))?;
            Ok(Figure::new(
                &format!("cpu, {} threads", slices.len()),
                w,
                runs,
                Measurement {
                    steps,
                    seconds: elapsed,
                    before: before.unwrap_or(after),
                    after,
                    last_loss: mean(&losses),
                },
            ))
        })
    }

    /// Steps whose mean loss a figure reports after its timed run: 100, or as many as the
    /// timed run took when fewer (a workload of seconds a step, mlp64 at R = 1,024 on a
    /// software GPU, would spend most of its time there).
    fn loss_steps(timed: u64) -> u32 {
        timed.clamp(1, 100) as u32
    }

    fn bench_gpu(
        ctx: &GpuContext,
        w: Workload,
        runs: usize,
        seconds: f64,
        clock: &dyn Fn() -> f64,
    ) -> Result<Figure> {
        // `Exec`, not `GpuExec`: a program past the device's binding runs in slices of its runs.
        let mut exec = pollster::block_on(Exec::new(&w.program(runs, 1)?, Some(ctx)))?;
        let mut before = None;
        let (steps, elapsed) = time_steps(seconds, clock, &mut |n| {
            exec.run(0, n)?;
            pollster::block_on(exec.finish())?;
            before.get_or_insert(exec.counters());
            Ok(())
        })?;
        let after = exec.counters();
        // Outside the timing, as on the CPU: the mean loss of up to 100 more steps. The windows in
        // flight are collected first (with every staging buffer busy, a final flush was
        // dropped, and the figure was the last window that had landed: step 448 of thousands).
        pollster::block_on(exec.metrics(0))?;
        exec.run(0, loss_steps(steps))?;
        let last_loss = windows_mean(&pollster::block_on(exec.metrics(0))?);
        let before = before.unwrap_or(after);
        let m = Measurement {
            steps,
            seconds: elapsed,
            before,
            after,
            last_loss,
        };
        let slices = match exec.slices_count() {
            1 => String::new(),
            n => format!(" in {n} run slices"),
        };
        // Where the step kernel was asked for and the program could not take it, why.
        let path = exec.path();
        let fell_back = match ctx.step && path != "step kernel" {
            true => format!(" ({path})"),
            false => String::new(),
        };
        Ok(Figure::new(
            &format!("gpu{slices}: {}{fell_back}", ctx.describe()),
            w,
            runs,
            m,
        ))
    }

    /// Prints one step's GPU time per kernel (summed over its dispatches), largest first.
    fn profile_gpu(ctx: &GpuContext, w: Workload, runs: usize) -> Result<()> {
        let mut exec = pollster::block_on(GpuExec::new(ctx, &w.program(runs, 1)?))?;
        exec.run(0, 3)?;
        exec.wait_idle()?;
        let start = Instant::now();
        let clock = move || start.elapsed().as_secs_f64() * 1e3;
        let dispatches = pollster::block_on(exec.profile(0, 50, clock))?;
        eprint!(
            "{}",
            profile_table(&format!("profile {} R={runs}", w.name()), &dispatches)
        );
        Ok(())
    }

    fn bench(args: &[String]) -> ExitCode {
        let a = match parse_bench(args) {
            Ok(a) => a,
            Err(e) => {
                eprintln!("methodlab bench: {e}\n{}", usage());
                return ExitCode::from(2);
            }
        };
        let start = Instant::now();
        let clock = move || start.elapsed().as_secs_f64();
        let gpu = if a.gpu {
            match pollster::block_on(GpuContext::new()) {
                // The fused engine on any adapter (METHODLAB_FUSION=off for the unfused one).
                Ok(ctx) => match methodlab::device::with_fusion_from_env(ctx, Some(true)) {
                    Ok(ctx) => Some(ctx),
                    Err(e) => return usage_error("bench", &e),
                },
                Err(e) => {
                    eprintln!(
                        "methodlab bench: GPU backend unavailable ({e}); measuring the CPU only"
                    );
                    None
                }
            }
        } else {
            None
        };
        let mut figures = Vec::new();
        if !a.json {
            outln!(
                "{:<64} {:<38} {:>5} {:>10} {:>11} {:>11} {:>11} {:>9}",
                "backend",
                "workload",
                "runs",
                "steps/s",
                "dispatch/st",
                "upload B/st",
                "readbk/1k",
                "loss"
            );
        }
        for &w in &a.workloads {
            for &runs in &a.runs {
                let mut results = Vec::new();
                if a.cpu {
                    results.push(bench_cpu(w, runs, a.threads, a.seconds, &clock));
                }
                if let Some(ctx) = &gpu {
                    results.push(bench_gpu(ctx, w, runs, a.seconds, &clock));
                    if a.profile {
                        if let Err(e) = profile_gpu(ctx, w, runs) {
                            eprintln!("methodlab bench: profiling {} failed: {e}", w.name());
                        }
                    }
                }
                for r in results {
                    match r {
                        Ok(f) => {
                            if !a.json {
                                outln!(
                                    "{:<64} {:<38} {:>5} {:>10.1} {:>11} {:>11.1} {:>11.2} {:>9.4}",
                                    truncate(&f.backend, 64),
                                    f.workload,
                                    f.runs,
                                    f.steps_per_s,
                                    f.dispatches(),
                                    f.upload_bytes_per_step,
                                    f.readbacks_per_1000,
                                    f.last_loss
                                );
                            }
                            figures.push(f);
                        }
                        Err(e) => {
                            eprintln!("methodlab bench: {} with {runs} runs failed: {e}", w.name());
                            return ExitCode::FAILURE;
                        }
                    }
                }
            }
        }
        if a.json {
            outln!(
                "{}",
                serde_json::to_string_pretty(&figures).expect("figures serialize")
            );
        }
        ExitCode::SUCCESS
    }

    fn run(args: &[String]) -> ExitCode {
        let mut link = None;
        let (mut steps, mut gpu, mut csv, mut data) = (None, None, false, None);
        let mut threads = default_threads();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = || it.next().cloned().unwrap_or_default();
            match a.as_str() {
                "--threads" => match value().parse::<usize>() {
                    Ok(n) if (1..=256).contains(&n) => threads = n,
                    _ => return usage_error("run", "--threads expects an integer in [1, 256]"),
                },
                "--steps" => match value().parse::<u32>() {
                    Ok(n) if (1..=1_000_000).contains(&n) => steps = Some(n),
                    _ => return usage_error("run", "--steps expects an integer in [1, 1000000]"),
                },
                "--backend" => match value().as_str() {
                    "cpu" => gpu = Some(false),
                    "gpu" => gpu = Some(true),
                    v => return usage_error("run", &format!("--backend {v}: expected cpu or gpu")),
                },
                "--format" => match value().as_str() {
                    "json" => csv = false,
                    "csv" => csv = true,
                    v => return usage_error("run", &format!("--format {v}: expected json or csv")),
                },
                "--data" => data = Some(value()),
                other if link.is_none() && !other.starts_with("--") => {
                    link = Some(other.to_string())
                }
                other => return usage_error("run", &format!("unexpected argument {other}")),
            }
        }
        let Some(link) = link else {
            return usage_error("run", "expected a share link");
        };
        let read = match data {
            Some(path) => read_link_with_data(&link, &path),
            None => read_link(&link),
        };
        let Some((experiment, lab)) = read else {
            return ExitCode::from(2);
        };
        let lab = &lab;
        // Without --backend, the link's: `backend=gpu` asks for the GPU; auto and cpu are the CPU,
        // whose threads beat one device queue for these groups.
        let ctx = match gpu_context(gpu.unwrap_or(experiment.backend == BackendChoice::Gpu)) {
            Ok(ctx) => ctx,
            Err(e) => return usage_error("run", &e),
        };
        // The GPU context is one device queue: its groups run in turn. On the CPU, methods share
        // out over threads (the same numbers, bit for bit).
        let result = match &ctx {
            Some(ctx) => pollster::block_on(methodlab::runner::run_headless(
                &experiment,
                lab,
                Some(ctx),
                steps,
            )),
            None => methodlab::runner::run_on_threads(&experiment, lab, steps, threads),
        };
        match result {
            Ok(report) => {
                if csv {
                    out!("{}", report.to_csv());
                } else {
                    outln!(
                        "{}",
                        serde_json::to_string(&report).expect("report serializes")
                    );
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("methodlab run: {e}");
                ExitCode::FAILURE
            }
        }
    }

    /// `sweep '<sweep link>'`: every cell of a sweep (or of one shard of it), one JSON line a
    /// run, written as each cell ends so an interrupted sweep keeps what it finished.
    fn sweep(args: &[String]) -> ExitCode {
        use methodlab::sweep::{Header, Record, Results, Shard, Sweep};
        use std::io::Write;
        let (mut link, mut out, mut resume, mut shard) = (None, None, false, Shard::WHOLE);
        let (mut steps, mut gpu, mut threads) = (None, false, default_threads());
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = || it.next().cloned().unwrap_or_default();
            match a.as_str() {
                "--out" => out = Some(value()),
                "--resume" => resume = true,
                "--shard" => match Shard::parse(&value()) {
                    Ok(s) => shard = s,
                    Err(e) => return usage_error("sweep", &format!("--shard {e}")),
                },
                "--threads" => match value().parse::<usize>() {
                    Ok(n) if (1..=256).contains(&n) => threads = n,
                    _ => return usage_error("sweep", "--threads expects an integer in [1, 256]"),
                },
                "--steps" => match value().parse::<u32>() {
                    Ok(n) if (1..=1_000_000).contains(&n) => steps = Some(n),
                    _ => return usage_error("sweep", "--steps expects an integer in [1, 1000000]"),
                },
                "--backend" => match value().as_str() {
                    "cpu" => gpu = false,
                    "gpu" => gpu = true,
                    v => {
                        return usage_error("sweep", &format!("--backend {v}: expected cpu or gpu"))
                    }
                },
                other if link.is_none() && !other.starts_with("--") => {
                    link = Some(other.to_string())
                }
                other => return usage_error("sweep", &format!("unexpected argument {other}")),
            }
        }
        let Some(link) = link else {
            return usage_error("sweep", "expected a sweep link");
        };
        if resume && out.is_none() {
            return usage_error("sweep", "--resume continues a file: give it with --out");
        }
        let labs = methodlab::labs::registry();
        let sweep = match Sweep::parse(&link, &labs) {
            Ok(s) => s,
            Err(problems) => {
                for p in &problems {
                    eprintln!("methodlab sweep: bad link: {p}");
                }
                return ExitCode::from(2);
            }
        };
        let header = Header::new(&sweep, steps, shard);
        // What the file already holds (--resume): its complete cells are skipped, and a cell
        // cut short is run again, after its lines are dropped.
        let mut done = std::collections::BTreeSet::new();
        let mut sink: Box<dyn Write> = match &out {
            None => {
                outln!("{}", header.line());
                Box::new(std::io::stdout())
            }
            Some(path) => {
                let existing = match std::fs::read_to_string(path) {
                    Ok(text) => Some(text),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                    Err(e) => {
                        eprintln!("methodlab sweep: {path}: {e}");
                        return ExitCode::from(2);
                    }
                };
                let mut text = header.line() + "\n";
                if let Some(existing) = existing {
                    if !resume {
                        eprintln!("methodlab sweep: {path} exists: --resume continues it, or give another --out");
                        return ExitCode::from(2);
                    }
                    let results = match Results::read(&existing, path) {
                        Ok(r) => r,
                        Err(e) => {
                            eprintln!("methodlab sweep: {e}; the file is left as it is");
                            return ExitCode::from(2);
                        }
                    };
                    if results.header != header {
                        eprintln!(
                            "methodlab sweep: {path} holds another sweep ({}{}); the file is left as it is",
                            results.header.sweep,
                            results.header.shard.as_ref().map_or(String::new(), |s| format!(", shard {s}"))
                        );
                        return ExitCode::from(2);
                    }
                    done = results.complete_cells();
                    let kept: Vec<&String> = results
                        .records
                        .iter()
                        .filter(|(r, _)| done.contains(&r.cell))
                        .map(|(_, line)| line)
                        .collect();
                    for line in &kept {
                        text.push_str(line);
                        text.push('\n');
                    }
                    let dropped = results.records.len() - kept.len() + usize::from(results.cut);
                    if dropped > 0 {
                        eprintln!("methodlab sweep: {path}: {dropped} lines of cells cut short are dropped; those cells run again");
                    }
                    eprintln!(
                        "methodlab sweep: {path}: {} cells done, continuing",
                        done.len()
                    );
                }
                // Written whole, then renamed over: the file is never half old, half new.
                let tmp = format!("{path}.tmp");
                if let Err(e) =
                    std::fs::write(&tmp, &text).and_then(|_| std::fs::rename(&tmp, path))
                {
                    eprintln!("methodlab sweep: {path}: {e}");
                    return ExitCode::from(2);
                }
                match std::fs::OpenOptions::new().append(true).open(path) {
                    Ok(f) => Box::new(f),
                    Err(e) => {
                        eprintln!("methodlab sweep: {path}: {e}");
                        return ExitCode::from(2);
                    }
                }
            }
        };
        let ctx = match gpu_context(gpu) {
            Ok(ctx) => ctx,
            Err(e) => return usage_error("sweep", &e),
        };
        let todo: Vec<usize> = (0..sweep.cells.len())
            .filter(|&c| shard.has(c) && !done.contains(&c))
            .collect();
        let experiments = sweep.cells.len();
        eprintln!(
            "methodlab sweep: {} cells of {experiments}{} to run, {} runs each, on {}",
            todo.len(),
            if shard == Shard::WHOLE {
                String::new()
            } else {
                format!(" (shard {shard})")
            },
            sweep.runs_per_cell(),
            methodlab::runner::backend_name(ctx.as_ref())
        );
        let started = Instant::now();
        let labs = methodlab::labs::registry();
        // A cell's lines, trained on `threads` threads (or the GPU).
        let run_cell = |c: usize, threads: usize| -> std::result::Result<String, String> {
            let (exp, _) = methodlab::experiment::Experiment::from_link(&sweep.cells[c], &labs);
            let lab = labs
                .iter()
                .find(|l| l.id == exp.lab)
                .expect("a sweep's cell is of its lab");
            let report = match &ctx {
                Some(ctx) => {
                    pollster::block_on(methodlab::runner::run_headless(&exp, lab, Some(ctx), steps))
                }
                None => methodlab::runner::run_on_threads(&exp, lab, steps, threads),
            };
            let report = report.map_err(|e| format!("cell {c} ({}): {e}", sweep.cells[c]))?;
            Ok(Record::of_cell(&sweep, c, &report.runs)
                .iter()
                .map(|r| r.line() + "\n")
                .collect())
        };
        // Cells written in cell order, each in one flushed write: what is in the file is
        // finished, and the file is the same whatever ran in parallel.
        let mut written = 0usize;
        let mut write = |lines: &str| -> bool {
            if sink
                .write_all(lines.as_bytes())
                .and_then(|_| sink.flush())
                .is_err()
            {
                // The reader has gone (`| head`), or the disk is full: stop.
                eprintln!("methodlab sweep: could not write; stopped");
                return false;
            }
            written += 1;
            let seconds = started.elapsed().as_secs_f64();
            let runs = (written * sweep.runs_per_cell()) as f64;
            let left = seconds / written as f64 * (todo.len() - written) as f64;
            eprintln!(
                "methodlab sweep: {written}/{} cells · {:.1} runs/s · {} left",
                todo.len(),
                runs / seconds.max(1e-9),
                clock(left)
            );
            true
        };
        // Many small cells keep every core busy as whole cells, one a thread; a few large
        // ones share out their runs (the GPU is one queue: one cell at a time).
        let parallel = ctx.is_none() && threads > 1 && todo.len() >= 2 * threads;
        if !parallel {
            for &c in &todo {
                match run_cell(c, threads) {
                    Ok(lines) if write(&lines) => {}
                    Ok(_) => return ExitCode::FAILURE,
                    Err(e) => {
                        eprintln!("methodlab sweep: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            }
        } else {
            let next = std::sync::atomic::AtomicUsize::new(0);
            let stop = std::sync::atomic::AtomicBool::new(false);
            let (tx, rx) = std::sync::mpsc::channel();
            let failed = std::thread::scope(|scope| {
                for _ in 0..threads {
                    let tx = tx.clone();
                    let (next, stop, todo, run_cell) = (&next, &stop, &todo, &run_cell);
                    scope.spawn(move || loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if k >= todo.len() || stop.load(std::sync::atomic::Ordering::Relaxed) {
                            return;
                        }
                        if tx.send((k, run_cell(todo[k], 1))).is_err() {
                            return;
                        }
                    });
                }
                drop(tx);
                let mut ready = std::collections::BTreeMap::new();
                let mut due = 0;
                for (k, result) in rx {
                    ready.insert(k, result);
                    while let Some(result) = ready.remove(&due) {
                        due += 1;
                        let ok = match result {
                            Ok(lines) => write(&lines),
                            Err(e) => {
                                eprintln!("methodlab sweep: {e}");
                                false
                            }
                        };
                        if !ok {
                            stop.store(true, std::sync::atomic::Ordering::Relaxed);
                            return true;
                        }
                    }
                }
                false
            });
            if failed {
                return ExitCode::FAILURE;
            }
        }
        eprintln!(
            "methodlab sweep: done in {}",
            clock(started.elapsed().as_secs_f64())
        );
        ExitCode::SUCCESS
    }

    /// `merge A.jsonl B.jsonl …`: shards' results as the whole sweep writes them.
    fn merge(args: &[String]) -> ExitCode {
        use methodlab::sweep::Results;
        if args.is_empty() {
            return usage_error("merge", "expected results files");
        }
        let mut files = Vec::new();
        for path in args {
            if path.starts_with("--") {
                return usage_error("merge", &format!("unexpected argument {path}"));
            }
            let read = std::fs::read_to_string(path)
                .map_err(|e| format!("{path}: {e}"))
                .and_then(|text| Results::read(&text, path));
            match read {
                Ok(r) => {
                    if r.cut {
                        eprintln!("methodlab merge: {path}: its last line is cut short (a sweep stopped while writing); left out");
                    }
                    files.push((path.clone(), r))
                }
                Err(e) => {
                    eprintln!("methodlab merge: {e}");
                    return ExitCode::from(2);
                }
            }
        }
        let merged = match methodlab::sweep::merge(&files) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("methodlab merge: {e}");
                return ExitCode::from(2);
            }
        };
        out!("{}", merged.text);
        if merged.duplicates > 0 {
            eprintln!(
                "methodlab merge: {} runs were in more than one file, the same; kept once",
                merged.duplicates
            );
        }
        for c in &merged.conflicts {
            eprintln!("methodlab merge: {c}");
        }
        if !merged.missing.is_empty() {
            let shown: Vec<String> = merged
                .missing
                .iter()
                .take(20)
                .map(|c| c.to_string())
                .collect();
            eprintln!(
                "methodlab merge: {} cells missing or incomplete: {}{}",
                merged.missing.len(),
                shown.join(", "),
                if merged.missing.len() > 20 {
                    ", …"
                } else {
                    ""
                }
            );
            return ExitCode::FAILURE;
        }
        ExitCode::SUCCESS
    }

    fn usage_error(command: &str, why: &str) -> ExitCode {
        eprintln!("methodlab {command}: {why}\n{}", usage());
        ExitCode::from(2)
    }

    fn check_link(link: &str) -> ExitCode {
        let Some((experiment, lab)) = read_link(link) else {
            return ExitCode::from(2);
        };
        outln!("{}", experiment.to_link(&lab));
        ExitCode::SUCCESS
    }

    /// The GPU when asked for and there is one, fused as `METHODLAB_FUSION` says (else as the
    /// adapter's default); otherwise the CPU, saying why. A bad `METHODLAB_FUSION` is an error.
    fn gpu_context(wanted: bool) -> std::result::Result<Option<GpuContext>, String> {
        methodlab::device::fusion_from_env()?;
        methodlab::device::step_from_env()?;
        if !wanted {
            return Ok(None);
        }
        match pollster::block_on(GpuContext::new()) {
            Ok(ctx) => Ok(Some(methodlab::device::with_fusion_from_env(ctx, None)?)),
            Err(e) => {
                eprintln!("methodlab: {e}; running on the CPU");
                Ok(None)
            }
        }
    }

    fn default_threads() -> usize {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }

    /// `papers [words…] [--format text|json]`: the papers catalogue, or the papers whose title
    /// (or lab) has every word.
    fn papers(args: &[String]) -> ExitCode {
        let (mut json, mut words) = (false, Vec::new());
        let mut it = args.iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "--format" => match it.next().map(String::as_str) {
                    Some("json") => json = true,
                    Some("text") => json = false,
                    _ => return usage_error("papers", "--format expects text or json"),
                },
                w if w.starts_with("--") => {
                    return usage_error("papers", &format!("unexpected argument {w}"))
                }
                w => words.push(w.to_string()),
            }
        }
        let query = words.join(" ");
        let all = methodlab::catalogue::papers();
        let seed = all.iter().filter(|p| p.seed).count();
        let shown_seed = all.iter().filter(|p| p.seed && !p.shown.is_empty()).count();
        let found: Vec<_> = all.into_iter().filter(|p| p.matches(&query)).collect();
        if json {
            outln!(
                "{}",
                serde_json::to_string_pretty(&found).expect("papers serialize")
            );
            return ExitCode::SUCCESS;
        }
        outln!(
            "{} papers shown in the labs; {shown_seed} of the {seed} seed papers among them.",
            methodlab::catalogue::papers()
                .iter()
                .filter(|p| !p.shown.is_empty())
                .count()
        );
        if !query.is_empty() {
            outln!("{} match {query:?}.", found.len());
        }
        let mut lab = "";
        for p in found.iter().filter(|p| !p.shown.is_empty()) {
            let first = p.shown[0].lab_title;
            if first != lab {
                lab = first;
                outln!("\n{lab}");
            }
            outln!(
                "  {}{}",
                p.title,
                if p.seed {
                    ""
                } else {
                    "  (not on the seed list)"
                }
            );
            for s in &p.shown {
                if !s.methods.is_empty() {
                    let methods: Vec<String> = s
                        .methods
                        .iter()
                        .map(|(id, t)| format!("{t} ({id})"))
                        .collect();
                    outln!("    {}: {}", s.lab_title, methods.join(", "));
                }
                for c in &s.claims {
                    outln!(
                        "    claim {}/{}: {}{}",
                        s.lab,
                        c.id,
                        c.recorded.label(),
                        if c.slow { " (slow)" } else { "" }
                    );
                }
                outln!("    open: {}", s.link);
            }
        }
        let unshown: Vec<_> = found.iter().filter(|p| p.shown.is_empty()).collect();
        if !unshown.is_empty() {
            outln!("\nNot shown yet ({})", unshown.len());
            for p in unshown {
                outln!("  {:8} {} — {}", p.status, p.title, p.note);
            }
        }
        ExitCode::SUCCESS
    }

    /// `claims`: every lab's claims, as JSON.
    fn list_claims() -> ExitCode {
        let all: Vec<methodlab::claims::ClaimInfo> = methodlab::labs::LABS
            .iter()
            .flat_map(|lab| {
                let id = lab.id();
                lab.claims().into_iter().map(move |c| c.info(id))
            })
            .collect();
        outln!(
            "{}",
            serde_json::to_string_pretty(&all).expect("claims serialize")
        );
        ExitCode::SUCCESS
    }

    /// `check '<claim id or link>'`: a claim on its own links, or every claim of a link's lab
    /// against that link's runs. One JSON verdict a line; exit 0 whatever the verdicts.
    fn check(args: &[String]) -> ExitCode {
        use methodlab::claims::{Evidence, Verdict};
        let (mut target, mut gpu, mut threads) = (None, false, default_threads());
        let (mut seeds, mut over, mut csv) = (None, None, false);
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = || it.next().cloned().unwrap_or_default();
            match a.as_str() {
                "--backend" => match value().as_str() {
                    "cpu" => gpu = false,
                    "gpu" => gpu = true,
                    v => {
                        return usage_error("check", &format!("--backend {v}: expected cpu or gpu"))
                    }
                },
                "--threads" => match value().parse::<usize>() {
                    Ok(n) if (1..=256).contains(&n) => threads = n,
                    _ => return usage_error("check", "--threads expects an integer in [1, 256]"),
                },
                "--sweep" => over = Some(value()),
                "--format" => match value().as_str() {
                    "json" => csv = false,
                    "csv" => csv = true,
                    v => {
                        return usage_error("check", &format!("--format {v}: expected json or csv"))
                    }
                },
                "--seeds" => match methodlab::claims::Seeds::parse(&value()) {
                    Ok(s) => seeds = Some(s),
                    Err(e) => return usage_error("check", &format!("--seeds: {e}")),
                },
                other if target.is_none() && !other.starts_with("--") => {
                    target = Some(other.to_string())
                }
                other => return usage_error("check", &format!("unexpected argument {other}")),
            }
        }
        let Some(target) = target else {
            return usage_error("check", "expected a claim id or a share link");
        };
        let ctx = match gpu_context(gpu) {
            Ok(ctx) => ctx,
            Err(e) => return usage_error("check", &e),
        };
        let print =
            |v: &Verdict| outln!("{}", serde_json::to_string(v).expect("verdict serializes"));
        let decls = methodlab::labs::registry();
        // A claim id, bare or as lab/id.
        let wanted = target.rsplit('/').next().unwrap_or(&target);
        let by_id = methodlab::labs::LABS.iter().find_map(|lab| {
            let id = lab.id();
            let in_lab = target.split_once('/').is_none_or(|(l, _)| l == id);
            lab.claims()
                .into_iter()
                .find(|c| in_lab && c.id == wanted)
                .map(|c| (id, c))
        });
        if let Some((lab_id, claim)) =
            by_id.filter(|_| !target.contains('#') && !target.contains('?'))
        {
            let lab = decls
                .iter()
                .find(|l| l.id == lab_id)
                .expect("a registered lab");
            if let Some(spec) = over {
                return check_sweep(lab, &claim, seeds, &spec, csv, ctx.as_ref(), threads);
            }
            let started = std::time::Instant::now();
            let evidence = match methodlab::runner::claim_evidence(
                lab,
                &claim,
                seeds,
                ctx.as_ref(),
                threads,
            ) {
                Ok(e) => e,
                Err(e) => {
                    eprintln!("methodlab check: {}: {e}", claim.id);
                    return ExitCode::from(1);
                }
            };
            let record = methodlab::claims::CheckRecord {
                lab: lab_id.into(),
                seeds: seeds.map_or(methodlab::claims::CheckRecord::OWN_SEEDS.into(), |s| {
                    s.to_string()
                }),
                backend: methodlab::runner::backend_name(ctx.as_ref()),
                seconds: started.elapsed().as_secs_f64(),
                verdict: claim.evaluate(&evidence),
            };
            outln!(
                "{}",
                serde_json::to_string(&record).expect("a record serializes")
            );
            return ExitCode::SUCCESS;
        }
        if over.is_some() || csv {
            return usage_error(
                "check",
                "--sweep and --format csv check a claim over a grid: give a claim id",
            );
        }
        if seeds.is_some() {
            return usage_error(
                "check",
                "--seeds reruns a claim on other seeds: give a claim id (a link's seeds are its own `seed=` and `runs=`)",
            );
        }
        let Some((experiment, lab)) = read_link(&target) else {
            eprintln!("methodlab check: {target} is neither a claim id nor a good link (`methodlab claims` lists the ids)");
            return ExitCode::from(2);
        };
        let runs =
            match methodlab::runner::experiment_runs(&lab, &experiment, ctx.as_ref(), threads) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("methodlab check: {e}");
                    return ExitCode::from(1);
                }
            };
        let Ok(registered) = methodlab::labs::lab(lab.id) else {
            return ExitCode::from(2);
        };
        for claim in registered.claims() {
            if claim.checked_on(&lab, &experiment) {
                print(&claim.evaluate(&Evidence {
                    runs: vec![runs.clone()],
                }));
            } else {
                print(&Verdict::not_applicable(
                    claim.id,
                    format!("checked on a different setting: {}", claim.link(lab.id, 0)),
                ));
            }
        }
        ExitCode::SUCCESS
    }

    /// `check <claim> --sweep 'key=values&…'`: the claim's verdict in every cell of the grid,
    /// one JSON line (or CSV row) a cell, printed as each cell ends.
    fn check_sweep(
        lab: &methodlab::labs::LabDecl,
        claim: &methodlab::claims::Claim,
        seeds: Option<methodlab::claims::Seeds>,
        spec: &str,
        csv: bool,
        ctx: Option<&GpuContext>,
        threads: usize,
    ) -> ExitCode {
        use methodlab::claims::Evidence;
        let labs = methodlab::labs::registry();
        let sweeps = match methodlab::sweep::claim_sweeps(claim, lab, seeds, spec, &labs) {
            Ok(s) => s,
            Err(problems) => {
                for p in &problems {
                    eprintln!("methodlab check: bad --sweep: {p}");
                }
                return ExitCode::from(2);
            }
        };
        let first = &sweeps[0];
        let keys: Vec<&str> = first.axes.iter().map(|a| a.key.as_str()).collect();
        if csv {
            outln!("cell,{},verdict,agree,of,p_value,effect", keys.join(","));
        }
        let started = Instant::now();
        for c in 0..first.cells.len() {
            let runs = sweeps
                .iter()
                .map(|s| methodlab::runner::link_runs(lab, &s.cells[c], ctx, threads))
                .collect::<Result<Vec<_>>>();
            let runs = match runs {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("methodlab check: cell {c}: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let verdict = claim.evaluate(&Evidence { runs });
            let values = first.values(c);
            if csv {
                let vs: Vec<&str> = values.iter().map(|(_, v)| *v).collect();
                outln!(
                    "{c},{},{},{},{},{},\"{}\"",
                    vs.join(","),
                    serde_json::to_value(verdict.verdict)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default(),
                    verdict.agree,
                    verdict.of,
                    verdict.p_value.map_or(String::new(), |p| format!("{p:.4}")),
                    verdict.effect.replace('"', "\"\"")
                );
            } else {
                let values: serde_json::Map<String, serde_json::Value> = values
                    .iter()
                    .map(|(k, v)| (k.to_string(), (*v).into()))
                    .collect();
                let mut line = serde_json::json!({
                    "cell": c,
                    "values": values,
                    "links": sweeps.iter().map(|s| s.cells[c].clone()).collect::<Vec<_>>(),
                });
                if let (Some(obj), serde_json::Value::Object(v)) = (
                    line.as_object_mut(),
                    serde_json::to_value(&verdict).expect("a verdict"),
                ) {
                    obj.extend(v);
                }
                outln!("{line}");
            }
            let seconds = started.elapsed().as_secs_f64();
            let left = seconds / (c + 1) as f64 * (first.cells.len() - c - 1) as f64;
            eprintln!(
                "methodlab check: {}/{} cells · {} left",
                c + 1,
                first.cells.len(),
                clock(left)
            );
        }
        ExitCode::SUCCESS
    }

    /// Longest line `link -` reads whole; the rest of a longer line is skipped, so memory stays
    /// bounded whatever comes in.
    const MAX_LINE: usize = 64 * 1024;

    /// `link -`: one JSON verdict per input line.
    fn check_links_from_stdin() -> ExitCode {
        use std::io::Write;
        let labs = methodlab::labs::registry();
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        let stdout = std::io::stdout();
        let mut output = std::io::BufWriter::new(stdout.lock());
        let mut line = Vec::with_capacity(1024);
        loop {
            line.clear();
            let (read, too_long) = match read_line_bounded(&mut input, &mut line) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("methodlab link: reading standard input: {e}");
                    return ExitCode::from(1);
                }
            };
            if read == 0 {
                break;
            }
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_end_matches(['\n', '\r']);
            let (experiment, mut problems) =
                methodlab::experiment::Experiment::from_link(text, &labs);
            let mut messages: Vec<String> = problems.drain(..).map(|p| p.to_string()).collect();
            if too_long {
                messages.push(format!(
                    "the link is longer than {MAX_LINE} bytes: the rest was not read"
                ));
            }
            let canonical = labs
                .iter()
                .find(|l| l.id == experiment.lab)
                .map(|lab| experiment.to_link(lab))
                .unwrap_or_default();
            let verdict = serde_json::json!({
                "ok": messages.is_empty(),
                "canonical": canonical,
                "problems": messages,
            });
            if writeln!(output, "{verdict}").is_err() {
                // The reader has gone (`| head`): stop quietly.
                return ExitCode::SUCCESS;
            }
        }
        let _ = output.flush();
        ExitCode::SUCCESS
    }

    /// Reads one line (through its newline) into `line`, keeping at most `MAX_LINE` bytes and
    /// skipping the rest. Returns the bytes consumed and whether the line was cut.
    fn read_line_bounded(
        input: &mut impl std::io::BufRead,
        line: &mut Vec<u8>,
    ) -> std::io::Result<(usize, bool)> {
        let (mut consumed, mut cut) = (0, false);
        loop {
            let chunk = input.fill_buf()?;
            if chunk.is_empty() {
                return Ok((consumed, cut));
            }
            let (end, done) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            let room = MAX_LINE.saturating_sub(line.len());
            line.extend_from_slice(&chunk[..end.min(room)]);
            cut |= end > room;
            input.consume(end);
            consumed += end;
            if done {
                return Ok((consumed, cut));
            }
        }
    }

    /// The experiment a link describes and its lab, or `None` after printing every problem (the
    /// caller exits with status 2, as the page would show the same messages).
    fn read_link(
        link: &str,
    ) -> Option<(methodlab::experiment::Experiment, methodlab::labs::LabDecl)> {
        let labs = methodlab::labs::registry();
        let (experiment, problems) = methodlab::experiment::Experiment::from_link(link, &labs);
        for p in &problems {
            eprintln!("methodlab: bad link: {p}");
        }
        if !problems.is_empty() {
            return None;
        }
        let lab = labs.into_iter().find(|l| l.id == experiment.lab)?;
        Some((experiment, lab))
    }

    /// A link and your own table (`--data FILE`): the table answers what the link names (or
    /// replaces what it carries), checked for the lab; every problem is printed, and any left
    /// means exit status 2.
    fn read_link_with_data(
        link: &str,
        path: &str,
    ) -> Option<(methodlab::experiment::Experiment, methodlab::labs::LabDecl)> {
        use methodlab::data::table::{self, Table};
        let name = std::path::Path::new(path)
            .file_name()
            .map_or(path.into(), |n| n.to_string_lossy().into_owned());
        let table = std::fs::read(path)
            .map_err(|e| format!("{path}: {e}"))
            .and_then(|bytes| Table::parse(&name, &bytes));
        let table = match table {
            Ok(t) => t,
            Err(e) => {
                eprintln!("methodlab: --data {path}: {e}");
                return None;
            }
        };
        // A link naming this table by id finds it.
        table::remember(&table);
        let labs = methodlab::labs::registry();
        let (mut experiment, problems) = methodlab::experiment::Experiment::from_link(link, &labs);
        let mut bad = false;
        for p in problems.iter().filter(|p| !p.wants_table()) {
            eprintln!("methodlab: bad link: {p}");
            bad = true;
        }
        let lab = labs.into_iter().find(|l| l.id == experiment.lab)?;
        if !bad {
            let given = match experiment.table.as_ref().and_then(|t| t.given()) {
                Some(t) if t.id() == table.id() => Ok(None),
                _ => experiment.give_table(&lab, &table),
            };
            match given {
                Ok(Some(note)) => eprintln!("methodlab: note: {note}"),
                Ok(None) => {}
                Err(e) => {
                    eprintln!("methodlab: --data {path}: {e}");
                    bad = true;
                }
            }
        }
        (!bad).then_some((experiment, lab))
    }

    fn truncate(s: &str, n: usize) -> String {
        s.chars().take(n).collect()
    }

    pub fn main() -> ExitCode {
        let args: Vec<String> = std::env::args().skip(1).collect();
        // `methodlab <command> --help`: the usage, whatever the command.
        if args.len() == 2 && matches!(args[1].as_str(), "--help" | "-h") {
            outln!("{}", usage());
            return ExitCode::SUCCESS;
        }
        match args.first().map(String::as_str) {
            Some("bench") => bench(&args[1..]),
            Some("claims") => list_claims(),
            Some("papers") => papers(&args[1..]),
            Some("check") => check(&args[1..]),
            Some("run") => run(&args[1..]),
            Some("sweep") => sweep(&args[1..]),
            Some("merge") => merge(&args[1..]),
            Some("labs") => {
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&methodlab::labs::registry())
                        .expect("declarations serialize")
                );
                ExitCode::SUCCESS
            }
            Some("link") => match args.get(1) {
                Some(dash) if dash == "-" && args.len() == 2 => check_links_from_stdin(),
                Some(link) if args.len() == 2 => check_link(link),
                _ => {
                    eprintln!("methodlab link: expected one share link\n{}", usage());
                    ExitCode::from(2)
                }
            },
            Some("--help" | "-h" | "help") => {
                outln!("{}", usage());
                ExitCode::SUCCESS
            }
            Some(other) => {
                eprintln!("methodlab: unknown command {other}\n{}", usage());
                ExitCode::from(2)
            }
            None => {
                eprintln!("{}", usage());
                ExitCode::from(2)
            }
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}
