//! Share links: canonical form, round trips, clear messages for bad input, and a fuzzer.

use methodlab::engine::rng;
use methodlab::experiment::{Experiment, LinkProblem};
use methodlab::labs::{registry, Kind, LabDecl, Value};

fn labs() -> Vec<LabDecl> {
    registry()
}

fn in_range(lab: &LabDecl, e: &Experiment) -> bool {
    let setting_ok = lab
        .settings
        .iter()
        .all(|s| match (&s.kind, e.settings.get(s.key)) {
            (Kind::Int { min, max }, Some(Value::Int(v))) => min <= v && v <= max,
            (Kind::Float { min, max, .. }, Some(Value::Float(v))) => {
                v.is_finite() && min <= v && v <= max
            }
            (Kind::Choice { options }, Some(Value::Choice(c))) => options.contains(&c.as_str()),
            (Kind::Bool, Some(Value::Bool(_))) => true,
            _ => false,
        });
    let methods_ok = !e.methods.is_empty() && e.methods.iter().all(|m| lab.method(&m.id).is_some());
    setting_ok && methods_ok && (1..=64).contains(&e.runs)
}

#[test]
fn defaults_make_the_shortest_link() {
    let labs = labs();
    let e = Experiment::defaults(&labs[0]);
    assert_eq!(e.to_link(&labs[0]), "#/basics?v=1");
    let (back, problems) = Experiment::from_link("#/basics?v=1", &labs);
    assert_eq!(back, e);
    assert!(problems.is_empty());
}

#[test]
fn a_link_restores_every_value_and_writes_back_the_same() {
    let labs = labs();
    let link = "https://example.org/app/#/basics?v=1&seed=7&runs=5&methods=plain,mixup,l2&data=spiral&noise=0.2&lr=0.1&x1sq=1&mixup.alpha=0.5&l2.lambda=0.01";
    let (e, problems) = Experiment::from_link(link, &labs);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!((e.seed, e.runs), (7, 5));
    assert_eq!(e.settings["data"], Value::Choice("spiral".into()));
    assert_eq!(e.settings["noise"], Value::Float(0.2));
    assert_eq!(e.settings["x1sq"], Value::Bool(true));
    assert_eq!(e.knob(&labs[0], "mixup", "alpha"), Some(Value::Float(0.5)));
    assert_eq!(e.knob(&labs[0], "l2", "lambda"), Some(Value::Float(0.01)));
    let canonical = e.to_link(&labs[0]);
    assert_eq!(canonical, "#/basics?v=1&seed=7&runs=5&methods=plain,mixup,l2&data=spiral&noise=0.2&x1sq=1&lr=0.1&mixup.alpha=0.5&l2.lambda=0.01");
    assert_eq!(Experiment::from_link(&canonical, &labs), (e, vec![]));
}

fn messages(link: &str) -> Vec<LinkProblem> {
    Experiment::from_link(link, &labs()).1
}

#[test]
fn bad_values_name_the_key_the_value_and_the_range() {
    let p = messages("#/basics?noise=7&runs=0&data=moon&lr=abc&units=1.5");
    let text: Vec<String> = p.iter().map(|p| p.to_string()).collect();
    assert!(
        text.iter().any(|t| t.contains("noise")
            && t.contains("\"7\"")
            && t.contains("[0, 0.5]")
            && t.contains("using 0.05")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("runs") && t.contains("[1, 64]")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("data") && t.contains("circle, xor")),
        "{text:?}"
    );
    assert!(
        text.iter().any(|t| t.contains("lr") && t.contains("abc")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("units") && t.contains("integer in [1, 64]")),
        "{text:?}"
    );
    let (e, _) = Experiment::from_link("#/basics?noise=7&lr=0.5", &labs());
    assert_eq!(
        e.settings["noise"],
        Value::Float(0.05),
        "a bad value keeps its default"
    );
    assert_eq!(
        e.settings["lr"],
        Value::Float(0.5),
        "good values next to it still count"
    );
}

#[test]
fn unknown_lab_key_method_and_knob_are_reported() {
    let p = messages("#/quantum?x=1");
    assert!(
        p.iter()
            .any(|p| p.key == "lab" && p.value == "quantum" && p.message.contains("basics")),
        "{p:?}"
    );
    let p = messages("#/basics?colour=red&methods=plain,ewc&mixup.alpha=1&plain.k=2");
    let text: Vec<String> = p.iter().map(|p| p.to_string()).collect();
    assert!(text.iter().any(|t| t.contains("colour")), "{text:?}");
    assert!(
        text.iter()
            .any(|t| t.contains("ewc") && t.contains("no such method")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("mixup.alpha") && t.contains("not enabled")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("plain.k") && t.contains("no knob")),
        "{text:?}"
    );
}

