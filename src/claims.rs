//! Claims as data: what a paper says, the link it is checked on, and a predicate over that
//! run's reports that gives a verdict. The same declarations feed the claim tests, the CLI's
//! `claims` and `check`, and the page's Claims panel, so a claim is written once.
//!
//! Comparisons are paired by seed (the runs of two methods with the same seed share data and
//! initial weights): a verdict counts the seeds that agree and gives a one-sided sign-test
//! p-value. Fewer usable seeds than the claim needs is never "supported"; a diverged run is a
//! failed seed, with its reason.

use crate::decl::{LabDecl, Paper};
use crate::experiment::Experiment;
use crate::history::RunReport;
use serde::Serialize;
use std::collections::BTreeMap;

/// One claim of a paper, checked on one experiment (or a few, for a comparison across
/// settings).
#[derive(Clone)]
pub struct Claim {
    pub id: &'static str,
    /// The claim in the paper's words (quoted where we have them; said so where inferred).
    pub text: &'static str,
    pub paper: Paper,
    /// The experiments it reads, as queries after `#/<lab>?v=1&`, seeds and methods included.
    /// The first is the claim's own link.
    pub queries: &'static [&'static str],
    /// The methods whose runs it reads.
    pub methods: &'static [&'static str],
    /// Seeds (runs) a verdict needs.
    pub seeds: usize,
    /// What our runs show, recorded by the claim tests: `Supported`, or `NotSupported` for a
    /// claim honestly not reproduced in this toy setting (its declaration says with what
    /// figures). The test fails when the verdict changes, so the record stays true.
    pub expect: Outcome,
    /// Too slow for every run of the test suite (minutes of CPU): `methodlab check` and
    /// `cargo test --test claims -- --ignored` check it; the page's panel as always.
    pub slow: bool,
    /// The predicate: the verdict on the reports of `queries`' runs (through `Claim::verdict`).
    pub check: fn(&Claim, &Evidence) -> Verdict,
}

/// The serialisable part of a claim (`methodlab claims`).
#[derive(Clone, Debug, Serialize)]
pub struct ClaimInfo {
    pub lab: String,
    pub id: String,
    pub text: String,
    pub paper: Paper,
    pub link: String,
    pub links: Vec<String>,
    pub methods: Vec<String>,
    pub seeds: usize,
    /// Minutes of CPU: checked with `--ignored`, not on every test run.
    pub slow: bool,
}

/// Seeds to check a claim on other than its declared ones: `first..first + count`, written
/// `1001-1005` (both ends included), or `1001` for one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Seeds {
    pub first: u32,
    pub count: u32,
}

impl Seeds {
    pub fn parse(text: &str) -> Result<Seeds, String> {
        let number = |t: &str| {
            t.trim()
                .parse::<u32>()
                .map_err(|_| format!("{t:?} is not a seed (an integer in [0, {}])", u32::MAX))
        };
        let (first, last) = match text.split_once('-') {
            Some((a, b)) => (number(a)?, number(b)?),
            None => (number(text)?, number(text)?),
        };
        if last < first {
            return Err(format!("seeds {text}: the range ends before it starts"));
        }
        let count = u64::from(last) - u64::from(first) + 1;
        if count > u64::from(crate::experiment::MAX_RUNS) {
            return Err(format!(
                "seeds {text}: {count} seeds; a check runs at most {}",
                crate::experiment::MAX_RUNS
            ));
        }
        Ok(Seeds {
            first,
            count: count as u32,
        })
    }
}

impl std::fmt::Display for Seeds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.count {
            1 => write!(f, "{}", self.first),
            n => write!(f, "{}-{}", self.first, self.first + (n - 1)),
        }
    }
}

