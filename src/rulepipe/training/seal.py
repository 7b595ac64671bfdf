"""Resume checkpoints that only this machine's runs can make: DeepSpeed loads its checkpoint
files with `torch.load(weights_only=False)` (an unpickle: a crafted file runs code), and its
optimizer state holds Python objects that `weights_only=True` refuses. So the run that writes a
checkpoint seals it, an HMAC-SHA256 of every file under a key kept outside `results/`
(`~/.cache/rulepipe/resume.key`, or the file `RULEPIPE_RESUME_KEY` names, made on first use,
mode 0600), and a resume loads only a checkpoint whose seal this key reproduces. A results
folder from someone else, or a checkpoint edited after its run, is discarded and training
starts over; nothing of it is unpickled. Rank 0 seals and checks, so on a cluster every node
that may run rank 0 reads the same key (a shared home, or the variable on a shared path).

Hand-written: DeepSpeed offers no integrity check, and a content hash stored beside the files
alone would be forged with them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from rulepipe.io import write_json

KEY_ENV = "RULEPIPE_RESUME_KEY"
SEAL = "seal.json"
CHUNK = 1 << 24


def key_path() -> Path:
    return Path(os.environ.get(KEY_ENV) or Path.home() / ".cache" / "rulepipe" / "resume.key")


def resume_key() -> bytes:
    """This machine's key, made (32 random bytes, readable by this user only) on first use."""
    path = key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
        try:  # a link, not a replace: of two first runs at once, the second never overwrites a key in use
            os.link(scratch, path)
        except FileExistsError:
            pass
        finally:
            scratch.unlink()
    return path.read_bytes()


def _mac(key: bytes, path: Path) -> str:
    mac = hmac.new(key, digestmod=hashlib.sha256)
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            mac.update(chunk)
    return mac.hexdigest()


def _macs(tag_dir: Path) -> dict[str, str]:
    """Every file of the tag (its seal aside), relative path -> MAC under this machine's key."""
    key = resume_key()
    files = sorted(p for p in tag_dir.rglob("*") if p.is_file() and p.name != SEAL)
    return {str(p.relative_to(tag_dir)): _mac(key, p) for p in files}


def seal(tag_dir: str | Path) -> None:
    """Record the MAC of every file of one checkpoint tag (after all ranks have written it)."""
    write_json(Path(tag_dir) / SEAL, _macs(Path(tag_dir)))


def unsealed(checkpoint_dir: str | Path) -> str | None:
    """Why the checkpoint that `latest` names may not be loaded, or None when this machine's
    key reproduces its seal (every file, no file more or less)."""
    checkpoint_dir = Path(checkpoint_dir)
    tag = (checkpoint_dir / "latest").read_text(encoding="utf-8").strip()
    tag_dir = checkpoint_dir / tag
    if not tag or Path(tag).name != tag or not tag_dir.is_dir():
        return f"`latest` names {tag!r}, not a checkpoint folder beside it"
    try:
        recorded = json.loads((tag_dir / SEAL).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "it carries no seal from this machine's runs"
    actual = _macs(tag_dir)
    if not isinstance(recorded, dict) or set(recorded) != set(actual):
        return "its files are not the ones its seal lists"
    if not all(hmac.compare_digest(str(recorded[name]), mac) for name, mac in actual.items()):
        return "its seal was not made by this machine's key, or its files changed after it was made"
    return None
