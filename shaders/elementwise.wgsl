// Elementwise maps with broadcasting: unary (incl. expand and copies), clamp, binary, select,
// concat, fill, metric accumulation. Operand k of output element with coordinates (r, i, j, l)
// is read at offs[k] + dot(coords, stride_k); a stride of 0 broadcasts that axis. The maps
// themselves are in maps.wgsl.

struct Params {
    dims: vec4<u32>,      // output shape, padded to 4 axes, run axis first
    a_stride: vec4<u32>,
    b_stride: vec4<u32>,
    c_stride: vec4<u32>,
    offs: vec4<u32>,      // out, a, b, c offsets in elements
    misc: vec4<u32>,      // n elements, op code, concat: len of a's last axis, len of b's
    fp: vec4<f32>,        // clamp min, clamp max / fill value / bump amount
    // x: bit k set when operand k (a, b, c) is laid out exactly like the output, so its index
    // is the output's: software GPUs have no vector integer division, and `coords` costs four.
    same_layout: vec4<u32>,
}

// The op of unary_f32 and binary_f32, fixed when the pipeline is made: one pipeline per op, so
// no invocation switches over ops at run time (misc.y carries it too, for the record).
override OP: u32 = 0u;

@group(0) @binding(0) var<storage, read> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> c: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

fn operand(i: u32, k: u32, stride: vec4<u32>) -> u32 {
    if ((p.same_layout.x & (1u << k)) != 0u) {
        return i;
    }
    return dot(coords(i, p.dims), stride);
}

@compute @workgroup_size(64)
fn unary_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = linear_index(gid, groups);
    if (i >= p.misc.x) { return; }
    let x = a[p.offs.y + operand(i, 0u, p.a_stride)];
    out[p.offs.x + i] = unary(OP, x);
}

@compute @workgroup_size(64)
fn clamp_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = linear_index(gid, groups);
    if (i >= p.misc.x) { return; }
    out[p.offs.x + i] = clamp_keep_nan(a[p.offs.y + operand(i, 0u, p.a_stride)], p.fp.x, p.fp.y);
}

@compute @workgroup_size(64)
fn binary_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = linear_index(gid, groups);
    if (i >= p.misc.x) { return; }
    let x = a[p.offs.y + operand(i, 0u, p.a_stride)];
    let y = b[p.offs.z + operand(i, 1u, p.b_stride)];
    out[p.offs.x + i] = binary(OP, x, y);
}

@compute @workgroup_size(64)
fn select_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = linear_index(gid, groups);
    if (i >= p.misc.x) { return; }
    let cond = c[p.offs.w + operand(i, 2u, p.c_stride)];
    let x = a[p.offs.y + operand(i, 0u, p.a_stride)];
    let y = b[p.offs.z + operand(i, 1u, p.b_stride)];
    out[p.offs.x + i] = select(y, x, cond != 0.0);
}

@compute @workgroup_size(64)
fn concat_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = linear_index(gid, groups);
    if (i >= p.misc.x) { return; }
    let la = p.misc.z;
    let lb = p.misc.w;
    let row = i / (la + lb);
    let col = i % (la + lb);
    if (col < la) {
        out[p.offs.x + i] = a[p.offs.y + row * la + col];
    } else {
        out[p.offs.x + i] = b[p.offs.z + row * lb + col - la];
    }
}

@compute @workgroup_size(64)
fn fill_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = linear_index(gid, groups);
    if (i >= p.misc.x) { return; }
    out[p.offs.x + i] = p.fp.y;
}

// out[i] += a[broadcast i]: per-run metric sums, read back every N steps.
@compute @workgroup_size(64)
fn accumulate_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = linear_index(gid, groups);
    if (i >= p.misc.x) { return; }
    out[p.offs.x + i] = out[p.offs.x + i] + a[p.offs.y + operand(i, 0u, p.a_stride)];
}

// out[i] += fp.y: the step counter.
@compute @workgroup_size(64)
fn bump_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = linear_index(gid, groups);
    if (i >= p.misc.x) { return; }
    out[p.offs.x + i] = out[p.offs.x + i] + p.fp.y;
}
