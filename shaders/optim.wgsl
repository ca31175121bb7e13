// Fused optimizer steps: one dispatch updates every parameter of a run group. Gradients and
// each moment (SGD's velocity; Adam's m and v, one buffer each, so that no binding is twice a
// parameter arena's size) live in arenas with the same layout, each parameter's gradient starting a
// workgroup; a segment table maps a workgroup to its parameter, and an element to its index in
// the parameter arena and its run (and so that run's learning rate).

struct Params {
    total: u32,          // elements updated by this optimizer (the gradient arena's size)
    segments: u32,
    lr_off: u32,         // learning rates in the leaves arena
    lr_len: u32,         // 1 (shared) or R
    step_off: u32,       // the step counter in the leaves arena
    kind: u32,           // 0 sgd, 1 adam
    decoupled: u32,      // AdamW
    first: u32,          // this dispatch covers gradient-arena elements [first, first + count)
    count: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
    hyper: vec4<f32>,    // sgd: momentum, weight decay; adam: beta1, beta2, eps, weight decay
    seg: array<vec4<u32>, 64>,  // gradient-arena start, elements per run, runs, parameter-arena start
    // Per workgroup, the index of its segment in `seg`: segments start on workgroup boundaries
    // in the gradient arena, so a lookup replaces a search over segments (which costs software
    // GPUs half this kernel's time).
    group_seg: array<u32>,
}

@group(0) @binding(0) var<storage, read> p: Params;
@group(0) @binding(1) var<storage, read_write> theta: array<f32>;
@group(0) @binding(2) var<storage, read> grads: array<f32>;
@group(0) @binding(3) var<storage, read_write> moments: array<f32>;
@group(0) @binding(4) var<storage, read> leaves: array<f32>;
// Adam's second moment (a placeholder for SGD).
@group(0) @binding(5) var<storage, read_write> second: array<f32>;

// The optimizer this pipeline is compiled for: 0 SGD, 1 Adam, 2 AdamW (decoupled decay). The
// kernel is specialized so software GPUs, which run both sides of a branch they cannot prove
// uniform, do not pay for Adam's arithmetic under SGD (`kind` and `decoupled` say the same).
override OP: u32 = 0u;

// Each workgroup updates PER consecutive 64-element blocks: software GPUs pay several
// microseconds a workgroup (SwiftShader: 70 one-block groups took 340 µs for 4,417 elements),
// and a real GPU still gets one group per 512 elements.
const PER: u32 = 8u;

@compute @workgroup_size(64)
fn optimizer_step(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let group = wid.x + wid.y * groups.x;
    for (var k = 0u; k < PER; k = k + 1u) {
        let block = group * PER + k;
        let local = block * WG + lid;
        if (local >= p.count) { return; }
        update(p.first + local, p.seg[p.group_seg[block]]);
    }
}

// One element of the gradient arena: `u`, in segment `seg`.
fn update(u: u32, seg: vec4<u32>) {
    let rel = u - seg.x;
    if (rel >= seg.y * seg.z) { return; }   // the padding after a segment
    var lr = leaves[p.lr_off];
    if (p.lr_len > 1u) { lr = leaves[p.lr_off + min(rel / seg.y, p.lr_len - 1u)]; }
    let i = seg.w + rel;
    let g0 = grads[u];
    if (OP == 0u) {
        let g = g0 + p.hyper.y * theta[i];
        let v = p.hyper.x * moments[u] + g;
        moments[u] = v;
        theta[i] = theta[i] - lr * v;
        return;
    }
    let beta1 = p.hyper.x;
    let beta2 = p.hyper.y;
    let eps = p.hyper.z;
    let wd = p.hyper.w;
    var g = g0;
    if (OP == 2u) {
        theta[i] = theta[i] - lr * wd * theta[i];
    } else {
        g = g + wd * theta[i];
    }
    let t = leaves[p.step_off] + 1.0;
    let m = beta1 * moments[u] + (1.0 - beta1) * g;
    let v = beta2 * second[u] + (1.0 - beta2) * g * g;
    moments[u] = m;
    second[u] = v;
    let m_hat = m / (1.0 - pow(beta1, t));
    let v_hat = v / (1.0 - pow(beta2, t));
    theta[i] = theta[i] - lr * m_hat / (sqrt(v_hat) + eps);
}