impl Claim {
    /// The claim's `i`-th link.
    pub fn link(&self, lab: &str, i: usize) -> String {
        format!("#/{lab}?v=1&{}", self.queries[i])
    }
    /// The claim's `i`-th link on `seeds` in place of its own (the same link when `None`):
    /// its `seed` and `runs` replaced, everything else as declared.
    pub fn link_on(&self, lab: &str, i: usize, seeds: Option<Seeds>) -> String {
        let Some(seeds) = seeds else {
            return self.link(lab, i);
        };
        let kept: Vec<&str> = self.queries[i]
            .split('&')
            .filter(|kv| {
                let key = kv.split('=').next().unwrap_or("");
                key != "seed" && key != "runs"
            })
            .collect();
        format!(
            "#/{lab}?v=1&{}&seed={}&runs={}",
            kept.join("&"),
            seeds.first,
            seeds.count
        )
    }
    /// Whether a session of `exp` is this claim's own experiment: one link, the same settings
    /// and seed, and the claim's methods on with the same knobs (other methods and the number
    /// of runs may differ: too few runs is "not enough evidence").
    pub fn checked_on(&self, lab: &LabDecl, exp: &Experiment) -> bool {
        if self.queries.len() != 1 || exp.lab != lab.id {
            return false;
        }
        let (own, problems) =
            Experiment::from_link(&self.link(lab.id, 0), std::slice::from_ref(lab));
        let knobs = |e: &Experiment, m: &str| {
            e.methods
                .iter()
                .find(|c| c.id == m)
                .map(|c| c.knobs.clone())
        };
        problems.is_empty()
            && own.settings == exp.settings
            && own.seed == exp.seed
            && self
                .methods
                .iter()
                .all(|m| knobs(exp, m).is_some() && knobs(exp, m) == knobs(&own, m))
    }
    pub fn info(&self, lab: &str) -> ClaimInfo {
        ClaimInfo {
            lab: lab.into(),
            id: self.id.into(),
            text: self.text.into(),
            paper: self.paper.clone(),
            link: self.link(lab, 0),
            links: (0..self.queries.len()).map(|i| self.link(lab, i)).collect(),
            methods: self.methods.iter().map(|m| m.to_string()).collect(),
            seeds: self.seeds,
            slow: self.slow,
        }
    }
}

/// What a claim's predicate reads: each of its experiments' runs, by method, in seed order.
pub struct Evidence {
    /// Per query: method → its runs.
    pub runs: Vec<BTreeMap<String, Vec<RunReport>>>,
}

impl Evidence {
    /// Method `method`'s runs in experiment `query`.
    pub fn runs(&self, query: usize, method: &str) -> &[RunReport] {
        self.runs
            .get(query)
            .and_then(|m| m.get(method))
            .map_or(&[], |v| v.as_slice())
    }
    /// Each run's value of `read` (a final metric, a matrix summary), `None` for a run that
    /// diverged or lacks it.
    pub fn values(
        &self,
        query: usize,
        method: &str,
        read: impl Fn(&RunReport) -> Option<f32>,
    ) -> Vec<Seeded> {
        self.runs(query, method)
            .iter()
            .map(|r| Seeded {
                seed: r.seed,
                value: if r.status.is_ok() {
                    read(r).filter(|v| v.is_finite())
                } else {
                    None
                },
                status: r.status.to_string(),
            })
            .collect()
    }
    /// Each run's final value of `metric`.
    pub fn finals(&self, query: usize, method: &str, metric: &str) -> Vec<Seeded> {
        self.values(query, method, |r| r.final_values.get(metric).copied())
    }
}

/// One seed's value, or why there is none.
#[derive(Clone, Debug)]
pub struct Seeded {
    pub seed: u32,
    pub value: Option<f32>,
    pub status: String,
}

/// The mean of the usable values.
pub fn mean_of(values: &[Seeded]) -> f32 {
    let v: Vec<f32> = values.iter().filter_map(|s| s.value).collect();
    if v.is_empty() {
        f32::NAN
    } else {
        v.iter().sum::<f32>() / v.len() as f32
    }
}

