//! Host-side measures of the self-supervised-learning lab, computed on
//! embeddings read back from the device.
//!
//! Conventions shared by every function:
//! * Embeddings are row-major `f32` slices with `dim` columns; the number of
//!   rows is `n = rows.len() / dim` (a trailing partial row is ignored, and
//!   `dim == 0` means `n == 0`).
//! * All arithmetic is done in `f64`; covariances are formed from centred rows
//!   and symmetric matrices are built from one triangle, so exactly symmetric.
//! * Nothing panics on degenerate input (empty, too few rows, zero variance,
//!   NaN). Each function documents its fallback: `NaN` means "undefined" (the
//!   caller records it as such); `0.0` is used where a rank-like measure of a
//!   degenerate representation is naturally zero.
//!
//! References:
//! * RankMe: Garrido, Balestriero, Najman, LeCun (2023), "RankMe: Assessing the
//!   downstream performance of pretrained self-supervised representations by
//!   their rank".
//! * LiDAR: Thilak, Huang, Saremi, Dinh, Goh, Nakkiran, Susskind, Littwin
//!   (2023), "LiDAR: Sensing Linear Probing Performance in Joint Embedding SSL
//!   Architectures".
//! * Alignment / uniformity: Wang & Isola (2020), "Understanding Contrastive
//!   Representation Learning through Alignment and Uniformity on the
//!   Hypersphere".
//! * Embedding std: Chen & He (2021), "Exploring Simple Siamese Representation
//!   Learning" (SimSiam).

/// Jacobi stops once the off-diagonal norm is below this times the Frobenius norm.
const JACOBI_TOL: f64 = 1e-12;
/// Upper bound on the number of cyclic Jacobi sweeps.
const JACOBI_MAX_SWEEPS: usize = 100;

/// Number of complete rows of width `dim` in a slice of length `len`.
fn count(len: usize, dim: usize) -> usize {
    len.checked_div(dim).unwrap_or(0)
}

/// The complete rows as `f64`.
fn to_f64(rows: &[f32], dim: usize) -> Vec<f64> {
    rows[..count(rows.len(), dim) * dim]
        .iter()
        .map(|&x| f64::from(x))
        .collect()
}

/// Clamps negatives to 0 while keeping NaN (so that it can be detected later).
fn clamp0(x: f64) -> f64 {
    if x < 0.0 {
        0.0
    } else {
        x
    }
}

/// Dot product with eight independent accumulators (lets the loop pipeline).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for ((s, u), v) in acc.iter_mut().zip(x).zip(y) {
            *s += u * v;
        }
    }
    acc.iter().sum::<f64>() + tail
}

/// `x` (`rows × cols`, row-major) transposed to `cols × rows`.
fn transpose(x: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    (0..rows * cols)
        .map(|k| x[(k % rows) * cols + k / rows])
        .collect()
}

/// The symmetric `n × n` matrix with upper triangle `f(i, j)`, `i ≤ j`.
fn symmetric(n: usize, f: impl Fn(usize, usize) -> f64) -> Vec<f64> {
    let mut m = vec![0.0; n * n];
    for i in 0..n {
        for j in i..n {
            m[i * n + j] = f(i, j);
            m[j * n + i] = m[i * n + j];
        }
    }
    m
}

/// Row `i` of a row-major matrix with rows of width `w`.
fn row(m: &[f64], w: usize, i: usize) -> &[f64] {
    &m[i * w..(i + 1) * w]
}

/// Gram matrix `Z Zᵀ` of the rows of `z` (row width `w`).
fn gram(z: &[f64], w: usize) -> Vec<f64> {
    symmetric(count(z.len(), w), |i, j| dot(row(z, w, i), row(z, w, j)))
}

/// `scale · DᵀD` (`dim × dim`) for the deviation rows `D` of width `dim`.
fn scatter(dev: &[f64], dim: usize, scale: f64) -> Vec<f64> {
    let rows = count(dev.len(), dim);
    if rows == 0 {
        return vec![0.0; dim * dim];
    }
    let mut s = gram(&transpose(dev, rows, dim), rows);
    s.iter_mut().for_each(|x| *x *= scale);
    s
}

/// Column means of the rows of `z` (zeros when there are none).
fn col_means(z: &[f64], dim: usize) -> Vec<f64> {
    let n = count(z.len(), dim);
    let mut mean = vec![0.0; dim];
    for r in z.chunks_exact(dim.max(1)) {
        mean.iter_mut().zip(r).for_each(|(m, x)| *m += x / n as f64);
    }
    mean
}

/// Column means and sample covariance of the rows of `z` (see [`covariance`]).
fn mean_cov(z: &[f64], dim: usize) -> (Vec<f64>, Vec<f64>) {
    let (n, mean) = (count(z.len(), dim), col_means(z, dim));
    let dev: Vec<f64> = z
        .chunks_exact(dim.max(1))
        .flat_map(|r| r.iter().zip(&mean).map(|(x, m)| x - m))
        .collect();
    let cov = if n < 2 {
        vec![0.0; dim * dim]
    } else {
        scatter(&dev, dim, 1.0 / (n - 1) as f64)
    };
    (mean, cov)
}

/// Sample covariance of the rows: the `dim × dim` row-major matrix
/// `1/(n−1) · Σ_i (z_i − μ)(z_i − μ)ᵀ`, computed from centred rows.
/// Fewer than two rows gives the zero matrix; NaN inputs propagate.
pub fn covariance(rows: &[f32], dim: usize) -> Vec<f64> {
    mean_cov(&to_f64(rows, dim), dim).1
}

