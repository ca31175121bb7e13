// Reductions along one axis of a tensor seen as [outer, len, inner]; one invocation per output.

struct Params {
    outer: u32,
    len: u32,
    inner: u32,
    op: u32,        // 0 sum, 1 max
    in_off: u32,
    out_off: u32,
    _pad0: u32,
    _pad1: u32,
    // FUSED PARAMS BEGIN
    // FUSED PARAMS END
}

@group(0) @binding(0) var<storage, read> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
// FUSED BINDINGS BEGIN
// FUSED BINDINGS END

// FUSED EPILOGUE BEGIN
// The value stored at output element `at` for the reduction `v` (the GPU backend may fuse the maps
// that read it here, as in matmul.wgsl: a mean's scale, a norm's square root).
fn epilogue(at: u32, v: f32) -> f32 { return v; }
// FUSED EPILOGUE END

// FUSED INPUT BEGIN
// Element `at` (counted from the tensor's start) of the tensor reduced (the GPU backend may
// compute the maps that make it here instead of storing it: a squared error before its mean).
fn input(at: u32) -> f32 { return a[p.in_off + at]; }
// FUSED INPUT END

@compute @workgroup_size(64)
fn reduce_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = linear_index(gid, groups);
    if (i >= p.outer * p.inner) { return; }
    let o = i / p.inner;
    let j = i % p.inner;
    let base = o * p.len * p.inner + j;
    var acc = 0.0;
    if (p.op == 1u) { acc = f32_neg_inf(); }   // -inf
    for (var k = 0u; k < p.len; k = k + 1u) {
        let v = input(base + k * p.inner);
        if (p.op == 0u) {
            acc = acc + v;
        } else if (is_nan(v) || is_nan(acc)) {
            acc = f32_nan();
        } else {
            acc = max(acc, v);
        }
    }
    out[p.out_off + i] = epilogue(i, acc);
}
