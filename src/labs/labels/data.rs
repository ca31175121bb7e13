//! The imperfect-labels lab's data: two moons (2-D, for pictures) or the bundled digits, a fixed
//! train/test split, and per run the *given* training labels: the true ones corrupted by a noise
//! model. Every point keeps its true label beside its given one.

use crate::data::digits;
use crate::data::table::Table;
use crate::decl::Choice;
use crate::engine::rng;

/// A labelled set: `x` row-major [n, dims], true labels `y`.
#[derive(Clone, Debug)]
pub struct Set {
    pub x: Vec<f32>,
    pub y: Vec<usize>,
    pub dims: usize,
    pub classes: usize,
}

impl Set {
    pub fn n(&self) -> usize {
        self.y.len()
    }
    pub fn row(&self, i: usize) -> &[f32] {
        &self.x[i * self.dims..(i + 1) * self.dims]
    }
}

/// How given labels are corrupted.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Noise {
    None,
    /// With probability `rate`, a uniformly drawn other class.
    Symmetric,
    /// With probability `rate`, class y becomes y + 1 (mod C): a systematic confusion.
    PairFlip,
    /// Flip probability rising near the true boundary: proportional to the share of a point's
    /// 10 nearest neighbours with another label (mean `rate`, at most 0.95), to the commonest
    /// other label among them.
    Instance,
}

impl Choice for Noise {
    const OPTIONS: &'static [(&'static str, Self)] = &[
        ("none", Noise::None),
        ("symmetric", Noise::Symmetric),
        ("pairflip", Noise::PairFlip),
        ("instance", Noise::Instance),
    ];
}

/// The lab's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// The bundled 8×8 digits: 10 classes, a fixed 75/25 split.
    Digits,
    /// Two moons in 2-D.
    Moons,
    /// Your own table (`crate::data::table`): every column but the label a feature, standardised;
    /// a fixed 75/25 split.
    Own,
}

impl Choice for Scenario {
    const OPTIONS: &'static [(&'static str, Self)] = &[
        ("digits", Scenario::Digits),
        ("moons", Scenario::Moons),
        ("own", Scenario::Own),
    ];
}

/// Two interleaving half circles (scikit-learn's `make_moons`), with Gaussian jitter `sd`, the
/// classes alternating: `n` points from `seed`.
pub fn moons(n: usize, sd: f32, seed: u32) -> Set {
    let mut x = Vec::with_capacity(2 * n);
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let class = i % 2;
        let t = std::f32::consts::PI * rng::uniform(seed, 71, i as u32, 0);
        let (cx, cy) = if class == 0 {
            (crate::engine::math::cos(t), crate::engine::math::sin(t))
        } else {
            (
                1.0 - crate::engine::math::cos(t),
                0.5 - crate::engine::math::sin(t),
            )
        };
        let jitter = |k: u32| sd * rng::normal(seed, 72, i as u32, k);
        // Centred on the origin, about unit scale.
        x.push(cx + jitter(0) - 0.5);
        x.push(cy + jitter(1) - 0.25);
        y.push(class);
    }
    Set {
        x,
        y,
        dims: 2,
        classes: 2,
    }
}

/// The scenario's training and test sets, the same for every seed: moons (300 train, 1,000
/// test, jitter 0.15) or the digits (a stratified 75/25 split).
pub fn sets(scenario: Scenario, table: Option<&Table>) -> Result<(Set, Set), String> {
    match (scenario, table) {
        (Scenario::Moons, _) => return Ok((moons(300, 0.15, 11), moons(1000, 0.15, 12))),
        (Scenario::Own, Some(t)) => return Ok(own_sets(t)),
        (Scenario::Own, None) => {
            return Err("scenario=own: this link names a table that was not given here (drop the file on the page, or give it with --data)".into())
        }
        (Scenario::Digits, _) => {}
    }
    let (train, test) = digits::split(7, 0.25)?;
    let to_set = |d: &digits::Digits| Set {
        x: d.x.clone(),
        y: d.y.iter().map(|&c| c as usize).collect(),
        dims: digits::PIXELS,
        classes: digits::CLASSES,
    };
    Ok((to_set(&train), to_set(&test)))
}

