use super::*;
use crate::history::RunStatus;
use crate::labs::registry;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// An engine that records what it is sent: (a press?, the message).
#[derive(Clone, Default)]
struct Recorder {
    got: Rc<RefCell<Vec<(bool, ToEngine)>>>,
    sent: Rc<Cell<u32>>,
    worker: bool,
}

impl Engine for Recorder {
    fn send(&self, msg: ToEngine) {
        self.sent.set(self.sent.get() + 1);
        self.got.borrow_mut().push((true, msg));
    }
    fn forward(&self, msg: ToEngine) {
        self.got.borrow_mut().push((false, msg));
    }
    fn sent(&self) -> u32 {
        self.sent.get()
    }
    fn in_worker(&self) -> bool {
        self.worker
    }
}

impl Recorder {
    fn worker() -> Recorder {
        Recorder {
            worker: true,
            ..Recorder::default()
        }
    }
    /// The messages' names, in order (`!` marks what is not a press).
    fn names(&self) -> Vec<String> {
        self.got
            .borrow()
            .iter()
            .map(|(press, m)| {
                let name = format!("{m:?}");
                let name = name.split([' ', '(', '{']).next().unwrap_or("").to_string();
                if *press {
                    name
                } else {
                    format!("!{name}")
                }
            })
            .collect()
    }
}

fn experiment(link: &str) -> (Experiment, LabDecl) {
    let labs = registry();
    let (exp, problems) = Experiment::from_link(link, &labs);
    assert!(problems.is_empty(), "{problems:?}");
    let lab = labs.into_iter().find(|l| l.id == exp.lab).unwrap();
    (exp, lab)
}

/// A session of `exp` planned for `cores` cores, on recorders in workers, started as the page
/// starts them.
fn session(exp: &Experiment, lab: &LabDecl, cores: usize) -> (Session<Recorder>, Vec<Recorder>) {
    let plan = plan(exp, true, cores);
    let recorders: Vec<Recorder> = plan.iter().map(|_| Recorder::worker()).collect();
    let engines = plan
        .into_iter()
        .zip(&recorders)
        .map(|((methods, runs), r)| {
            let start = ToEngine::Start {
                link: exp.to_link(lab),
                methods: methods.clone(),
                runs: runs.clone(),
                gpu: false,
                adapter: String::new(),
                fusion: None,
                step: None,
            };
            r.send(start.clone());
            (r.clone(), start, (methods, runs))
        })
        .collect();
    (Session::new(1, engines), recorders)
}

fn frame(seen: u32, step: u32) -> Frame {
    Frame {
        seen,
        step,
        running: true,
        playing: true,
        ready: true,
        ..Frame::default()
    }
}

fn report(method: &str, seed: u32) -> RunReport {
    RunReport {
        method: method.into(),
        seed,
        status: RunStatus::Ok,
        final_values: BTreeMap::from([("test_acc".into(), 0.5)]),
        history: BTreeMap::new(),
        matrices: BTreeMap::new(),
        lists: BTreeMap::new(),
    }
}

#[test]
fn runs_are_split_over_engines_each_run_once_and_evenly() {
    // Five runs of three methods on two cores: three engines, each a core's worth and a half.
    assert_eq!(engines_for_runs(2, 3, 5), 3);
    for (methods, runs, n) in [(3, 5, 3), (1, 7, 4), (4, 10, 3), (2, 1, 2)] {
        let slices = run_slices(methods, runs, n);
        for m in 0..methods {
            let mut next = 0;
            for engine in &slices {
                assert_eq!(engine[m].0, next, "{methods} × {runs} on {n}: contiguous");
                next += engine[m].1;
            }
            assert_eq!(next, runs, "{methods} × {runs} on {n}: every run once");
        }
        let loads: Vec<u32> = slices.iter().map(|e| e.iter().map(|s| s.1).sum()).collect();
        let (lo, hi) = (loads.iter().min().unwrap(), loads.iter().max().unwrap());
        assert!(hi - lo <= 1, "{methods} × {runs} on {n}: {loads:?}");
    }
}

