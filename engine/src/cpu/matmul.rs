//! The CPU's batched matrix product, register-blocked, with the summation order of its definition.
//!
//! `reference` below is what a product means: each output a sum over k in one fixed order. The
//! blocked kernels compute every output in exactly that order (a tile of outputs at a time, held
//! in registers, instead of one row streamed through memory k times), so they give the same bits:
//! the conformance suite, the claims and the agreement tests see no change. What they change is
//! how often a value is loaded and stored: a 4 × 16 tile loads one row of B and four values of A
//! per step of k for 64 multiply-adds, where the plain loop loads and stores the output row too.
//!
//! - `a · b` and `aᵀ · b`: out[i, j] = ((0 + a(i,0)·b[0,j]) + a(i,1)·b[1,j]) + … (k ascending).
//! - `a · bᵀ`: out[i, j] is `dot` of two rows: eight partial sums over k ≡ l (mod 8), summed,
//!   then the last k mod 8 products in order.
//! - `aᵀ · bᵀ` (no model uses it): the plain loop.
//!
//! On x86-64 the same code is compiled a second time for AVX2 and chosen at run time (no FMA:
//! a fused multiply-add rounds once where the definition rounds twice).

use crate::shape::Shape;

/// Rows and columns of a tile: 4 × 16 keeps eight AVX2 registers of sums; wasm's 128-bit
/// vectors (sixteen registers where the browser compiles it for x86-64) take 4 × 8.
const MR: usize = 4;
#[cfg(not(target_arch = "wasm32"))]
const NR: usize = 16;
#[cfg(target_arch = "wasm32")]
const NR: usize = 8;

/// Σ x·y with eight independent partial sums: the definition of `a · bᵀ`'s outputs.
#[inline(always)]
fn dot(x: &[f32], y: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let chunks = x.len() / 8;
    for c in 0..chunks {
        let (xs, ys) = (&x[c * 8..c * 8 + 8], &y[c * 8..c * 8 + 8]);
        for l in 0..8 {
            acc[l] += xs[l] * ys[l];
        }
    }
    let mut total = acc.iter().sum::<f32>();
    for p in chunks * 8..x.len() {
        total += x[p] * y[p];
    }
    total
}

/// The definition: the plain loops every kernel below must match bit for bit.
#[allow(clippy::too_many_arguments)]
#[cfg(test)]
pub fn reference(
    a: &[f32],
    sa: &Shape,
    ta: bool,
    b: &[f32],
    sb: &Shape,
    tb: bool,
    out: &mut [f32],
    so: &Shape,
) {
    let (each, (m, n, k)) = runs((a, sa, ta), (b, sb), out, so);
    for (a, b, o) in each {
        o.fill(0.0);
        for i in 0..m {
            let orow = &mut o[i * n..(i + 1) * n];
            if tb {
                if ta {
                    for (j, oj) in orow.iter_mut().enumerate() {
                        let brow = &b[j * k..(j + 1) * k];
                        *oj = (0..k).map(|p| a[p * m + i] * brow[p]).sum();
                    }
                } else {
                    let arow = &a[i * k..(i + 1) * k];
                    for (j, oj) in orow.iter_mut().enumerate() {
                        *oj = dot(arow, &b[j * k..(j + 1) * k]);
                    }
                }
            } else {
                for p in 0..k {
                    let aip = if ta { a[p * m + i] } else { a[i * k + p] };
                    let brow = &b[p * n..(p + 1) * n];
                    for (oj, &bj) in orow.iter_mut().zip(brow) {
                        *oj += aip * bj;
                    }
                }
            }
        }
    }
}

/// One run's A, B and output.
type Run<'a> = (&'a [f32], &'a [f32], &'a mut [f32]);

/// Each run's operands and output, and (m, n, k); an operand with a run axis of 1 is every
/// run's. (An iterator, not a closure to call: a closure may be compiled apart from the AVX2
/// function that inlines this, without its target features.)
#[inline(always)]
fn runs<'a>(
    (a, sa, ta): (&'a [f32], &Shape, bool),
    (b, sb): (&'a [f32], &Shape),
    out: &'a mut [f32],
    so: &Shape,
) -> (impl Iterator<Item = Run<'a>>, (usize, usize, usize)) {
    let (m, n) = (so.0[1], so.0[2]);
    let k = if ta { sa.0[1] } else { sa.0[2] };
    let (a_step, b_step) = (
        if sa.runs() == 1 { 0 } else { m * k },
        if sb.runs() == 1 { 0 } else { k * n },
    );
    // An empty product has no runs to write (and a chunk size must not be 0).
    let each = out
        .chunks_exact_mut((m * n).max(1))
        .enumerate()
        .map(move |(r, o)| (&a[r * a_step..][..m * k], &b[r * b_step..][..k * n], o));
    (each, (m, n, k))
}

/// Batched product with optional transposes; a run axis of 1 broadcasts. Every output is
/// written (`out` need not be zeroed), in `reference`'s bits.
#[allow(clippy::too_many_arguments)]
pub fn matmul(
    a: &[f32],
    sa: &Shape,
    ta: bool,
    b: &[f32],
    sb: &Shape,
    tb: bool,
    out: &mut [f32],
    so: &Shape,
) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            unsafe { matmul_avx2(a, sa, ta, b, sb, tb, out, so) };
            return;
        }
    }
    blocked(a, sa, ta, b, sb, tb, out, so)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
