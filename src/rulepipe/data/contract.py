"""The data contract of every benchmark file: what each record must hold.

Checked where the files are read (`prepare_benchmark` for RWKU, the fictional world and MUSE;
`rule_data` for the RULE release's files), so that a bad record stops the run at once with
its file, item and field (`forget_level2.json: item 0: answer is null`) instead of becoming a
gold string "None", a probe made of a number, or a crash deep in generation.

The length limits are in characters, far above anything the releases hold (RWKU's longest
query is 280 characters, its longest MMLU question 4,504, its longest text 6,709): a record
beyond them is a broken file, not a long question.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rulepipe.io import DataError

_MISSING = object()


@dataclass(frozen=True)
class Field:
    """One field of a record. `kind`: text (a non-empty string), answer (text or a number),
    integer, texts (a non-empty list of strings), list, mapping, qa ({question, answer})."""

    name: str
    kind: str = "text"
    max_chars: int = 8_000
    required: bool = True


PROBE = (
    Field("query", max_chars=2_000),
    Field("answer", "answer", max_chars=1_000),
    Field("level", "answer", max_chars=8),
    Field("type", max_chars=100),
    Field("neighbor", max_chars=200, required=False),
)
CONTRACTS: dict[str, tuple[Field, ...]] = {
    "probe": PROBE,
    "intro": (Field("target", max_chars=200), Field("intro", max_chars=20_000)),
    "reject": (Field("instruction"),),
    "mmlu": (
        Field("task", max_chars=200),
        Field("question", max_chars=20_000),
        Field("choices", "texts"),
        Field("answer", "integer"),
        Field("examples", "list"),
    ),
    "bbh": (Field("question", max_chars=20_000), Field("answer", max_chars=2_000), Field("cot", max_chars=40_000)),
    "truthfulqa": (Field("question"), Field("mc1_targets", "mapping"), Field("mc2_targets", "mapping")),
    "triviaqa": (Field("question"), Field("answers", "texts")),
    "fluency": (Field("instruction"),),
    "qa": (Field("question"), Field("answer", "answer", max_chars=2_000)),
    "muse_verbmem": (Field("prompt", max_chars=100_000), Field("gt", max_chars=100_000)),
    "release_boundary": (  # the RULE release's reject_with_fb_neighbor_target.json
        Field("instruction"),
        Field("FB_instruction"),
        Field("neighbor_question", "qa"),
        Field("FB_neighbor_question", "qa"),
    ),
}
TEXT_MAX_CHARS = 1_000_000  # one document of a corpus (MIA texts, forget / retain corpora)
MMLU_CHOICES = 4


def _problem(value: Any, field: Field) -> str | None:
    """Why `value` breaks `field`, or None."""
    if value is _MISSING:
        return "is missing" if field.required else None
    if value is None:
        return "is null"
    kind = field.kind
    if isinstance(value, float) and not math.isfinite(value):
        return f"is {value} (JSON's NaN / Infinity), not {'text' if kind == 'text' else 'a value'}"
    if kind in ("text", "answer"):
        if kind == "answer" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return None
        if not isinstance(value, str):
            return f"is {type(value).__name__} {value!r:.40}, not text"
        if not value.strip():
            return "is empty"
        if len(value) > field.max_chars:
            return f"is {len(value):,} characters long (at most {field.max_chars:,})"
        return None
    if kind == "integer":
        return None if isinstance(value, int) and not isinstance(value, bool) else f"is {value!r:.40}, not an integer"
    if kind in ("mapping", "qa") and not isinstance(value, dict):
        return f"is {type(value).__name__}, not a mapping"
    if kind == "qa":
        for sub in CONTRACTS["qa"]:
            problem = _problem(value.get(sub.name, _MISSING), sub)
            if problem:
                return f".{sub.name} {problem}"
    if kind in ("mapping", "qa"):
        return None
    if not isinstance(value, list):
        return f"is {type(value).__name__}, not a list"
    if kind == "texts" and (not value or not all(isinstance(v, str) and v.strip() for v in value)):
        return "is not a non-empty list of non-empty strings"
    return None


def check_records(rows: list[Any], contract: str, origin: str | Path) -> list[dict]:
    """`rows` if every record keeps `contract` (a key of CONTRACTS); else a DataError naming
    the file, the item and the field."""
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise DataError(f"{origin}: item {i}: is {type(row).__name__}, not a record")
        for field in CONTRACTS[contract]:
            problem = _problem(row.get(field.name, _MISSING), field)
            if problem:
                raise DataError(f"{origin}: item {i}: {field.name}{'' if problem[0] == '.' else ' '}{problem}")
        if contract == "mmlu":
            if len(row["choices"]) != MMLU_CHOICES:
                raise DataError(f"{origin}: item {i}: choices has {len(row['choices'])} entries (MMLU has 4)")
            if not 0 <= row["answer"] < MMLU_CHOICES:
                raise DataError(f"{origin}: item {i}: answer {row['answer']} is not an index of its 4 choices")
    return rows


def check_texts(rows: list[Any], origin: str | Path) -> list[str]:
    """A corpus file: a list of strings or of {text: ...} records, each non-empty."""
    texts = []
    for i, row in enumerate(rows):
        text = row.get("text", _MISSING) if isinstance(row, dict) else row
        problem = _problem(text, Field("text", max_chars=TEXT_MAX_CHARS))
        if problem:
            raise DataError(f"{origin}: item {i}: text {problem}")
        texts.append(text)
    return texts
