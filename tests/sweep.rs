//! Sweeps: the link's grammar and its messages, and the CLI's results files: shards merged give
//! the whole sweep's file byte for byte, an interrupted sweep resumes to the same file, and bad
//! input (a foreign file, a malformed shard) exits with status 2 and loses nothing.

use methodlab::sweep::{Results, Shard, Sweep, MAX_CELLS};
use std::process::Command;

fn parse(link: &str) -> Result<Sweep, Vec<String>> {
    Sweep::parse(link, &methodlab::labs::registry())
        .map_err(|ps| ps.iter().map(|p| p.to_string()).collect())
}

#[test]
fn cells_are_every_combination_last_axis_fastest() {
    let s =
        parse("#/labels?v=1&rate=0.2,0.4,0.6&width=16..128:log:4&runs=10&methods=erm,coteaching")
            .unwrap();
    assert_eq!(s.cells.len(), 12);
    assert_eq!(s.axes[1].values, ["16", "32", "64", "128"]);
    assert_eq!(s.values(0), [("rate", "0.2"), ("width", "16")]);
    assert_eq!(s.values(5), [("rate", "0.4"), ("width", "32")]);
    assert_eq!(s.runs_per_cell(), 20);
    // A cell is an ordinary link: canonical, default values left out.
    // (erm and coteaching are the lab's default methods, 0.4 its default rate.)
    assert_eq!(s.cells[5], "#/labels?v=1&runs=10&width=32");
    assert_eq!(s.cells[0], "#/labels?v=1&runs=10&rate=0.2&width=16");
    // The canonical sweep link reads back as the same sweep.
    assert_eq!(parse(&s.to_link()).unwrap(), s);
    // Ranges: every integer, n evenly spaced, n on a log scale (short numbers).
    let s = parse("#/basics?v=1&layers=1..3&noise=0..0.4:3&l2.lambda=0.001..0.1:log:3&methods=l2")
        .unwrap();
    assert_eq!(s.axes[0].values, ["1", "2", "3"]);
    assert_eq!(s.axes[1].values, ["0", "0.2", "0.4"]);
    assert_eq!(s.axes[2].values, ["0.001", "0.01", "0.1"]);
    assert_eq!(s.cells.len(), 27);
    // The claim the page reads the cells with rides in the link and changes no cell.
    let with =
        parse("#/basics?v=1&runs=5&methods=plain,l2&l2.lambda=0.001,0.01&claim=l2-small-weights")
            .unwrap();
    assert_eq!(with.claim.as_deref(), Some("l2-small-weights"));
    assert!(with
        .to_link()
        .ends_with("&l2.lambda=0.001,0.01&claim=l2-small-weights"));
    assert_eq!(parse(&with.to_link()).unwrap(), with);
    let without = parse("#/basics?v=1&runs=5&methods=plain,l2&l2.lambda=0.001,0.01").unwrap();
    assert_eq!(with.cells, without.cells);
    // No list: a sweep of one cell.
    assert_eq!(parse("#/basics?v=1&noise=0.2").unwrap().cells.len(), 1);
}

#[test]
fn bad_sweeps_name_the_key() {
    let cases = [
        (
            "#/basics?v=1&noise=0..0.9:3",
            "noise",
            "expected a number in [0, 0.5]",
        ),
        ("#/basics?v=1&foo=1,2", "foo", "no setting foo"),
        ("#/basics?v=1&noise=0..0.4", "noise", "say how many values"),
        ("#/basics?v=1&noise=0.1,0.1", "noise", "given twice"),
        (
            "#/basics?v=1&noise=0.3..0.1:3",
            "noise",
            "ends before it starts",
        ),
        (
            "#/basics?v=1&noise=0..0.4:log:3",
            "noise",
            "log range starts above 0",
        ),
        (
            "#/basics?v=1&noise=0..0.4:2000",
            "noise",
            "expected an integer in [2, 256]",
        ),
        ("#/basics?v=1&points=50..2000", "points", "at most 256"),
        ("#/basics?v=1&l2.lambda=0.1,1", "l2.lambda", "not enabled"),
        (
            "#/basics?v=1&claim=nope",
            "claim",
            "basics has no claim nope",
        ),
        (
            "#/basics?v=1&claim=l2-small-weights",
            "claim",
            "reads l2, which this sweep does not run",
        ),
        (
            "#/basics?v=1&methods=plain,mixup&claim=mixup-separability",
            "claim",
            "compares 2 links",
        ),
        (
            "#/basics?v=1&noise=0..0.5:100&points=50..2000:100&train=10..90:81",
            "noise",
            "cells; a sweep runs at most",
        ),
    ];
    for (link, key, message) in cases {
        let problems = parse(link).expect_err(link);
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with(key) && p.contains(message)),
            "{link}: {problems:?}"
        );
    }
    // A million cells is refused before a value is made.
    let huge = "#/basics?v=1&noise=0..0.5:256&points=50..2000:256&train=10..90:81";
    let problems = parse(huge).unwrap_err();
    assert!(problems
        .iter()
        .any(|p| p.contains(&format!("at most {MAX_CELLS}"))));
    for bad in ["5/4", "4/4", "1/0", "-1/4", "a/b", "3", ""] {
        assert!(Shard::parse(bad).is_err(), "{bad}");
    }
    assert_eq!(Shard::parse("3/4"), Ok(Shard { index: 3, count: 4 }));
}