#[test]
fn one_run_splits_methods_and_a_forced_gpu_keeps_one_engine() {
    let (exp, _) = experiment("#/basics?v=1&runs=1&methods=plain,l2,dropout");
    let shares: Vec<Vec<String>> = plan(&exp, true, 2).into_iter().map(|s| s.0).collect();
    assert_eq!(shares, [vec!["plain", "l2"], vec!["dropout"]]);
    // Where a lab's views of a share of the methods do not merge, one engine draws them all.
    assert_eq!(plan(&exp, false, 2).len(), 1);
    let (gpu, _) = experiment("#/basics?v=1&runs=5&backend=gpu&methods=plain,l2");
    assert_eq!(
        plan(&gpu, true, 8),
        vec![(vec!["plain".into(), "l2".into()], vec![])]
    );
}

#[test]
fn a_frame_that_has_not_seen_the_latest_press_does_not_say_what_it_did() {
    let (exp, lab) = experiment("#/basics?v=1&runs=1&methods=plain");
    let (mut s, engines) = session(&exp, &lab, 1);
    s.press(&ToEngine::Play);
    assert!(!s.summary().paused, "Play is playing at once");
    // Sent before the engine saw Play (it had seen only the start): not paused by it.
    let old = Frame {
        playing: false,
        running: false,
        ..frame(1, 10)
    };
    s.receive(0, FromEngine::Frame(old), &exp, &lab);
    let now = s.summary();
    assert!(!now.paused && now.running && now.step == 10, "{now:?}");
    // Once it has seen Play, it says.
    let seen = Frame {
        playing: false,
        running: false,
        ..frame(engines[0].sent(), 20)
    };
    s.receive(0, FromEngine::Frame(seen), &exp, &lab);
    let now = s.summary();
    assert!(now.paused && !now.running && now.step == 20, "{now:?}");
}

#[test]
fn a_later_slice_sends_its_histories_to_the_engine_that_draws() {
    let (exp, lab) = experiment("#/basics?v=1&runs=4&methods=plain");
    let (mut s, engines) = session(&exp, &lab, 2);
    assert_eq!(engines.len(), 2);
    let with_histories = Frame {
        histories: Some(vec![("plain".into(), crate::history::History::new(2))]),
        ..frame(1, 5)
    };
    s.receive(1, FromEngine::Frame(with_histories), &exp, &lab);
    assert_eq!(engines[0].names(), ["Start", "!Histories"]);
    assert_eq!(engines[1].names(), ["Start"]);
}

#[test]
fn a_failed_engine_stops_its_runs_and_the_next_draws_from_then_on() {
    let (exp, lab) = experiment("#/basics?v=1&runs=5&methods=plain");
    let (mut s, engines) = session(&exp, &lab, 2);
    assert_eq!(engines.len(), 3);
    for slot in 0..3 {
        s.receive(
            slot,
            FromEngine::Frame(frame(1, 10 * (slot as u32 + 1))),
            &exp,
            &lab,
        );
    }
    s.summary();
    let got = s.receive(0, FromEngine::Failed("out of memory".into()), &exp, &lab);
    assert_eq!(
        got,
        Received::Changed {
            views: true,
            finished: false
        }
    );
    assert_eq!(engines[1].names(), ["Start", "!Draw"]);
    assert_eq!(engines[2].names(), ["Start", "!Resend"]);
    let now = s.summary();
    assert_eq!(
        now.step, 20,
        "the failed engine's step no longer holds the session back"
    );
    assert_eq!(
        now.status.as_deref(),
        Some("plain runs 1–2 stopped: its worker failed: out of memory")
    );
    // A press goes to the live engines only.
    s.press(&ToEngine::Pause);
    assert_eq!(engines[0].names(), ["Start"]);
    assert_eq!(engines[1].names(), ["Start", "!Draw", "Pause"]);
    // The status is said once.
    assert_eq!(s.summary().status, None);
}

