#!/usr/bin/env python3
"""Our engine beside JAX on the Playground step, in one session on one machine: a figure, not a test.

The step: a 2-64-64-1 tanh network, MSE, plain SGD at 0.03, a batch of 32 drawn from 250 points
(as `methodlab bench --workload playground`). JAX runs it jitted one step a call, and 1,000 steps
in one `lax.fori_loop`; R runs at once are `vmap`ped (R independent networks, as our run axis).
Ours: `methodlab bench --backend cpu|gpu --workload playground --runs ...` in the same session, on
one thread and (the CPU, R > 1) with the runs cut over every core (`--threads`), as JAX uses them.
Prints one table of run-steps per second (steps/s × R).

Usage: scripts/peers.py [--device cpu|gpu] [--runs 1,16,64] [--seconds 2] [--bin target/release/methodlab]
JAX is not a dependency of the project: `pip install "jax[cpu]"` (or jax[cuda12] for --device gpu)
in any virtual environment, and run this script with its python.
"""

import argparse
import json
import os
import subprocess
import sys
import time


def jax_figures(device, runs, seconds):
    import jax
    import jax.numpy as jnp

    dev = jax.devices(device)[0]
    sizes = [2, 64, 64, 1]

    def init(key):
        params = []
        for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
            key, sub = jax.random.split(key)
            params.append((jax.random.normal(sub, (a, b)) * (1.0 / a) ** 0.5, jnp.zeros((b,))))
        return params

    def loss(params, x, y):
        h = x
        for i, (w, b) in enumerate(params):
            h = h @ w + b
            if i < len(params) - 1:
                h = jnp.tanh(h)
        return jnp.mean((h[:, 0] - y) ** 2)

    def step(params, key, xs, ys):
        idx = jax.random.randint(key, (32,), 0, xs.shape[0])
        g = jax.grad(loss)(params, xs[idx], ys[idx])
        return jax.tree_util.tree_map(lambda p, d: p - 0.03 * d, params, g)

    t = jnp.linspace(0.0, 3.5 * jnp.pi, 250)
    xs = jnp.stack([t * jnp.cos(t), t * jnp.sin(t)], axis=1) / 10.0
    ys = jnp.where(jnp.arange(250) % 2 == 0, 1.0, -1.0)
    xs, ys = jax.device_put(xs, dev), jax.device_put(ys, dev)

    rows = []
    for r in runs:
        keys = jax.random.split(jax.random.PRNGKey(0), r)
        params = jax.device_put(jax.vmap(init)(keys), dev)
        one = jax.jit(jax.vmap(step, in_axes=(0, 0, None, None)))

        @jax.jit
        def many(params, keys):
            def body(i, state):
                p, k = state
                k2 = jax.vmap(lambda kk: jax.random.fold_in(kk, i))(k)
                return one(p, k2, xs, ys), k

            return jax.lax.fori_loop(0, 1000, body, (params, keys))[0]

        for label, run, per_call in (("jit, one step a call", lambda p: one(p, keys, xs, ys), 1),
                                     ("jit, 1,000 steps in fori_loop", lambda p: many(p, keys), 1000)):
            params = jax.block_until_ready(run(params))  # compile
            calls, start = 0, time.perf_counter()
            while time.perf_counter() - start < seconds:
                params = run(params)
                calls += 1
            jax.block_until_ready(params)
            elapsed = time.perf_counter() - start
            rows.append((f"JAX {jax.__version__} {device}: {label}", r, calls * per_call * r / elapsed))
    return rows


def our_figures(binary, device, runs, seconds, threads):
    out = subprocess.run(
        [binary, "bench", "--backend", device, "--workload", "playground", "--runs",
         ",".join(map(str, runs)), "--seconds", str(seconds), "--format", "json",
         "--threads", str(threads)],
        check=True, capture_output=True, text=True).stdout
    figures = json.loads(out[out.index("["):] if "[" in out else out)
    return [(f"methodlab {f['backend']}", f["runs"], f["steps_per_s"] * f["runs"]) for f in figures]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", choices=["cpu", "gpu"], default="cpu")
    ap.add_argument("--runs", default="1,16,64")
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--bin", default="target/release/methodlab")
    args = ap.parse_args()
    runs = [int(r) for r in args.runs.split(",")]
    rows = our_figures(args.bin, args.device, runs, args.seconds, 1)
    if args.device == "cpu" and (os.cpu_count() or 1) > 1:
        # JAX uses every core; so do our runs, cut into one slice a core (R = 1 cannot be cut).
        rows += [row for row in our_figures(args.bin, "cpu", runs, args.seconds, os.cpu_count())
                 if row[1] > 1]
    try:
        rows += jax_figures(args.device, runs, args.seconds)
    except ImportError:
        print("peers.py: JAX is not installed here (pip install \"jax[cpu]\"); our figures only", file=sys.stderr)
    print(f"{'engine':<52} {'R':>4} {'run-steps/s':>12}")
    for name, r, rate in sorted(rows, key=lambda row: (row[1], row[0])):
        print(f"{name:<52} {r:>4} {rate:>12,.0f}")


if __name__ == "__main__":
    main()