/// `(row p, row q) ← (c·row p − s·row q, s·row p + c·row q)` for rows of
/// length `n` stored with stride `ld`, `p < q`.
fn rotate_rows(m: &mut [f64], ld: usize, n: usize, (p, q): (usize, usize), c: f64, s: f64) {
    let (lo, hi) = m.split_at_mut(q * ld);
    for (x, y) in lo[p * ld..p * ld + n].iter_mut().zip(&mut hi[..n]) {
        let (xp, xq) = (*x, *y);
        *x = c * xp - s * xq;
        *y = s * xp + c * xq;
    }
}

/// Copies row `r` of a symmetric matrix (stride `ld`) into column `r`.
fn mirror_row(m: &mut [f64], ld: usize, r: usize, buf: &mut [f64]) {
    buf.copy_from_slice(&m[r * ld..r * ld + buf.len()]);
    for (row, &x) in m.chunks_exact_mut(ld).zip(buf.iter()) {
        row[r] = x;
    }
}

/// Cyclic Jacobi on the symmetrised matrix; eigenvectors are kept as the rows
/// of `vt` (contiguous updates) and returned as columns.
fn jacobi(a: &[f64], n: usize, vectors: bool) -> (Vec<f64>, Vec<f64>) {
    let mut vt = vec![0.0; if vectors { n * n } else { 0 }];
    if vectors {
        (0..n).for_each(|i| vt[i * n + i] = 1.0);
    }
    if a.len() < n * n || a[..n * n].iter().any(|x| !x.is_finite()) {
        return (vec![f64::NAN; n], vt);
    }
    // Odd row stride: column walks do not alias to a few cache sets.
    let ld = n | 1;
    let mut m = vec![0.0; n * ld];
    for i in 0..n {
        for j in 0..n {
            m[i * ld + j] = 0.5 * (a[i * n + j] + a[j * n + i]);
        }
    }
    let frob = m.iter().map(|x| x * x).sum::<f64>().sqrt();
    // Skipping elements below `skip` cannot stall convergence: if all are
    // below it, the off-diagonal norm is already under the tolerance.
    let skip = 0.5 * JACOBI_TOL * frob / n as f64;
    let mut buf = vec![0.0; n];
    for _ in 0..JACOBI_MAX_SWEEPS {
        let upper = |i: usize| m[i * ld + i + 1..i * ld + n].iter().map(|x| x * x);
        let off = (2.0 * (0..n).flat_map(upper).sum::<f64>()).sqrt();
        if off <= JACOBI_TOL * frob {
            break;
        }
        // Rows are rotated in place; column q is mirrored from row q after
        // each rotation, column p once row p is done (its stale entries only
        // feed the 2×2 blocks, which are overwritten).
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[p * ld + q];
                if apq.abs() <= skip {
                    continue;
                }
                let (app, aqq) = (m[p * ld + p], m[q * ld + q]);
                // t = tan φ, the smaller root of t² + 2θt − 1 = 0 (NR §11.1).
                let theta = (aqq - app) / (2.0 * apq);
                let t = if theta.abs() > 1e150 {
                    0.5 / theta
                } else {
                    theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt())
                };
                let c = 1.0 / (t * t + 1.0).sqrt();
                rotate_rows(&mut m, ld, n, (p, q), c, t * c);
                m[p * ld + p] = app - t * apq;
                m[q * ld + q] = aqq + t * apq;
                m[p * ld + q] = 0.0;
                m[q * ld + p] = 0.0;
                mirror_row(&mut m, ld, q, &mut buf);
                if vectors {
                    rotate_rows(&mut vt, n, n, (p, q), c, t * c);
                }
            }
            mirror_row(&mut m, ld, p, &mut buf);
        }
    }
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&i, &j| m[j * ld + j].total_cmp(&m[i * ld + i]));
    let vals = idx.iter().map(|&i| m[i * ld + i]).collect();
    let vecs = if vectors {
        (0..n * n).map(|k| vt[idx[k % n] * n + k / n]).collect()
    } else {
        Vec::new()
    };
    (vals, vecs)
}

/// Eigenvalues of the symmetric `n × n` row-major matrix `a` (symmetrised as
/// `(A + Aᵀ)/2`), sorted descending, by the cyclic Jacobi method: sweeps until
/// the off-diagonal Frobenius norm is below `1e-12 ·‖A‖_F` (at most 100 sweeps).
/// If `a` has fewer than `n²` entries or any non-finite entry, all `n`
/// eigenvalues are NaN.
pub fn symmetric_eigenvalues(a: &[f64], n: usize) -> Vec<f64> {
    jacobi(a, n, false).0
}

/// Eigen-decomposition of the symmetric `n × n` row-major matrix `a` by cyclic
/// Jacobi (as [`symmetric_eigenvalues`]): returns the eigenvalues, descending,
/// and an orthonormal `n × n` row-major matrix whose column `k` is the
/// eigenvector of eigenvalue `k`. On invalid input the eigenvalues are NaN and
/// the vectors are the identity.
pub fn symmetric_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    jacobi(a, n, true)
}

/// Eigenvalues of [`covariance`], descending, with (round-off) negatives
/// clamped to 0. NaN input gives NaN eigenvalues.
pub fn covariance_spectrum(rows: &[f32], dim: usize) -> Vec<f64> {
    let eig = symmetric_eigenvalues(&covariance(rows, dim), dim);
    eig.into_iter().map(clamp0).collect()
}

/// `exp(−Σ p_k ln p_k)` with `p_k = v_k / Σv + eps`; 0.0 if `Σv` is not a
/// finite positive number.
fn entropy_rank(vals: &[f64], eps: f64) -> f64 {
    let sum: f64 = vals.iter().sum();
    if !(sum > 0.0 && sum.is_finite()) {
        return 0.0;
    }
    let h: f64 = vals
        .iter()
        .map(|v| v / sum + eps)
        .map(|p| -p * p.ln())
        .sum();
    h.exp()
}