/// Your own table as training and test sets: every feature column standardised (mean 0, unit
/// standard deviation over all rows; a constant column becomes 0), classes the label's distinct
/// values in ascending order, and a fixed split: each class's rows in a seeded order, a quarter
/// of them (at least one, when it has two) for the test set.
pub fn own_sets(table: &Table) -> (Set, Set) {
    let features = table.features();
    let n = table.rows as f32;
    let stats: Vec<(f32, f32)> = features
        .iter()
        .map(|&k| {
            let mean = (0..table.rows).map(|i| table.row(i)[k]).sum::<f32>() / n;
            let var = (0..table.rows)
                .map(|i| (table.row(i)[k] - mean).powi(2))
                .sum::<f32>()
                / n;
            (mean, var.sqrt())
        })
        .collect();
    let y = table.class_of_rows();
    let classes = table.classes().len();
    let mut train = Set {
        x: Vec::new(),
        y: Vec::new(),
        dims: features.len(),
        classes,
    };
    let mut test = train.clone();
    for c in 0..classes {
        let mut rows: Vec<usize> = (0..table.rows).filter(|&i| y[i] == c).collect();
        for i in (1..rows.len()).rev() {
            let j = ((rng::bits(7, 83, c as u32, i as u32) as u64 * (i as u64 + 1)) >> 32) as usize;
            rows.swap(i, j);
        }
        let held = if rows.len() >= 2 {
            (rows.len() / 4).max(1)
        } else {
            0
        };
        for (k, &i) in rows.iter().enumerate() {
            let set = if k < held { &mut test } else { &mut train };
            for (&f, &(mean, sd)) in features.iter().zip(&stats) {
                set.x.push(if sd > 0.0 {
                    (table.row(i)[f] - mean) / sd
                } else {
                    0.0
                });
            }
            set.y.push(c);
        }
    }
    (train, test)
}

