"""Where outputs may go: every artifact lives under the configured `results` directory, and every
name that becomes one segment of an output path (benchmark, model, target, method) is a plain
segment, so that no config value or data field can plan a file outside `results`.

Checked once, at config time (`validate_config`, `resolve_targets`), before Snakemake plans a
job: a value that fails stops the run with the key and the reason, and nothing has been written.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

# ASCII names the product itself chooses (benchmark, model, method): letters, digits, `_ . -`,
# starting with a letter or digit (so never `.` or `..`, never an option-like `-x`).
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
# Target ids come from data (RWKU's folder names hold accents and apostrophes: `O'Neal`): any
# letter or digit and a few marks, still one segment, never a separator, `..`, a brace or a shell
# metacharacter.
TARGET = re.compile(r"[^\W_][\w.,'()&+-]*")
MAX_SEGMENT = 120
UNSAFE_ROOT_CHARS = "{}\n\r\0"  # braces are Snakemake's wildcards; the rest break a path


class PathError(ValueError):
    """A value that would put an output outside `results`, or an unusable `results`."""


def plain_segment(value: object, key: str, pattern: re.Pattern = NAME) -> str:
    """`value` if it is one plain path segment; else a PathError naming `key`."""
    if not isinstance(value, str) or not pattern.fullmatch(value) or len(value) > MAX_SEGMENT:
        allowed = "letters, digits, '_', '.', '-'" if pattern is NAME else "letters, digits and . , ' ( ) & + -"
        raise PathError(
            f"{key}: {value!r} is not a plain path segment ({allowed}; starting with a letter or digit; "
            f"at most {MAX_SEGMENT} characters): it names a folder under results/"
        )
    return value


def results_root(value: str, key: str = "results") -> str:
    """The results directory, `~` expanded: non-empty, free of braces and control characters,
    a directory where it exists, and writable (or creatable) by this user."""
    if not isinstance(value, str) or not value.strip():
        raise PathError(f"{key}: is empty; give the directory every artifact goes to (e.g. results)")
    bad = sorted({c for c in value if c in UNSAFE_ROOT_CHARS})
    if bad:
        raise PathError(f"{key}: {value!r} holds {', '.join(map(repr, bad))}: not allowed in the results path")
    path = Path(os.path.expanduser(value))
    if path.exists() and not path.is_dir():
        raise PathError(f"{key}: {value!r} exists and is not a directory")
    existing = next(p for p in [path, *path.absolute().parents] if p.exists())
    if not os.access(existing, os.W_OK | os.X_OK):
        raise PathError(f"{key}: {value!r} is not writable ({existing} does not let this user write)")
    return str(path)


def check_links_inside(root: str | Path, allowed: dict[str, str] | None = None, key: str = "results") -> None:
    """Every symbolic link already under `root` resolves inside it (a results folder received
    from someone else could link `models/` to any place; outputs would then land there), except
    the links the config itself plans (`allowed`: link path -> its target; a local model enters
    the DAG as a link to `model.path`, which nothing writes into)."""
    root = Path(root)
    if not root.is_dir():
        return
    real_root = root.resolve()
    allowed = {str(Path(link)): str(Path(target).resolve()) for link, target in (allowed or {}).items()}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            entry = Path(folder) / name
            if not entry.is_symlink() or allowed.get(str(entry)) == str(entry.resolve()):
                continue
            if not entry.resolve().is_relative_to(real_root):
                raise PathError(
                    f"{key}: {entry} is a link to {entry.resolve()}, outside {real_root}; "
                    "outputs would be written there (remove the link)"
                )