#[test]
fn a_worker_that_never_started_trains_in_the_page_from_where_the_presses_left_it() {
    let (exp, lab) = experiment("#/basics?v=1&runs=1&methods=plain");
    let (mut s, _) = session(&exp, &lab, 1);
    s.press(&ToEngine::Play);
    let got = s.receive(0, FromEngine::Failed("no worker".into()), &exp, &lab);
    assert_eq!(got, Received::StartInPage("no worker".into()));
    let page = Recorder::default();
    page.send(s.engines[0].start.clone());
    s.replace(0, page.clone(), BackendChoice::Cpu, 10);
    assert_eq!(page.names(), ["Start", "Backend", "Speed", "Play"]);
    assert_eq!(s.summary().workers, 0);
}

#[test]
fn an_export_waits_for_every_live_engine_and_lists_runs_by_method() {
    let (exp, lab) = experiment("#/basics?v=1&runs=4&methods=plain,l2");
    let (mut s, engines) = session(&exp, &lab, 2);
    s.ask_export(true);
    assert!(engines
        .iter()
        .all(|e| e.names().last().unwrap() == "Reports"));
    let part = |first: u32| FromEngine::Reports {
        backend: "cpu".into(),
        reports: vec![report("plain", first), report("l2", first)],
    };
    let got = s.receive(1, part(3), &exp, &lab);
    assert_eq!(
        got,
        Received::Changed {
            views: false,
            finished: false
        }
    );
    let Received::Export { csv, report } = s.receive(0, part(1), &exp, &lab) else {
        panic!("the export is complete");
    };
    assert!(csv);
    assert_eq!(report.backend, "cpu");
    let order: Vec<(&str, u32)> = report
        .runs
        .iter()
        .map(|r| (r.method.as_str(), r.seed))
        .collect();
    assert_eq!(order, [("plain", 1), ("plain", 3), ("l2", 1), ("l2", 3)]);
}

#[test]
fn a_run_report_crosses_the_wire_whole_and_json_keeps_its_shape() {
    let mut r = report("ewc", 7);
    r.status = RunStatus::Diverged { step: 40 };
    r.final_values.insert("loss".into(), f32::NAN);
    r.history
        .insert("loss".into(), vec![(0, 1.0), (40, f32::INFINITY)]);
    r.matrices
        .insert("acc_matrix".into(), vec![vec![0.5, 0.25]]);
    r.lists.insert("key_reps".into(), vec!["sign".into()]);
    let msg = FromEngine::Reports {
        backend: "webgpu".into(),
        reports: vec![r.clone()],
    };
    let bytes = bincode::serialize(&msg).unwrap();
    let FromEngine::Reports { reports, .. } = bincode::deserialize(&bytes).unwrap() else {
        panic!("a Reports message");
    };
    let back = &reports[0];
    assert!(back.final_values["loss"].is_nan());
    assert_eq!(back.history["loss"][1].1, f32::INFINITY);
    assert_eq!(
        (&back.matrices, &back.lists, back.status),
        (&r.matrices, &r.lists, r.status)
    );
    // The CLI's and the export's JSON: matrices and lists beside `final`.
    let json: serde_json::Value = serde_json::to_value(&r).unwrap();
    assert_eq!(json["acc_matrix"][0][1], 0.25);
    assert_eq!(json["key_reps"][0], "sign");
    assert_eq!(json["status"], "diverged at step 40");
    assert!(json["final"].is_object());
}

mod claim_checks {
    use super::Recorder;
    use crate::labs::lab;
    use crate::session::checks::{CardState, Checks, Job};
    use crate::session::{FromEngine, ToEngine};
    use std::cell::RefCell;
    use std::rc::Rc;