/// "mean ± sd" of the usable values.
pub fn summary(values: &[Seeded]) -> String {
    let v: Vec<f32> = values.iter().filter_map(|s| s.value).collect();
    crate::views::mean_sd(&v)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Supported,
    NotSupported,
    NotEnoughEvidence,
    /// The session lacks a method the claim reads.
    NotApplicable,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Supported => "supported",
            Outcome::NotSupported => "not supported",
            Outcome::NotEnoughEvidence => "not enough evidence yet",
            Outcome::NotApplicable => "not applicable",
        }
    }
}

/// One seed's part in a verdict: the paired value the claim reads (a difference, a ratio) and
/// whether that seed agrees with the claim.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct SeedVerdict {
    pub seed: u32,
    pub value: Option<f32>,
    pub agrees: bool,
    /// "ok", or why the seed counts as failed (a diverged run).
    pub status: String,
    /// For a comparison of two methods' runs: whether this seed's run of the first, set
    /// against each usable run of the second (every seed's, not only its pair), shows what the
    /// claim's per-seed test reads. The verdict's probability of improvement counts them.
    #[serde(skip)]
    pub against: Vec<bool>,
}

#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct Verdict {
    pub id: String,
    pub verdict: Outcome,
    /// The effect in numbers: "forgetting: naive 0.99 ± 0.01, replay 0.04 ± 0.02".
    pub effect: String,
    pub per_seed: Vec<SeedVerdict>,
    /// How many seeds agree, of how many.
    pub agree: usize,
    pub of: usize,
    /// One-sided sign test: P(at least `agree` of `of` seeds agree by chance).
    pub p_value: Option<f64>,
    /// The 95 % percentile-bootstrap interval of the mean of the seeds' values (the paired
    /// effect, or the one method's value), from at least two usable seeds.
    pub interval: Option<[f64; 2]>,
    /// The probability of improvement (rliable's P(A > B) for few runs): of every pair of a
    /// run of the claim's first method and a run of its second, any seeds, the share that
    /// shows what the claim's per-seed test reads. Only for comparisons of two methods.
    pub improvement: Option<f64>,
    pub sentence: String,
}

impl Verdict {
    /// No verdict: the session cannot be read for this claim, and why.
    pub fn not_applicable(id: &str, sentence: String) -> Verdict {
        Verdict {
            id: id.into(),
            verdict: Outcome::NotApplicable,
            effect: String::new(),
            per_seed: Vec::new(),
            agree: 0,
            of: 0,
            p_value: None,
            interval: None,
            improvement: None,
            sentence,
        }
    }

    /// The statistics beside the sign test, in a few words: "95 % CI [0.12, 0.31] · P(A > B)
    /// 0.92". Empty when there are none.
    pub fn statistics(&self) -> String {
        let mut parts = Vec::new();
        if let Some([lo, hi]) = self.interval {
            parts.push(format!("95 % CI [{}, {}]", figure(lo), figure(hi)));
        }
        if let Some(p) = self.improvement {
            parts.push(format!("P(A > B) {p:.2}"));
        }
        parts.join(" · ")
    }
}

/// A figure as the cards print it: three significant digits, plain where that reads well.
fn figure(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else if (1e-3..1e4).contains(&x.abs()) {
        let digits = (2 - x.abs().log10().floor() as i32).max(0) as usize;
        format!("{x:.digits$}")
    } else {
        format!("{x:.2e}")
    }
}

/// Resamples a bootstrap interval draws: enough for the 2.5 % and 97.5 % points to move by
/// less than the figures shown.
pub const RESAMPLES: usize = 10_000;

