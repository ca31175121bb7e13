// The elementwise maps, shared by elementwise.wgsl's kernels and the fused kernels the GPU backend
// generates (a fused chain calls the same functions, so fusing changes no formula). Op codes are
// `UnaryOp` and `BinaryOp`'s.

fn sigmoid(x: f32) -> f32 {
    if (x >= 0.0) {
        return 1.0 / (1.0 + exp(-x));
    }
    let e = exp(x);
    return e / (1.0 + e);
}

fn unary(op: u32, x: f32) -> f32 {
    switch op {
        case 0u, 16u: { return x; }                                  // identity, detach
        case 1u: { return -x; }
        case 2u: { return exp(x); }
        case 3u: { return log(x); }
        // NOTE: clamped first: some drivers compute tanh as a ratio of exponentials that overflows.
        case 4u: { if (is_nan(x)) { return x; } return tanh(clamp(x, -15.0, 15.0)); }
        case 5u: { if (is_nan(x)) { return x; } return select(0.0, x, x > 0.0); }
        case 6u: { if (is_nan(x)) { return x; } return sigmoid(x); }
        case 7u: { return sqrt(x); }
        case 8u: { return abs(x); }
        case 9u: { return x * x; }
        case 10u: { if (is_nan(x)) { return x; } return select(select(0.0, -1.0, x < 0.0), 1.0, x > 0.0); }
        case 11u: { return floor(x); }
        case 12u: { return sin(x); }
        case 13u: { return cos(x); }
        case 14u: { return 1.0 / x; }
        case 15u: { return select(0.0, 1.0, x > 0.0); }
        default: { return x; }
    }
}

fn binary(op: u32, x: f32, y: f32) -> f32 {
    switch op {
        case 0u: { return x + y; }
        case 1u: { return x - y; }
        case 2u: { return x * y; }
        case 3u: { return x / y; }
        // NOTE: max/min propagate NaN so a diverged run stays visible.
        case 4u: { if (is_nan(x) || is_nan(y)) { return f32_nan(); } return select(y, x, x >= y); }
        case 5u: { if (is_nan(x) || is_nan(y)) { return f32_nan(); } return select(y, x, x <= y); }
        case 6u: { return pow(x, y); }
        case 7u: { return select(0.0, 1.0, x < y); }
        case 8u: { return select(0.0, 1.0, x <= y); }
        case 9u: { return select(0.0, 1.0, x > y); }
        case 10u: { return select(0.0, 1.0, x >= y); }
        case 11u: { return select(0.0, 1.0, x == y); }
        default: { return x; }
    }
}

// The coordinates (run axis first) of element `i` of a contiguous tensor of padded shape `d`.
fn coords(i: u32, d: vec4<u32>) -> vec4<u32> {
    var rest = i;
    let l = rest % d.w;
    rest = rest / d.w;
    let j = rest % d.z;
    rest = rest / d.z;
    let k = rest % d.y;
    rest = rest / d.y;
    return vec4<u32>(rest, k, j, l);
}

// A clamp that lets NaN through (WGSL's clamp may not), so a diverged run stays visible.
fn clamp_keep_nan(x: f32, lo: f32, hi: f32) -> f32 {
    var y = x;
    if (x < lo) { y = lo; }
    if (x > hi) { y = hi; }
    return y;
}

// A constant from its bits, made at run time: generated kernels write clamp bounds this way, so
// infinities and exact values need no literal.
fn f32_bits(b: u32) -> f32 { var v = b; return bitcast<f32>(v); }
