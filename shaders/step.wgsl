// The step kernel: one dispatch runs many training steps of an entry, a workgroup per run.
//
// A run's ops never read another run's values, so the workgroup of run r executes every op of a
// step for r alone, op after op, with a storage barrier between them, and loops over steps: one
// dispatch instead of one per op and step. It is an interpreter, compiled once for every program:
// the ops are records in `table`, written by the GPU backend from the very parameter blocks the
// per-op kernels read (elementwise.wgsl, matmul.wgsl, ...), and each op's element function here is
// that kernel's, line for line, so both paths compute the same formulas in the same order. Every
// tensor lives in one buffer, `mem`; a record carries where each of its kernel's bindings starts.
//
// Record: [words, kind, op code, base of binding 1, 2, 3, 4, 5, the kernel's Params...].
// A dispatch either runs `ops` records from `start` for `steps` steps, a workgroup per run
// (`spread` 0), or one record with its elements spread over every invocation (`spread` 1: the
// prologue, which may mix runs). The step counter is each run's own while a dispatch runs (a
// workgroup may finish its steps before another starts): it is read from `step_runs + run`,
// advanced in a register, and written back, with the shared counter, at the end.

struct Control {
    start: u32,
    ops: u32,
    steps: u32,
    spread: u32,
    runs: u32,
    step_at: u32,      // the shared step counter in `mem`
    step_runs: u32,    // each run's copy of it
    _pad: u32,
}

@group(0) @binding(0) var<storage, read> ctl: Control;
@group(0) @binding(1) var<storage, read> table: array<u32>;
@group(0) @binding(2) var<storage, read_write> mem: array<f32>;

// Record kinds: `StepKind` in the GPU backend's step.rs.
const K_UNARY: u32 = 0u;
const K_CLAMP: u32 = 1u;
const K_BINARY: u32 = 2u;
const K_SELECT: u32 = 3u;
const K_CONCAT: u32 = 4u;
const K_FILL: u32 = 5u;
const K_ACCUMULATE: u32 = 6u;
const K_BUMP: u32 = 7u;
const K_MATMUL: u32 = 8u;
const K_REDUCE: u32 = 9u;
const K_SOFTMAX: u32 = 10u;
const K_GATHER: u32 = 11u;
const K_SCATTER: u32 = 12u;
const K_RANDOM: u32 = 13u;
const K_OPTIMIZER: u32 = 14u;

const HEADER: u32 = 8u;

// This run's step counter while the dispatch runs; reads of the shared one return it.
var<private> step_now: f32;
var<private> step_local: bool;

fn ld(at: u32) -> f32 {
    if (step_local && at == ctl.step_at) { return step_now; }
    return mem[at];
}

// Word `k` of the record's Params, as u32 or f32.
fn pu(rec: u32, k: u32) -> u32 { return table[rec + HEADER + k]; }
fn pf(rec: u32, k: u32) -> f32 { return bitcast<f32>(table[rec + HEADER + k]); }
fn pv(rec: u32, k: u32) -> vec4<u32> {
    return vec4<u32>(pu(rec, k), pu(rec, k + 1u), pu(rec, k + 2u), pu(rec, k + 3u));
}
// Where binding `slot` (1..5) of the record's kernel starts in `mem`.
fn base(rec: u32, slot: u32) -> u32 { return table[rec + 2u + slot]; }

// How many items (invocations of its per-op kernel) a record has.
fn items(rec: u32) -> u32 {
    let kind = table[rec + 1u];
    switch kind {
        case 8u: {   // matmul: 4x4 tiles a run
            return pu(rec, 3u) * ((pu(rec, 0u) + 3u) / 4u) * ((pu(rec, 1u) + 3u) / 4u);
        }
        case 9u: { return pu(rec, 0u) * pu(rec, 2u); }   // reduce: outer x inner
        case 10u: { return pu(rec, 0u); }                // softmax: rows
        case 11u, 12u, 13u: { return pu(rec, 0u); }      // gather, scatter, random: n
        default: { return pu(rec, 20u); }                // elementwise: misc.x
    }
}

