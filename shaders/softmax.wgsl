// Numerically stable softmax, log-softmax and logsumexp along the last axis: the row max is
// subtracted before exponentiating. One invocation per row.

struct Params {
    rows: u32,
    n: u32,
    kind: u32,      // 0 softmax, 1 log-softmax, 2 logsumexp (one output per row)
    in_off: u32,
    out_off: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<storage, read> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn softmax_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let row = linear_index(gid, groups);
    if (row >= p.rows) { return; }
    let base = p.in_off + row * p.n;
    var m = f32_neg_inf();
    var nan = false;
    for (var k = 0u; k < p.n; k = k + 1u) {
        let v = a[base + k];
        nan = nan || is_nan(v);
        m = max(m, v);
    }
    if (nan) { m = f32_nan(); }
    var s = 0.0;
    for (var k = 0u; k < p.n; k = k + 1u) {
        s = s + exp(a[base + k] - m);
    }
    if (p.kind == 2u) {
        out[p.out_off + row] = m + log(s);
        return;
    }
    let lse = m + log(s);
    for (var k = 0u; k < p.n; k = k + 1u) {
        let v = a[base + k];
        if (p.kind == 0u) {
            out[p.out_off + row * p.n + k] = exp(v - m) / s;
        } else {
            out[p.out_off + row * p.n + k] = v - lse;
        }
    }
}
