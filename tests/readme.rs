//! The README's commands work as shown: every `cargo run --release -- <command> …` line names a
//! command the CLI knows (`<command> --help`), every share link in it parses (the one shown as
//! bad is refused), every claim id exists, and the quick commands run: `labs` and `claims`,
//! `run` and `sweep` for one step on the CPU, `bench` for a hundredth of a second on the CPU.

use std::process::Command;

fn cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_methodlab"))
        .args(args)
        .output()
        .expect("the CLI runs")
}

/// The README's command lines, split as a shell would (single quotes only), with the comment
/// that follows each.
fn readme_commands() -> Vec<(Vec<String>, String)> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    readme
        .lines()
        .filter_map(|l| l.trim().strip_prefix("cargo run --release -- "))
        .map(|rest| {
            let (command, comment) = rest.split_once(" #").unwrap_or((rest, ""));
            let mut args = Vec::new();
            let mut quoted = false;
            let mut word = String::new();
            for c in command.chars() {
                match c {
                    '\'' => quoted = !quoted,
                    ' ' if !quoted => {
                        if !word.is_empty() {
                            args.push(std::mem::take(&mut word));
                        }
                    }
                    c => word.push(c),
                }
            }
            if !word.is_empty() {
                args.push(word);
            }
            (args, comment.to_string())
        })
        .collect()
}

#[test]
fn every_command_the_readme_shows_works_as_shown() {
    let commands = readme_commands();
    assert!(
        commands.len() >= 5,
        "the README shows {} commands",
        commands.len()
    );
    let claims: Vec<serde_json::Value> =
        serde_json::from_slice(&cli(&["claims"]).stdout).expect("claims is JSON");
    for (args, comment) in &commands {
        let line = args.join(" ");
        let sub = args[0].as_str();
        let help = cli(&[sub, "--help"]);
        assert!(help.status.success(), "{line}: `{sub} --help` failed");
        let usage = String::from_utf8_lossy(&help.stdout);
        assert!(
            usage.contains(&format!("methodlab {sub}")),
            "{line}: the usage has no {sub}"
        );
        for link in args.iter().filter(|a| a.starts_with("#/")) {
            // A sweep's link has lists and ranges: the sweep's parser reads it.
            if sub == "sweep" {
                let labs = methodlab::labs::registry();
                if let Err(problems) = methodlab::sweep::Sweep::parse(link, &labs) {
                    panic!("{line}: {problems:?}");
                }
                continue;
            }
            let out = cli(&["link", link]);
            // The README shows one bad link on purpose, with the message the CLI gives.
            if comment.contains("expected") {
                assert_eq!(
                    out.status.code(),
                    Some(2),
                    "{line}: a bad link was accepted"
                );
                let said = String::from_utf8_lossy(&out.stderr);
                let shown = comment.trim().split(';').next().unwrap();
                assert!(
                    said.contains(shown),
                    "{line}: the CLI says {said}, the README {shown}"
                );
            } else {
                assert!(
                    out.status.success(),
                    "{line}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
        let mut quick: Vec<&str> = args.iter().map(String::as_str).collect();
        match sub {
            "check" if !args[1].contains('#') => {
                let (lab, id) = args[1].split_once('/').unwrap_or(("", &args[1]));
                let known = claims
                    .iter()
                    .any(|c| c["id"] == id && (lab.is_empty() || c["lab"] == lab));
                assert!(known, "{line}: no claim {}", args[1]);
                continue;
            }
            "run" => quick.extend(["--steps", "1", "--backend", "cpu"]),
            "sweep" => {
                quick.truncate(2);
                quick.extend(["--steps", "1", "--threads", "2"]);
            }
            "bench" => quick.extend(["--seconds", "0.01", "--backend", "cpu"]),
            "labs" | "claims" | "papers" => {}
            _ => continue,
        }
        let out = cli(&quick);
        assert!(
            out.status.success(),
            "{line}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
