//! Avalanche's summaries of an accuracy matrix R with rows 0 (before training) … T.

fn last(r: &[Vec<f32>]) -> &[f32] {
    r.last().map_or(&[], |v| v)
}
/// ACC = mean_j R[T][j].
pub fn avg_acc(r: &[Vec<f32>]) -> f32 {
    let l = last(r);
    l.iter().sum::<f32>() / l.len().max(1) as f32
}
/// BWT = mean_{j<T} (R[T][j] − R[j][j]), tasks 1-based (row j is after task j).
pub fn bwt(r: &[Vec<f32>]) -> f32 {
    let t = last(r).len();
    mean((0..t.saturating_sub(1)).map(|j| last(r)[j] - r[j + 1][j]))
}
/// Forgetting = mean_{j<T} (max_{1≤i<T} R[i][j] − R[T][j]).
pub fn forgetting(r: &[Vec<f32>]) -> f32 {
    let t = last(r).len();
    mean((0..t.saturating_sub(1)).map(|j| {
        let best = (j + 1..t)
            .map(|i| r[i][j])
            .fold(f32::NEG_INFINITY, f32::max);
        best - last(r)[j]
    }))
}
/// FWT = mean_{j>1} (R[j−1][j] − R[0][j]).
pub fn fwt(r: &[Vec<f32>]) -> f32 {
    let t = last(r).len();
    mean((1..t).map(|j| r[j][j] - r[0][j]))
}
/// Learning accuracy (Riemer et al. 2019) = mean_j R[j][j]: each task right after training
/// on it, the plasticity figure.
pub fn learn_acc(r: &[Vec<f32>]) -> f32 {
    let t = last(r).len();
    mean((0..t).map(|j| r[j + 1][j]))
}
fn mean(values: impl Iterator<Item = f32>) -> f32 {
    let v: Vec<f32> = values.collect();
    if v.is_empty() {
        f32::NAN
    } else {
        v.iter().sum::<f32>() / v.len() as f32
    }
}
