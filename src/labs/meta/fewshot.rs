//! The meta-learning lab's few-shot digits: the bundled 8×8 digits split by class, 0–4 the base
//! classes (meta-training or pre-training) and 5–9 the novel ones, seen only at evaluation in
//! 5-way K-shot episodes with 15 queries per class.
//!
//! Every method learns an embedding, a 64→H→H ReLU net, on the base classes:
//! - episodically, with episodes drawn on the device from the step counter: ProtoNet (Snell et
//!   al. 2017) by prototypes, MAML and FOMAML by adapting a 5-way head and the net to the
//!   episode's support set with the labels shuffled per episode;
//! - or plainly, a 5-way classifier on base images (Tian et al. 2020), the embedding then read
//!   by logistic regression (pretrain + linear) or by transductive soft k-means.
//!
//! Evaluation uses the same episodes for every seed and method, drawn on the host: the
//! embedding methods classify from the novel images' embeddings, read back once; MAML adapts on
//! the device, a batch of episodes at a time.

use super::model::Recipe;
use crate::data::digits;
use crate::engine::{rng, Graph, Result, Tensor};

/// Classes in an episode.
pub const WAYS: usize = 5;
/// Query images per class in an episode.
pub const QUERIES: usize = 15;
/// SGD steps MAML takes on a novel episode's support set at evaluation (Finn et al. use 10).
pub const ADAPT_STEPS: usize = 10;
/// Episodes MAML adapts to in one run of its evaluation entry.
pub const ADAPT_BATCH: usize = 10;
/// Base images in a supervised pre-training batch.
pub const BATCH: usize = 64;

/// How a method classifies a novel episode from its embedding.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rule {
    /// The nearest class mean of the support embeddings (squared Euclidean).
    Prototypes,
    /// Multinomial logistic regression on the L2-normalised support embeddings.
    Linear,
    /// Soft k-means over support and query together from the prototypes, the supports' labels
    /// fixed; `temperature` scales the squared distances.
    SoftKMeans { temperature: f32 },
}

/// The images, by class: the base classes' first `per_class` images each (the fewest any base
/// class has), class-major, and every novel image with its class 0..WAYS.
pub struct Pools {
    pub base: Vec<f32>,
    pub per_class: usize,
    pub novel: Vec<f32>,
    pub novel_class: Vec<usize>,
}

/// Fails only in the page before it has fetched the digits (`data::digits::provide`).
pub fn pools() -> std::result::Result<Pools, String> {
    let all = digits::load()?;
    let px = digits::PIXELS;
    let of = |c: usize| -> Vec<usize> { (0..all.n).filter(|&i| all.y[i] as usize == c).collect() };
    let base: Vec<Vec<usize>> = (0..WAYS).map(of).collect();
    let per_class = base.iter().map(Vec::len).min().unwrap_or(0);
    let mut pools = Pools {
        base: Vec::with_capacity(WAYS * per_class * px),
        per_class,
        novel: Vec::new(),
        novel_class: Vec::new(),
    };
    for class in &base {
        for &i in &class[..per_class] {
            pools.base.extend_from_slice(&all.x[i * px..(i + 1) * px]);
        }
    }
    for c in 0..WAYS {
        for i in of(WAYS + c) {
            pools.novel.extend_from_slice(&all.x[i * px..(i + 1) * px]);
            pools.novel_class.push(c);
        }
    }
    Ok(pools)
}

/// A novel episode: indices into the novel pool, class-major (class c's shots at c·K..c·K+K,
/// its queries at c·QUERIES..).
#[derive(Clone, Debug, PartialEq)]
pub struct Episode {
    pub support: Vec<usize>,
    pub query: Vec<usize>,
}

/// Evaluation episode `i`, the same for every seed and method: per novel class, `shots` + 15
/// distinct images (a partial Fisher–Yates shuffle from seed 0).
pub fn episode(pools: &Pools, i: usize, shots: usize) -> Episode {
    let mut e = Episode {
        support: Vec::with_capacity(WAYS * shots),
        query: Vec::with_capacity(WAYS * QUERIES),
    };
    for c in 0..WAYS {
        let mut class: Vec<usize> = (0..pools.novel_class.len())
            .filter(|&j| pools.novel_class[j] == c)
            .collect();
        for j in 0..shots + QUERIES {
            let u = rng::uniform(0, 601 + c as u32, i as u32, j as u32);
            let pick = j + ((u * (class.len() - j) as f32) as usize).min(class.len() - j - 1);
            class.swap(j, pick);
        }
        e.support.extend_from_slice(&class[..shots]);
        e.query.extend_from_slice(&class[shots..shots + QUERIES]);
    }
    e
}