    /// Engines made so far: (job serial, slot, the engine).
    pub(super) type Made = Rc<RefCell<Vec<(u64, usize, Recorder)>>>;

    pub(super) fn spawner(made: &Made) -> impl FnMut(u64, usize, ToEngine) -> Recorder + '_ {
        move |serial, slot, first| {
            let e = Recorder::worker();
            crate::session::Engine::send(&e, first);
            made.borrow_mut().push((serial, slot, e.clone()));
            e
        }
    }

    /// Trains what the engines were sent and hands their reports back, as workers would, until
    /// nothing is left.
    fn work(checks: &mut Checks<Recorder>, made: &Made) {
        let mut done = vec![0usize; 0];
        loop {
            let next = {
                let made = made.borrow();
                done.resize(made.len(), 0);
                made.iter().enumerate().find_map(|(i, (serial, slot, e))| {
                    let got = e.got.borrow();
                    (done[i] < got.len()).then(|| (i, *serial, *slot, got[done[i]].1.clone()))
                })
            };
            let Some((i, serial, slot, msg)) = next else {
                return;
            };
            done[i] += 1;
            let Some(reply) = train(msg) else {
                continue;
            };
            let mut spawn = spawner(made);
            checks.on_message(serial, slot, reply, &mut spawn, 0.0);
        }
    }

    /// What a worker answers a piece with (`ToEngine::Check`): its runs trained, as
    /// `runner::piece_driver` trains them. `None` for any other message.
    pub(super) fn train(msg: ToEngine) -> Option<FromEngine> {
        let ToEngine::Check {
            link,
            method,
            first,
            runs,
        } = msg
        else {
            return None;
        };
        let reports = pollster::block_on(async {
            let mut d = crate::runner::piece_driver(&link, &method, first, runs).await?;
            d.train(d.total).await?;
            Ok::<_, crate::engine::EngineError>(d.reports())
        })
        .map_err(|e| e.to_string());
        Some(FromEngine::Checked(reports))
    }

    #[test]
    fn a_check_in_pieces_gives_the_clis_verdict_bit_for_bit() {
        let basics = lab("basics").unwrap();
        let decl = basics.declaration();
        let claim = basics
            .claims()
            .into_iter()
            .find(|c| c.id == "l2-small-weights")
            .unwrap();
        let made: Made = Rc::default();
        let mut checks: Checks<Recorder> = Checks::new(basics, 2, "cpu");
        let job = Job::check(claim.id);
        checks.ask(job, &mut spawner(&made), 0.0);
        assert_eq!(made.borrow().len(), 2, "one engine a core");
        assert!(matches!(
            checks.card(claim.id, 0.0),
            CardState::Running { done: 0, .. }
        ));
        work(&mut checks, &made);
        assert!(!checks.busy());
        let record = checks.results[claim.id].clone().expect("a record");
        let cli = claim.evaluate(
            &crate::runner::claim_evidence(&decl, &claim, None, None, 2).expect("the CLI's runs"),
        );
        assert_eq!(record.verdict.verdict, cli.verdict);
        assert_eq!(record.verdict.interval, cli.interval);
        assert_eq!(record.verdict.improvement, cli.improvement);
        let bits = |v: &crate::claims::Verdict| {
            v.per_seed
                .iter()
                .map(|s| (s.seed, s.value.map(f32::to_bits)))
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(&record.verdict), bits(&cli));
        assert_eq!(checks.records.len(), 1);
        assert!(checks.export().contains("\"seeds\": \"declared\""));
        // Fresh seeds: the same claim on others, a record of its own.
        let seeds = crate::claims::Seeds::parse("1001-1005").ok();
        checks.ask(
            Job {
                seeds,
                ..Job::check(claim.id)
            },
            &mut spawner(&made),
            0.0,
        );
        work(&mut checks, &made);
        let fresh = checks.results[claim.id].clone().expect("a record");
        assert_eq!(fresh.seeds, "1001-1005");
        assert_eq!(fresh.verdict.per_seed[0].seed, 1001);
        assert_eq!(checks.records.len(), 2);
    }

    #[test]
    fn checks_queue_cancel_and_forget_stopped_engines() {
        let basics = lab("basics").unwrap();
        let made: Made = Rc::default();
        let mut checks: Checks<Recorder> = Checks::new(basics, 2, "cpu");
        checks.ask_lab(&mut spawner(&made), 0.0);
        let claims: Vec<&str> = basics
            .claims()
            .into_iter()
            .filter(|c| !c.slow)
            .map(|c| c.id)
            .collect();
        assert!(matches!(
            checks.card(claims[0], 0.0),
            CardState::Running { .. }
        ));
        assert_eq!(checks.card(claims[2], 0.0), CardState::Queued { ahead: 2 });
        assert_eq!(
            checks.tally().as_deref(),
            Some(
                format!(
                    "0 of {n} checked: 0 of {n} supported on your machine",
                    n = claims.len()
                )
                .as_str()
            )
        );
        // Asked again while queued: still once.
        checks.ask(Job::check(claims[2]), &mut spawner(&made), 0.0);
        assert_eq!(checks.card(claims[2], 0.0), CardState::Queued { ahead: 2 });
        // A queued one leaves the queue; the running one stops, and the next starts.
        checks.cancel(claims[2], &mut spawner(&made), 0.0);
        assert_eq!(checks.card(claims[2], 0.0), CardState::Idle);
        let serial_before = made.borrow().last().unwrap().0;
        checks.cancel(claims[0], &mut spawner(&made), 0.0);
        assert_eq!(checks.card(claims[0], 0.0), CardState::Idle);
        assert_eq!(checks.take_retired().len(), 2, "its two engines stop");
        assert!(matches!(
            checks.card(claims[1], 0.0),
            CardState::Running { .. }
        ));
        // A message from a stopped check's engine changes nothing.
        checks.on_message(
            serial_before,
            0,
            FromEngine::Checked(Ok(Vec::new())),
            &mut spawner(&made),
            0.0,
        );
        assert!(checks.results.is_empty());
        // A failed engine ends its check with the reason, and the next one starts.
        let serial = made.borrow().last().unwrap().0;
        checks.on_message(
            serial,
            0,
            FromEngine::Failed("out of memory".into()),
            &mut spawner(&made),
            0.0,
        );
        assert!(checks.results[claims[1]]
            .as_ref()
            .unwrap_err()
            .contains("out of memory"));
        assert!(matches!(
            checks.card(claims[3], 0.0),
            CardState::Running { .. }
        ));
        checks.cancel_all();
        assert!(!checks.busy());
    }
}