/// The 95 % percentile-bootstrap interval of the mean of `values`: `RESAMPLES` resamples with
/// replacement, drawn by a fixed generator so the page and the CLI give the same interval.
/// `None` for fewer than two values.
pub fn bootstrap_interval(values: &[f64]) -> Option<[f64; 2]> {
    let n = values.len();
    if n < 2 {
        return None;
    }
    let mut state = 0x6d65_7468_6f64_6c61u64; // "methodla"
    let mut means: Vec<f64> = (0..RESAMPLES)
        .map(|_| {
            let sum: f64 = (0..n)
                .map(|_| {
                    state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
                    let draw = crate::engine::rng::mix64(state);
                    // Lemire's multiply-shift: `draw` onto 0..n without a modulo's bias
                    // worth speaking of (n ≤ a few hundred against 2^64).
                    values[((draw as u128 * n as u128) >> 64) as usize]
                })
                .sum();
            sum / n as f64
        })
        .collect();
    means.sort_by(f64::total_cmp);
    let at = |q: f64| means[((q * RESAMPLES as f64) as usize).min(RESAMPLES - 1)];
    Some([at(0.025), at(0.975)])
}

/// The share of `true`s among the seeds' comparisons against every run of the other method,
/// `None` when there are none.
pub fn probability_of_improvement(per_seed: &[SeedVerdict]) -> Option<f64> {
    let (wins, pairs) = per_seed.iter().fold((0usize, 0usize), |(w, p), s| {
        (
            w + s.against.iter().filter(|&&b| b).count(),
            p + s.against.len(),
        )
    });
    (pairs > 0).then(|| wins as f64 / pairs as f64)
}

/// A claim checked, as `methodlab check <claim>` prints it and the page exports it: which lab,
/// which seeds, where it trained and how long it took, then the verdict's fields.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct CheckRecord {
    pub lab: String,
    /// `CheckRecord::OWN_SEEDS`, or the seeds it ran on ("1001-1005").
    pub seeds: String,
    pub backend: String,
    pub seconds: f64,
    #[serde(flatten)]
    pub verdict: Verdict,
}

impl CheckRecord {
    /// The seeds of a check on the claim's own links.
    pub const OWN_SEEDS: &'static str = "declared";
}

/// How a predicate's test reads: the seeds paired, each agreeing or not, and whether the
/// claim's aggregate condition (a margin on the means) holds.
pub struct Finding {
    pub per_seed: Vec<SeedVerdict>,
    /// The aggregate condition over the usable seeds.
    pub holds: bool,
    pub effect: String,
    /// What the numbers say, as a person would.
    pub sentence: String,
}

impl Finding {
    /// Pairs two methods' (or settings') values by seed: `agrees(a, b)` per seed, `value` the
    /// paired number shown as that seed's dot.
    pub fn paired(
        a: &[Seeded],
        b: &[Seeded],
        value: impl Fn(f32, f32) -> f32,
        agrees: impl Fn(f32, f32) -> bool,
    ) -> Vec<SeedVerdict> {
        // Every usable run of the second method, whatever its seed.
        let others: Vec<f32> = b.iter().filter_map(|y| y.value).collect();
        a.iter()
            .zip(b)
            .map(|(x, y)| match (x.value, y.value) {
                (Some(p), Some(q)) => SeedVerdict {
                    seed: x.seed,
                    value: Some(value(p, q)),
                    agrees: agrees(p, q),
                    status: "ok".into(),
                    against: others.iter().map(|&o| agrees(p, o)).collect(),
                },
                _ => SeedVerdict {
                    seed: x.seed,
                    value: None,
                    agrees: false,
                    against: Vec::new(),
                    status: if x.status != "ok" {
                        x.status.clone()
                    } else if y.status != "ok" {
                        y.status.clone()
                    } else {
                        "no value".into()
                    },
                },
            })
            .collect()
    }
    /// One method's own values, each agreeing when `agrees(v)`.
    pub fn single(a: &[Seeded], agrees: impl Fn(f32) -> bool) -> Vec<SeedVerdict> {
        a.iter()
            .map(|x| SeedVerdict {
                seed: x.seed,
                value: x.value,
                agrees: x.value.is_some_and(&agrees),
                status: if x.value.is_some() {
                    "ok".into()
                } else {
                    x.status.clone()
                },
                against: Vec::new(),
            })
            .collect()
    }
}

