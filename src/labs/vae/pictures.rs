//! The generative lab's pictures as data: run 0's decoded manifold or density, computed from
//! what the group reads back and drawn by the views.

use super::model;

/// The K's whose SNR the lab reports and draws.
pub const SNR_SHOWN: [usize; 4] = model::SNR_SWEEP;

/// The decoded manifold (a grid of z at the normal's quantiles) with prior samples beside it,
/// pixel probabilities, MANIFOLD_COLS across.
pub fn manifold_image(decoded: &[f32]) -> Vec<f32> {
    // Each 8×8 image in a 9×9 slot: a blank line between neighbours.
    let (grid, side, px, slot) = (model::GRID, 8usize, 64usize, 9usize);
    let cols = MANIFOLD_COLS;
    let rows = grid * slot;
    let mut values = vec![0.0f32; cols * rows];
    let sigmoid = |l: f32| 1.0 / (1.0 + (-l).exp());
    let mut put = |image: usize, at_row: usize, at_col: usize| {
        for y in 0..side {
            for x in 0..side {
                if let Some(&l) = decoded.get(image * px + y * side + x) {
                    values[(at_row + y) * cols + at_col + x] = sigmoid(l);
                }
            }
        }
    };
    for r in 0..grid {
        for c in 0..grid {
            put(r * grid + c, r * slot, c * slot);
        }
    }
    // The prior samples, four across, after a gap.
    for s in 0..model::SAMPLES {
        put(grid * grid + s, (s / 4) * slot, (grid + 1 + s % 4) * slot);
    }
    values
}
/// Columns of the manifold image: the grid, a gap, four samples across, in 9-pixel slots.
pub const MANIFOLD_COLS: usize = (model::GRID + 1 + 4) * 9;
/// Side and half-width of the ring's density grid.
pub const DENSITY_SIDE: usize = 60;
pub const DENSITY_EXTENT: f32 = 3.5;
/// The model's density on the ring, (1/S) Σ_s N(x; μ(z_s), σ²(z_s)) over the decoded prior
/// samples z_s, on a DENSITY_SIDE² grid, scaled to its maximum.
pub fn ring_density(decoded: &[f32]) -> Vec<f32> {
    const SIDE: usize = DENSITY_SIDE;
    const EXTENT: f32 = DENSITY_EXTENT;
    let comps: Vec<[f32; 4]> = decoded
        .chunks_exact(4)
        .map(|c| {
            let (lv0, lv1) = (c[2].clamp(-9.0, 4.0), c[3].clamp(-9.0, 4.0));
            [c[0], c[1], lv0, lv1]
        })
        .collect();
    let mut values = Vec::with_capacity(SIDE * SIDE);
    for row in 0..SIDE {
        let y = EXTENT - (row as f32 + 0.5) * 2.0 * EXTENT / SIDE as f32;
        for col in 0..SIDE {
            let x = -EXTENT + (col as f32 + 0.5) * 2.0 * EXTENT / SIDE as f32;
            let p: f64 = comps
                .iter()
                .map(|c| {
                    let q = (x - c[0]).powi(2) * (-c[2]).exp() + (y - c[1]).powi(2) * (-c[3]).exp();
                    ((-0.5 * q - 0.5 * (c[2] + c[3])) as f64).exp()
                })
                .sum();
            values.push(p as f32);
        }
    }
    let max = values.iter().copied().fold(0.0f32, f32::max).max(1e-30);
    values.iter_mut().for_each(|v| *v /= max);
    values
}