/// The given labels of one run (seed `seed`): the true labels of `set` under `noise` at `rate`.
pub fn corrupt(set: &Set, noise: Noise, rate: f32, seed: u32) -> Vec<usize> {
    let c = set.classes;
    let u = |i: usize, k: u32| rng::uniform(seed, 81, i as u32, k);
    match noise {
        Noise::None => set.y.clone(),
        Noise::Symmetric => set
            .y
            .iter()
            .enumerate()
            .map(|(i, &y)| {
                if u(i, 0) < rate {
                    let other = ((u(i, 1) * (c - 1) as f32) as usize).min(c - 2);
                    if other >= y {
                        other + 1
                    } else {
                        other
                    }
                } else {
                    y
                }
            })
            .collect(),
        Noise::PairFlip => set
            .y
            .iter()
            .enumerate()
            .map(|(i, &y)| if u(i, 0) < rate { (y + 1) % c } else { y })
            .collect(),
        Noise::Instance => {
            let (ambiguity, nearest_other) = neighbourhood(set, 10);
            // p = min(0.95, b + s·ambiguity): the ambiguity's part would be half the rate
            // uncapped; the even part b (so every point can flip) is found by bisection so the
            // mean is `rate` despite the cap.
            let mean_a = ambiguity.iter().sum::<f32>() / ambiguity.len().max(1) as f32;
            let s = 0.5 * rate / mean_a.max(1e-6);
            let p_of = |b: f32, a: f32| (b + s * a).min(0.95);
            let mean_at = |b: f32| {
                ambiguity.iter().map(|&a| p_of(b, a)).sum::<f32>() / ambiguity.len().max(1) as f32
            };
            let (mut lo, mut hi) = (0.0f32, 0.95f32);
            for _ in 0..40 {
                let mid = 0.5 * (lo + hi);
                if mean_at(mid) < rate {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            set.y
                .iter()
                .enumerate()
                .map(|(i, &y)| {
                    if u(i, 0) < p_of(hi, ambiguity[i]) {
                        nearest_other[i]
                    } else {
                        y
                    }
                })
                .collect()
        }
    }
}

/// A seed's labelled subset, `per_class` points of each class (by true class, as a labelling
/// budget would be spent), and the unlabelled rest: (labelled, unlabelled) indices.
pub fn split(set: &Set, per_class: usize, seed: u32) -> (Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..set.n()).collect();
    // A seeded Fisher–Yates shuffle.
    for i in (1..order.len()).rev() {
        let j = ((rng::uniform(seed, 91, i as u32, 0) * (i + 1) as f32) as usize).min(i);
        order.swap(i, j);
    }
    let mut taken = vec![0usize; set.classes];
    let (mut labelled, mut unlabelled) = (Vec::new(), Vec::new());
    for i in order {
        let c = set.y[i];
        if taken[c] < per_class {
            taken[c] += 1;
            labelled.push(i);
        } else {
            unlabelled.push(i);
        }
    }
    labelled.sort_unstable();
    unlabelled.sort_unstable();
    (labelled, unlabelled)
}

/// Per point: the share of its `k` nearest neighbours (Euclidean) whose true label differs, and
/// the commonest such label (or the next class when none differs).
fn neighbourhood(set: &Set, k: usize) -> (Vec<f32>, Vec<usize>) {
    let n = set.n();
    let mut ambiguity = Vec::with_capacity(n);
    let mut other = Vec::with_capacity(n);
    for i in 0..n {
        let mut d: Vec<(f32, usize)> = (0..n)
            .filter(|&j| j != i)
            .map(|j| {
                let dist = set
                    .row(i)
                    .iter()
                    .zip(set.row(j))
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f32>();
                (dist, j)
            })
            .collect();
        let k = k.min(d.len());
        d.select_nth_unstable_by(k.saturating_sub(1), |a, b| a.0.total_cmp(&b.0));
        let mut counts = vec![0usize; set.classes];
        for &(_, j) in &d[..k] {
            counts[set.y[j]] += 1;
        }
        let y = set.y[i];
        let differing = k - counts[y];
        ambiguity.push(differing as f32 / k.max(1) as f32);
        counts[y] = 0;
        let best = (0..set.classes).max_by_key(|&c| counts[c]).unwrap_or(0);
        other.push(if counts[best] == 0 {
            (y + 1) % set.classes
        } else {
            best
        });
    }
    (ambiguity, other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_noise_model_flips_about_its_rate_and_only_to_other_classes() {
        let (train, _) = sets(Scenario::Digits, None).unwrap();
        for noise in [Noise::Symmetric, Noise::PairFlip, Noise::Instance] {
            let given = corrupt(&train, noise, 0.4, 3);
            let flipped = given.iter().zip(&train.y).filter(|(g, y)| g != y).count();
            let share = flipped as f32 / train.n() as f32;
            assert!((share - 0.4).abs() < 0.05, "{noise:?}: {share}");
            assert!(given.iter().all(|&g| g < 10));
            assert_eq!(given, corrupt(&train, noise, 0.4, 3));
            assert_ne!(given, corrupt(&train, noise, 0.4, 4));
        }
        assert_eq!(corrupt(&train, Noise::None, 0.4, 3), train.y);
        let pair = corrupt(&train, Noise::PairFlip, 0.4, 3);
        assert!(pair
            .iter()
            .zip(&train.y)
            .all(|(&g, &y)| g == y || g == (y + 1) % 10));
    }

    #[test]
    fn instance_noise_flips_ambiguous_points_more() {
        let (train, _) = sets(Scenario::Moons, None).unwrap();
        let (ambiguity, _) = neighbourhood(&train, 10);
        let given = corrupt(&train, Noise::Instance, 0.3, 5);
        let rate_where = |pick: &dyn Fn(f32) -> bool| {
            let idx: Vec<usize> = (0..train.n()).filter(|&i| pick(ambiguity[i])).collect();
            idx.iter().filter(|&&i| given[i] != train.y[i]).count() as f32 / idx.len().max(1) as f32
        };
        assert!(
            rate_where(&|a| a > 0.0) > rate_where(&|a| a == 0.0),
            "near the boundary flips more"
        );
    }
}