unsafe fn matmul_avx2(
    a: &[f32],
    sa: &Shape,
    ta: bool,
    b: &[f32],
    sb: &Shape,
    tb: bool,
    out: &mut [f32],
    so: &Shape,
) {
    blocked(a, sa, ta, b, sb, tb, out, so)
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn blocked(
    a: &[f32],
    sa: &Shape,
    ta: bool,
    b: &[f32],
    sb: &Shape,
    tb: bool,
    out: &mut [f32],
    so: &Shape,
) {
    let (each, (m, n, k)) = runs((a, sa, ta), (b, sb), out, so);
    // Taken and put back, not borrowed in a closure (see `abt`).
    let mut pack = PACK.take();
    for (a, b, o) in each {
        let rows = Rows {
            data: b,
            first: 0,
            stride: n,
        };
        match (ta, tb) {
            (false, false) => ab(
                |i, p| a[i * k + p],
                rows,
                k,
                o,
                (m, n),
                Init::Zero,
                &mut pack,
            ),
            (true, false) => ab(
                |i, p| a[p * m + i],
                rows,
                k,
                o,
                (m, n),
                Init::Zero,
                &mut pack,
            ),
            (false, true) => abt(a, b, o, (m, n, k), &mut pack),
            (true, true) => {
                for i in 0..m {
                    for j in 0..n {
                        let brow = &b[j * k..(j + 1) * k];
                        o[i * n + j] = (0..k).map(|p| a[p * m + i] * brow[p]).sum();
                    }
                }
            }
        }
    }
    PACK.set(pack);
}

/// B's rows as `ab` reads them: row p is `data[first + p · stride..]`, its first n values.
#[derive(Clone, Copy)]
struct Rows<'b> {
    data: &'b [f32],
    first: usize,
    stride: usize,
}

/// Where a tile's sums start, and where they go.
#[derive(Clone, Copy, PartialEq)]
enum Init {
    /// From 0, written to the output.
    Zero,
    /// From 0, added to the output when done.
    ZeroThenAdd,
    /// From the output's value.
    Output,
}

/// out (op)= A·B over `steps` steps p, A read through `at(i, p)`, B's rows as `rows` says (n
/// values each): tiles of MR × NR outputs, then MR × 8, then single columns, each summed over p
/// in ascending order. Each band of rows' A values are first packed step by step into `pack`,
/// so a tile's inner loop reads A and B through one pointer each, with one bounds check a step.
#[inline(always)]
fn ab(
    at: impl Fn(usize, usize) -> f32 + Copy,
    rows: Rows,
    steps: usize,
    o: &mut [f32],
    (m, n): (usize, usize),
    init: Init,
    pack: &mut Vec<f32>,
) {
    let mut i = 0;
    while i + MR <= m {
        band::<MR>(at, rows, steps, o, (n, i), init, pack);
        i += MR;
    }
    while i < m {
        band::<1>(at, rows, steps, o, (n, i), init, pack);
        i += 1;
    }
}

/// Rows i..i + R of `ab`'s output.
#[inline(always)]
fn band<const R: usize>(
    at: impl Fn(usize, usize) -> f32,
    rows: Rows,
    steps: usize,
    o: &mut [f32],
    (n, i): (usize, usize),
    init: Init,
    pack: &mut Vec<f32>,
) {
    pack.clear();
    pack.resize(steps * R, 0.0);
    for (p, step) in pack.chunks_exact_mut(R).enumerate() {
        for (r, v) in step.iter_mut().enumerate() {
            *v = at(i + r, p);
        }
    }
    let apack = &pack[..];
    let mut j = 0;
    while j + NR <= n {
        tile::<R, NR>(apack, rows, steps, o, n, (i, j), init);
        j += NR;
    }
    while j + 8 <= n {
        tile::<R, 8>(apack, rows, steps, o, n, (i, j), init);
        j += 8;
    }
    while j < n {
        tile::<R, 1>(apack, rows, steps, o, n, (i, j), init);
        j += 1;
    }
}