/// P(X ≥ k) for X ~ Binomial(n, ½): the chance that `k` or more of `n` seeds agree when the
/// methods do not differ.
pub fn sign_test(k: usize, n: usize) -> f64 {
    let mut choose = 1.0f64;
    let mut tail = 0.0;
    for i in 0..=n {
        if i >= k {
            tail += choose;
        }
        choose = choose * (n - i) as f64 / (i + 1) as f64;
    }
    tail / 2f64.powi(n as i32)
}

impl Claim {
    /// The verdict of a finding: supported when the aggregate holds over at least `seeds`
    /// usable seeds and most seeds agree; a failed (diverged) seed is one that does not agree.
    /// A mean that crosses the claim's margin while most seeds fall short is not support: it is
    /// where float rounding on another device tips the verdict (labels' confirmation bias: a
    /// mean margin of +0.026 on the CPU, +0.036 on the GPU, 2 of 5 seeds either way).
    pub fn verdict(&self, finding: Finding) -> Verdict {
        let usable = finding
            .per_seed
            .iter()
            .filter(|s| s.value.is_some())
            .count();
        let agree = finding.per_seed.iter().filter(|s| s.agrees).count();
        let of = finding.per_seed.len();
        let failed: Vec<String> = finding
            .per_seed
            .iter()
            .filter(|s| s.value.is_none())
            .map(|s| format!("seed {}: {}", s.seed, s.status))
            .collect();
        let most_agree = 2 * agree > of;
        let verdict = if usable < self.seeds {
            Outcome::NotEnoughEvidence
        } else if finding.holds && failed.is_empty() && most_agree {
            Outcome::Supported
        } else {
            Outcome::NotSupported
        };
        let mut sentence = finding.sentence;
        if finding.holds && !most_agree && verdict == Outcome::NotSupported {
            sentence = format!(
                "{sentence} The mean crosses the claim's margin, but only {agree} of {of} seeds do."
            );
        }
        if verdict == Outcome::NotEnoughEvidence {
            sentence = format!(
                "{usable} usable seed(s) of the {} this claim needs. {sentence}",
                self.seeds
            );
        }
        if !failed.is_empty() {
            sentence = format!("{sentence} Failed: {}.", failed.join("; "));
        }
        let values: Vec<f64> = finding
            .per_seed
            .iter()
            .filter_map(|s| s.value.map(f64::from))
            .collect();
        Verdict {
            id: self.id.into(),
            verdict,
            effect: finding.effect,
            interval: bootstrap_interval(&values),
            improvement: probability_of_improvement(&finding.per_seed),
            per_seed: finding.per_seed,
            agree,
            of,
            p_value: (of > 0).then(|| sign_test(agree, of)),
            sentence,
        }
    }

