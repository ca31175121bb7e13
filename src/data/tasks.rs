//! Task streams: which examples each task trains and tests on, and which outputs it may use.

use crate::data::{self, digits};
use crate::engine::rng;

/// How tasks share the output layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    /// A head per task (the task's own two outputs), the task known at test time.
    TaskIncremental,
    /// One head over every class seen so far, the task unknown at test time.
    ClassIncremental,
    /// The same classes in every task, the inputs change (permuted, rotated).
    DomainIncremental,
}

/// One task's examples: `x` row-major [n, dims], `y` class indices.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Part {
    pub x: Vec<f32>,
    pub y: Vec<f32>,
    pub n: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Task {
    pub train: Part,
    pub test: Part,
    /// The outputs this task's head uses (its classes, or all for domain-incremental).
    pub classes: Vec<usize>,
}

/// A whole stream: the tasks in order, their input size and the number of outputs.
#[derive(Clone, Debug, PartialEq)]
pub struct Stream {
    pub setting: Setting,
    pub dims: usize,
    pub outputs: usize,
    pub tasks: Vec<Task>,
    /// The 2-D scenario's inputs lie in [-extent, extent]² (its boundaries can be drawn).
    pub extent: Option<f32>,
}

impl Stream {
    /// The outputs a model may use while training task `t` (and, class-incrementally, at test).
    pub fn train_classes(&self, t: usize) -> Vec<usize> {
        match self.setting {
            Setting::TaskIncremental | Setting::DomainIncremental => self.tasks[t].classes.clone(),
            Setting::ClassIncremental => {
                let mut seen: Vec<usize> = self.tasks[..=t]
                    .iter()
                    .flat_map(|k| k.classes.iter().copied())
                    .collect();
                seen.sort_unstable();
                seen.dedup();
                seen
            }
        }
    }
    /// Where each task's training examples start in the concatenated training set.
    pub fn offsets(&self) -> Vec<usize> {
        self.tasks
            .iter()
            .scan(0, |at, t| {
                let start = *at;
                *at += t.train.n;
                Some(start)
            })
            .collect()
    }
    pub fn train_total(&self) -> usize {
        self.tasks.iter().map(|t| t.train.n).sum()
    }
}

/// A domain-incremental stream of digit tasks: every task uses all ten outputs.
fn digit_domains(tasks: Vec<Task>) -> Stream {
    Stream {
        setting: Setting::DomainIncremental,
        dims: digits::PIXELS,
        outputs: digits::CLASSES,
        tasks,
        extent: None,
    }
}

fn part(d: &digits::Digits) -> Part {
    Part {
        x: d.x.clone(),
        y: d.y.iter().map(|&c| c as f32).collect(),
        n: d.n,
    }
}

/// Images memorised in each random-labels task: few enough that a fresh network fits them in a
/// few hundred steps, enough that it takes all of them.
pub const RANDOM_LABEL_IMAGES: usize = 256;
/// RNG stream of the random labels.
const STREAM_RANDOM_LABELS: u32 = 0x5241_4e44;

/// Test share of the digits split (stratified, fixed per seed).
const TEST_SHARE: f32 = 0.2;

/// A stream of tasks: the continual lab's scenarios.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// Split-Digits, one head: classes arrive two at a time.
    SplitClass,
    /// Split-Digits, a head per task.
    SplitTask,
    /// The ten digits with each task's own pixel permutation.
    Permuted,
    /// The ten digits turned further each task.
    Rotated,
    /// The same 256 digits with new random labels each task.
    RandomLabels,
    /// Two moons turned further each task.
    Moons,
}

impl crate::decl::Choice for Scenario {
    const OPTIONS: &'static [(&'static str, Self)] = &[
        ("split-class", Scenario::SplitClass),
        ("split-task", Scenario::SplitTask),
        ("permuted", Scenario::Permuted),
        ("rotated", Scenario::Rotated),
        ("random-labels", Scenario::RandomLabels),
        ("moons", Scenario::Moons),
    ];
}