// Each kernel below runs items [lo, hi) of a record, `stride` apart, with the record's parameters
// read once, before its loop.

// ---- elementwise.wgsl's kernels. Params: dims 0, a_stride 4, b_stride 8, c_stride 12, offs 16,
// misc 20, fp 24, same_layout 28. Operand k of item i is at its offset plus
// `dot(coords(i, dims), stride_k)`, or at i when same_layout has bit k.

struct Operand {
    at: u32,
    stride: vec4<u32>,
    same: bool,
}

fn operand_of(rec: u32, k: u32) -> Operand {
    return Operand(
        base(rec, 1u + k) + pu(rec, 17u + k),
        pv(rec, 4u + 4u * k),
        (pu(rec, 28u) & (1u << k)) != 0u,
    );
}

fn at(o: Operand, i: u32, dims: vec4<u32>) -> u32 {
    if (o.same) { return o.at + i; }
    return o.at + dot(coords(i, dims), o.stride);
}

fn elementwise(rec: u32, kind: u32, op: u32, lo: u32, hi: u32, stride: u32) {
    let dims = pv(rec, 0u);
    let out = base(rec, 4u) + pu(rec, 16u);
    let a = operand_of(rec, 0u);
    let b = operand_of(rec, 1u);
    let c = operand_of(rec, 2u);
    switch kind {
        case 0u: {
            for (var i = lo; i < hi; i = i + stride) {
                mem[out + i] = unary(op, ld(at(a, i, dims)));
            }
        }
        case 1u: {
            let low = pf(rec, 24u);
            let high = pf(rec, 25u);
            for (var i = lo; i < hi; i = i + stride) {
                mem[out + i] = clamp_keep_nan(ld(at(a, i, dims)), low, high);
            }
        }
        case 2u: {
            for (var i = lo; i < hi; i = i + stride) {
                mem[out + i] = binary(op, ld(at(a, i, dims)), ld(at(b, i, dims)));
            }
        }
        case 3u: {
            for (var i = lo; i < hi; i = i + stride) {
                let cond = ld(at(c, i, dims));
                mem[out + i] = select(ld(at(b, i, dims)), ld(at(a, i, dims)), cond != 0.0);
            }
        }
        case 4u: {
            let la = pu(rec, 22u);
            let lb = pu(rec, 23u);
            for (var i = lo; i < hi; i = i + stride) {
                let row = i / (la + lb);
                let col = i % (la + lb);
                if (col < la) {
                    mem[out + i] = ld(a.at + row * la + col);
                } else {
                    mem[out + i] = ld(b.at + row * lb + col - la);
                }
            }
        }
        case 5u: {
            let value = pf(rec, 25u);
            for (var i = lo; i < hi; i = i + stride) {
                mem[out + i] = value;
            }
        }
        case 6u: {
            for (var i = lo; i < hi; i = i + stride) {
                mem[out + i] = mem[out + i] + ld(at(a, i, dims));
            }
        }
        default: {}
    }
}

// ---- matmul.wgsl. Params: m 0, n 1, k 2, runs 3, a_off 4, b_off 5, out_off 6, a_run_stride 7,
// b_run_stride 8, a_row_stride 9, a_k_stride 10, b_k_stride 11, b_col_stride 12. An item is a
// 4x4 tile of one run's output.