#[inline(always)]
fn tile<const R: usize, const C: usize>(
    apack: &[f32],
    rows: Rows,
    steps: usize,
    o: &mut [f32],
    n: usize,
    (i, j): (usize, usize),
    init: Init,
) {
    let mut acc = [[0.0f32; C]; R];
    if init == Init::Output {
        for (r, row) in acc.iter_mut().enumerate() {
            row.copy_from_slice(&o[(i + r) * n + j..(i + r) * n + j + C]);
        }
    }
    if steps > 0 {
        // Row p's columns j.. start `stride` after row p - 1's: every row holds C of them.
        let brows = rows.data[rows.first + j..].chunks(rows.stride);
        for (a, brow) in apack.chunks_exact(R).zip(brows).take(steps) {
            let b: &[f32; C] = brow[..C].try_into().unwrap();
            for (row, &av) in acc.iter_mut().zip(a) {
                for c in 0..C {
                    row[c] += av * b[c];
                }
            }
        }
    }
    for (r, row) in acc.iter().enumerate() {
        let out = &mut o[(i + r) * n + j..(i + r) * n + j + C];
        if init == Init::ZeroThenAdd {
            for c in 0..C {
                out[c] += row[c];
            }
        } else {
            out.copy_from_slice(row);
        }
    }
}

/// out = A·Bᵀ, A [m, k] and B [n, k] row-major, in `dot`'s order: for k ≥ 8 by `abt_lanes`;
/// below (few products an output, many outputs), lane by lane. `dot`'s lane l is the
/// product of A's columns l, l + 8, … with B's rows l, l + 8, … summed in order: with B
/// transposed into a scratch [k, n] once, each lane is a product of `ab`'s kind, added to the
/// output lane after lane (as `dot` sums its lanes), then the last k mod 8 columns are added in
/// order.
#[inline(always)]
fn abt(a: &[f32], b: &[f32], o: &mut [f32], (m, n, k): (usize, usize, usize), pack: &mut Vec<f32>) {
    // Its eight vectors of sums are sixteen of wasm's 128-bit ones: all the registers, so the
    // page keeps the lane-by-lane kernel below (measured faster there).
    #[cfg(not(target_arch = "wasm32"))]
    if k >= 8 {
        return abt_lanes(a, b, o, (m, n, k));
    }
    // Taken and put back, not borrowed in a closure: a closure would be compiled apart from
    // this function, without its target features.
    let mut bt = SCRATCH.take();
    abt_with(a, b, o, (m, n, k), &mut bt, pack);
    SCRATCH.set(bt);
}

#[inline(always)]
fn abt_with(
    a: &[f32],
    b: &[f32],
    o: &mut [f32],
    (m, n, k): (usize, usize, usize),
    bt: &mut Vec<f32>,
    pack: &mut Vec<f32>,
) {
    if n < 8 {
        for i in 0..m {
            for j in 0..n {
                o[i * n + j] = dot(&a[i * k..(i + 1) * k], &b[j * k..(j + 1) * k]);
            }
        }
        return;
    }
    let chunks = k / 8;
    // What `dot` sums its lanes onto (`iter().sum()`'s start), and its sum of eight empty lanes.
    let start: f32 = std::iter::empty::<f32>().sum();
    let empty: f32 = [0.0f32; 8].iter().sum();
    {
        bt.clear();
        bt.resize(k * n, 0.0);
        for (j, row) in b.chunks_exact(k).enumerate() {
            for (p, &v) in row.iter().enumerate() {
                bt[p * n + j] = v;
            }
        }
        let bt_ref = &bt[..];
        if chunks == 0 {
            o.fill(empty);
        } else {
            o.fill(start);
            for l in 0..8 {
                let lane = Rows {
                    data: bt_ref,
                    first: l * n,
                    stride: 8 * n,
                };
                ab(
                    |i, c| a[i * k + 8 * c + l],
                    lane,
                    chunks,
                    o,
                    (m, n),
                    Init::ZeroThenAdd,
                    pack,
                );
            }
        }
        let main = chunks * 8;
        let tail = Rows {
            data: bt_ref,
            first: main * n,
            stride: n,
        };
        ab(
            |i, t| a[i * k + main + t],
            tail,
            k - main,
            o,
            (m, n),
            Init::Output,
            pack,
        );
    }
}

