//! The merges, as plain functions of flat parameter vectors: the base θ₀ and the fine-tuned
//! models' task vectors τₖ = θₖ − θ₀, one tensor at a time (TIES and Breadcrumbs trim per tensor).
//! Each returns the merged task vector τ; the merged model is θ₀ + λ·τ (λ = 1 where a method has
//! no λ of its own).

/// Weight averaging (as task arithmetic with λ = 1/K): mean of the task vectors.
pub fn average(taus: &[&[f32]]) -> Vec<f32> {
    let k = taus.len().max(1) as f32;
    sum(taus).into_iter().map(|v| v / k).collect()
}

/// Task arithmetic (Ilharco et al. 2023, "Editing Models with Task Arithmetic"): Σₖ τₖ.
pub fn sum(taus: &[&[f32]]) -> Vec<f32> {
    let n = taus.first().map_or(0, |t| t.len());
    (0..n).map(|i| taus.iter().map(|t| t[i]).sum()).collect()
}

/// How many entries of an n-element tensor a fraction keeps: rounded, and never none of a
/// non-empty tensor when the fraction is positive (a 3-element bias keeps at least one).
pub fn count(n: usize, fraction: f32) -> usize {
    if n == 0 || fraction <= 0.0 {
        return 0;
    }
    ((fraction * n as f32).round() as usize).clamp(1, n)
}

/// Indices of `t` sorted by |value|, largest first (ties: lower index first).
fn by_magnitude(t: &[f32]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..t.len()).collect();
    order.sort_by(|&a, &b| t[b].abs().total_cmp(&t[a].abs()).then(a.cmp(&b)));
    order
}

/// TIES's trim: keeps the `keep` fraction of `t` with the largest magnitudes, zeroes the rest.
pub fn trim(t: &[f32], keep: f32) -> Vec<f32> {
    let mut out = vec![0.0; t.len()];
    for &i in by_magnitude(t).iter().take(count(t.len(), keep)) {
        out[i] = t[i];
    }
    out
}

/// TIES-Merging (Yadav et al. 2023): trim each τₖ to its top `keep` fraction by magnitude, elect
/// each parameter's sign by the sign of the summed trimmed mass, and average only the trimmed
/// entries that agree with it (the disjoint mean).
pub fn ties(taus: &[&[f32]], keep: f32) -> Vec<f32> {
    let trimmed: Vec<Vec<f32>> = taus.iter().map(|t| trim(t, keep)).collect();
    let n = taus.first().map_or(0, |t| t.len());
    (0..n)
        .map(|i| {
            let mass: f32 = trimmed.iter().map(|t| t[i]).sum();
            let sign = mass.signum();
            let agree: Vec<f32> = trimmed
                .iter()
                .map(|t| t[i])
                .filter(|&v| v != 0.0 && v.signum() == sign)
                .collect();
            if mass == 0.0 || agree.is_empty() {
                0.0
            } else {
                agree.iter().sum::<f32>() / agree.len() as f32
            }
        })
        .collect()
}

/// Model Breadcrumbs (Davari & Belilovsky 2023): per tensor, drop the `top` fraction of largest
/// magnitudes (outliers) and the `bottom` fraction of smallest (noise), keep the rest. When the
/// tensor is too small for both slices, the kept middle is never emptied: at least one entry,
/// the largest of what the bottom slice would remove, stays.
pub fn breadcrumbs_mask(t: &[f32], top: f32, bottom: f32) -> Vec<f32> {
    let n = t.len();
    let order = by_magnitude(t);
    let drop_top = if top > 0.0 { count(n, top) } else { 0 };
    let drop_bottom = if bottom > 0.0 { count(n, bottom) } else { 0 };
    let (mut from, mut to) = (drop_top.min(n), n.saturating_sub(drop_bottom));
    if from >= to && n > 0 {
        // Keep one: the largest entry below the dropped top.
        from = drop_top.min(n - 1);
        to = from + 1;
    }
    let mut out = vec![0.0; n];
    for &i in &order[from..to] {
        out[i] = t[i];
    }
    out
}

/// Breadcrumbs' merged task vector: Σₖ of the masked τₖ.
pub fn breadcrumbs(taus: &[&[f32]], top: f32, bottom: f32) -> Vec<f32> {
    let masked: Vec<Vec<f32>> = taus
        .iter()
        .map(|t| breadcrumbs_mask(t, top, bottom))
        .collect();
    let refs: Vec<&[f32]> = masked.iter().map(|v| v.as_slice()).collect();
    sum(&refs)
}