/// The embedding net's and the head's parameters, one set per run, He-initialised:
/// [w1, b1, w2, b2, head.w, head.b].
pub fn init(g: &Graph, hidden: usize) -> Result<Vec<Tensor>> {
    let runs = g.runs();
    let layer = |name: &str, i: usize, o: usize| -> Result<[Tensor; 2]> {
        let w = g.param_he(&format!("{name}.weight"), &[runs, i, o])?;
        let b = g.param(&format!("{name}.bias"), &[runs, 1, o], vec![0.0; runs * o])?;
        Ok([w, b])
    };
    let mut p = Vec::new();
    p.extend(layer("l1", digits::PIXELS, hidden)?);
    p.extend(layer("l2", hidden, hidden)?);
    p.extend(layer("head", hidden, WAYS)?);
    Ok(p)
}

/// The embedding of images x ([R|1, N, 64]): [R, N, H].
pub fn embed(p: &[Tensor], x: &Tensor) -> Result<Tensor> {
    let h = x.matmul(&p[0])?.add(&p[1])?.relu()?;
    h.matmul(&p[2])?.add(&p[3])?.relu()
}

/// The 5-way logits: [R, N, WAYS].
pub fn logits(p: &[Tensor], x: &Tensor) -> Result<Tensor> {
    embed(p, x)?.matmul(&p[4])?.add(&p[5])
}

/// Mean cross-entropy per run of logits [R, N, W] against one-hot targets [R|1, N, W]: [R].
pub fn cross_entropy(logits: &Tensor, onehot: &Tensor) -> Result<Tensor> {
    logits
        .log_softmax()?
        .mul(onehot)?
        .sum(2)?
        .mean_per_run()?
        .neg()
}

/// One-hot rows for class-major slots, `n` per class: [1, WAYS·n, WAYS].
pub fn slot_onehot(g: &Graph, label: &str, n: usize) -> Result<Tensor> {
    let mut v = vec![0.0; WAYS * n * WAYS];
    for (row, chunk) in v.chunks_mut(WAYS).enumerate() {
        chunk[row / n] = 1.0;
    }
    g.input(label, &[1, WAYS * n, WAYS], v)
}

/// Draws an episode's images from the base pool on the device: `n` per class, class-major.
/// With `perm` ([R, 1, WAYS]: a permutation of the base classes per run), slot j holds class
/// perm[j], so the labels a head must learn change from episode to episode.
/// `slots` is `slot_onehot(n)`, and `perm` is `identity` where the labels stay put.
pub fn draw(
    g: &Graph,
    pool: &Tensor,
    per_class: usize,
    slots: &Tensor,
    perm: &Tensor,
    step: &Tensor,
) -> Result<Tensor> {
    let n = slots.dims()[1] / WAYS;
    let within = g.random_index(&[g.runs(), WAYS * n], per_class, Some(step))?;
    // The class of each slot: Σ_j onehot(slot)_j · perm_j, then its offset in the pool.
    let class = slots
        .mul(perm)?
        .sum(2)?
        .reshape(&[perm.dims()[0], WAYS * n])?;
    let index = class.mul_scalar(per_class as f32)?.add(&within)?;
    pool.gather_rows(&index)
}

/// Every permutation of the base classes, as rows: [1, 120, WAYS].
pub fn permutations(g: &Graph) -> Result<Tensor> {
    fn extend(prefix: &mut Vec<usize>, out: &mut Vec<f32>) {
        if prefix.len() == WAYS {
            out.extend(prefix.iter().map(|&c| c as f32));
            return;
        }
        for c in 0..WAYS {
            if !prefix.contains(&c) {
                prefix.push(c);
                extend(prefix, out);
                prefix.pop();
            }
        }
    }
    let mut rows = Vec::new();
    extend(&mut Vec::new(), &mut rows);
    let n = rows.len() / WAYS;
    g.input("episode.permutations", &[1, n, WAYS], rows)
}

