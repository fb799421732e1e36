#!/usr/bin/env bash
# GPU check for a lent device machine (see DEVELOPERS.md / the device tool). One short run:
#   1. CUDA activations equal CPU activations (max abs diff <= 1e-3, relative to the layer's scale);
#   2. extraction throughput (images/s) on cuda, fp32 and mixed precision, against a bare forward pass;
#   3. CAM maps on cuda equal the CPU's (Grad-CAM, Score-CAM; Score-CAM time vs pytorch-grad-cam if installed),
#      transfer.run on cuda (fp32 and AMP) leaves the source untouched, short train_gan/train_cyclegan runs finish.
# Without a GPU, `python benchmarks/gpu_check.py --dry-run-cpu DIR` runs part 3 on the CPU to test this script.
# Usage on the device machine, from the repository root:
#   bash benchmarks/gpu_check.sh            # writes $OUT/gpu_check.json (or benchmarks/output/) and prints a table
# Python packages the machine lacks can travel as wheels in .whl/ (see the device tool's README); they are
# installed to /tmp/site first when that folder exists.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -d .whl ] && ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site:${PYTHONPATH:-}
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-}
export PYTHONUNBUFFERED=1
python3 benchmarks/gpu_check.py "${OUT:-benchmarks/output}"
