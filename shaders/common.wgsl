// Shared helpers, prepended to every kernel family by the GPU backend.

const WG: u32 = 64u;

// Linear invocation index for 1-D work spread over a 2-D grid of 64-wide workgroups
// (a grid is at most 65535 groups per axis).
fn linear_index(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
    return gid.x + gid.y * groups.x * WG;
}

// NaN test on the bits: compilers may assume `x != x` is false.
fn is_nan(x: f32) -> bool {
    return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

// NaN and -inf made at run time: Tint (Chromium's WGSL compiler) rejects them as constant
// expressions ("value nan cannot be represented as 'f32'").
fn f32_nan() -> f32 { var bits = 0x7fc00000u; return bitcast<f32>(bits); }
fn f32_neg_inf() -> f32 { var bits = 0xff800000u; return bitcast<f32>(bits); }

// The counter-based generator of engine/src/rng.rs, line for line: CPU and GPU draw the same
// bits (random.wgsl's draws, and the step kernel's).
fn pcg_hash(v: u32) -> u32 {
    let state = v * 747796405u + 2891336453u;
    let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
    return (word >> 22u) ^ word;
}

fn bits(seed: u32, stream: u32, count: u32, index: u32) -> u32 {
    var h = pcg_hash(seed);
    h = pcg_hash(h ^ stream);
    h = pcg_hash(h ^ count);
    return pcg_hash(h ^ index);
}

fn uniform01(seed: u32, stream: u32, count: u32, index: u32) -> f32 {
    return f32(bits(seed, stream, count, index) >> 8u) * (1.0 / 16777216.0);
}