/// `abt` for k ≥ 8, `dot` itself vectorised: its eight lanes are one vector of sums per output,
/// for a tile of 2 rows of A × 4 rows of B (eight vectors of sums, each row's chunk of eight
/// loaded once a step for 4 or 2 outputs); each output then sums its lanes in order onto
/// `dot`'s start and adds the last k mod 8 products in order. The remaining rows and columns
/// take `dot` itself.
#[cfg(not(target_arch = "wasm32"))]
#[inline(always)]
fn abt_lanes(a: &[f32], b: &[f32], o: &mut [f32], (m, n, k): (usize, usize, usize)) {
    let (chunks, main) = (k / 8, k / 8 * 8);
    let start: f32 = std::iter::empty::<f32>().sum();
    #[inline(always)]
    fn rows(x: &[f32], r: usize, k: usize) -> &[f32] {
        &x[r * k..(r + 1) * k]
    }
    let row = |x, r| rows(x, r, k);
    let (mut i, mut done_rows) = (0, 0);
    while i + 2 <= m {
        let ar = [row(a, i), row(a, i + 1)];
        let mut j = 0;
        while j + 4 <= n {
            let br = [row(b, j), row(b, j + 1), row(b, j + 2), row(b, j + 3)];
            let mut acc = [[[0.0f32; 8]; 4]; 2];
            for c in 0..chunks {
                let at = 8 * c..8 * c + 8;
                let a0: &[f32; 8] = ar[0][at.clone()].try_into().unwrap();
                let a1: &[f32; 8] = ar[1][at.clone()].try_into().unwrap();
                let b0: &[f32; 8] = br[0][at.clone()].try_into().unwrap();
                let b1: &[f32; 8] = br[1][at.clone()].try_into().unwrap();
                let b2: &[f32; 8] = br[2][at.clone()].try_into().unwrap();
                let b3: &[f32; 8] = br[3][at].try_into().unwrap();
                for l in 0..8 {
                    acc[0][0][l] += a0[l] * b0[l];
                    acc[0][1][l] += a0[l] * b1[l];
                    acc[0][2][l] += a0[l] * b2[l];
                    acc[0][3][l] += a0[l] * b3[l];
                    acc[1][0][l] += a1[l] * b0[l];
                    acc[1][1][l] += a1[l] * b1[l];
                    acc[1][2][l] += a1[l] * b2[l];
                    acc[1][3][l] += a1[l] * b3[l];
                }
            }
            for (r, acc_r) in acc.iter().enumerate() {
                for (q, lanes) in acc_r.iter().enumerate() {
                    let mut total = start;
                    for &lane in lanes {
                        total += lane;
                    }
                    for p in main..k {
                        total += ar[r][p] * br[q][p];
                    }
                    o[(i + r) * n + j + q] = total;
                }
            }
            j += 4;
        }
        for j in j..n {
            for r in 0..2 {
                o[(i + r) * n + j] = dot(ar[r], row(b, j));
            }
        }
        i += 2;
        done_rows = i;
    }
    for i in done_rows..m {
        for j in 0..n {
            o[i * n + j] = dot(row(a, i), row(b, j));
        }
    }
}

thread_local! {
    /// Bᵀ for `abt`, kept between products so a step allocates nothing.
    static SCRATCH: std::cell::Cell<Vec<f32>> = const { std::cell::Cell::new(Vec::new()) };
    /// A band's A values, step by step (`band`), kept likewise.
    static PACK: std::cell::Cell<Vec<f32>> = const { std::cell::Cell::new(Vec::new()) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng;

    /// Every kernel, on every shape near its tiles' edges and with a run axis broadcast or not,
    /// gives the definition's bits.
    #[test]
    fn blocked_products_give_the_definitions_bits() {
        let sizes = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64];
        let mut cases = 0;
        for (s, &m) in sizes.iter().enumerate() {
            for &n in &sizes {
                for &k in &[1, 2, 7, 8, 9, 16, 17, 64] {
                    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                        let runs = 1 + (m + n + k) % 3;
                        let a_runs = if s % 2 == 0 { runs } else { 1 };
                        let sa = if ta {
                            Shape::new(&[a_runs, k, m])
                        } else {
                            Shape::new(&[a_runs, m, k])
                        };
                        let sb = if tb {
                            Shape::new(&[runs, n, k])
                        } else {
                            Shape::new(&[runs, k, n])
                        };
                        let so = Shape::new(&[runs, m, n]);
                        let fill = |len: usize, stream: u32| -> Vec<f32> {
                            (0..len)
                                .map(|i| rng::normal(7, stream, cases, i as u32) * 3.0)
                                .collect()
                        };
                        let (a, b) = (fill(sa.numel(), 1), fill(sb.numel(), 2));
                        let mut want = vec![f32::NAN; so.numel()];
                        reference(&a, &sa, ta, &b, &sb, tb, &mut want, &so);
                        // Not zeroed: every output is written.
                        let mut got = vec![f32::NAN; so.numel()];
                        matmul(&a, &sa, ta, &b, &sb, tb, &mut got, &so);
                        let (w, g): (Vec<u32>, Vec<u32>) = (
                            want.iter().map(|v| v.to_bits()).collect(),
                            got.iter().map(|v| v.to_bits()).collect(),
                        );
                        assert_eq!(w, g, "m {m} n {n} k {k} ta {ta} tb {tb} runs {runs}");
                        let mut portable = vec![f32::NAN; so.numel()];
                        blocked(&a, &sa, ta, &b, &sb, tb, &mut portable, &so);
                        assert_eq!(portable, got);
                        cases += 1;
                    }
                }
            }
        }
    }
}