#[test]
fn junk_never_panics_and_reports_a_bounded_list() {
    let junk: String = (0..100_000)
        .map(|i| char::from(b"a=&%#?/.,x"[i % 10]))
        .collect();
    let (e, p) = Experiment::from_link(&junk, &labs());
    assert!(p.len() <= 21, "{}", p.len());
    assert!(in_range(&labs()[0], &e));
    for s in [
        "",
        "#",
        "#/",
        "???",
        "#/basics?&&&==&=",
        "%",
        "%zz",
        "#/basics?runs=%",
        "#/%E2%82%AC?a=b",
    ] {
        let (e, _) = Experiment::from_link(s, &labs());
        assert!(in_range(&labs()[0], &e), "{s}");
    }
}

/// Builds a random link from pieces that matter (real keys, values near the edges, separators)
/// and raw noise, so the fuzzer reaches deep into the parser.
fn random_link(i: u32) -> String {
    const PIECES: &[&str] = &[
        "#",
        "/",
        "?",
        "&",
        "=",
        ",",
        ".",
        "%",
        "%2",
        "%41",
        "+",
        "basics",
        "quantum",
        "v",
        "1",
        "2",
        "seed",
        "runs",
        "methods",
        "plain",
        "mixup",
        "l2",
        "dropout",
        "smoothing",
        "adam",
        "alpha",
        "lambda",
        "p",
        "epsilon",
        "lr",
        "data",
        "spiral",
        "circle",
        "noise",
        "0",
        "-1",
        "0.5",
        "1e-9",
        "1e309",
        "NaN",
        "inf",
        "-0",
        "64",
        "65",
        "4294967296",
        "units",
        "layers",
        "x1sq",
        "true",
        "off",
        "é",
        "€",
        "\u{0}",
        " ",
        "steps",
        "100000",
        "batch",
    ];
    let n = rng::bits(5, 1, i, 0) % 40;
    let mut s = String::new();
    for j in 0..n {
        let r = rng::bits(5, 2, i, j);
        if r.is_multiple_of(7) {
            s.push(char::from_u32(rng::bits(5, 3, i, j) % 0x3000).unwrap_or('?'));
        } else {
            s.push_str(PIECES[(r as usize / 7) % PIECES.len()]);
        }
    }
    s
}

#[test]
fn fuzz_100k_links_parse_to_valid_experiments_that_round_trip() {
    let labs = labs();
    for i in 0..100_000u32 {
        let link = random_link(i);
        let (e, _) = Experiment::from_link(&link, &labs);
        let lab = labs.iter().find(|l| l.id == e.lab).unwrap();
        assert!(in_range(lab, &e), "input {link:?} gave {e:?}");
        let canonical = e.to_link(lab);
        let (back, problems) = Experiment::from_link(&canonical, &labs);
        assert!(
            problems.is_empty() && back == e,
            "input {link:?}: canonical {canonical:?} reads back as {back:?} with {problems:?}"
        );
    }
}

#[test]
fn every_preset_is_a_clean_link() {
    let labs = methodlab::labs::registry();
    for lab in &labs {
        for preset in &lab.presets {
            let link = lab.preset_link(preset);
            let (exp, problems) = methodlab::experiment::Experiment::from_link(&link, &labs);
            assert!(problems.is_empty(), "{}: {problems:?}", preset.id);
            assert_eq!(exp.lab, lab.id);
        }
    }
}

#[test]
fn classroom_options_live_in_the_link_and_change_no_run() {
    let labs = methodlab::labs::registry();
    let (exp, problems) = methodlab::experiment::Experiment::from_link(
        "#/basics?v=1&present=1&hide=lr,seed,colour,batch",
        &labs,
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].to_string().contains("colour"));
    assert_eq!(exp.hide, vec!["seed", "lr", "batch"]);
    assert!(exp.present);
    let lab = &labs[0];
    assert_eq!(
        exp.to_link(lab),
        "#/basics?v=1&hide=seed,lr,batch&present=1"
    );
    assert_eq!(
        exp.runnable(),
        methodlab::experiment::Experiment::defaults(lab)
    );
}