/// RankMe (Garrido et al. 2023): the exponential of the entropy of the
/// normalised singular values of the **uncentred** `n × dim` embedding matrix
/// `Z`, as in the paper: `p_k = σ_k/‖σ‖₁ + 1e-7`, `RankMe = exp(−Σ p_k ln p_k)`.
/// The singular values are the square roots of the eigenvalues of `ZᵀZ` (or of
/// `ZZᵀ` when `n < dim`; the non-zero spectrum is the same). Range `(0, dim]`
/// up to the ε term. Returns 0.0 when `‖σ‖₁` is 0 or non-finite (no rows,
/// all-zero or NaN embeddings).
pub fn rankme(rows: &[f32], dim: usize) -> f64 {
    let (n, z) = (count(rows.len(), dim), to_f64(rows, dim));
    let g = if n < dim {
        gram(&z, dim)
    } else {
        gram(&transpose(&z, n, dim), n)
    };
    let eig = symmetric_eigenvalues(&g, n.min(dim));
    let sigma: Vec<f64> = eig.into_iter().map(|l| clamp0(l).sqrt()).collect();
    entropy_rank(&sigma, 1e-7)
}

/// LiDAR (Thilak et al. 2023). `rows` holds `objects` groups of `views`
/// consecutive rows (row `object·views + view`); each object is a class.
/// With class means `μ_c` and grand mean `μ`:
/// `Σ_w = 1/(N(q−1)) Σ_c Σ_i (z_ci − μ_c)(z_ci − μ_c)ᵀ + δI`,
/// `Σ_b = 1/(N−1) Σ_c (μ_c − μ)(μ_c − μ)ᵀ`,
/// `Σ_lidar = Σ_w^{-1/2} Σ_b Σ_w^{-1/2}`. With `Σ_w = V Λ Vᵀ`, the eigenvalues
/// of `Σ_lidar` are computed from the similar matrix `Λ^{-1/2} VᵀΣ_b V Λ^{-1/2}`
/// (eigenvalues of `Σ_w` floored at `1e-12·λ_max`). With them clamped to
/// `λ_k ≥ 0`, `p_k = λ_k/Σλ + 1e-8` and `LiDAR = exp(−Σ p_k ln p_k)`.
/// Returns 0.0 when degenerate (`objects < 2`, `views < 2`, `dim == 0`,
/// `Σ_w = 0`, `Σλ` zero or non-finite) and NaN when
/// `rows.len() != objects·views·dim`.
pub fn lidar(rows: &[f32], dim: usize, objects: usize, views: usize, delta: f64) -> f64 {
    if objects < 2 || views < 2 || dim == 0 {
        return 0.0;
    }
    if objects.checked_mul(views).and_then(|x| x.checked_mul(dim)) != Some(rows.len()) {
        return f64::NAN;
    }
    let z = to_f64(rows, dim);
    let means: Vec<f64> = z
        .chunks_exact(views * dim)
        .flat_map(|g| col_means(g, dim))
        .collect();
    let grand = col_means(&means, dim);
    let class_mean = |r: usize| &means[r / views * dim..(r / views + 1) * dim];
    let within: Vec<f64> = (z.chunks_exact(dim).enumerate())
        .flat_map(|(r, zr)| zr.iter().zip(class_mean(r)).map(|(x, m)| x - m))
        .collect();
    let between: Vec<f64> = (means.chunks_exact(dim))
        .flat_map(|mc| mc.iter().zip(&grand).map(|(m, g)| m - g))
        .collect();
    let mut sw = scatter(&within, dim, 1.0 / (objects * (views - 1)) as f64);
    let sb = scatter(&between, dim, 1.0 / (objects - 1) as f64);
    (0..dim).for_each(|i| sw[i * dim + i] += delta);
    let (lw, vw) = symmetric_eigen(&sw, dim);
    if !(lw[0] > 0.0 && lw[0].is_finite()) {
        return 0.0;
    }
    let inv: Vec<f64> = lw
        .iter()
        .map(|&l| 1.0 / l.max(lw[0] * 1e-12).sqrt())
        .collect();
    let v = transpose(&vw, dim, dim); // row k: eigenvector k
    let sbv: Vec<f64> = (0..dim * dim) // row j: Σ_b v_j
        .map(|k| dot(row(&sb, dim, k % dim), row(&v, dim, k / dim)))
        .collect();
    let m = symmetric(dim, |i, j| {
        inv[i] * inv[j] * dot(row(&v, dim, i), row(&sbv, dim, j))
    });
    let lam: Vec<f64> = symmetric_eigenvalues(&m, dim)
        .into_iter()
        .map(clamp0)
        .collect();
    entropy_rank(&lam, 1e-8)
}

/// Training rows with a label `< classes`, standardised by their mean and
/// population std (floored at 1e-6), with a trailing bias column of ones
/// (stride `dim + 1`), plus their labels and the standardisation.
struct Design {
    x: Vec<f64>,
    y: Vec<usize>,
    mean: Vec<f64>,
    std: Vec<f64>,
}

fn design(train: &[f32], train_y: &[usize], dim: usize, classes: usize) -> Design {
    let n = count(train.len(), dim).min(train_y.len());
    let keep: Vec<usize> = (0..n).filter(|&i| train_y[i] < classes).collect();
    let raw: Vec<f32> = keep
        .iter()
        .flat_map(|&i| train[i * dim..(i + 1) * dim].to_vec())
        .collect();
    let (mean, cov) = mean_cov(&to_f64(&raw, dim), dim);
    let m = keep.len() as f64;
    let var = |j: usize| cov[j * dim + j] * (m - 1.0).max(0.0) / m;
    let std = (0..dim).map(|j| var(j).sqrt().max(1e-6)).collect();
    let y = keep.iter().map(|&i| train_y[i]).collect();
    let mut d = Design {
        x: Vec::new(),
        y,
        mean,
        std,
    };
    d.x = standardise(&raw, dim, &d);
    d
}