    /// Checks the claim on `evidence`; `NotApplicable` when a method it reads has no runs.
    pub fn evaluate(&self, evidence: &Evidence) -> Verdict {
        let missing: Vec<&str> = self
            .methods
            .iter()
            .copied()
            .filter(|m| (0..self.queries.len()).all(|q| evidence.runs(q, m).is_empty()))
            .collect();
        if !missing.is_empty() {
            return Verdict::not_applicable(
                self.id,
                format!("needs {} in the experiment", missing.join(", ")),
            );
        }
        (self.check)(self, evidence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::RunStatus;

    fn run(method: &str, seed: u32, status: &str, value: f32) -> RunReport {
        RunReport {
            method: method.into(),
            seed,
            status: RunStatus::parse(status).unwrap(),
            final_values: [("loss".to_string(), value)].into_iter().collect(),
            history: BTreeMap::new(),
            matrices: BTreeMap::new(),
            lists: BTreeMap::new(),
        }
    }

    /// "a's loss is below b's", paired by seed, on 3 seeds.
    fn lower(claim: &Claim, ev: &Evidence) -> Verdict {
        let (a, b) = (ev.finals(0, "a", "loss"), ev.finals(0, "b", "loss"));
        claim.verdict(Finding {
            per_seed: Finding::paired(&a, &b, |x, y| x - y, |x, y| x < y),
            holds: mean_of(&a) < mean_of(&b),
            effect: String::new(),
            sentence: String::new(),
        })
    }

    fn claim() -> Claim {
        Claim {
            id: "lower",
            text: "",
            paper: Paper { title: "", url: "" },
            queries: &["runs=3&methods=a,b"],
            methods: &["a", "b"],
            seeds: 3,
            expect: Outcome::Supported,
            slow: false,
            check: lower,
        }
    }

    fn evidence(a: Vec<RunReport>, b: Vec<RunReport>) -> Evidence {
        Evidence {
            runs: vec![[("a".to_string(), a), ("b".to_string(), b)]
                .into_iter()
                .collect()],
        }
    }

    #[test]
    fn a_diverged_run_is_a_failed_seed_with_its_reason() {
        let ok = |m, s, v| run(m, s, "ok", v);
        let all_ok = evidence(
            vec![ok("a", 1, 0.1), ok("a", 2, 0.2), ok("a", 3, 0.1)],
            vec![ok("b", 1, 0.5), ok("b", 2, 0.6), ok("b", 3, 0.5)],
        );
        let v = claim().evaluate(&all_ok);
        assert_eq!((v.verdict, v.agree, v.of), (Outcome::Supported, 3, 3));
        // Seed 2 of a diverged: 2 usable seeds of the 3 the claim needs.
        let diverged = evidence(
            vec![
                ok("a", 1, 0.1),
                run("a", 2, "diverged at step 40", 0.2),
                ok("a", 3, 0.1),
            ],
            vec![ok("b", 1, 0.5), ok("b", 2, 0.6), ok("b", 3, 0.5)],
        );
        let v = claim().evaluate(&diverged);
        assert_eq!(v.verdict, Outcome::NotEnoughEvidence);
        assert_eq!(v.agree, 2);
        assert!(!v.per_seed[1].agrees);
        assert_eq!(v.per_seed[1].status, "diverged at step 40");
        assert!(
            v.sentence.contains("seed 2: diverged at step 40"),
            "{}",
            v.sentence
        );
        // A claim needing a method the session lacks is not applicable, not failed.
        let v = claim().evaluate(&Evidence {
            runs: vec![[("a".to_string(), vec![ok("a", 1, 0.1)])]
                .into_iter()
                .collect()],
        });
        assert_eq!(v.verdict, Outcome::NotApplicable);
    }

    #[test]
    fn a_mean_that_holds_while_most_seeds_fall_short_is_not_support() {
        let ok = |m, s, v| run(m, s, "ok", v);
        // a's mean is lower only through seed 1: seeds 2 and 3 go the other way.
        let one_seed = evidence(
            vec![ok("a", 1, 0.0), ok("a", 2, 0.6), ok("a", 3, 0.6)],
            vec![ok("b", 1, 0.9), ok("b", 2, 0.5), ok("b", 3, 0.5)],
        );
        let v = claim().evaluate(&one_seed);
        assert_eq!((v.verdict, v.agree, v.of), (Outcome::NotSupported, 1, 3));
        assert!(v.sentence.contains("only 1 of 3 seeds"), "{}", v.sentence);
    }

    #[test]
    fn the_bootstrap_interval_is_the_resampled_means_percentiles() {
        // Equal values: no spread.
        assert_eq!(bootstrap_interval(&[0.3; 5]), Some([0.3, 0.3]));
        // One value gives no interval.
        assert_eq!(bootstrap_interval(&[0.3]), None);
        // Two values: means 0, ½, 1 with chances ¼, ½, ¼, so the 2.5 % and 97.5 % points are
        // the ends.
        assert_eq!(bootstrap_interval(&[0.0, 1.0]), Some([0.0, 1.0]));
        // 1…5: the resampled mean is ≤ 1.6 with chance 56/3125 = 1.8 % and ≤ 1.8 with
        // 126/3125 = 4.0 %, so the 2.5 % point is 1.8; by symmetry the 97.5 % point is 4.2.
        let [lo, hi] = bootstrap_interval(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert!(
            (lo - 1.8).abs() < 1e-9 && (hi - 4.2).abs() < 1e-9,
            "{lo} {hi}"
        );
        // The same on every call (the page and the CLI agree).
        let v = [0.12, -0.03, 0.4, 0.22, 0.05];
        assert_eq!(bootstrap_interval(&v), bootstrap_interval(&v));
    }

    #[test]
    fn the_probability_of_improvement_counts_every_pair_of_runs() {
        let ok = |m, s, v| run(m, s, "ok", v);
        // Lower is better. a = 0.1 beats all three of b; 0.2 beats 0.5 and 0.7; 0.6 beats 0.7:
        // 6 of 9 pairs.
        let ev = evidence(
            vec![ok("a", 1, 0.1), ok("a", 2, 0.2), ok("a", 3, 0.6)],
            vec![ok("b", 1, 0.5), ok("b", 2, 0.15), ok("b", 3, 0.7)],
        );
        let v = claim().evaluate(&ev);
        assert!((v.improvement.unwrap() - 6.0 / 9.0).abs() < 1e-12);
        // The paired differences −0.4, 0.05, −0.1: their interval lies within their range.
        let [lo, hi] = v.interval.unwrap();
        assert!((-0.4 - 1e-6..=0.05 + 1e-6).contains(&lo) && lo <= hi && hi <= 0.05 + 1e-6);
        assert!(
            v.statistics().starts_with("95 % CI ["),
            "{}",
            v.statistics()
        );
        assert!(
            v.statistics().ends_with("P(A > B) 0.67"),
            "{}",
            v.statistics()
        );
        // A diverged run of b is left out of every pair.
        let ev = evidence(
            vec![ok("a", 1, 0.1), ok("a", 2, 0.2), ok("a", 3, 0.6)],
            vec![
                ok("b", 1, 0.5),
                run("b", 2, "diverged at step 3", 0.15),
                ok("b", 3, 0.7),
            ],
        );
        let v = claim().evaluate(&ev);
        // a1 and a3 (a2's pair diverged) against b1 and b3: 2 + 1 of 4.
        assert!((v.improvement.unwrap() - 0.75).abs() < 1e-12);
    }

    #[test]
    fn a_claim_runs_on_other_seeds_with_nothing_else_changed() {
        assert_eq!(
            Seeds::parse("1001-1005"),
            Ok(Seeds {
                first: 1001,
                count: 5
            })
        );
        assert_eq!(Seeds::parse("7").map(|s| s.count), Ok(1));
        assert_eq!(Seeds::parse("1001-1005").unwrap().to_string(), "1001-1005");
        assert!(Seeds::parse("5-1").unwrap_err().contains("ends before"));
        assert!(Seeds::parse("1-1000").unwrap_err().contains("at most"));
        assert!(Seeds::parse("x-3").unwrap_err().contains("not a seed"));
        let c = Claim {
            queries: &["seed=3&runs=3&methods=a,b&rate=0.1"],
            ..claim()
        };
        let seeds = Seeds::parse("1001-1005").ok();
        assert_eq!(
            c.link_on("lab", 0, seeds),
            "#/lab?v=1&methods=a,b&rate=0.1&seed=1001&runs=5"
        );
        assert_eq!(c.link_on("lab", 0, None), c.link("lab", 0));
    }

    #[test]
    fn the_sign_test_is_the_binomial_tail() {
        assert!((sign_test(5, 5) - 1.0 / 32.0).abs() < 1e-12);
        assert!((sign_test(4, 5) - 6.0 / 32.0).abs() < 1e-12);
        assert!((sign_test(0, 5) - 1.0).abs() < 1e-12);
        assert!((sign_test(3, 3) - 0.125).abs() < 1e-12);
    }
}
