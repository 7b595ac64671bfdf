#!/usr/bin/env bash
# The GPU check on a lent GPU machine (the device tool), from the repository root there:
#   bash bench/gpu_check.sh        # ~6-7 min (the ~1 B scale section included); $OUT gets gpu_check.json, its log and the stage logs (logs.tgz)
# That machine has torch, transformers and accelerate but no DeepSpeed, jsonschema, rouge or nltk:
# bench/gpu_wheels.sh (run here first) puts them in .whl/, and the call carries .whl and
# .gpu_data (RWKU's utility files for target 1, copied from ../shared, never committed).
set -euo pipefail
out=${OUT:-/tmp/gpu_check}
work=/tmp/gpu_check_work   # models and data stay out of $OUT (only a few small files come back)
mkdir -p "$out" "$work"
trap 'cp "$work/gpu_check.json" "$out/" 2>/dev/null || true; tar czf "$out/logs.tgz" -C "$work" $(cd "$work" && ls *.log 2>/dev/null) 2>/dev/null || true' EXIT
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site
fi
nvidia-smi -L || true
utility=""
[ -d .gpu_data/utility ] && utility="--utility-path .gpu_data/utility"
# shellcheck disable=SC2086
PYTHONUNBUFFERED=1 timeout 540 python3 bench/gpu_check.py --out "$work" $utility 2>&1 | tee "$out/gpu_check.log"