fn standardise(rows: &[f32], dim: usize, d: &Design) -> Vec<f64> {
    let mut x = Vec::with_capacity(count(rows.len(), dim) * (dim + 1));
    for r in rows.chunks_exact(dim) {
        let z = r.iter().zip(&d.mean).zip(&d.std);
        x.extend(z.map(|((&v, m), s)| (f64::from(v) - m) / s));
        x.push(1.0);
    }
    x
}

/// Test accuracy of `argmax_c x̃·W_c` (`w` is `classes × (dim+1)`; ties go to
/// the lowest class). Test rows whose label is `≥ classes` count as errors.
fn accuracy(test: &[f32], test_y: &[usize], dim: usize, d: &Design, w: &[f64]) -> f64 {
    let n = count(test.len(), dim).min(test_y.len());
    if n == 0 {
        return f64::NAN;
    }
    let x = standardise(&test[..n * dim], dim, d);
    let predict = |xi: &[f64]| {
        let scores = w.chunks_exact(dim + 1).map(|wc| dot(xi, wc)).enumerate();
        scores
            .fold(
                (0, f64::NEG_INFINITY),
                |b, (c, s)| if s > b.1 { (c, s) } else { b },
            )
            .0
    };
    let hits = x
        .chunks_exact(dim + 1)
        .zip(test_y)
        .filter(|(xi, y)| predict(xi) == **y);
    hits.count() as f64 / n as f64
}

/// Linear ridge-regression probe. Features are standardised by the training
/// rows' mean and population std (std floored at 1e-6) and a bias column is
/// appended; weights `W` minimise `‖X̃W − Y‖² + λn‖W_features‖²` for one-hot
/// targets `Y` (the bias is unpenalised), solved from the `(dim+1)²` normal
/// equations by Gaussian elimination with partial pivoting (a pivot below
/// `1e-12 ·max diag` leaves its coefficient at 0, so a singular system with
/// `lambda = 0` still gives an answer). Prediction is the argmax of the scores;
/// returns the test accuracy in `[0, 1]`. Only the first `min(rows, labels)`
/// rows are used; training rows with label `≥ classes` are skipped and such
/// test rows count as errors. NaN if the test set or the usable training set
/// is empty, or `dim == 0` or `classes == 0`.
pub fn ridge_probe(
    train: &[f32],
    train_y: &[usize],
    test: &[f32],
    test_y: &[usize],
    dim: usize,
    classes: usize,
    lambda: f64,
) -> f64 {
    let d = design(train, train_y, dim, classes);
    let (n, p) = (d.y.len(), dim + 1);
    if n == 0 || dim == 0 {
        return f64::NAN;
    }
    let mut a = scatter(&d.x, p, 1.0);
    (0..dim).for_each(|i| a[i * p + i] += lambda * n as f64);
    let mut b = vec![0.0; p * classes]; // X̃ᵀY
    for (xi, &y) in d.x.chunks_exact(p).zip(&d.y) {
        xi.iter()
            .enumerate()
            .for_each(|(j, x)| b[j * classes + y] += x);
    }
    let w = transpose(&solve(a, b, p, classes), p, classes);
    accuracy(test, test_y, dim, &d, &w)
}

/// Solves `A X = B` (`A` is `n × n`, `B` is `n × m`, row-major) by Gaussian
/// elimination with partial pivoting; negligible pivots give zero unknowns.
fn solve(mut a: Vec<f64>, mut b: Vec<f64>, n: usize, m: usize) -> Vec<f64> {
    let tol = 1e-12 * (0..n).map(|i| a[i * n + i].abs()).fold(0.0, f64::max);
    let mut pivot_ok = vec![false; n];
    for k in 0..n {
        let mag = |r: usize| a[r * n + k].abs();
        let r = (k..n).fold(k, |best, r| if mag(r) > mag(best) { r } else { best });
        if mag(r) <= tol || mag(r).is_nan() {
            continue;
        }
        if r != k {
            (0..n).for_each(|j| a.swap(k * n + j, r * n + j));
            (0..m).for_each(|j| b.swap(k * m + j, r * m + j));
        }
        pivot_ok[k] = true;
        for r in k + 1..n {
            let f = a[r * n + k] / a[k * n + k];
            (k..n).for_each(|j| a[r * n + j] -= f * a[k * n + j]);
            (0..m).for_each(|j| b[r * m + j] -= f * b[k * m + j]);
        }
    }
    let mut x = vec![0.0; n * m];
    for k in (0..n).rev().filter(|&k| pivot_ok[k]) {
        for j in 0..m {
            let s: f64 = (k + 1..n).map(|i| a[k * n + i] * x[i * m + j]).sum();
            x[k * m + j] = (b[k * m + j] - s) / a[k * n + k];
        }
    }
    x
}

/// Multinomial logistic-regression probe on the standardised features
/// (training mean and population std, floor 1e-6, plus a bias column).
/// Minimises mean cross-entropy `+ (l2/2)‖W‖²` (bias unpenalised) by `steps`
/// iterations of full-batch gradient descent from `W = 0` with the fixed step
/// `1/L`, `L = 0.5·mean_i‖x̃_i‖² + l2` (x̃ including the bias 1): a valid bound
/// on the gradient's Lipschitz constant, since the softmax Hessian block is
/// `≤ ½` and `λ_max(X̃ᵀX̃/n) ≤ trace(X̃ᵀX̃/n)`. Returns the test accuracy
/// (argmax of the logits). When `n < dim + 1` the same iterates are computed
/// in dual form on the `n × n` Gram matrix (cheaper). Row/label handling and
/// NaN fallbacks as [`ridge_probe`].
#[allow(clippy::too_many_arguments)]
pub fn logistic_probe(
    train: &[f32],
    train_y: &[usize],
    test: &[f32],
    test_y: &[usize],
    dim: usize,
    classes: usize,
    l2: f64,
    steps: usize,
) -> f64 {
    let d = design(train, train_y, dim, classes);
    if d.y.is_empty() || dim == 0 {
        return f64::NAN;
    }
    let w = logistic_weights(&d, classes, l2, steps, d.y.len() < dim + 1);
    accuracy(test, test_y, dim, &d, &w)
}

