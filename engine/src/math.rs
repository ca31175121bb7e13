//! The transcendental functions every CPU computation uses, f32 and f64: `exp`, `ln`, `sin`,
//! `cos`, `pow` and the rng's cosine, computed in f64 from its four exact operations and rounded
//! once, so within an ulp of the exact value, without a table and without a call into libm.
//!
//! Why our own everywhere: the page's wasm has no platform libm. Its `f32::exp` and `sin` are the
//! `libm` crate's ports of FreeBSD's, natively they are glibc's, and the two differ in the last
//! bit now and then. A bit is enough: a long noisy run (Basics' dropout claim, 5 seeds of 2,000
//! steps) ended with a train − test gap of 0.138 ± 0.039 in the page and 0.122 ± 0.020 from the
//! CLI, on the same seeds. With these, the page, the CLI and any machine train the same bits.
//! (They are fast too: a branch-free series vectorises, where a libm call does not; built natively
//! with libm's in place of glibc's, an IWAE run took 27 s instead of 20.)

use std::f64::consts::{LN_2, LOG2_E, PI, SQRT_2, TAU};

/// e^x.
#[inline]
pub fn exp(x: f32) -> f32 {
    exp_f64(x)
}

/// The natural logarithm.
#[inline]
pub fn ln(x: f32) -> f32 {
    ln_f64(x)
}

/// cos(2πu) for u in [0, 1): the angle of a Box–Muller draw.
#[inline]
pub fn cos_turns(u: f32) -> f32 {
    cos_turns_f64(u)
}

/// cos x (x in radians; within an ulp for |x| below 10⁵, where the reduction by 2π in f64 is
/// exact enough).
pub fn cos(x: f32) -> f32 {
    if !x.is_finite() {
        return f32::NAN;
    }
    quarter_turns(x as f64 / TAU, 0) as f32
}

/// sin x, as cos(x − π/2) (the quarter turn taken exactly, so small angles keep their digits).
pub fn sin(x: f32) -> f32 {
    if !x.is_finite() {
        return f32::NAN;
    }
    quarter_turns(x as f64 / TAU, 1) as f32
}

/// cos(2πt − shift·π/2): t split into q quarter turns and r in [−⅛, ⅛] turns, θ = 2πr in
/// [−π/4, π/4], and the quarter's sin θ or cos θ by its series (to θ¹⁷ and θ¹⁶: the next terms
/// are below 10⁻¹⁶), so near a zero the result is as accurate relatively as elsewhere.
fn quarter_turns(t: f64, shift: i64) -> f64 {
    let q = ((4.0 * t + ROUND) - ROUND) as i64;
    let theta = TAU * (t - q as f64 / 4.0);
    let t2 = theta * theta;
    let (mut s, mut c) = (1.0f64, 1.0f64);
    let mut n = 16.0f64;
    while n > 0.0 {
        // cos: 1 − θ²/2!(1 − θ²/(3·4)(1 − …)); sin: θ(1 − θ²/(2·3)(1 − θ²/(4·5)(1 − …))).
        c = 1.0 - t2 / (n * (n - 1.0)) * c;
        s = 1.0 - t2 / (n * (n + 1.0)) * s;
        n -= 2.0;
    }
    let sin = theta * s;
    match (q - shift).rem_euclid(4) {
        0 => c,
        1 => -sin,
        2 => -c,
        _ => sin,
    }
}

/// a^b: by squaring for a whole b up to 2^16 in size (exact but for the rounding of each
/// product, and defined for a negative a), else e^(b ln a) in f64. NaN for a negative a and a
/// fractional b.
pub fn pow(a: f32, b: f32) -> f32 {
    pow64(a as f64, b as f64) as f32
}

/// a^b in f64, as [`pow`] (about 10⁻¹¹ relative where it takes the logarithm).
pub fn pow64(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        return if b == 0.0 { 1.0 } else { f64::NAN };
    }
    if b == b.trunc() && b.abs() <= 65_536.0 {
        let (mut base, mut n, mut out) = (a, b.abs() as u32, 1.0f64);
        while n > 0 {
            if n & 1 == 1 {
                out *= base;
            }
            base *= base;
            n >>= 1;
        }
        return if b < 0.0 { 1.0 / out } else { out };
    }
    if a < 0.0 {
        return f64::NAN;
    }
    if a == 0.0 {
        return if b > 0.0 { 0.0 } else { f64::INFINITY };
    }
    exp64(b * ln64(a))
}

/// e^x in f64 (about 10⁻¹¹ relative: the series is the f32 one's); 0 below e^-708, where only
/// subnormals are left.
pub fn exp64(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x < -708.0 {
        return 0.0;
    }
    exp_core(x.min(709.0))
}

/// ln x in f64 (about 10⁻¹¹ relative), for any x.
pub fn ln64(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 {
        return f64::NEG_INFINITY;
    }
    if x == f64::INFINITY {
        return x;
    }
    if x < f64::MIN_POSITIVE {
        // A subnormal: scaled into the normal range first.
        return ln_core(x * 2f64.powi(64)) - 64.0 * LN_2;
    }
    ln_core(x)
}

