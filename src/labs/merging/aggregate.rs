//! Ways to combine K task gradients into one update direction, for multi-task training. Each is
//! written on the Gram matrix G[i][j] = gᵢ·gⱼ and returns weights w with the direction
//! d = Σₖ wₖ gₖ, so the work is K × K whatever the model's size.

/// Linear scalarisation: the plain sum of the task gradients.
pub fn sum(k: usize) -> Vec<f64> {
    vec![1.0; k]
}

/// PCGrad (Yu et al. 2020, "Gradient Surgery for Multi-Task Learning"): each gᵢ, taken in turn
/// against the others in the given order, loses its component along any gⱼ it conflicts with
/// (gᵢ·gⱼ < 0); the projected gradients are summed. Tracked as coefficients over the original
/// gradients: gᵢ' = Σₘ cᵢₘ gₘ.
pub fn pcgrad(gram: &[Vec<f64>], order: &[Vec<usize>]) -> Vec<f64> {
    let k = gram.len();
    let mut w = vec![0.0; k];
    for i in 0..k {
        let mut c = vec![0.0; k];
        c[i] = 1.0;
        for &j in &order[i] {
            if j == i {
                continue;
            }
            // gᵢ'·gⱼ = Σₘ cₘ G[m][j]
            let dot: f64 = (0..k).map(|m| c[m] * gram[m][j]).sum();
            if dot < 0.0 && gram[j][j] > 0.0 {
                c[j] -= dot / gram[j][j];
            }
        }
        for m in 0..k {
            w[m] += c[m];
        }
    }
    w
}

/// The point of the simplex α minimising αᵀGα (the minimum-norm point of the convex hull of
/// the gradients), by Frank–Wolfe with exact line search, as MGDA solves it (Sener & Koltun
/// 2018, "Multi-Task Learning as Multi-Objective Optimization"). K = 2 is solved in closed form.
pub fn min_norm(gram: &[Vec<f64>]) -> Vec<f64> {
    let k = gram.len();
    if k == 1 {
        return vec![1.0];
    }
    if k == 2 {
        let (a, b, c) = (gram[0][0], gram[0][1], gram[1][1]);
        let denom = a - 2.0 * b + c;
        let t = if denom > 0.0 {
            ((c - b) / denom).clamp(0.0, 1.0)
        } else {
            0.5
        };
        return vec![t, 1.0 - t];
    }
    let mut alpha = vec![1.0 / k as f64; k];
    // Frank–Wolfe converges like 1/t when the optimum lies on a face: K ≤ 8 keeps even 10⁵
    // iterations cheap; the duality gap ends it early.
    for _ in 0..100_000 {
        // Gradient of αᵀGα is 2Gα; move toward the vertex with the smallest (Gα)ₜ.
        let g_alpha: Vec<f64> = (0..k)
            .map(|i| (0..k).map(|j| gram[i][j] * alpha[j]).sum())
            .collect();
        let t = (0..k)
            .min_by(|&a, &b| g_alpha[a].total_cmp(&g_alpha[b]))
            .unwrap_or(0);
        // Line search between α and the vertex eₜ: minimise over γ ∈ [0, 1].
        let a_ga: f64 = (0..k).map(|i| alpha[i] * g_alpha[i]).sum(); // αᵀGα
        let e_ga = g_alpha[t]; // eₜᵀGα
        let e_ge = gram[t][t];
        let gap = a_ga - e_ga;
        let denom = a_ga - 2.0 * e_ga + e_ge;
        if gap <= 1e-14 * a_ga.abs().max(1e-300) || denom <= 1e-18 {
            break;
        }
        let gamma = (gap / denom).clamp(0.0, 1.0);
        for (i, a) in alpha.iter_mut().enumerate() {
            *a = (1.0 - gamma) * *a + if i == t { gamma } else { 0.0 };
        }
    }
    alpha
}

/// MGDA's direction: the minimum-norm point of the convex hull of the gradients.
pub fn mgda(gram: &[Vec<f64>]) -> Vec<f64> {
    min_norm(gram)
}

