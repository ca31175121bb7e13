//! The one random number generator, counter-based so that CPU and GPU draw the same numbers.
//!
//! A draw is a pure function of (seed, stream, counter, index): no state to carry, no order to keep.
//! `shaders/random.wgsl` is a line-for-line copy in WGSL; `tests/rng.rs` checks the bits agree.

/// PCG's output permutation used as a 32-bit hash ("Hash Functions for GPU Rendering", Jarzynski &
/// Olano 2020): cheap, good avalanche, and only u32 multiply/shift/xor, which WGSL has.
#[inline]
pub fn pcg_hash(v: u32) -> u32 {
    let state = v.wrapping_mul(747_796_405).wrapping_add(2_891_336_453);
    let word = ((state >> ((state >> 28) + 4)) ^ state).wrapping_mul(277_803_737);
    (word >> 22) ^ word
}

/// The 32 random bits for element `index` of draw (`seed`, `stream`, `counter`).
#[inline]
pub fn bits(seed: u32, stream: u32, counter: u32, index: u32) -> u32 {
    let mut h = pcg_hash(seed);
    h = pcg_hash(h ^ stream);
    h = pcg_hash(h ^ counter);
    pcg_hash(h ^ index)
}

/// Uniform in [0, 1) with 24 random bits: exactly representable, so identical on every device.
#[inline]
pub fn uniform(seed: u32, stream: u32, counter: u32, index: u32) -> f32 {
    (bits(seed, stream, counter, index) >> 8) as f32 * (1.0 / 16_777_216.0)
}

/// Standard normal by Box-Muller from two uniform draws at indices 2i and 2i+1 of stream `stream`.
/// Transcendentals differ by a few ulps between devices, so normals agree only to float tolerance.
#[inline]
pub fn normal(seed: u32, stream: u32, counter: u32, index: u32) -> f32 {
    let u1 = uniform(seed, stream, counter, index.wrapping_mul(2));
    let u2 = uniform(seed, stream, counter, index.wrapping_mul(2).wrapping_add(1));
    // NOTE: 1 - u1 lies in (0, 1], so the log never sees zero.
    let radius = (-2.0 * crate::math::ln(1.0 - u1)).sqrt();
    radius * crate::math::cos_turns(u2)
}

/// Seed of run `run` in a group whose first run has `base_seed`: run r of a group draws what run 0
/// of a group seeded `base_seed + r` draws, so a run's numbers do not depend on how many runs share it.
#[inline]
pub fn run_seed(base_seed: u32, run: usize) -> u32 {
    base_seed.wrapping_add(run as u32)
}

/// A 64-bit mix (splitmix64's finaliser), for the host's seeded choices between phases (a
/// reservoir's order, DARE's drops): not drawn on the device, so it need not match WGSL.
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