/// Gradient descent for [`logistic_probe`]; returns `W` (`classes × (dim+1)`).
/// Primal: parameters `W` on the features `x̃`. Dual: `W = AᵀX̃ + b·e_biasᵀ`,
/// with `A` (`n × classes`) and `b` updated on the Gram matrix `K = X̃X̃ᵀ`
/// (scores `KA + 1bᵀ`); exact because every gradient `RᵀX̃` and the weight
/// decay keep `W`'s feature part in the row span of `X̃`.
fn logistic_weights(d: &Design, classes: usize, l2: f64, steps: usize, dual: bool) -> Vec<f64> {
    let (n, p) = (d.y.len(), d.mean.len() + 1);
    let lip = 0.5 * d.x.iter().map(|v| v * v).sum::<f64>() / n as f64 + l2.max(0.0);
    let (eta, nf) = (1.0 / lip, n as f64);
    let (feat, m) = if dual {
        (gram(&d.x, p), n)
    } else {
        (d.x.clone(), p)
    };
    let xt = if dual {
        Vec::new()
    } else {
        transpose(&d.x, n, p)
    };
    let (mut theta, mut b) = (vec![0.0; classes * m], vec![0.0; classes]);
    let (mut r, mut s) = (vec![0.0; classes * n], vec![0.0; classes]);
    for _ in 0..steps {
        // r = softmax(scores) − one-hot, stored class-major.
        for (i, (fi, &y)) in feat.chunks_exact(m).zip(&d.y).enumerate() {
            for ((sc, tc), bc) in s.iter_mut().zip(theta.chunks_exact(m)).zip(&b) {
                *sc = dot(fi, tc) + bc;
            }
            let mx = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            s.iter_mut().for_each(|v| *v = (*v - mx).exp());
            let inv = 1.0 / s.iter().sum::<f64>();
            for (c, sc) in s.iter().enumerate() {
                r[c * n + i] = sc * inv - if c == y { 1.0 } else { 0.0 };
            }
        }
        for ((tc, rc), bc) in theta.chunks_exact_mut(m).zip(r.chunks_exact(n)).zip(&mut b) {
            if dual {
                *bc += eta * l2 * tc.iter().sum::<f64>();
                tc.iter_mut()
                    .zip(rc)
                    .for_each(|(a, r)| *a = (1.0 - eta * l2) * *a - eta * r / nf);
            } else {
                for (j, (wj, xj)) in tc.iter_mut().zip(xt.chunks_exact(n)).enumerate() {
                    let decay = if j + 1 < p { l2 * *wj } else { 0.0 };
                    *wj -= eta * (dot(rc, xj) / nf + decay);
                }
            }
        }
    }
    if !dual {
        return theta;
    }
    let mut w = vec![0.0; classes * p];
    for ((wc, ac), bc) in w.chunks_exact_mut(p).zip(theta.chunks_exact(n)).zip(&b) {
        for (a, xi) in ac.iter().zip(d.x.chunks_exact(p)) {
            wc.iter_mut().zip(xi).for_each(|(w, x)| *w += a * x);
        }
        wc[p - 1] += bc;
    }
    w
}

/// The complete rows, L2-normalised in f64; a zero (or NaN-norm) row is kept.
fn normalised(rows: &[f32], dim: usize) -> Vec<f64> {
    let mut z = to_f64(rows, dim);
    for r in z.chunks_exact_mut(dim.max(1)) {
        let norm = dot(r, r).sqrt();
        if norm > 0.0 {
            r.iter_mut().for_each(|x| *x /= norm);
        }
    }
    z
}

fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Alignment (Wang & Isola 2020, α = 2): with rows L2-normalised (a zero row
/// stays zero), the mean over `i` of `‖a_i − b_i‖²` over the `min(n_a, n_b)`
/// paired rows. In `[0, 4]`; NaN if there are no pairs.
pub fn alignment(a: &[f32], b: &[f32], dim: usize) -> f64 {
    let n = count(a.len(), dim).min(count(b.len(), dim));
    let (za, zb) = (
        normalised(&a[..n * dim], dim),
        normalised(&b[..n * dim], dim),
    );
    let total: f64 = (0..n)
        .map(|i| sq_dist(row(&za, dim, i), row(&zb, dim, i)))
        .sum();
    if n == 0 {
        f64::NAN
    } else {
        total / n as f64
    }
}

/// Uniformity (Wang & Isola 2020, t = 2): `log mean_{i<j} exp(−2‖z_i − z_j‖²)`
/// on L2-normalised rows (zero rows stay zero), accumulated as a streaming
/// log-sum-exp. In `[−8, 0]`; 0 for identical rows; NaN if `n < 2`.
pub fn uniformity(rows: &[f32], dim: usize) -> f64 {
    let (n, z) = (count(rows.len(), dim), normalised(rows, dim));
    if n < 2 {
        return f64::NAN;
    }
    let (mut mx, mut sum) = (f64::NEG_INFINITY, 0.0);
    for i in 0..n {
        for j in i + 1..n {
            let x = -2.0 * sq_dist(row(&z, dim, i), row(&z, dim, j));
            if x > mx {
                (sum, mx) = (sum * (mx - x).exp() + 1.0, x);
            } else {
                sum += (x - mx).exp();
            }
        }
    }
    mx + sum.ln() - ((n * (n - 1) / 2) as f64).ln()
}

/// SimSiam's collapse indicator: rows L2-normalised (zero rows stay zero), the
/// sample std (÷ `n−1`) over rows of each dimension, averaged over dimensions.
/// About `1/√dim` for spread-out embeddings, 0 for collapse; NaN if `n < 2`.
pub fn embed_std(rows: &[f32], dim: usize) -> f64 {
    let n = count(rows.len(), dim);
    if n < 2 {
        return f64::NAN;
    }
    let zt = transpose(&normalised(rows, dim), n, dim);
    let std = |c: &[f64]| {
        let mean = c.iter().sum::<f64>() / n as f64;
        (c.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64).sqrt()
    };
    zt.chunks_exact(n).map(std).sum::<f64>() / dim as f64
}

/// Given `(step, value)` observations in step order, the first step at which the
/// value has risen half-way from the first observation to the final one
/// (`value ≥ v₀ + ½(final − v₀)`): when a feature or an eigendirection was learned.
/// `None` if the series is empty, has a non-finite end, or did not rise (a value
/// that only falls or stays was never learned). NaN values never qualify.
pub fn t_half(series: &[(u64, f64)]) -> Option<u64> {
    let (&(_, first), &(_, last)) = (series.first()?, series.last()?);
    if !(first.is_finite() && last.is_finite() && last > first) {
        return None;
    }
    let half = first + 0.5 * (last - first);
    series.iter().find(|(_, v)| *v >= half).map(|&(s, _)| s)
}

/// 1-based ranks with ties given their average rank.
fn average_ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&i, &j| x[i].total_cmp(&x[j]));
    let (mut ranks, mut s) = (vec![0.0; x.len()], 0);
    while s < idx.len() {
        let e = s + idx[s..].iter().take_while(|&&k| x[k] == x[idx[s]]).count();
        idx[s..e]
            .iter()
            .for_each(|&k| ranks[k] = (s + e + 1) as f64 / 2.0);
        s = e;
    }
    ranks
}

/// Spearman rank correlation of the pairs `(a_i, b_i)`, `i < min(len)`: the
/// Pearson correlation of the ranks, ties receiving their average rank. NaN if
/// fewer than 2 pairs, any value is non-finite, or either input is constant.
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    if n < 2 || a.iter().chain(b).any(|x| !x.is_finite()) {
        return f64::NAN;
    }
    let mean = (n + 1) as f64 / 2.0;
    let centred = |x: &[f64]| {
        average_ranks(x)
            .iter()
            .map(|r| r - mean)
            .collect::<Vec<_>>()
    };
    let (ra, rb) = (centred(a), centred(b));
    let (saa, sbb) = (dot(&ra, &ra), dot(&rb, &rb));
    if saa == 0.0 || sbb == 0.0 {
        return f64::NAN;
    }
    dot(&ra, &rb) / (saa * sbb).sqrt()
}