/// Squared Euclidean distances between rows of a [R, N, D] and b [R|1, M, D]: [R, N, M].
pub fn squared_distances(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let aa = a.square()?.sum(2)?;
    let bb = b.square()?.sum(2)?.transpose()?;
    aa.add(&bb)?
        .sub(&a.matmul_t(b, false, true)?.mul_scalar(2.0)?)
}

/// What a method's digits loss draws on: the base pool and the episode's fixed labels.
pub struct Episodes<'a> {
    pub g: &'a Graph,
    /// The network's weights.
    pub p: &'a [Tensor],
    pub recipe: &'a Recipe,
    pub step: &'a Tensor,
    /// The base classes' images, class-major, `per_class` each: [1, WAYS·per_class, pixels].
    pub pool: &'a Tensor,
    pub per_class: usize,
    /// The classes 0 … WAYS − 1, [1, 1, WAYS].
    pub identity: &'a Tensor,
    /// An episode's support and query labels, one-hot by slot (class-major).
    pub support_labels: &'a Tensor,
    pub query_labels: &'a Tensor,
}

/// Class means of class-major rows, `n` per class: [R, WAYS, D].
pub fn mean_per_class(g: &Graph, rows: &Tensor, n: usize) -> Result<Tensor> {
    let mut avg = vec![0.0; WAYS * WAYS * n];
    for c in 0..WAYS {
        for j in 0..n {
            avg[c * WAYS * n + c * n + j] = 1.0 / n as f32;
        }
    }
    g.input(&format!("episode.mean.{n}"), &[1, WAYS, WAYS * n], avg)?
        .matmul(rows)
}

/// The images of the novel pool at `indices`, row-major.
pub fn images(pools: &Pools, indices: &[usize]) -> Vec<f32> {
    let px = digits::PIXELS;
    indices
        .iter()
        .flat_map(|&i| pools.novel[i * px..(i + 1) * px].iter().copied())
        .collect()
}

/// The share of an episode's queries `rule` classifies right, from one run's embeddings of the
/// novel pool (row-major, `dim` wide).
pub fn classify(rule: Rule, embeddings: &[f32], dim: usize, e: &Episode, shots: usize) -> f64 {
    let row = |i: usize| &embeddings[i * dim..(i + 1) * dim];
    let normalised = |i: usize| -> Vec<f32> {
        let r = row(i);
        let norm = r.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
        r.iter().map(|v| v / norm).collect()
    };
    let (support, query): (Vec<Vec<f32>>, Vec<Vec<f32>>) = match rule {
        Rule::Prototypes => (
            e.support.iter().map(|&i| row(i).to_vec()).collect(),
            e.query.iter().map(|&i| row(i).to_vec()).collect(),
        ),
        _ => (
            e.support.iter().map(|&i| normalised(i)).collect(),
            e.query.iter().map(|&i| normalised(i)).collect(),
        ),
    };
    let predictions: Vec<usize> = match rule {
        Rule::Prototypes => {
            let centres = class_means(&support, shots, dim);
            query.iter().map(|q| nearest(q, &centres)).collect()
        }
        Rule::Linear => {
            let model = logistic_regression(&support, shots);
            query.iter().map(|q| argmax(&model.scores(q))).collect()
        }
        Rule::SoftKMeans { temperature } => soft_kmeans(&support, &query, shots, dim, temperature),
    };
    let right = predictions
        .iter()
        .enumerate()
        .filter(|&(j, &c)| c == j / QUERIES)
        .count();
    right as f64 / query.len() as f64
}

fn squared(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

fn argmax(v: &[f32]) -> usize {
    v.iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |best, (i, &x)| {
            if x > best.1 {
                (i, x)
            } else {
                best
            }
        })
        .0
}

fn nearest(x: &[f32], centres: &[Vec<f32>]) -> usize {
    let d: Vec<f32> = centres.iter().map(|c| -squared(x, c)).collect();
    argmax(&d)
}

/// The mean of each class's `shots` class-major rows.
fn class_means(rows: &[Vec<f32>], shots: usize, dim: usize) -> Vec<Vec<f32>> {
    (0..WAYS)
        .map(|c| {
            let mut m = vec![0.0; dim];
            for r in &rows[c * shots..(c + 1) * shots] {
                for (a, v) in m.iter_mut().zip(r) {
                    *a += v / shots as f32;
                }
            }
            m
        })
        .collect()
}

