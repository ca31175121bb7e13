// Batched matrix product over the run axis, either operand transposed (the transposes are just
// strides). Each invocation computes a 4×4 block of the output in registers: per step along the
// contracted axis it loads 4 values of a and 4 of b for 16 multiply-adds. No workgroup memory:
// software GPUs (lavapipe, SwiftShader) run barriers as coroutine switches, which cost more than
// the reuse a shared-memory tile buys at the sizes our labs use.
//
// The GPU backend also compiles this file with an elementwise epilogue fused into the store (a
// bias add and activation, a backward chain), or with a sum over one of its operands done by the
// invocations past the product's (a bias gradient beside its weight gradient): it replaces what
// lies between each pair of FUSED markers with generated code. Left as is, nothing changes.

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
    // FUSED PARAMS BEGIN
    // FUSED PARAMS END
}

@group(0) @binding(0) var<storage, read> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
// FUSED BINDINGS BEGIN
// FUSED BINDINGS END

// FUSED EPILOGUE BEGIN
// The value stored at output element `at` (run-major, contiguous) for the product `v`.
fn epilogue(at: u32, v: f32) -> f32 { return v; }
// FUSED EPILOGUE END

@compute @workgroup_size(64)
fn matmul_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = linear_index(gid, groups);
    // FUSED PROLOGUE BEGIN
    // FUSED PROLOGUE END
    let tiles_m = (p.m + 3u) / 4u;
    let tiles_n = (p.n + 3u) / 4u;
    let tiles = tiles_m * tiles_n;
    if (i >= p.runs * tiles) { return; }
    let run = i / tiles;
    let t = i % tiles;
    let r0 = (t / tiles_n) * 4u;
    let c0 = (t % tiles_n) * 4u;
    // Rows and columns past the edge are clamped for loading and skipped for storing.
    let rows = min(vec4<u32>(r0, r0 + 1u, r0 + 2u, r0 + 3u), vec4<u32>(p.m - 1u));
    let cols = min(vec4<u32>(c0, c0 + 1u, c0 + 2u, c0 + 3u), vec4<u32>(p.n - 1u));
    var ia = p.a_off + run * p.a_run_stride + rows * p.a_row_stride;
    var ib = p.b_off + run * p.b_run_stride + cols * p.b_col_stride;
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var q = 0u; q < p.k; q = q + 1u) {
        let bv = vec4<f32>(b[ib.x], b[ib.y], b[ib.z], b[ib.w]);
        acc0 = acc0 + a[ia.x] * bv;
        acc1 = acc1 + a[ia.y] * bv;
        acc2 = acc2 + a[ia.z] * bv;
        acc3 = acc3 + a[ia.w] * bv;
        ia = ia + p.a_k_stride;
        ib = ib + p.b_k_stride;
    }
    let base = run * p.m * p.n;
    let acc = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
    for (var rr = 0u; rr < 4u; rr = rr + 1u) {
        if (r0 + rr >= p.m) { break; }
        for (var cc = 0u; cc < 4u; cc = cc + 1u) {
            if (c0 + cc < p.n) {
                let at = base + (r0 + rr) * p.n + c0 + cc;
                out[p.out_off + at] = epilogue(at, acc[rr][cc]);
            }
        }
    }
}