/// Each row's coordinates on the first two principal axes (eigenvectors of
/// [`covariance`] with the largest eigenvalues) after centring. Each axis's
/// sign is fixed so that its largest-magnitude component is positive; with
/// `dim == 1` the second coordinate is 0. Fewer than 2 rows gives `(0, 0)`
/// coordinates; NaN inputs propagate.
pub fn principal_plane(rows: &[f32], dim: usize) -> Vec<(f32, f32)> {
    let z = to_f64(rows, dim);
    let (mean, cov) = mean_cov(&z, dim);
    let vt = transpose(&symmetric_eigen(&cov, dim).1, dim, dim); // row k: axis k
    let axis = |k: usize| -> Vec<f64> {
        let v = if k < dim {
            row(&vt, dim, k).to_vec()
        } else {
            vec![0.0; dim]
        };
        let big = v
            .iter()
            .fold(0.0f64, |b, &x| if x.abs() > b.abs() { x } else { b });
        v.iter().map(|x| if big < 0.0 { -x } else { *x }).collect()
    };
    let (a1, a2) = (axis(0), axis(1));
    let proj = |r: &[f64], ax: &[f64]| {
        r.iter()
            .zip(&mean)
            .zip(ax)
            .map(|((x, m), v)| (x - m) * v)
            .sum::<f64>()
    };
    let coords = |r: &[f64]| (proj(r, &a1) as f32, proj(r, &a2) as f32);
    z.chunks_exact(dim.max(1)).map(coords).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// splitmix64 with Box–Muller normals.
    struct Rng(u64);
    impl Rng {
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn uniform(&mut self) -> f64 {
            ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        }
        fn normal(&mut self) -> f64 {
            let (u1, u2) = (self.uniform(), self.uniform());
            (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
        }
        fn gauss(&mut self, len: usize) -> Vec<f32> {
            (0..len).map(|_| self.normal() as f32).collect()
        }
    }

    /// Gaussian blobs: class `i % classes`, mean `sep·e_class`, unit noise.
    fn blobs(rng: &mut Rng, n: usize, dim: usize, sep: f64) -> (Vec<f32>, Vec<usize>) {
        let y: Vec<usize> = (0..n).map(|i| i % 3).collect();
        let shift = |k: usize| if k % dim == y[k / dim] { sep } else { 0.0 };
        let x = (0..n * dim).map(|k| (rng.normal() + shift(k)) as f32);
        (x.collect(), y.clone())
    }

    #[test]
    fn jacobi_known_3x3() {
        let a = [2.0, -1.0, 0.0, -1.0, 2.0, -1.0, 0.0, -1.0, 2.0];
        let l = symmetric_eigenvalues(&a, 3);
        let s = 2f64.sqrt();
        for (x, e) in l.iter().zip([2.0 + s, 2.0, 2.0 - s]) {
            assert!((x - e).abs() < 1e-12, "{l:?}");
        }
        assert_eq!(symmetric_eigenvalues(&[3.0, 0.0, 0.0, 5.0], 2), [5.0, 3.0]);
    }

    #[test]
    fn jacobi_random_20() {
        let (n, mut rng) = (20, Rng(7));
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            for j in i..n {
                a[i * n + j] = rng.normal();
                a[j * n + i] = a[i * n + j];
            }
        }
        let (l, v) = symmetric_eigen(&a, n);
        assert!(l.windows(2).all(|w| w[0] >= w[1]));
        let trace: f64 = (0..n).map(|i| a[i * n + i]).sum();
        assert!((l.iter().sum::<f64>() - trace).abs() < 1e-10);
        let frob = a.iter().map(|x| x * x).sum::<f64>().sqrt();
        assert!((l.iter().map(|x| x * x).sum::<f64>().sqrt() - frob).abs() < 1e-10);
        for k in 0..n {
            let col: Vec<f64> = (0..n).map(|r| v[r * n + k]).collect();
            assert!((dot(&col, &col) - 1.0).abs() < 1e-10);
            let av = |r: usize| dot(&a[r * n..(r + 1) * n], &col);
            let res: f64 = (0..n).map(|r| (av(r) - l[k] * col[r]).powi(2)).sum();
            assert!(res.sqrt() < 1e-10, "residual {res}");
        }
        let vals = symmetric_eigenvalues(&a, n);
        assert!(vals.iter().zip(&l).all(|(x, y)| (x - y).abs() < 1e-12));
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        assert!(symmetric_eigenvalues(&[f64::NAN], 1)[0].is_nan());
        assert!(symmetric_eigenvalues(&[1.0], 2).iter().all(|x| x.is_nan()));
        let zero = symmetric_eigen(&[0.0; 4], 2);
        assert_eq!(zero, (vec![0.0, 0.0], vec![1.0, 0.0, 0.0, 1.0]));
        assert_eq!(covariance(&[1.0, 2.0], 2), [0.0; 4]);
        assert!(covariance(&[], 0).is_empty());
        assert_eq!(covariance_spectrum(&[1.0, 2.0, 3.0, 4.0], 2), [4.0, 0.0]);
        assert_eq!(rankme(&[], 4), 0.0);
        assert_eq!(rankme(&[0.0; 8], 4), 0.0);
        assert_eq!(rankme(&[1.0, f32::NAN, 0.0, 1.0], 2), 0.0);
        assert_eq!(lidar(&[0.0; 8], 2, 2, 2, 0.0), 0.0);
        assert_eq!(lidar(&[1.0; 8], 2, 1, 4, 1e-4), 0.0);
        assert!(lidar(&[1.0; 7], 1, 2, 4, 1e-4).is_nan());
        assert!(ridge_probe(&[], &[], &[1.0], &[0], 1, 2, 1e-3).is_nan());
        assert!(logistic_probe(&[1.0], &[0], &[], &[], 1, 2, 1e-3, 10).is_nan());
        assert!(alignment(&[], &[], 3).is_nan());
        assert!(uniformity(&[1.0, 0.0], 2).is_nan());
        assert!(embed_std(&[1.0; 3], 0).is_nan());
        assert!(spearman(&[1.0], &[2.0]).is_nan());
        assert!(principal_plane(&[], 0).is_empty());
        assert_eq!(principal_plane(&[1.0, 2.0, 3.0], 3), [(0.0, 0.0)]);
    }

    #[test]
    fn covariance_small() {
        let c = covariance(&[1.0, 0.0, 3.0, 2.0, 5.0, 4.0], 2);
        assert_eq!(c, [4.0, 4.0, 4.0, 4.0]);
    }

    #[test]
    fn rankme_isotropic_and_rank2() {
        let mut rng = Rng(1);
        let r = rankme(&rng.gauss(2000 * 16), 16);
        assert!(r > 14.0 && r <= 16.0, "{r}");
        let (u, v) = (rng.gauss(16), rng.gauss(16));
        let mut low = Vec::new();
        for _ in 0..500 {
            let (a, b) = (rng.normal() as f32, rng.normal() as f32);
            low.extend(u.iter().zip(&v).map(|(x, y)| a * x + b * y));
        }
        let r2 = rankme(&low, 16);
        assert!(r2 > 1.0 && r2 <= 2.2, "{r2}");
        // n < dim uses the n × n Gram matrix; same non-zero spectrum.
        let r3 = rankme(&rng.gauss(5 * 16), 16);
        assert!(r3 > 3.0 && r3 <= 5.0, "{r3}");
    }

    #[test]
    fn lidar_separated_vs_line() {
        let (dim, objects, views) = (8, 200, 4);
        let mut rng = Rng(3);
        let (mut spread, mut line) = (Vec::new(), Vec::new());
        let dir = rng.gauss(dim);
        for _ in 0..objects {
            let (mu, t) = (rng.gauss(dim), rng.normal() as f32);
            for _ in 0..views {
                spread.extend(mu.iter().map(|m| 5.0 * m + 0.1 * rng.normal() as f32));
                line.extend(dir.iter().map(|d| 10.0 * t * d + 0.1 * rng.normal() as f32));
            }
        }
        let hi = lidar(&spread, dim, objects, views, 1e-4);
        let lo = lidar(&line, dim, objects, views, 1e-4);
        assert!(hi > 0.8 * dim as f64 && hi <= dim as f64 + 1e-3, "{hi}");
        assert!((1.0..1.5).contains(&lo), "{lo}");
    }

    #[test]
    fn probes_separable_and_noise() {
        let mut rng = Rng(11);
        let (tr, ytr) = blobs(&mut rng, 150, 5, 6.0);
        let (te, yte) = blobs(&mut rng, 300, 5, 6.0);
        let ridge = ridge_probe(&tr, &ytr, &te, &yte, 5, 3, 1e-3);
        let logi = logistic_probe(&tr, &ytr, &te, &yte, 5, 3, 1e-3, 300);
        assert!(ridge >= 0.95 && logi >= 0.95, "{ridge} {logi}");
        let (tr, te) = (rng.gauss(300 * 5), rng.gauss(900 * 5));
        let ytr: Vec<usize> = (0..300).map(|_| (rng.next_u64() % 3) as usize).collect();
        let yte: Vec<usize> = (0..900).map(|_| (rng.next_u64() % 3) as usize).collect();
        let ridge = ridge_probe(&tr, &ytr, &te, &yte, 5, 3, 1e-3);
        let logi = logistic_probe(&tr, &ytr, &te, &yte, 5, 3, 1e-3, 300);
        let chance = |a: f64| (a - 1.0 / 3.0).abs() < 0.08;
        assert!(chance(ridge) && chance(logi), "{ridge} {logi}");
        // Singular system (lambda = 0, duplicated feature) still solves.
        let dup: Vec<f32> = tr
            .chunks_exact(5)
            .flat_map(|r| [r[0], r[0], r[1]])
            .collect();
        assert!(ridge_probe(&dup, &ytr, &dup, &ytr, 3, 3, 0.0) > 0.3);
    }

    #[test]
    fn logistic_dual_matches_primal() {
        let mut rng = Rng(13);
        let (x, y) = blobs(&mut rng, 20, 30, 1.0);
        let d = design(&x, &y, 30, 3);
        let (wp, wd) = (
            logistic_weights(&d, 3, 0.1, 50, false),
            logistic_weights(&d, 3, 0.1, 50, true),
        );
        let scale = wp.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(
            scale > 1e-3
                && wp
                    .iter()
                    .zip(&wd)
                    .all(|(a, b)| (a - b).abs() < 1e-10 * scale)
        );
    }

    #[test]
    fn alignment_uniformity_std() {
        let a = [1.0, 0.0, 0.0, 3.0, 0.0, 0.0];
        let b = [-2.0, 0.0, 0.0, 0.0, -1.0, 0.0];
        assert_eq!(alignment(&a, &a, 3), 0.0);
        assert!((alignment(&a[..3], &b[..3], 3) - 4.0).abs() < 1e-12);
        assert!((alignment(&a, &b, 3) - 3.0).abs() < 1e-12); // (4 + 2) / 2
        assert_eq!(alignment(&[0.0; 3], &[0.0; 3], 3), 0.0);
        let same = [0.3f32, -1.2, 2.0].repeat(10);
        assert!(uniformity(&same, 3).abs() < 1e-12);
        assert!(embed_std(&same, 3).abs() < 1e-7);
        let spread = Rng(5).gauss(300 * 16);
        let u = uniformity(&spread, 16);
        assert!(u < -1.0 && u > -8.0, "{u}");
        let s = embed_std(&spread, 16);
        assert!((s - 0.25).abs() < 0.02, "{s}");
        assert!((uniformity(&[1.0, 0.0, -1.0, 0.0], 2) + 8.0).abs() < 1e-12);
    }

    #[test]
    fn t_half_sigmoid() {
        let sig = |s: u64| 1.0 / (1.0 + (-(s as f64 - 50.0) / 5.0).exp());
        let series: Vec<(u64, f64)> = (0..=100u64).map(|s| (s, sig(s))).collect();
        assert_eq!(t_half(&series), Some(50));
        assert_eq!(t_half(&[]), None);
        assert_eq!(t_half(&[(0, 1.0), (5, 0.0)]), None);
        assert_eq!(t_half(&[(0, 1.0), (5, f64::NAN)]), None);
        assert_eq!(t_half(&[(3, 2.0)]), None);
        assert_eq!(t_half(&[(0, 1.0), (10, 3.0), (20, 5.0)]), Some(10));
    }

    #[test]
    fn spearman_cases() {
        let a = [0.1, 0.5, 2.0, 3.0, 10.0];
        let cube: Vec<f64> = a.iter().map(|x| x * x * x).collect();
        let rev: Vec<f64> = a.iter().map(|x| -x).collect();
        assert!((spearman(&a, &cube) - 1.0).abs() < 1e-12);
        assert!((spearman(&a, &rev) + 1.0).abs() < 1e-12);
        let r = spearman(&[1.0, 2.0, 2.0, 3.0], &[1.0, 2.0, 3.0, 4.0]);
        assert!((r - 4.5 / 22.5f64.sqrt()).abs() < 1e-12, "{r}");
        assert!(spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]).is_nan());
        assert!(spearman(&[1.0, f64::NAN], &[1.0, 2.0]).is_nan());
    }

    #[test]
    fn principal_plane_line() {
        let mut rng = Rng(9);
        let mut rows = Vec::new();
        for _ in 0..50 {
            let t = rng.normal() as f32;
            rows.extend([t, 2.0 * t, -t]);
        }
        let pts = principal_plane(&rows, 3);
        assert_eq!(pts.len(), 50);
        assert!(pts.iter().all(|p| p.1.abs() < 1e-4));
        let var1: f64 = pts.iter().map(|p| f64::from(p.0).powi(2)).sum::<f64>() / 49.0;
        let total: f64 = covariance(&rows, 3).iter().step_by(4).sum();
        assert!((var1 - total).abs() < 1e-4 * total);
        assert_eq!(principal_plane(&[1.0, 3.0], 1), [(-1.0, 0.0), (1.0, 0.0)]);
    }
}