/// `methodlab link -`: one JSON verdict per input line, for good links, bad ones, raw bytes and a
/// line far over the length it reads whole; it never stops early and exits 0.
#[test]
fn the_cli_checks_links_from_standard_input_one_json_line_each() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut input = b"#/basics?v=1&noise=0.1\n#/basics?noise=9\n".to_vec();
    input.extend_from_slice(b"\xff\xfe#/mi?\x00\n");
    input.extend_from_slice(format!("#/basics?v=1&seed={}\n", "7".repeat(200_000)).as_bytes());
    input.extend_from_slice(b"#/continual?v=1&methods=naive,nope"); // no final newline
    let mut child = Command::new(env!("CARGO_BIN_EXE_methodlab"))
        .args(["link", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert_eq!(lines[0]["ok"], true);
    assert_eq!(lines[0]["canonical"], "#/basics?v=1&noise=0.1");
    assert_eq!(lines[1]["ok"], false);
    assert!(lines[1]["problems"][0].as_str().unwrap().contains("noise"));
    assert_eq!(lines[2]["ok"], false);
    assert_eq!(lines[3]["ok"], false);
    let long = lines[3]["problems"].to_string();
    assert!(long.contains("longer than"), "{long}");
    assert_eq!(lines[4]["ok"], false);
    assert!(lines[4]["problems"].to_string().contains("nope"));
}

/// Your own data: a small table rides in the link and reads back the same; a large one is named
/// by its file and id, and a link naming a table not given says so, as does a bad one.
#[test]
fn own_tables_ride_in_the_link_or_are_named_by_it() {
    use methodlab::data::table::{self, Table};
    use methodlab::experiment::OwnTable;
    let labs = labs();
    let basics = labs.iter().find(|l| l.id == "basics").unwrap();
    let rows: String = (0..40)
        .map(|i| {
            format!(
                "{},{},{}\n",
                i as f32 * 0.25,
                (i * 7 % 11) as f32 - 5.0,
                i % 2
            )
        })
        .collect();
    let small = Table::parse("my data.csv", format!("a,b,label\n{rows}").as_bytes()).unwrap();
    let mut e = Experiment::defaults(basics);
    assert_eq!(e.give_table(basics, &small), Ok(None));
    let link = e.to_link(basics);
    assert!(
        link.contains("data=own&csvname=my%20data.csv&csv="),
        "{link}"
    );
    let (back, problems) = Experiment::from_link(&link, &labs);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(back, e);
    assert_eq!(back.to_link(basics), link);

    // The label chosen by name: 'a' has 40 values, too many for Basics.
    let (_, problems) = Experiment::from_link(&format!("{link}&label=a"), &labs);
    assert!(
        problems[0]
            .message
            .contains("has 40 distinct values: at most 2 classes"),
        "{problems:?}"
    );
    let (_, problems) = Experiment::from_link(&format!("{link}&label=zz"), &labs);
    assert!(
        problems[0]
            .message
            .starts_with("my data.csv has no column zz (columns: a, b, label)"),
        "{problems:?}"
    );

    // Too large to carry: named by id, found again once given on this thread.
    let labels = labs.iter().find(|l| l.id == "labels").unwrap();
    let rows: String = (0..3000)
        .map(|i| {
            format!(
                "{},{},{}\n",
                rng::normal(1, 2, 0, i),
                rng::normal(1, 3, 0, i),
                i % 3
            )
        })
        .collect();
    let large = Table::parse("large.csv", format!("x,y,class\n{rows}").as_bytes()).unwrap();
    let mut e = Experiment::defaults(labels);
    e.give_table(labels, &large).unwrap();
    let link = e.to_link(labels);
    assert_eq!(
        link,
        format!(
            "#/labels?v=1&scenario=own&csvname=large.csv&csvid={}",
            large.id()
        )
    );
    let (back, problems) = Experiment::from_link(&link, &labs);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(back, e);
    // The engines' link carries it whole.
    let (whole, problems) = Experiment::from_link(&e.to_link_inline(labels), &labs);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(whole.table, e.table);

    // On another thread (another machine) it was never given: the link says what it needs.
    let needs = std::thread::spawn(move || Experiment::from_link(&link, &registry()))
        .join()
        .unwrap();
    assert_eq!(needs.1.len(), 1);
    assert!(needs.1[0].wants_table());
    assert!(
        needs.1[0]
            .message
            .starts_with("this link needs the file large.csv (id "),
        "{:?}",
        needs.1
    );
    assert!(matches!(needs.0.table, Some(OwnTable::Wanted { .. })));
    assert!(table::recall(large.id()).is_some());

    // Own data without a table, a table in a lab that takes none, a broken table.
    let p = messages("#/basics?v=1&data=own");
    assert!(
        p[0].message.starts_with("own data needs a table")
            && p[0].message.ends_with("using data=circle"),
        "{p:?}"
    );
    let p = messages("#/continual?v=1&csv=abc");
    assert!(p[0].message.contains("has no setting"), "{p:?}");
    let p = messages("#/basics?v=1&data=own&csv=AAAA");
    assert!(
        p[0].message
            .starts_with("the table in this link cannot be read"),
        "{p:?}"
    );
}
