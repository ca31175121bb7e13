//! Data set generators. Deterministic functions of their seed, drawn with the engine's RNG so the
//! browser, the CLI and the tests see the same points.

pub mod digits;
pub mod table;
pub mod tasks;

use crate::engine::rng;

/// A labelled point set: `x` is row-major [n, dims], `y` holds class indices (or targets) as f32.
#[derive(Clone, Debug, PartialEq)]
pub struct Points {
    pub x: Vec<f32>,
    pub y: Vec<f32>,
    pub n: usize,
    pub dims: usize,
}

/// Two interleaved spirals (classes 0 and 1), 1.75 turns each, radius growing to 1, with
/// Gaussian noise of standard deviation `noise`: the classic hard case for small MLPs.
pub fn two_spirals(n: usize, noise: f32, seed: u32) -> Points {
    let mut x = Vec::with_capacity(2 * n);
    let mut y = Vec::with_capacity(n);
    let half = n.div_ceil(2).max(1);
    for i in 0..n {
        let class = i % 2;
        let t = (i / 2) as f32 / half as f32;
        let angle = 1.75 * std::f32::consts::TAU * t
            + if class == 1 {
                std::f32::consts::PI
            } else {
                0.0
            };
        let radius = 0.05 + 0.95 * t;
        let (dx, dy) = (
            noise * rng::normal(seed, 1, 0, i as u32),
            noise * rng::normal(seed, 2, 0, i as u32),
        );
        x.push(radius * crate::engine::math::cos(angle) + dx);
        x.push(radius * crate::engine::math::sin(angle) + dy);
        y.push(class as f32);
    }
    Points { x, y, n, dims: 2 }
}

/// `classes` Gaussian clusters in `dims` dimensions with unit-spaced random centres: a synthetic
/// classification set of any width, for benchmarks.
pub fn gaussian_clusters(n: usize, dims: usize, classes: usize, seed: u32) -> Points {
    let centres: Vec<f32> = (0..classes * dims)
        .map(|i| 2.0 * rng::normal(seed, 10, 0, i as u32))
        .collect();
    let mut x = Vec::with_capacity(n * dims);
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let class = i % classes;
        for d in 0..dims {
            x.push(centres[class * dims + d] + rng::normal(seed, 11, 0, (i * dims + d) as u32));
        }
        y.push(class as f32);
    }
    Points { x, y, n, dims }
}

/// The Basics lab's 2-D data sets, as in TensorFlow Playground.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Playground {
    Circle,
    Xor,
    Gaussian,
    Skewed,
    Spiral,
    Moons,
    Checkerboard,
    Plane,
    Bump,
    /// Your own table (`table::Table`): not drawn here, see the Basics lab's model.
    Own,
}

impl crate::decl::Choice for Playground {
    const OPTIONS: &'static [(&'static str, Self)] = &[
        ("circle", Playground::Circle),
        ("xor", Playground::Xor),
        ("gaussian", Playground::Gaussian),
        ("skewed", Playground::Skewed),
        ("spiral", Playground::Spiral),
        ("moons", Playground::Moons),
        ("checkerboard", Playground::Checkerboard),
        ("plane", Playground::Plane),
        ("bump", Playground::Bump),
        ("own", Playground::Own),
    ];
}

impl Playground {
    /// A regression task (real targets), not a classification one.
    pub fn is_regression(self) -> bool {
        matches!(self, Playground::Plane | Playground::Bump)
    }
}