/// Adding 1.5·2^52 to a double of magnitude below 2^51 rounds it to an integer (ties to even).
const ROUND: f64 = 6_755_399_441_055_744.0;

/// e^x as 2^k · e^r, k the nearest integer to x/ln2 and |r| ≤ ln2/2, where the series to r⁹ is
/// within 10⁻¹¹ of e^r. No branch and no table: a loop of these vectorises (two f64 lanes in
/// wasm's SIMD), which made the wasm build's tanh 1.8× faster than the table-driven version it
/// replaced (within an ulp as that was; tanh on 65,536 draws in [-4, 4] bit for bit). Out of
/// range, the clamp lands where the f32 result is already 0 or infinite; NaN passes through it.
#[inline]
pub fn exp_f64(x: f32) -> f32 {
    // e^89 passes f32::MAX; e^-104 is below half the smallest subnormal.
    exp_core(x.clamp(-104.0, 89.0) as f64) as f32
}

/// e^x for x in [-708, 709] (NaN passes through), as [`exp_f64`] describes.
#[inline]
fn exp_core(x: f64) -> f64 {
    let z = x * LOG2_E;
    let shifted = z + ROUND;
    let k = shifted - ROUND;
    let r = (z - k) * LN_2;
    let p = 1.0
        + r * (1.0
            + r * (1.0 / 2.0
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0
                        + r * (1.0 / 120.0
                            + r * (1.0 / 720.0
                                + r * (1.0 / 5040.0
                                    + r * (1.0 / 40_320.0 + r * (1.0 / 362_880.0)))))))));
    // The low bits of `shifted` hold k in two's complement: shifted into the exponent field
    // with 1023 added, they make 2^k (k is within [-1022, 1023], a normal double).
    let scale = f64::from_bits(shifted.to_bits().wrapping_add(1023) << 52);
    p * scale
}

/// ln x as e·ln2 + ln m, x = m·2^e with m in [√½, √2), and ln m = 2 atanh(s), s = (m-1)/(m+1),
/// |s| ≤ 0.172, by its series to s¹¹ (the next term is below 2·10⁻¹¹).
pub fn ln_f64(x: f32) -> f32 {
    if x.is_nan() || x < 0.0 {
        return f32::NAN;
    }
    if x == 0.0 {
        return f32::NEG_INFINITY;
    }
    if x == f32::INFINITY {
        return x;
    }
    // Exact, and every f32 (subnormals too) is a normal f64.
    ln_core(x as f64) as f32
}

/// ln x for a positive normal x, as [`ln_f64`] describes.
fn ln_core(x: f64) -> f64 {
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & ((1 << 52) - 1)) | (1023 << 52));
    if m > SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let series = s
        * (2.0
            + s2 * (2.0 / 3.0
                + s2 * (2.0 / 5.0 + s2 * (2.0 / 7.0 + s2 * (2.0 / 9.0 + s2 * (2.0 / 11.0))))));
    e as f64 * LN_2 + series
}

/// cos(2πu): the angle brought into [0, π/2] by cos's symmetries, then its series to b¹⁴ (the next
/// term is below 10⁻¹⁰ there).
pub fn cos_turns_f64(u: f32) -> f32 {
    if !u.is_finite() {
        return f32::NAN;
    }
    cos_turns_core(u as f64) as f32
}

