//! `exp`, `ln` and the rng's cosine for f32, computed in f64 and rounded once, so within an ulp
//! of the exact value, without a table to load and without a call into libm.
//!
//! Why: the page's wasm has no platform libm. Its `f32::exp` and `ln` are the `libm` crate's
//! scalar ports of FreeBSD's, and built natively with those in place of glibc's, an IWAE run
//! (`#/vae?v=1&methods=iwae`) took 27 s instead of 20. So the CPU backend uses these in the wasm
//! build ([`exp`], [`ln`], [`cos_turns`]) and the platform's natively, where they are as good.
//! The functions themselves ([`exp_f64`], [`ln_f64`], [`cos_turns_f64`]) are built and tested
//! everywhere.

use std::f64::consts::{LN_2, LOG2_E, PI, SQRT_2, TAU};

/// e^x.
#[cfg(target_arch = "wasm32")]
#[inline]
pub fn exp(x: f32) -> f32 {
    exp_f64(x)
}
/// e^x.
#[cfg(not(target_arch = "wasm32"))]
pub fn exp(x: f32) -> f32 {
    x.exp()
}

/// The natural logarithm.
#[cfg(target_arch = "wasm32")]
pub fn ln(x: f32) -> f32 {
    ln_f64(x)
}
/// The natural logarithm.
#[cfg(not(target_arch = "wasm32"))]
pub fn ln(x: f32) -> f32 {
    x.ln()
}

/// cos(2πu) for u in [0, 1): the angle of a Box–Muller draw.
#[cfg(target_arch = "wasm32")]
pub fn cos_turns(u: f32) -> f32 {
    cos_turns_f64(u)
}
/// cos(2πu) for u in [0, 1): the angle of a Box–Muller draw.
#[cfg(not(target_arch = "wasm32"))]
pub fn cos_turns(u: f32) -> f32 {
    (std::f32::consts::TAU * u).cos()
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
    let z = x.clamp(-104.0, 89.0) as f64 * LOG2_E;
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
    // with 1023 added, they make 2^k (k is within [-150, 129], a normal double).
    let scale = f64::from_bits(shifted.to_bits().wrapping_add(1023) << 52);
    (p * scale) as f32
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
    let bits = (x as f64).to_bits();
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
    (e as f64 * LN_2 + series) as f32
}

/// cos(2πu): the angle brought into [0, π/2] by cos's symmetries, then its series to b¹⁴ (the next
/// term is below 10⁻¹⁰ there).
pub fn cos_turns_f64(u: f32) -> f32 {
    if !u.is_finite() {
        return f32::NAN;
    }
    let t = u as f64;
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
    (sign * c) as f32
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
