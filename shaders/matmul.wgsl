// Batched matrix product over the run axis, either operand transposed (the transposes are just
// strides). One invocation per output element, no workgroup memory: software rasterisers
// (lavapipe, SwiftShader) run workgroup barriers as coroutine switches, which cost more than
// the reuse a tiled kernel buys at the sizes our labs use.

struct Params {
    m: u32,
    n: u32,
    k: u32,
    runs: u32,
    a_off: u32,
    b_off: u32,
    out_off: u32,
    a_run_stride: u32,   // 0 when a is shared by every run
    b_run_stride: u32,
    a_row_stride: u32,   // step between output rows in a
    a_k_stride: u32,     // step along the contracted axis in a
    b_k_stride: u32,     // step along the contracted axis in b
    b_col_stride: u32,   // step between output columns in b
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<storage, read> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn matmul_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = linear_index(gid, groups);
    let per_run = p.m * p.n;
    if (i >= p.runs * per_run) { return; }
    let run = i / per_run;
    let row = (i % per_run) / p.n;
    let col = i % p.n;
    var ia = p.a_off + run * p.a_run_stride + row * p.a_row_stride;
    var ib = p.b_off + run * p.b_run_stride + col * p.b_col_stride;
    var acc = 0.0;
    for (var q = 0u; q < p.k; q = q + 1u) {
        acc = acc + a[ia] * b[ib];
        ia = ia + p.a_k_stride;
        ib = ib + p.b_k_stride;
    }
    out[p.out_off + i] = acc;
}
