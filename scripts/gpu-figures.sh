#!/usr/bin/env bash
# The real-GPU figures in one command, for a session lent a GPU machine for a few minutes: the
# engine benchmark on both backends over R = 1 … 1,024, the GPU's time per kernel, every lab's
# default link on both backends with wall times, and the headline claim on the fused GPU path
# beside the CPU. Prints one markdown report; paste it into docs/benchmarks.md with its date.
#
# Usage (on the GPU machine, from the repository root):
#   scripts/gpu-figures.sh [path/to/methodlab] [steps per lab link, default 300]
# Build the binary where it will run (x86-64): `cargo build --release` and carry
# target/release/methodlab. Native wgpu on Vulkan needs the Vulkan loader: when `ldconfig -p`
# lists no libvulkan and a .gl/ folder of Debian packages travelled with the tree (the device
# README says how to fetch them), they are unpacked first.
set -uo pipefail
cd "$(dirname "$0")/.."
bin="${1:-target/release/methodlab}"
steps="${2:-300}"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"

if ! ldconfig -p 2>/dev/null | grep -q libvulkan && ls .gl/*.deb >/dev/null 2>&1; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -f "$icd" ] && [ -z "${VK_DRIVER_FILES:-}" ]; then export VK_DRIVER_FILES="$icd"; fi
[ -x "$bin" ] || { echo "gpu-figures: no binary at $bin (cargo build --release)" >&2; exit 2; }

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

echo "# methodlab GPU figures"
echo
echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "- GPU: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || echo 'nvidia-smi not found')"
echo "- CPU: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo
echo "## Engine benchmark (steps/s; run-steps/s = steps/s × R)"
echo
echo '```'
"$bin" bench --backend both --workload playground --runs 1,16,256,1024 --seconds 1 2>&1
"$bin" bench --backend both --workload mlp2 --runs 1,64,1024 --seconds 1 2>&1
"$bin" bench --backend gpu --workload mlp64 --runs 1,64,256,1024 --seconds 1 2>&1
echo '```'
echo
echo "## The step kernel (METHODLAB_STEP=on: many steps in one dispatch, a workgroup per run)"
echo
echo '```'
METHODLAB_STEP=on "$bin" bench --backend gpu --workload playground --runs 1,16,256,1024 --seconds 1 2>&1
METHODLAB_STEP=on "$bin" bench --backend gpu --workload mlp2 --runs 1,64,1024 --seconds 1 2>&1
echo '```'
echo
echo "## GPU time per kernel, Playground step, R = 1 and 1,024"
echo
echo '```'
"$bin" bench --backend gpu --workload playground --runs 1,1024 --seconds 0.2 --profile 2>&1 | grep -v '^gpu\|^backend'
echo '```'
echo
echo "## Each lab's default link, --steps $steps, wall time in seconds"
echo
echo "| lab | CPU ($(nproc) threads) | GPU | GPU fused off | GPU step kernel |"
echo "|---|---|---|---|---|"
labs=$("$bin" labs | python3 -c 'import json, sys; print(" ".join(l["id"] for l in json.load(sys.stdin)))' 2>/dev/null \
  || echo basics continual mi merging groups vae meta labels ssl)
for lab in $labs; do
  row="| $lab"
  for how in cpu gpu gpu-unfused gpu-step; do
    backend="${how%-*}"
    fusion=on; [ "$how" = gpu-unfused ] && fusion=off
    step=off; [ "$how" = gpu-step ] && step=on
    t0=$(now)
    if METHODLAB_FUSION=$fusion METHODLAB_STEP=$step "$bin" run "#/$lab?v=1" --steps "$steps" --backend "$backend" >/dev/null 2>"/tmp/gpu-figures-$lab-$how.err"; then
      row="$row | $(secs "$t0" "$(now)")"
    else
      row="$row | failed: $(tail -c 120 "/tmp/gpu-figures-$lab-$how.err" | tr '\n|' '  ')"
    fi
  done
  echo "$row |"
done
echo
echo "## The headline claim on the fused GPU path, beside the CPU"
echo
echo '```'
for backend in cpu gpu; do
  METHODLAB_FUSION=on "$bin" check continual/ewc-forgets-less --backend "$backend" 2>&1 \
    | python3 -c 'import json, sys
for line in sys.stdin:
    try: v = json.loads(line)
    except ValueError: print(line.rstrip()); continue
    print(sys.argv[1], v["id"], v["verdict"], v["effect"])' "$backend"
done
echo '```'
