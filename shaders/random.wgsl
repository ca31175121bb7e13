// Draws of the counter-based generator (common.wgsl's `uniform01`, engine/src/rng.rs line for
// line): CPU and GPU draw the same bits.

struct Params {
    n: u32,
    per_run: u32,
    seed: u32,
    stream: u32,
    dist: u32,          // 0 uniform [p0, p1), 1 normal (mean p0, std p1)
    counter_off: u32,
    out_off: u32,
    _pad0: u32,
    p0: f32,
    p1: f32,
    _pad1: f32,
    _pad2: f32,
    // FUSED PARAMS BEGIN
    // FUSED PARAMS END
}

@group(0) @binding(0) var<storage, read> p: Params;
@group(0) @binding(1) var<storage, read> counter: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
// FUSED BINDINGS BEGIN
// FUSED BINDINGS END

// FUSED EPILOGUE BEGIN
// The value stored at output element `at` for the draw `v` (the GPU backend may fuse the maps
// that read the draws here, as in matmul.wgsl).
fn epilogue(at: u32, v: f32) -> f32 { return v; }
// FUSED EPILOGUE END

@compute @workgroup_size(64)
fn random_f32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = linear_index(gid, groups);
    if (i >= p.n) { return; }
    let run = i / p.per_run;
    let j = i % p.per_run;
    let seed = p.seed + run;
    let count = u32(counter[p.counter_off]);
    if (p.dist == 0u) {
        out[p.out_off + i] = epilogue(i, p.p0 + (p.p1 - p.p0) * uniform01(seed, p.stream, count, j));
    } else {
        let u1 = uniform01(seed, p.stream, count, j * 2u);
        let u2 = uniform01(seed, p.stream, count, j * 2u + 1u);
        let radius = sqrt(-2.0 * log(1.0 - u1));
        out[p.out_off + i] = epilogue(i, p.p0 + p.p1 * radius * cos(6.2831855 * u2));
    }
}