fn matmul(rec: u32, lo: u32, hi: u32, stride: u32) {
    let m = pu(rec, 0u);
    let n = pu(rec, 1u);
    let k = pu(rec, 2u);
    let tiles_n = (n + 3u) / 4u;
    let tiles = ((m + 3u) / 4u) * tiles_n;
    let a0 = base(rec, 1u) + pu(rec, 4u);
    let b0 = base(rec, 2u) + pu(rec, 5u);
    let out0 = base(rec, 4u) + pu(rec, 6u);
    let a_run = pu(rec, 7u);
    let b_run = pu(rec, 8u);
    let a_row = pu(rec, 9u);
    let a_k = pu(rec, 10u);
    let b_k = pu(rec, 11u);
    let b_col = pu(rec, 12u);
    for (var i = lo; i < hi; i = i + stride) {
        let run = i / tiles;
        let t = i % tiles;
        let r0 = (t / tiles_n) * 4u;
        let c0 = (t % tiles_n) * 4u;
        let rows = min(vec4<u32>(r0, r0 + 1u, r0 + 2u, r0 + 3u), vec4<u32>(m - 1u));
        let cols = min(vec4<u32>(c0, c0 + 1u, c0 + 2u, c0 + 3u), vec4<u32>(n - 1u));
        var ia = a0 + run * a_run + rows * a_row;
        var ib = b0 + run * b_run + cols * b_col;
        var acc0 = vec4<f32>(0.0);
        var acc1 = vec4<f32>(0.0);
        var acc2 = vec4<f32>(0.0);
        var acc3 = vec4<f32>(0.0);
        for (var q = 0u; q < k; q = q + 1u) {
            let bv = vec4<f32>(ld(ib.x), ld(ib.y), ld(ib.z), ld(ib.w));
            acc0 = acc0 + ld(ia.x) * bv;
            acc1 = acc1 + ld(ia.y) * bv;
            acc2 = acc2 + ld(ia.z) * bv;
            acc3 = acc3 + ld(ia.w) * bv;
            ia = ia + a_k;
            ib = ib + b_k;
        }
        let out = out0 + run * m * n;
        let acc = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
        for (var rr = 0u; rr < 4u; rr = rr + 1u) {
            if (r0 + rr >= m) { break; }
            for (var cc = 0u; cc < 4u; cc = cc + 1u) {
                if (c0 + cc < n) {
                    mem[out + (r0 + rr) * n + c0 + cc] = acc[rr][cc];
                }
            }
        }
    }
}

// ---- reduce.wgsl. Params: outer 0, len 1, inner 2, op 3, in_off 4, out_off 5. An item is an output.

fn reduce(rec: u32, lo: u32, hi: u32, stride: u32) {
    let len = pu(rec, 1u);
    let inner = pu(rec, 2u);
    let op = pu(rec, 3u);
    let in0 = base(rec, 1u) + pu(rec, 4u);
    let out = base(rec, 4u) + pu(rec, 5u);
    for (var i = lo; i < hi; i = i + stride) {
        let o = i / inner;
        let j = i % inner;
        let first = in0 + o * len * inner + j;
        var acc = 0.0;
        if (op == 1u) { acc = f32_neg_inf(); }
        for (var k = 0u; k < len; k = k + 1u) {
            let v = ld(first + k * inner);
            if (op == 0u) {
                acc = acc + v;
            } else if (is_nan(v) || is_nan(acc)) {
                acc = f32_nan();
            } else {
                acc = max(acc, v);
            }
        }
        mem[out + i] = acc;
    }
}

// ---- softmax.wgsl. Params: rows 0, n 1, kind 2, in_off 3, out_off 4. An item is a row.

fn softmax(rec: u32, lo: u32, hi: u32, stride: u32) {
    let n = pu(rec, 1u);
    let kind = pu(rec, 2u);
    let in0 = base(rec, 1u) + pu(rec, 3u);
    let out = base(rec, 4u) + pu(rec, 4u);
    for (var row = lo; row < hi; row = row + stride) {
        let first = in0 + row * n;
        var m = f32_neg_inf();
        var nan = false;
        for (var k = 0u; k < n; k = k + 1u) {
            let v = ld(first + k);
            nan = nan || is_nan(v);
            m = max(m, v);
        }
        if (nan) { m = f32_nan(); }
        var s = 0.0;
        for (var k = 0u; k < n; k = k + 1u) {
            s = s + exp(ld(first + k) - m);
        }
        let lse = m + log(s);
        if (kind == 2u) {
            mem[out + row] = lse;
            continue;
        }
        for (var k = 0u; k < n; k = k + 1u) {
            let v = ld(first + k);
            if (kind == 0u) {
                mem[out + row * n + k] = exp(v - m) / s;
            } else {
                mem[out + row * n + k] = v - lse;
            }
        }
    }
}

