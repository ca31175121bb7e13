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
    for (a, b, o) in each {
        match (ta, tb) {
            (false, false) => ab(
                |i, p| a[i * k + p],
                |p| &b[p * n..],
                k,
                o,
                (m, n),
                Init::Zero,
            ),
            (true, false) => ab(
                |i, p| a[p * m + i],
                |p| &b[p * n..],
                k,
                o,
                (m, n),
                Init::Zero,
            ),
            (false, true) => abt(a, b, o, m, n, k),
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

/// out (op)= A·B over `steps` steps p, A read through `at(i, p)`, row p of B through `brow(p)`
/// (n values): tiles of MR × NR outputs, then MR × 8, then single columns, each summed over p
/// in ascending order.
#[inline(always)]
fn ab<'b>(
    at: impl Fn(usize, usize) -> f32 + Copy,
    brow: impl Fn(usize) -> &'b [f32] + Copy,
    steps: usize,
    o: &mut [f32],
    (m, n): (usize, usize),
    init: Init,
) {
    let mut i = 0;
    while i + MR <= m {
        let mut j = 0;
        while j + NR <= n {
            tile::<MR, NR>(at, brow, steps, o, n, (i, j), init);
            j += NR;
        }
        while j + 8 <= n {
            tile::<MR, 8>(at, brow, steps, o, n, (i, j), init);
            j += 8;
        }
        while j < n {
            tile::<MR, 1>(at, brow, steps, o, n, (i, j), init);
            j += 1;
        }
        i += MR;
    }
    while i < m {
        let mut j = 0;
        while j + NR <= n {
            tile::<1, NR>(at, brow, steps, o, n, (i, j), init);
            j += NR;
        }
        while j < n {
            tile::<1, 1>(at, brow, steps, o, n, (i, j), init);
            j += 1;
        }
        i += 1;
    }
}

#[inline(always)]
fn tile<'b, const R: usize, const C: usize>(
    at: impl Fn(usize, usize) -> f32,
    brow: impl Fn(usize) -> &'b [f32],
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
    for p in 0..steps {
        let b: &[f32; C] = brow(p)[j..j + C].try_into().unwrap();
        for (r, row) in acc.iter_mut().enumerate() {
            let av = at(i + r, p);
            for c in 0..C {
                row[c] += av * b[c];
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

/// out = A·Bᵀ, A [m, k] and B [n, k] row-major, in `dot`'s order. `dot`'s lane l is the
/// product of A's columns l, l + 8, … with B's rows l, l + 8, … summed in order: with B
/// transposed into a scratch [k, n] once, each lane is a product of `ab`'s kind, added to the
/// output lane after lane (as `dot` sums its lanes), then the last k mod 8 columns are added in
/// order.
#[inline(always)]
fn abt(a: &[f32], b: &[f32], o: &mut [f32], m: usize, n: usize, k: usize) {
    // Taken and put back, not borrowed in a closure: a closure would be compiled apart from
    // this function, without its target features.
    let mut bt = SCRATCH.take();
    abt_with(a, b, o, (m, n, k), &mut bt);
    SCRATCH.set(bt);
}

#[inline(always)]
fn abt_with(
    a: &[f32],
    b: &[f32],
    o: &mut [f32],
    (m, n, k): (usize, usize, usize),
    bt: &mut Vec<f32>,
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
                ab(
                    |i, c| a[i * k + 8 * c + l],
                    |c| &bt_ref[(8 * c + l) * n..],
                    chunks,
                    o,
                    (m, n),
                    Init::ZeroThenAdd,
                );
            }
        }
        let main = chunks * 8;
        ab(
            |i, t| a[i * k + main + t],
            |t| &bt_ref[(main + t) * n..],
            k - main,
            o,
            (m, n),
            Init::Output,
        );
    }
}

thread_local! {
    /// Bᵀ for `abt`, kept between products so a step allocates nothing.
    static SCRATCH: std::cell::Cell<Vec<f32>> = const { std::cell::Cell::new(Vec::new()) };
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
    }
}