/// MagMax (Marczak et al. 2024): per parameter, the τₖ entry of largest magnitude.
pub fn magmax(taus: &[&[f32]]) -> Vec<f32> {
    let n = taus.first().map_or(0, |t| t.len());
    (0..n)
        .map(|i| {
            taus.iter()
                .map(|t| t[i])
                .fold(0.0f32, |m, v| if v.abs() > m.abs() { v } else { m })
        })
        .collect()
}

/// DARE (Yu et al. 2024, "Language Models are Super Mario"): drop each entry of τₖ with
/// probability p, rescale the survivors by 1/(1 − p), then add them up. `uniform(k, i)` is the
/// draw in [0, 1) for entry i of task k.
pub fn dare(taus: &[&[f32]], p: f32, uniform: &dyn Fn(usize, usize) -> f32) -> Vec<f32> {
    let kept: Vec<Vec<f32>> = taus
        .iter()
        .enumerate()
        .map(|(k, t)| {
            t.iter()
                .enumerate()
                .map(|(i, &v)| {
                    if uniform(k, i) < p {
                        0.0
                    } else {
                        v / (1.0 - p)
                    }
                })
                .collect()
        })
        .collect();
    let refs: Vec<&[f32]> = kept.iter().map(|v| v.as_slice()).collect();
    sum(&refs)
}

/// Fisher-weighted averaging (Matena & Raffel 2022): θ = Σₖ Fₖθₖ / Σₖ Fₖ per parameter, written
/// as a task vector from θ₀. Where every Fisher is (near) zero the plain average is used.
pub fn fisher(taus: &[&[f32]], fishers: &[&[f32]]) -> Vec<f32> {
    let n = taus.first().map_or(0, |t| t.len());
    (0..n)
        .map(|i| {
            let weight: f32 = fishers.iter().map(|f| f[i]).sum();
            if weight > 1e-12 {
                taus.iter()
                    .zip(fishers)
                    .map(|(t, f)| f[i] * t[i])
                    .sum::<f32>()
                    / weight
            } else {
                taus.iter().map(|t| t[i]).sum::<f32>() / taus.len().max(1) as f32
            }
        })
        .collect()
}

/// The share of parameters whose non-zero task vectors do not all have the same sign.
pub fn sign_conflict(taus: &[&[f32]]) -> f32 {
    let n = taus.first().map_or(0, |t| t.len());
    if n == 0 {
        return 0.0;
    }
    let conflicts = (0..n)
        .filter(|&i| {
            let pos = taus.iter().any(|t| t[i] > 0.0);
            let neg = taus.iter().any(|t| t[i] < 0.0);
            pos && neg
        })
        .count();
    conflicts as f32 / n as f32
}

/// RegMean (Jin et al. 2023, "Dataless Knowledge Fusion by Merging Weights of Language
/// Models"): a linear layer's merged weights solve the least-squares problem of matching every
/// model's outputs on its own inputs, min_W Σₖ ‖XₖW − XₖWₖ‖², so W = (Σₖ Gₖ)⁻¹ Σₖ GₖWₖ with
/// Gₖ = XₖᵀXₖ each model's input Gram matrix. The paper scales each Gram's off-diagonal
/// entries by `alpha` (a shrinkage towards Fisher-like diagonal weighting) for a better
/// conditioned solve. Written as a task vector: Σₖ Gₖθ₀ = (Σₖ Gₖ)θ₀, so τ = (Σₖ Gₖ)⁻¹ Σₖ Gₖτₖ.
///
/// `taus` are the weight's task vectors ([n_in, n_out], row-major), `grams` each model's Gram
/// of the layer's inputs ([n_in, n_in]). An input no model ever sees (a unit dead on every
/// task's data) leaves its rows unconstrained: a small ridge pulls them to the plain average.
pub fn regmean(taus: &[&[f32]], grams: &[&[f32]], n_in: usize, alpha: f32) -> Vec<f32> {
    let n_out = taus.first().map_or(0, |t| t.len() / n_in.max(1));
    let (alpha, k) = (alpha as f64, taus.len().max(1) as f64);
    let mut a = vec![0.0f64; n_in * n_in];
    let mut b = vec![0.0f64; n_in * n_out];
    for (tau, gram) in taus.iter().zip(grams) {
        for i in 0..n_in {
            for j in 0..n_in {
                let g = gram[i * n_in + j] as f64 * if i == j { 1.0 } else { alpha };
                if g == 0.0 {
                    continue;
                }
                a[i * n_in + j] += g;
                for o in 0..n_out {
                    b[i * n_out + o] += g * tau[j * n_out + o] as f64;
                }
            }
        }
    }
    // The ridge: 1e-6 of the mean diagonal (at least 1e-12), towards the average task vector.
    let trace: f64 = (0..n_in).map(|i| a[i * n_in + i]).sum();
    let ridge = (1e-6 * trace / n_in.max(1) as f64).max(1e-12);
    for i in 0..n_in {
        a[i * n_in + i] += ridge;
        for o in 0..n_out {
            let mean: f64 = taus.iter().map(|t| t[i * n_out + o] as f64).sum::<f64>() / k;
            b[i * n_out + o] += ridge * mean;
        }
    }
    let x = solve_spd(&mut a, &b, n_in, n_out);
    x.into_iter().map(|v| v as f32).collect()
}

