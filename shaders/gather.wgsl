// Row gather and scatter-add along axis 1 of [R, rows, D] tensors, with f32 row indices [R|1, B].
// Gather clamps indices into range; scatter-add drops rows outside [0, rows).

struct Params {
    n: u32,          // output elements
    src_rows: u32,   // gather: rows of the source; scatter: rows of the output
    d: u32,
    batch: u32,      // B
    src_off: u32,
    idx_off: u32,
    out_off: u32,
    src_run_stride: u32,   // 0 when shared by every run
    idx_run_stride: u32,   // 0 when shared
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<storage, read> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> idx: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn gather_rows_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = linear_index(gid, groups);
    if (i >= p.n) { return; }
    let col = i % p.d;
    let t = i / p.d;
    let k = t % p.batch;
    let run = t / p.batch;
    let v = idx[p.idx_off + run * p.idx_run_stride + k];
    let row = min(u32(max(v, 0.0)), p.src_rows - 1u);
    out[p.out_off + i] = src[p.src_off + run * p.src_run_stride + row * p.d + col];
}

@compute @workgroup_size(64)
fn scatter_add_rows_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = linear_index(gid, groups);
    if (i >= p.n) { return; }
    let col = i % p.d;
    let t = i / p.d;
    let row = t % p.src_rows;
    let run = t / p.src_rows;
    var acc = 0.0;
    for (var k = 0u; k < p.batch; k = k + 1u) {
        let v = idx[p.idx_off + run * p.idx_run_stride + k];
        if (v >= 0.0 && u32(v) == row) {
            acc = acc + src[p.src_off + (run * p.batch + k) * p.d + col];
        }
    }
    out[p.out_off + i] = acc;
}