// ---- gather.wgsl. Params: n 0, src_rows 1, d 2, batch 3, src_off 4, idx_off 5, out_off 6,
// src_run_stride 7, idx_run_stride 8. An item is an output element.

fn gather_rows(rec: u32, lo: u32, hi: u32, stride: u32) {
    let rows = pu(rec, 1u);
    let d = pu(rec, 2u);
    let batch = pu(rec, 3u);
    let src0 = base(rec, 1u) + pu(rec, 4u);
    let idx0 = base(rec, 2u) + pu(rec, 5u);
    let out = base(rec, 4u) + pu(rec, 6u);
    let src_run = pu(rec, 7u);
    let idx_run = pu(rec, 8u);
    for (var i = lo; i < hi; i = i + stride) {
        let col = i % d;
        let t = i / d;
        let k = t % batch;
        let run = t / batch;
        let v = ld(idx0 + run * idx_run + k);
        let row = min(u32(max(v, 0.0)), rows - 1u);
        mem[out + i] = ld(src0 + run * src_run + row * d + col);
    }
}

fn scatter_add_rows(rec: u32, lo: u32, hi: u32, stride: u32) {
    let rows = pu(rec, 1u);
    let d = pu(rec, 2u);
    let batch = pu(rec, 3u);
    let src0 = base(rec, 1u) + pu(rec, 4u);
    let idx0 = base(rec, 2u) + pu(rec, 5u);
    let out = base(rec, 4u) + pu(rec, 6u);
    let idx_run = pu(rec, 8u);
    for (var i = lo; i < hi; i = i + stride) {
        let col = i % d;
        let t = i / d;
        let row = t % rows;
        let run = t / rows;
        let idx = idx0 + run * idx_run;
        var acc = 0.0;
        for (var k = 0u; k < batch; k = k + 1u) {
            let v = ld(idx + k);
            if (v >= 0.0 && u32(v) == row) {
                acc = acc + ld(src0 + (run * batch + k) * d + col);
            }
        }
        mem[out + i] = acc;
    }
}

// ---- random.wgsl, with common.wgsl's generator. Params: n 0, per_run 1, seed 2, stream 3, dist 4,
// counter_off 5, out_off 6, shared 7 (a draw the program shares between runs, computed in each
// run's copy: every run draws run 0's numbers), p0 8, p1 9, counter_stride 10 (the counter's
// step between runs: 1 where the step kernel gave a shared counter a copy per run).

fn random(rec: u32, lo: u32, hi: u32, stride: u32) {
    let per_run = pu(rec, 1u);
    let stream = pu(rec, 3u);
    let normal = pu(rec, 4u) != 0u;
    let counter = base(rec, 1u) + pu(rec, 5u);
    let counter_stride = pu(rec, 10u);
    let out = base(rec, 4u) + pu(rec, 6u);
    let one_draw = pu(rec, 7u) != 0u;
    let p0 = pf(rec, 8u);
    let p1 = pf(rec, 9u);
    for (var i = lo; i < hi; i = i + stride) {
        let count = u32(ld(counter + (i / per_run) * counter_stride));
        let run = select(i / per_run, 0u, one_draw);
        let j = i % per_run;
        let seed = pu(rec, 2u) + run;
        if (!normal) {
            mem[out + i] = p0 + (p1 - p0) * uniform01(seed, stream, count, j);
        } else {
            let u1 = uniform01(seed, stream, count, j * 2u);
            let u2 = uniform01(seed, stream, count, j * 2u + 1u);
            let radius = sqrt(-2.0 * log(1.0 - u1));
            mem[out + i] = p0 + p1 * radius * cos(6.2831855 * u2);
        }
    }
}

// ---- optim.wgsl. Params: total 0, segments 1, lr_off 2, lr_len 3, step_off 4, kind 5,
// decoupled 6, first 7, count 8, hyper 12, seg 16 (vec4 each: gradient-arena start, elements per
// run, runs, parameter-arena start). Bindings: theta 1, grads 2, moments 3, leaves 4, second 5.
// The op code: 0 SGD, 1 Adam, 2 AdamW.

