//! Shared by the claim tests: run one lab's methods headless on the CPU backend, each method on
//! its own thread (the machine's cores share the work).

use methodlab::experiment::Experiment;
use methodlab::history::RunReport;
use std::collections::BTreeMap;

/// Every run of each of `methods` on `#/<lab>?v=1&<query>&methods=<m>`, by method.
pub fn run_methods(lab: &str, query: &str, methods: &[&str]) -> BTreeMap<String, Vec<RunReport>> {
    let labs = methodlab::labs::registry();
    let lab = labs.iter().find(|l| l.id == lab).unwrap().clone();
    let threads: Vec<_> = methods
        .iter()
        .map(|m| {
            let lab = lab.clone();
            let link = format!("#/{}?v=1&{query}&methods={m}", lab.id);
            std::thread::spawn(move || {
                let (exp, problems) = Experiment::from_link(&link, std::slice::from_ref(&lab));
                assert!(problems.is_empty(), "{problems:?}");
                pollster::block_on(methodlab::runner::run_headless(&exp, &lab, None, None))
                    .unwrap()
                    .runs
            })
        })
        .collect();
    methods
        .iter()
        .zip(threads)
        .map(|(m, t)| (m.to_string(), t.join().unwrap()))
        .collect()
}