/// The playground step's products, timed against the definition: `cargo test -p
/// methodlab-engine --release matmul_figures -- --ignored --nocapture` (figures, not a test).
#[cfg(test)]
mod figures {
    use super::*;
    use std::time::Instant;

    #[test]
    #[ignore]
    fn matmul_figures() {
        // (m, n, k, ta, tb): forward, then each layer's input and weight gradients.
        let shapes = [
            (32, 64, 2, false, false),
            (32, 64, 64, false, false),
            (32, 1, 64, false, false),
            (32, 64, 1, false, true),
            (64, 1, 32, true, false),
            (32, 64, 64, false, true),
            (64, 64, 32, true, false),
            (2, 64, 32, true, false),
        ];
        for (m, n, k, ta, tb) in shapes {
            let sa = if ta {
                Shape::new(&[1, k, m])
            } else {
                Shape::new(&[1, m, k])
            };
            let sb = if tb {
                Shape::new(&[1, n, k])
            } else {
                Shape::new(&[1, k, n])
            };
            let so = Shape::new(&[1, m, n]);
            let a: Vec<f32> = (0..sa.numel()).map(|i| (i % 7) as f32 * 0.1).collect();
            let b: Vec<f32> = (0..sb.numel()).map(|i| (i % 5) as f32 * 0.1).collect();
            let mut out = vec![0.0; so.numel()];
            let time = |f: &mut dyn FnMut()| {
                let reps = 20_000;
                let t = Instant::now();
                for _ in 0..reps {
                    f();
                }
                t.elapsed().as_secs_f64() / reps as f64 * 1e6
            };
            let plain = time(&mut || reference(&a, &sa, ta, &b, &sb, tb, &mut out, &so));
            let fast = time(&mut || matmul(&a, &sa, ta, &b, &sb, tb, &mut out, &so));
            let madds = (m * n * k) as f64;
            println!(
                "m {m:3} n {n:3} k {k:3} ta {ta:5} tb {tb:5}: definition {plain:6.2} µs, blocked {fast:6.2} µs ({:.1} G madd/s)",
                madds / fast / 1e3
            );
        }
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: both features checked just above.
            let (separate, fused) = unsafe { (ceiling(false), ceiling(true)) };
            println!(
                "this core from registers, 256-bit: multiply then add {separate:.1} G madd/s, fused multiply-add {fused:.1} G madd/s"
            );
        }
    }

    /// Multiply-adds a second on twelve independent 256-bit sums, from registers: about what a
    /// product can reach, rounding twice (the definition) or once (FMA, which we do not use).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn ceiling(fma: bool) -> f64 {
        use std::arch::x86_64::*;
        let (x, y) = (_mm256_set1_ps(0.999_999), _mm256_set1_ps(1e-7));
        let mut acc = [_mm256_set1_ps(1.0); 12];
        let reps = 2_000_000u64;
        let t = Instant::now();
        for _ in 0..reps {
            for a in acc.iter_mut() {
                *a = if fma {
                    _mm256_fmadd_ps(*a, x, y)
                } else {
                    _mm256_add_ps(_mm256_mul_ps(*a, x), y)
                };
            }
        }
        let seconds = t.elapsed().as_secs_f64();
        let mut sink = [0.0f32; 8];
        let sum = acc.iter().fold(x, |s, &a| _mm256_add_ps(s, a));
        _mm256_storeu_ps(sink.as_mut_ptr(), sum);
        std::hint::black_box(sink);
        (reps * 12 * 8) as f64 / seconds / 1e9
    }
}