fn optimizer(rec: u32, op: u32, run: u32, lid: u32) {
    let leaves = base(rec, 4u);
    let lr_len = pu(rec, 3u);
    let lr = ld(leaves + pu(rec, 2u) + min(run, lr_len - 1u));
    let theta = base(rec, 1u);
    let grads = base(rec, 2u);
    let moments = base(rec, 3u);
    let second = base(rec, 5u);
    let h = vec4<f32>(pf(rec, 12u), pf(rec, 13u), pf(rec, 14u), pf(rec, 15u));
    let t = ld(leaves + pu(rec, 4u)) + 1.0;
    let segments = pu(rec, 1u);
    for (var s = 0u; s < segments; s = s + 1u) {
        let seg = pv(rec, 16u + 4u * s);
        let first = seg.x + run * seg.y;
        for (var j = lid; j < seg.y; j = j + WG) {
            let u = first + j;
            let i = theta + seg.w + (u - seg.x);
            let g0 = mem[grads + u];
            if (op == 0u) {
                let g = g0 + h.y * mem[i];
                let v = h.x * mem[moments + u] + g;
                mem[moments + u] = v;
                mem[i] = mem[i] - lr * v;
                continue;
            }
            var g = g0;
            if (op == 2u) {
                mem[i] = mem[i] - lr * h.w * mem[i];
            } else {
                g = g + h.w * mem[i];
            }
            let m = h.x * mem[moments + u] + (1.0 - h.x) * g;
            let v = h.y * mem[second + u] + (1.0 - h.y) * g * g;
            mem[moments + u] = m;
            mem[second + u] = v;
            let m_hat = m / (1.0 - pow(h.x, t));
            let v_hat = v / (1.0 - pow(h.y, t));
            mem[i] = mem[i] - lr * m_hat / (sqrt(v_hat) + h.z);
        }
    }
}

// Items [lo, hi) of a record, `stride` apart.
fn run_items(rec: u32, lo: u32, hi: u32, stride: u32) {
    let kind = table[rec + 1u];
    switch kind {
        case 8u: { matmul(rec, lo, hi, stride); }
        case 9u: { reduce(rec, lo, hi, stride); }
        case 10u: { softmax(rec, lo, hi, stride); }
        case 11u: { gather_rows(rec, lo, hi, stride); }
        case 12u: { scatter_add_rows(rec, lo, hi, stride); }
        case 13u: { random(rec, lo, hi, stride); }
        default: { elementwise(rec, kind, table[rec + 2u], lo, hi, stride); }
    }
}

@compute @workgroup_size(64)
fn step_kernel(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
    @builtin(num_workgroups) groups: vec3<u32>,
) {
    let group = wid.x + wid.y * groups.x;
    if (ctl.spread == 1u) {
        step_local = false;
        run_items(ctl.start, group * WG + lid, items(ctl.start), groups.x * groups.y * WG);
        return;
    }
    let run = group;
    if (run >= ctl.runs) { return; }
    step_local = true;
    step_now = mem[ctl.step_runs + run];
    for (var s = 0u; s < ctl.steps; s = s + 1u) {
        var rec = ctl.start;
        for (var k = 0u; k < ctl.ops; k = k + 1u) {
            let kind = table[rec + 1u];
            if (kind == K_BUMP) {
                step_now = step_now + pf(rec, 25u);
            } else if (kind == K_OPTIMIZER) {
                optimizer(rec, table[rec + 2u], run, lid);
            } else {
                let per_run = items(rec) / ctl.runs;
                run_items(rec, run * per_run + lid, (run + 1u) * per_run, WG);
            }
            storageBarrier();
            rec = rec + table[rec];
        }
    }
    if (lid == 0u) {
        mem[ctl.step_runs + run] = step_now;
        mem[ctl.step_at] = step_now;
    }
}
