//! Data set generators. Deterministic functions of their seed, drawn with the engine's RNG so the
//! browser, the CLI and the tests see the same points.

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
        x.push(radius * angle.cos() + dx);
        x.push(radius * angle.sin() + dy);
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