/// A multinomial logistic regression: scores W·x + b, with W = Σᵢ αᵢ·xᵢ over the support
/// points (the penalised optimum lies in their span, and so does every gradient step from 0).
struct Linear<'a> {
    support: &'a [Vec<f32>],
    /// [n][WAYS]: each support point's weight in each class's W row.
    alpha: Vec<[f32; WAYS]>,
    b: [f32; WAYS],
}

impl Linear<'_> {
    fn scores(&self, x: &[f32]) -> Vec<f32> {
        let dots: Vec<f32> = self.support.iter().map(|s| dot(s, x)).collect();
        (0..WAYS)
            .map(|c| {
                self.b[c]
                    + dots
                        .iter()
                        .zip(&self.alpha)
                        .map(|(d, a)| d * a[c])
                        .sum::<f32>()
            })
            .collect()
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn softmax(v: &[f32]) -> Vec<f32> {
    let m = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f32> = v.iter().map(|x| crate::engine::math::exp(x - m)).collect();
    let s: f32 = e.iter().sum();
    e.iter().map(|x| x / s).collect()
}

/// Tian et al.'s classifier: multinomial logistic regression with an L2 penalty (C = 1, as
/// scikit-learn's default they use: Σ cross-entropy + ½‖W‖²), fitted by 300 steps of
/// full-batch gradient descent with the step 1/L of the objective's smoothness bound (unit-norm
/// inputs). The steps run on the support points' Gram matrix: W ← (1 − η)W − η·Σᵢ dᵢxᵢ is
/// α ← (1 − η)α − η·d.
fn logistic_regression(support: &[Vec<f32>], shots: usize) -> Linear<'_> {
    let n = support.len();
    let gram: Vec<Vec<f32>> = support
        .iter()
        .map(|a| support.iter().map(|b| dot(a, b)).collect())
        .collect();
    let mut model = Linear {
        support,
        alpha: vec![[0.0; WAYS]; n],
        b: [0.0; WAYS],
    };
    let lr = 1.0 / (0.5 * n as f32 + 1.0);
    for _ in 0..300 {
        let mut residual = vec![[0.0f32; WAYS]; n];
        for (j, row) in gram.iter().enumerate() {
            let scores: Vec<f32> = (0..WAYS)
                .map(|c| {
                    model.b[c]
                        + row
                            .iter()
                            .zip(&model.alpha)
                            .map(|(g, a)| g * a[c])
                            .sum::<f32>()
                })
                .collect();
            let p = softmax(&scores);
            for c in 0..WAYS {
                residual[j][c] = p[c] - if c == j / shots { 1.0 } else { 0.0 };
            }
        }
        for c in 0..WAYS {
            model.b[c] -= lr * residual.iter().map(|r| r[c]).sum::<f32>();
        }
        for (a, r) in model.alpha.iter_mut().zip(&residual) {
            for c in 0..WAYS {
                a[c] = (1.0 - lr) * a[c] - lr * r[c];
            }
        }
    }
    model
}

/// Soft k-means over the support and query points together, from the prototypes: the supports
/// keep their labels; each query's assignment is softmax(−‖x − μ_c‖² / τ); each centre is the
/// weighted mean of its supports and the queries. Ten rounds; each query takes its likeliest
/// cluster.
fn soft_kmeans(
    support: &[Vec<f32>],
    query: &[Vec<f32>],
    shots: usize,
    dim: usize,
    temperature: f32,
) -> Vec<usize> {
    let mut centres = class_means(support, shots, dim);
    let assign = |centres: &[Vec<f32>]| -> Vec<Vec<f32>> {
        query
            .iter()
            .map(|q| {
                let s: Vec<f32> = centres
                    .iter()
                    .map(|c| -squared(q, c) / temperature)
                    .collect();
                softmax(&s)
            })
            .collect()
    };
    for _ in 0..10 {
        let z = assign(&centres);
        for (c, centre) in centres.iter_mut().enumerate() {
            let mut sum = vec![0.0f32; dim];
            let mut weight = shots as f32;
            for r in &support[c * shots..(c + 1) * shots] {
                for (a, v) in sum.iter_mut().zip(r) {
                    *a += v;
                }
            }
            for (q, zq) in query.iter().zip(&z) {
                weight += zq[c];
                for (a, v) in sum.iter_mut().zip(q) {
                    *a += zq[c] * v;
                }
            }
            *centre = sum.iter().map(|v| v / weight).collect();
        }
    }
    assign(&centres).iter().map(|z| argmax(z)).collect()
}