mod slow_claim_estimates {
    use super::Recorder;
    use crate::labs::lab;
    use crate::session::checks::{CardState, Checks, Job};
    use crate::session::{FromEngine, ToEngine};

    #[test]
    fn a_slow_claim_is_timed_not_run_and_its_card_stays_idle() {
        let groups = lab("groups").unwrap();
        let made: std::cell::RefCell<Vec<(u64, usize, Recorder)>> = Default::default();
        let mut spawn = |serial, slot, first| {
            let e = Recorder::worker();
            crate::session::Engine::send(&e, first);
            made.borrow_mut().push((serial, slot, e.clone()));
            e
        };
        let mut checks: Checks<Recorder> = Checks::new(groups, 2, "cpu");
        // s5-two-irreps: one link of 5 runs × 2,400 steps, one method (adamw).
        let job = Job {
            estimate: true,
            ..Job::check("s5-two-irreps")
        };
        checks.ask(job, &mut spawn, 0.0);
        assert_eq!(checks.card("s5-two-irreps", 0.0), CardState::Idle);
        assert_eq!(made.borrow().len(), 1, "one run of its one method is timed");
        let (serial, _, e) = made.borrow()[0].clone();
        assert!(matches!(
            &e.got.borrow()[0].1,
            ToEngine::Probe { method, .. } if method == "adamw"
        ));
        checks.on_message(serial, 0, FromEngine::Probed(Ok(2.0)), &mut spawn, 0.0);
        // 2 ms a step × 5 runs × 2,400 steps over 2 engines.
        assert_eq!(checks.estimates.get("s5-two-irreps"), Some(&Ok(12.0)));
        assert!(!checks.busy() && checks.results.is_empty());
    }
}