/// UPGrad (Quinton & Rey 2024, "Jacobian Descent for Multi-Objective Optimization"): project
/// each gᵢ onto the dual cone {x : x·gⱼ ≥ 0 for all j} and average the projections. The
/// projection of gᵢ is gᵢ + Σⱼ λⱼ gⱼ with λ ≥ 0 minimising ½λᵀGλ + λᵀGeᵢ (the dual of the
/// projection problem), solved by projected coordinate descent.
pub fn upgrad(gram: &[Vec<f64>]) -> Vec<f64> {
    let k = gram.len();
    let mut w = vec![0.0; k];
    for i in 0..k {
        let mut lambda = vec![0.0; k];
        for _ in 0..100_000 {
            let mut moved = 0.0f64;
            for j in 0..k {
                if gram[j][j] <= 1e-18 {
                    continue;
                }
                // ∂/∂λⱼ = (Gλ)ⱼ + G[j][i]; exact minimisation along λⱼ, kept ≥ 0.
                let grad: f64 = (0..k).map(|m| gram[j][m] * lambda[m]).sum::<f64>() + gram[j][i];
                let next = (lambda[j] - grad / gram[j][j]).max(0.0);
                moved = moved.max((next - lambda[j]).abs());
                lambda[j] = next;
            }
            if moved < 1e-15 {
                break;
            }
        }
        w[i] += 1.0 / k as f64;
        for j in 0..k {
            w[j] += lambda[j] / k as f64;
        }
    }
    w
}

/// The Gram matrix of gradients given as rows.
pub fn gram(grads: &[Vec<f32>]) -> Vec<Vec<f64>> {
    grads
        .iter()
        .map(|a| {
            grads
                .iter()
                .map(|b| a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum())
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random gradients.
    fn grads(k: usize, n: usize, seed: u64) -> Vec<Vec<f32>> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..k)
            .map(|_| {
                (0..n)
                    .map(|_| {
                        s ^= s << 13;
                        s ^= s >> 7;
                        s ^= s << 17;
                        ((s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) as f32
                    })
                    .collect()
            })
            .collect()
    }

    fn direction(g: &[Vec<f32>], w: &[f64]) -> Vec<f64> {
        (0..g[0].len())
            .map(|i| g.iter().zip(w).map(|(gk, wk)| gk[i] as f64 * wk).sum())
            .collect()
    }

    /// The property Jacobian descent promises: d·gₖ ≥ 0 for every task (gradients in more
    /// dimensions than tasks, as a network's are).
    #[test]
    fn upgrad_never_opposes_a_task() {
        for seed in 0..200 {
            let k = 2 + (seed % 6) as usize;
            let g = grads(k, 12, seed);
            let d = direction(&g, &upgrad(&gram(&g)));
            for gk in &g {
                let dot: f64 = d.iter().zip(gk).map(|(a, b)| a * *b as f64).sum();
                assert!(dot >= -1e-9, "seed {seed}: d·g = {dot}");
            }
        }
    }

    #[test]
    fn mgda_is_the_minimum_norm_point_of_the_hull() {
        for seed in 0..50 {
            for k in [2usize, 3] {
                let g = grads(k, 4, seed + 1000 * k as u64);
                let gm = gram(&g);
                let w = mgda(&gm);
                assert!(
                    (w.iter().sum::<f64>() - 1.0).abs() < 1e-9 && w.iter().all(|&a| a >= -1e-12)
                );
                let norm = |w: &[f64]| -> f64 {
                    (0..k)
                        .map(|i| (0..k).map(|j| w[i] * gm[i][j] * w[j]).sum::<f64>())
                        .sum()
                };
                // Brute force over a fine grid of the simplex.
                let steps = 200;
                let mut best = f64::INFINITY;
                for a in 0..=steps {
                    for b in 0..=(if k == 3 { steps - a } else { 0 }) {
                        let x = a as f64 / steps as f64;
                        let y = b as f64 / steps as f64;
                        let w = if k == 2 {
                            vec![x, 1.0 - x]
                        } else {
                            vec![x, y, 1.0 - x - y]
                        };
                        best = best.min(norm(&w));
                    }
                }
                assert!(
                    norm(&w) <= best + 1e-4,
                    "seed {seed}, K = {k}: {} vs grid {best}",
                    norm(&w)
                );
            }
        }
    }

    #[test]
    fn pcgrad_removes_conflicts_and_leaves_agreement_alone() {
        // Two conflicting gradients: each loses its component along the other.
        let g = vec![vec![1.0f32, 0.0], vec![-1.0, 1.0]];
        let w = pcgrad(&gram(&g), &[vec![1], vec![0]]);
        let d = direction(&g, &w);
        // g₁' = g₁ − (g₁·g₂/|g₂|²) g₂ = (1, 0) + ½(−1, 1) = (½, ½); g₂' = g₂ + (1, 0) = (0, 1).
        assert!(
            (d[0] - 0.5).abs() < 1e-9 && (d[1] - 1.5).abs() < 1e-9,
            "{d:?}"
        );
        // Agreeing gradients are just summed.
        let g = vec![vec![1.0f32, 1.0], vec![1.0, 0.0]];
        assert_eq!(pcgrad(&gram(&g), &[vec![1], vec![0]]), vec![1.0, 1.0]);
    }
}
