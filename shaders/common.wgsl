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
