#!/usr/bin/env bash
# The GPU check on a lent GPU machine (the device tool), from the repository root there:
#   bash bench/gpu_check.sh        # ~5 min; writes $OUT/gpu_check.json and the stage logs
# That machine has torch, transformers and accelerate but no DeepSpeed, jsonschema or rouge:
# bench/gpu_wheels.sh (run here first) puts them in .whl/, and the call carries .whl and
# .gpu_data (RWKU's utility files for target 1, copied from ../shared, never committed).
set -euo pipefail
out=${OUT:-/tmp/gpu_check}
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site
fi
nvidia-smi -L || true
utility=()
[ -d .gpu_data/utility ] && utility=(--utility-path .gpu_data/utility)
PYTHONUNBUFFERED=1 timeout 480 python3 bench/gpu_check.py --out "$out" "${utility[@]}" 2>&1 | tee "$out.log"
mkdir -p "$out" && cp "$out.log" "$out/"