const LINK: &str = "#/basics?v=1&runs=2&methods=plain,l2&noise=0..0.3:3&layers=1,2";

fn methodlab(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_methodlab"))
        .args(args)
        .output()
        .expect("methodlab runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("methodlab-sweep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name).to_string_lossy().into_owned()
}

#[test]
fn shards_merge_into_the_whole_sweep_and_a_stopped_sweep_resumes() {
    let whole = temp("whole.jsonl");
    let _ = std::fs::remove_file(&whole);
    let (code, _, err) = methodlab(&[
        "sweep",
        LINK,
        "--steps",
        "30",
        "--threads",
        "2",
        "--out",
        &whole,
    ]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&whole).unwrap();
    let results = Results::read(&text, "whole").unwrap();
    assert_eq!(results.records.len(), 6 * 4);
    assert_eq!(results.complete_cells().len(), 6);

    // Three shards, on one thread each, merged: the same bytes.
    let mut shards = Vec::new();
    for i in 0..3 {
        let path = temp(&format!("shard-{i}.jsonl"));
        let _ = std::fs::remove_file(&path);
        let shard = format!("{i}/3");
        let (code, _, err) = methodlab(&[
            "sweep",
            LINK,
            "--steps",
            "30",
            "--threads",
            "1",
            "--shard",
            &shard,
            "--out",
            &path,
        ]);
        assert_eq!(code, 0, "{err}");
        shards.push(path);
    }
    let mut args = vec!["merge"];
    args.extend(shards.iter().map(String::as_str));
    let (code, merged, err) = methodlab(&args);
    assert_eq!(code, 0, "{err}");
    assert_eq!(merged, text, "merged shards differ from the whole sweep");
    // A shard given twice is reported and kept once; a shard left out is a missing cell.
    let (code, merged, err) = methodlab(&["merge", &shards[0], &shards[1], &shards[2], &shards[0]]);
    assert_eq!((code, merged == text), (0, true), "{err}");
    assert!(err.contains("in more than one file"), "{err}");
    let (code, _, err) = methodlab(&["merge", &shards[0], &shards[1]]);
    assert_eq!(code, 1);
    assert!(err.contains("2 cells missing or incomplete: 2, 5"), "{err}");

    // Stopped after two cells, in the middle of writing the third: --resume ends where the
    // whole sweep did.
    let stopped = temp("stopped.jsonl");
    let lines: Vec<&str> = text.lines().collect();
    let mut cut = lines[..1 + 2 * 4 + 1].join("\n");
    cut.push('\n');
    cut.push_str(&lines[10][..40]);
    std::fs::write(&stopped, &cut).unwrap();
    let (code, _, err) = methodlab(&["sweep", LINK, "--steps", "30", "--out", &stopped]);
    assert_eq!(code, 2, "an existing file without --resume is refused");
    assert!(err.contains("--resume continues it"), "{err}");
    assert_eq!(std::fs::read_to_string(&stopped).unwrap(), cut);
    let (code, _, err) = methodlab(&[
        "sweep", LINK, "--steps", "30", "--out", &stopped, "--resume",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("2 cells done"), "{err}");
    assert_eq!(std::fs::read_to_string(&stopped).unwrap(), text);

    // Another sweep's file, and a file that is not a sweep's: refused, left as they were.
    let (code, _, err) = methodlab(&["sweep", LINK, "--steps", "31", "--out", &whole, "--resume"]);
    assert_eq!(code, 2);
    assert!(err.contains("holds another sweep"), "{err}");
    assert_eq!(std::fs::read_to_string(&whole).unwrap(), text);
    let foreign = temp("foreign.jsonl");
    std::fs::write(&foreign, "method,seed,metric\nplain,1,loss\n").unwrap();
    for args in [
        vec!["sweep", LINK, "--out", &foreign, "--resume"],
        vec!["merge", &whole, &foreign],
    ] {
        let (code, _, err) = methodlab(&args);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.contains("not a sweep's header"), "{err}");
    }
    assert_eq!(
        std::fs::read_to_string(&foreign).unwrap(),
        "method,seed,metric\nplain,1,loss\n"
    );
    let (code, _, err) = methodlab(&["sweep", LINK, "--shard", "5/4"]);
    assert_eq!(code, 2);
    assert!(err.contains("--shard \"5/4\""), "{err}");
    let (code, _, err) = methodlab(&["sweep", "#/basics?v=1&noise=0..0.9:3"]);
    assert_eq!(code, 2);
    assert!(err.contains("noise = \"0..0.9:3\""), "{err}");
}

#[test]
fn a_claim_over_a_sweep_gives_a_verdict_a_cell() {
    let (code, out, err) = methodlab(&[
        "check",
        "l2-small-weights",
        "--sweep",
        "l2.lambda=0.0001,0.01",
        "--format",
        "csv",
        "--threads",
        "2",
    ]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(rows[0], "cell,l2.lambda,verdict,agree,of,p_value,effect");
    // A tiny λ barely shrinks the weights; the claim's own λ does.
    assert!(rows[1].starts_with("0,0.0001,not_supported"), "{out}");
    assert!(rows[2].starts_with("1,0.01,supported"), "{out}");
    let (code, _, err) = methodlab(&["check", "mixup-separability", "--sweep", "noise=0,0.2"]);
    assert_eq!(code, 2);
    assert!(err.contains("compares its links on noise"), "{err}");
}