/// `n` points of a Basics data set, on [-3, 3]², as in TensorFlow Playground: classification sets
/// have labels 0/1, regression sets (`plane`, `bump`) real targets. `noise` is the standard
/// deviation of Gaussian noise added to each coordinate.
/// `Own` draws no points: a given table is the Basics lab's (`own_points` there).
pub fn playground(set: Playground, n: usize, noise: f32, seed: u32) -> Points {
    if set == Playground::Own {
        return Points {
            x: Vec::new(),
            y: Vec::new(),
            n: 0,
            dims: 2,
        };
    }
    let u = |stream: u32, i: usize| rng::uniform(seed, stream, 0, i as u32);
    let g = |stream: u32, i: usize| rng::normal(seed, stream, 0, i as u32);
    let mut x = Vec::with_capacity(2 * n);
    let mut y = Vec::with_capacity(n);
    let spiral = (set == Playground::Spiral).then(|| two_spirals(n, 0.0, seed));
    for i in 0..n {
        let (a, b, label) = match set {
            Playground::Circle => {
                // Inside radius 1.5: class 1; a ring from 2.1 to 3: class 0.
                let inside = i % 2 == 0;
                let r = if inside {
                    1.5 * u(20, i)
                } else {
                    2.1 + 0.9 * u(20, i)
                };
                let t = std::f32::consts::TAU * u(21, i);
                (
                    r * crate::engine::math::cos(t),
                    r * crate::engine::math::sin(t),
                    inside as u8 as f32,
                )
            }
            Playground::Xor => {
                // Uniform on the square, pushed 0.1 away from the axes; class = same sign.
                let push = |v: f32| if v >= 0.0 { v + 0.1 } else { v - 0.1 };
                let (a, b) = (push(5.8 * u(20, i) - 2.9), push(5.8 * u(21, i) - 2.9));
                (a, b, (a * b >= 0.0) as u8 as f32)
            }
            Playground::Gaussian => {
                let class = (i % 2) as f32;
                let c = if class == 1.0 { 1.5 } else { -1.5 };
                (c + 0.6 * g(20, i), c + 0.6 * g(21, i), class)
            }
            Playground::Skewed => {
                // Oh & Yun 2023's setting in 2-D: classes N(±μ, Σ) with μ = (1.5, 0) and
                // Σ = ¼·[[1, 0.9], [0.9, 1]]. μ is not an eigenvector of Σ, so the Bayes
                // direction Σ⁻¹μ is 42° from μ and the max-margin one lies between them.
                let class = (i % 2) as f32;
                let c = if class == 1.0 { 1.5 } else { -1.5 };
                let (z1, z2) = (g(20, i), g(21, i));
                (c + 0.5 * z1, 0.5 * (0.9 * z1 + SKEW_ACROSS * z2), class)
            }
            Playground::Spiral => {
                let p = spiral.as_ref().expect("made above");
                (3.0 * p.x[2 * i], 3.0 * p.x[2 * i + 1], p.y[i])
            }
            Playground::Moons => {
                // Two interleaved half circles, scaled onto the square.
                let class = i % 2;
                let t = std::f32::consts::PI * u(20, i);
                let (a, b) = if class == 0 {
                    (crate::engine::math::cos(t), crate::engine::math::sin(t))
                } else {
                    (
                        1.0 - crate::engine::math::cos(t),
                        0.5 - crate::engine::math::sin(t),
                    )
                };
                (2.0 * a - 1.0, 2.0 * b - 0.5, class as f32)
            }
            Playground::Checkerboard => {
                let (a, b) = (6.0 * u(20, i) - 3.0, 6.0 * u(21, i) - 3.0);
                let cell = (a / 1.5).floor() as i32 + (b / 1.5).floor() as i32;
                (a, b, (cell.rem_euclid(2) == 0) as u8 as f32)
            }
            Playground::Plane => {
                let (a, b) = (6.0 * u(20, i) - 3.0, 6.0 * u(21, i) - 3.0);
                (a, b, (a + b) / 6.0)
            }
            Playground::Bump => {
                let (a, b) = (6.0 * u(20, i) - 3.0, 6.0 * u(21, i) - 3.0);
                (a, b, crate::engine::math::exp(-(a * a + b * b) / 2.0))
            }
            Playground::Own => unreachable!("returned above"),
        };
        x.push(a + noise * g(22, i));
        x.push(b + noise * g(23, i));
        y.push(label);
    }
    Points { x, y, n, dims: 2 }
}

/// √(1 − 0.9²): the skewed clusters' spread across their long axis.
const SKEW_ACROSS: f32 = 0.435_889_9;

/// The Bayes-optimal boundary of a Basics data set whose classes are two Gaussians with one
/// covariance, with `noise` added: w with class 1 where w·(x₁, x₂) > 0 (both sets are centred,
/// with equal priors, so the boundary passes through the origin). `None` for the other sets.
pub fn bayes_direction(set: Playground, noise: f32) -> Option<[f32; 2]> {
    let v = noise * noise;
    // Half the difference of the class means, and the shared covariance plus the noise's.
    let (mu, cov) = match set {
        Playground::Gaussian => ([1.5, 1.5], [[0.36 + v, 0.0], [0.0, 0.36 + v]]),
        Playground::Skewed => (
            [1.5, 0.0],
            [
                [0.25 + v, 0.225],
                [0.225, 0.25 * (0.81 + SKEW_ACROSS * SKEW_ACROSS) + v],
            ],
        ),
        _ => return None,
    };
    // w = Σ⁻¹μ.
    let det = cov[0][0] * cov[1][1] - cov[0][1] * cov[1][0];
    Some([
        (cov[1][1] * mu[0] - cov[0][1] * mu[1]) / det,
        (cov[0][0] * mu[1] - cov[1][0] * mu[0]) / det,
    ])
}

/// The points in a seeded random order (Fisher–Yates on the engine's RNG), so a train/test split
/// of the first and last points is an unbiased one: generators emit points in geometric order.
pub fn shuffled(p: &Points, seed: u32) -> Points {
    let mut order: Vec<usize> = (0..p.n).collect();
    for i in (1..p.n).rev() {
        let j = ((rng::bits(seed, 30, 0, i as u32) as u64 * (i as u64 + 1)) >> 32) as usize;
        order.swap(i, j);
    }
    let mut out = Points {
        x: Vec::with_capacity(p.x.len()),
        y: Vec::with_capacity(p.n),
        n: p.n,
        dims: p.dims,
    };
    for &k in &order {
        out.x.extend_from_slice(&p.x[k * p.dims..(k + 1) * p.dims]);
        out.y.push(p.y[k]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spirals_are_balanced_and_deterministic() {
        let a = two_spirals(250, 0.05, 3);
        assert_eq!(a, two_spirals(250, 0.05, 3));
        assert_ne!(a, two_spirals(250, 0.05, 4));
        let ones = a.y.iter().filter(|&&c| c == 1.0).count();
        assert_eq!(ones, 125);
        assert!(a.x.iter().all(|v| v.abs() < 1.5));
    }
}