mod sweeps {
    use super::claim_checks::{spawner, train, Made};
    use super::Recorder;
    use crate::labs::registry;
    use crate::session::sweeps::SweepRun;
    use crate::sweep::{Header, Record, Results, Shard, Sweep};
    use std::rc::Rc;

    /// Trains what the engines were sent, as workers would, until nothing is left (or `stop`
    /// pieces have been handed back).
    fn work(run: &mut SweepRun<Recorder>, made: &Made, stop: usize) {
        let mut done = Vec::new();
        let mut handed = 0;
        while handed < stop {
            let next = {
                let made = made.borrow();
                done.resize(made.len(), 0usize);
                // Round robin: the engine that has handed back least goes first.
                made.iter()
                    .enumerate()
                    .filter_map(|(i, (serial, slot, e))| {
                        let got = e.got.borrow();
                        (done[i] < got.len()).then(|| (i, *serial, *slot, got[done[i]].1.clone()))
                    })
                    .min_by_key(|(i, ..)| done[*i])
            };
            let Some((i, serial, slot, msg)) = next else {
                return;
            };
            done[i] += 1;
            if let Some(reply) = train(msg) {
                run.on_message(serial, slot, reply);
                handed += 1;
            }
        }
    }

    #[test]
    fn a_sweep_in_pieces_writes_the_clis_file_and_resumes_from_one() {
        let labs = registry();
        let link = "#/basics?v=1&runs=3&methods=plain,l2&steps=40&noise=0,0.3&layers=1,2";
        let sweep = Sweep::parse(link, &labs).unwrap();
        // What `methodlab sweep` writes, from the CLI's own path (a cell on threads).
        let mut cli = Header::new(&sweep, None, Shard::WHOLE).line() + "\n";
        for (c, cell) in sweep.cells.iter().enumerate() {
            let (exp, _) = crate::experiment::Experiment::from_link(cell, &labs);
            let lab = labs.iter().find(|l| l.id == exp.lab).unwrap();
            let report = crate::runner::run_on_threads(&exp, lab, None, 2).unwrap();
            for r in Record::of_cell(&sweep, c, &report.runs) {
                cli.push_str(&(r.line() + "\n"));
            }
        }
        let made: Made = Rc::default();
        let mut run: SweepRun<Recorder> = SweepRun::new(sweep.clone());
        run.start(2, &mut spawner(&made), 0.0);
        assert_eq!(made.borrow().len(), 2, "one engine a core");
        // Stopped part way: the finished cells stay, the rest are trained by a new start.
        work(&mut run, &made, 5);
        let done = run.progress(0.0).done;
        assert!(
            (1..4).contains(&done),
            "{done} cells done after 5 pieces: {:?}",
            run.failed
        );
        run.stop();
        assert!(!run.is_running());
        run.start(2, &mut spawner(&made), 0.0);
        work(&mut run, &made, usize::MAX);
        assert!(!run.is_running());
        assert_eq!(run.progress(0.0).done, 4);
        assert_eq!(run.export(), cli, "the page's sweep differs from the CLI's");
        // A file read back draws the same cells (final values, no history).
        let results = Results::read(&cli, "cli.jsonl").unwrap();
        let read: SweepRun<Recorder> = SweepRun::from_results(&results, &labs).unwrap();
        assert!(read.from_file);
        assert_eq!(read.export(), cli);
    }
}