/// Rows (`dim` wide) projected on their first two principal axes (power iteration with
/// deflation on the covariance), each with its class: (x, y, class, false).
pub fn project(rows: &[f32], dim: usize, classes: &[usize]) -> Vec<(f32, f32, f32, bool)> {
    let n = classes.len().min(rows.len() / dim.max(1));
    if n < 2 || dim == 0 {
        return Vec::new();
    }
    let mut mean = vec![0.0f64; dim];
    for i in 0..n {
        for (m, v) in mean.iter_mut().zip(&rows[i * dim..(i + 1) * dim]) {
            *m += *v as f64 / n as f64;
        }
    }
    let centred = |i: usize| {
        rows[i * dim..(i + 1) * dim]
            .iter()
            .zip(&mean)
            .map(|(v, m)| *v as f64 - m)
    };
    let mut cov = vec![0.0f64; dim * dim];
    for i in 0..n {
        let x: Vec<f64> = centred(i).collect();
        for a in 0..dim {
            for b in 0..dim {
                cov[a * dim + b] += x[a] * x[b] / n as f64;
            }
        }
    }
    let mut axes: Vec<Vec<f64>> = Vec::new();
    for k in 0..2 {
        let mut v: Vec<f64> = (0..dim)
            .map(|i| 1.0 + ((i * 7 + k * 3) % 5) as f64)
            .collect();
        for _ in 0..200 {
            let mut w: Vec<f64> = (0..dim)
                .map(|a| (0..dim).map(|b| cov[a * dim + b] * v[b]).sum())
                .collect();
            for u in &axes {
                let d: f64 = w.iter().zip(u).map(|(x, y)| x * y).sum();
                w.iter_mut().zip(u).for_each(|(x, y)| *x -= d * y);
            }
            let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
            if norm < 1e-12 {
                break;
            }
            v = w.iter().map(|x| x / norm).collect();
        }
        axes.push(v);
    }
    (0..n)
        .map(|i| {
            let x: Vec<f64> = centred(i).collect();
            let along = |u: &[f64]| x.iter().zip(u).map(|(a, b)| a * b).sum::<f64>() as f32;
            (along(&axes[0]), along(&axes[1]), classes[i] as f32, false)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn episodes_are_distinct_images_of_their_class_and_the_same_every_time() {
        let pools = pools().unwrap();
        assert!(pools.per_class >= 170, "{}", pools.per_class);
        let e = episode(&pools, 7, 5);
        assert_eq!(e, episode(&pools, 7, 5));
        assert_ne!(e, episode(&pools, 8, 5));
        let mut all: Vec<usize> = e.support.iter().chain(&e.query).copied().collect();
        for (j, &i) in e.support.iter().enumerate() {
            assert_eq!(pools.novel_class[i], j / 5);
        }
        for (j, &i) in e.query.iter().enumerate() {
            assert_eq!(pools.novel_class[i], j / QUERIES);
        }
        all.sort();
        all.dedup();
        assert_eq!(all.len(), WAYS * (5 + QUERIES));
    }

    #[test]
    fn the_rules_classify_separable_clusters() {
        // Five tight clusters on the axes: every rule must get them all.
        let dim = WAYS;
        let shots = 2;
        let point = |c: usize, j: usize| -> Vec<f32> {
            (0..dim)
                .map(|d| {
                    if d == c {
                        1.0
                    } else {
                        0.05 * ((j + d) % 3) as f32
                    }
                })
                .collect()
        };
        let mut rows = Vec::new();
        let mut e = Episode {
            support: Vec::new(),
            query: Vec::new(),
        };
        for c in 0..WAYS {
            for j in 0..shots {
                e.support.push(rows.len() / dim);
                rows.extend(point(c, j));
            }
        }
        for c in 0..WAYS {
            for j in 0..QUERIES {
                e.query.push(rows.len() / dim);
                rows.extend(point(c, j + 7));
            }
        }
        for rule in [
            Rule::Prototypes,
            Rule::Linear,
            Rule::SoftKMeans { temperature: 0.1 },
        ] {
            assert_eq!(classify(rule, &rows, dim, &e, shots), 1.0, "{rule:?}");
        }
    }
}