/// Solves A X = B for a symmetric positive definite A (n × n) by Cholesky, B n × m; `a` is
/// overwritten by its factor.
fn solve_spd(a: &mut [f64], b: &[f64], n: usize, m: usize) -> Vec<f64> {
    for j in 0..n {
        let mut d = a[j * n + j];
        for p in 0..j {
            d -= a[j * n + p] * a[j * n + p];
        }
        let d = d.max(1e-300).sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for p in 0..j {
                s -= a[i * n + p] * a[j * n + p];
            }
            a[i * n + j] = s / d;
        }
    }
    let mut x = b.to_vec();
    for c in 0..m {
        // L y = b, then Lᵀ x = y, column by column.
        for i in 0..n {
            let mut s = x[i * m + c];
            for p in 0..i {
                s -= a[i * n + p] * x[p * m + c];
            }
            x[i * m + c] = s / a[i * n + i];
        }
        for i in (0..n).rev() {
            let mut s = x[i * m + c];
            for p in i + 1..n {
                s -= a[p * n + i] * x[p * m + c];
            }
            x[i * m + c] = s / a[i * n + i];
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regmean_solves_the_least_squares_merge() {
        // Equal Grams: the plain average.
        let (t1, t2) = ([1.0, 2.0, 3.0, 4.0], [3.0, 0.0, -1.0, 2.0]);
        let g = [2.0, 0.5, 0.5, 1.0];
        let m = regmean(&[&t1, &t2], &[&g, &g], 2, 1.0);
        for (v, w) in m.iter().zip([2.0, 1.0, 1.0, 3.0]) {
            assert!((v - w).abs() < 1e-4, "{m:?}");
        }
        // Each model sees one input only: each row is its own model's.
        let (g1, g2) = ([1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]);
        let m = regmean(&[&t1, &t2], &[&g1, &g2], 2, 1.0);
        for (v, w) in m.iter().zip([1.0, 2.0, -1.0, 2.0]) {
            assert!((v - w).abs() < 1e-4, "{m:?}");
        }
        // An input nobody sees: its row is the average.
        let m = regmean(&[&t1, &t2], &[&g1, &g1], 2, 1.0);
        for (v, w) in m.iter().zip([2.0, 1.0, 1.0, 3.0]) {
            assert!((v - w).abs() < 1e-3, "{m:?}");
        }
        // The residual of a general case: (G1 + G2) x = G1 t1 + G2 t2.
        let (g1, g2) = ([2.0, 1.0, 1.0, 3.0], [1.0, -0.5, -0.5, 2.0]);
        let m = regmean(&[&t1, &t2], &[&g1, &g2], 2, 1.0);
        for o in 0..2 {
            for i in 0..2 {
                let lhs: f32 = (0..2)
                    .map(|j| (g1[i * 2 + j] + g2[i * 2 + j]) * m[j * 2 + o])
                    .sum();
                let rhs: f32 = (0..2)
                    .map(|j| g1[i * 2 + j] * t1[j * 2 + o] + g2[i * 2 + j] * t2[j * 2 + o])
                    .sum();
                assert!((lhs - rhs).abs() < 1e-3, "{lhs} vs {rhs}");
            }
        }
    }
}