/// cos(2πt) for a finite t of magnitude below 2^51, as [`cos_turns_f64`] describes.
fn cos_turns_core(t: f64) -> f64 {
    let t = t - ((t + ROUND) - ROUND);
    let a = TAU * t.abs();
    let (b, sign) = if a > PI / 2.0 {
        (PI - a, -1.0)
    } else {
        (a, 1.0)
    };
    let b2 = b * b;
    // 1 - b²/2! + b⁴/4! - … - b¹⁴/14!, by Horner with each coefficient over the previous.
    let mut c = 1.0;
    let mut n = 14.0;
    while n > 0.0 {
        c = 1.0 - b2 / (n * (n - 1.0)) * c;
        n -= 2.0;
    }
    sign * c
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many f32 steps apart two values are (0 for equal ones, NaN with NaN).
    fn ulps(a: f32, b: f32) -> u32 {
        if a.is_nan() && b.is_nan() || a == b {
            return 0;
        }
        let key = |v: f32| {
            let bits = v.to_bits() as i64;
            if bits < 0x8000_0000 {
                bits
            } else {
                0x8000_0000 - bits
            }
        };
        (key(a) - key(b)).unsigned_abs() as u32
    }

    /// Every 61st f32 bit pattern of both signs (about 70 million values), and the edges.
    fn sweep(mut check: impl FnMut(f32)) {
        for bits in (0..=u32::MAX).step_by(61) {
            check(f32::from_bits(bits));
        }
        for x in [
            0.0,
            -0.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            f32::MIN_POSITIVE,
        ] {
            check(x);
        }
    }

    #[test]
    fn exp_is_within_an_ulp_of_the_double_precision_value() {
        let mut worst = (0, 0.0);
        sweep(|x| {
            let (ours, exact) = (exp_f64(x), (x as f64).exp() as f32);
            let d = ulps(ours, exact);
            assert!(d <= 1, "exp({x:e}) = {ours:e}, exactly {exact:e}");
            if d > worst.0 {
                worst = (d, x);
            }
        });
        // The last finite value and the first overflow; the smallest subnormal.
        assert_eq!(exp_f64(88.72283), (88.72283f32 as f64).exp() as f32);
        assert!(exp_f64(88.72283).is_finite());
        assert_eq!(exp_f64(88.72284), f32::INFINITY);
        assert_eq!(exp_f64(-103.9), f32::from_bits(1));
        assert_eq!(exp_f64(0.0), 1.0);
        println!("exp: worst {} ulp at {:e}", worst.0, worst.1);
    }

    #[test]
    fn ln_is_within_an_ulp_of_the_double_precision_value() {
        sweep(|x| {
            let (ours, exact) = (ln_f64(x), (x as f64).ln() as f32);
            assert!(
                ulps(ours, exact) <= 1,
                "ln({x:e}) = {ours:e}, exactly {exact:e}"
            );
        });
        assert_eq!(ln_f64(1.0), 0.0);
        assert_eq!(ln_f64(-0.0), f32::NEG_INFINITY);
        assert!(ln_f64(-1.0).is_nan());
    }

    #[test]
    fn sin_and_cos_are_within_an_ulp_of_the_double_precision_values() {
        for i in 0..(1u32 << 22) {
            // [-40, 40] radians: every angle the data sets and the sine tasks use.
            let x = (i as f32 / (1u32 << 22) as f32 - 0.5) * 80.0;
            for (ours, exact, name) in [
                (cos(x), (x as f64).cos() as f32, "cos"),
                (sin(x), (x as f64).sin() as f32, "sin"),
            ] {
                assert!(
                    ulps(ours, exact) <= 1,
                    "{name}({x:e}) = {ours:e}, exactly {exact:e}"
                );
            }
        }
        assert!(sin(f32::INFINITY).is_nan() && cos(f32::NAN).is_nan());
        assert_eq!(sin(0.0), 0.0);
        assert_eq!(sin(1e-20), 1e-20);
        assert_eq!(sin(-1e-3), (-1e-3f32 as f64).sin() as f32);
        assert_eq!(cos(0.0), 1.0);
    }

    #[test]
    fn pow_exp64_and_ln64_hold_on_known_values() {
        let a = 0.9f32 as f64;
        assert_eq!(pow(0.9, 3.0), (a * a * a) as f32);
        assert_eq!(pow(-2.0, 3.0), -8.0);
        assert_eq!(pow(2.0, -2.0), 0.25);
        assert_eq!(pow(5.0, 0.0), 1.0);
        assert_eq!(pow(f32::NAN, 0.0), 1.0);
        assert!(pow(-2.0, 0.5).is_nan());
        assert_eq!(pow(0.0, 0.5), 0.0);
        for (a, b) in [(2.0f32, 0.5f32), (0.999, 1234.5), (10.0, -1.5), (3.7, 2.2)] {
            let exact = (a as f64).powf(b as f64) as f32;
            assert!(ulps(pow(a, b), exact) <= 1, "{a}^{b}");
        }
        for x in [1e-300f64, 1e-310, 0.5, 1.0, 3.0, 1e300] {
            assert!(
                (ln64(x) - x.ln()).abs() <= 1e-10 * x.ln().abs().max(1.0),
                "ln {x}"
            );
        }
        for x in [-700.0f64, -1.0, 0.0, 1e-3, 5.0, 700.0, 709.0] {
            assert!((exp64(x) / x.exp() - 1.0).abs() <= 1e-10, "exp {x}");
        }
        assert_eq!(exp64(800.0), exp64(709.0));
        assert_eq!(exp64(-800.0), 0.0);
        assert!(ln64(-1.0).is_nan() && exp64(f64::NAN).is_nan());
    }

    #[test]
    fn cos_turns_is_within_an_ulp_of_the_double_precision_value() {
        for i in 0..(1u32 << 24) {
            let u = i as f32 / (1u32 << 24) as f32;
            let (ours, exact) = (cos_turns_f64(u), (TAU * u as f64).cos() as f32);
            // Near a zero of the cosine an ulp is tiny: allow one of f32's at 1 as well.
            let close = ulps(ours, exact) <= 1 || (ours - exact).abs() <= f32::EPSILON / 2.0;
            assert!(close, "cos(2π·{u:e}) = {ours:e}, exactly {exact:e}");
        }
    }
}