/// Builds `scenario` with `tasks` tasks from the seed: the split, permutations and data are
/// fixed functions of it. Errors name the setting that makes the stream impossible.
pub fn build(scenario: Scenario, tasks: usize, rotation: f32, seed: u32) -> Result<Stream, String> {
    if tasks == 0 {
        return Err("tasks = 0: a stream needs at least one task".into());
    }
    let digits_split = || digits::split(seed, TEST_SHARE);
    match scenario {
        Scenario::SplitTask | Scenario::SplitClass => {
            let pairs = digits::split_tasks(tasks).map_err(|_| {
                format!(
                    "tasks = {tasks}: Split-Digits has {} classes, so at most {} tasks of two",
                    digits::CLASSES,
                    digits::CLASSES / 2
                )
            })?;
            let (train, test) = digits_split()?;
            Ok(Stream {
                setting: if scenario == Scenario::SplitTask {
                    Setting::TaskIncremental
                } else {
                    Setting::ClassIncremental
                },
                dims: digits::PIXELS,
                outputs: digits::CLASSES,
                tasks: pairs
                    .iter()
                    .map(|pair| Task {
                        train: part(&digits::classes(&train, pair)),
                        test: part(&digits::classes(&test, pair)),
                        classes: pair.iter().map(|&c| c as usize).collect(),
                    })
                    .collect(),
                extent: None,
            })
        }
        Scenario::Permuted | Scenario::Rotated => {
            let (train, test) = digits_split()?;
            let all: Vec<usize> = (0..digits::CLASSES).collect();
            let tasks = (0..tasks)
                .map(|t| {
                    let (tr, te) = if scenario == Scenario::Permuted {
                        let perm = digits::permutation(seed, t);
                        (
                            digits::permute(&train, &perm)?,
                            digits::permute(&test, &perm)?,
                        )
                    } else {
                        let angle = rotation * t as f32;
                        (digits::rotate(&train, angle), digits::rotate(&test, angle))
                    };
                    Ok(Task {
                        train: part(&tr),
                        test: part(&te),
                        classes: all.clone(),
                    })
                })
                .collect::<Result<Vec<_>, String>>()?;
            Ok(digit_domains(tasks))
        }
        Scenario::RandomLabels => {
            // Memorisation tasks (Lyle et al. 2023; Kumar et al. 2024): the same images, new
            // random labels each task, scored on the images trained on. Nothing carries over
            // between tasks, so R[j][j] measures only how well the network can still learn.
            let (train, _) = digits_split()?;
            let n = RANDOM_LABEL_IMAGES.min(train.n);
            let x = train.x[..n * digits::PIXELS].to_vec();
            let all: Vec<usize> = (0..digits::CLASSES).collect();
            let tasks = (0..tasks)
                .map(|t| {
                    let y = (0..n)
                        .map(|i| {
                            let b = rng::bits(seed, STREAM_RANDOM_LABELS, t as u32, i as u32);
                            (b % digits::CLASSES as u32) as f32
                        })
                        .collect();
                    let part = Part { x: x.clone(), y, n };
                    Task {
                        train: part.clone(),
                        test: part,
                        classes: all.clone(),
                    }
                })
                .collect();
            Ok(digit_domains(tasks))
        }
        Scenario::Moons => {
            // Two moons, turned `rotation` degrees further each task about the origin.
            let tasks = (0..tasks)
                .map(|t| {
                    let (sin, cos) = (rotation * t as f32).to_radians().sin_cos();
                    let points = |n: usize, stream: u32| {
                        let p = data::playground(
                            data::Playground::Moons,
                            n,
                            0.15,
                            seed.wrapping_add(stream),
                        );
                        Part {
                            x: p.x
                                .chunks(2)
                                .flat_map(|v| [cos * v[0] - sin * v[1], sin * v[0] + cos * v[1]])
                                .collect(),
                            y: p.y,
                            n,
                        }
                    };
                    Task {
                        train: points(300, 1000 + 2 * t as u32),
                        test: points(200, 1001 + 2 * t as u32),
                        classes: vec![0, 1],
                    }
                })
                .collect();
            Ok(Stream {
                setting: Setting::DomainIncremental,
                dims: 2,
                outputs: 2,
                tasks,
                extent: Some(3.5),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_have_their_tasks_and_heads() {
        let s = build(Scenario::SplitClass, 5, 0.0, 3).unwrap();
        assert_eq!(s.tasks.len(), 5);
        assert_eq!(s.train_classes(2), vec![0, 1, 2, 3, 4, 5]);
        assert!(s.tasks[4].train.y.iter().all(|&y| y == 8.0 || y == 9.0));
        let t = build(Scenario::SplitTask, 5, 0.0, 3).unwrap();
        assert_eq!(t.train_classes(2), vec![4, 5]);
        let p = build(Scenario::Permuted, 3, 0.0, 3).unwrap();
        assert_eq!(p.tasks[0].train.n, p.tasks[2].train.n);
        assert_ne!(p.tasks[0].train.x, p.tasks[1].train.x);
        assert_eq!(
            p.offsets(),
            vec![0, p.tasks[0].train.n, 2 * p.tasks[0].train.n]
        );
        let m = build(Scenario::Moons, 4, 30.0, 3).unwrap();
        assert_eq!((m.dims, m.outputs), (2, 2));
        // Random labels: the same images each task, scored on themselves, new labels each task
        // and every class used.
        let r = build(Scenario::RandomLabels, 2, 0.0, 3).unwrap();
        let (a, b) = (&r.tasks[0], &r.tasks[1]);
        assert_eq!(a.train.n, RANDOM_LABEL_IMAGES);
        assert_eq!((&a.train.x, &a.train), (&b.train.x, &a.test));
        let same = a
            .train
            .y
            .iter()
            .zip(&b.train.y)
            .filter(|(p, q)| p == q)
            .count();
        assert!(same < RANDOM_LABEL_IMAGES / 5, "{same} labels kept");
        assert!((0..10).all(|c| a.train.y.contains(&(c as f32))));
    }

    #[test]
    fn too_many_split_tasks_name_the_setting() {
        let err = build(Scenario::SplitClass, 6, 0.0, 1).unwrap_err();
        assert!(
            err.starts_with("tasks = 6") && err.contains("at most 5"),
            "{err}"
        );
    }
}
