"""RULE's RL prompts. `rl_data.json` keeps the RULE release's format, one record per prompt:
`{"prompt", "format", "solution"}`, the solution `["<reject>", refusal, name, ...]` for a forget
prompt (refuse, naming the target) or `["<normal>", answer]` for a boundary prompt (answer it).
In the code a row is an `RLRow`; only this module reads or writes that positional list."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rulepipe.io import DataError, read_json, write_json


@dataclass(frozen=True)
class RLRow:
    prompt: str
    format: str  # qa | fb
    forget: bool  # refuse it (the forget side) or answer it (the boundary side)
    answer: str  # forget: a templated refusal; boundary: the gold answer
    names: tuple[str, ...] = ()  # forget: the target's names, which a natural refusal says

    @property
    def label(self) -> str:
        """The reward's label and the release's tag without brackets: reject | normal."""
        return "reject" if self.forget else "normal"

    @property
    def tag(self) -> str:
        return f"<{self.label}>"

    def to_json(self) -> dict:
        return {"prompt": self.prompt, "format": self.format, "solution": [self.tag, self.answer, *self.names]}

    @classmethod
    def from_json(cls, record: dict, origin: str | Path = "rl_data.json") -> RLRow:
        try:
            tag, answer, *names = record["solution"]
            if tag not in ("<reject>", "<normal>"):
                raise ValueError(tag)
            return cls(record["prompt"], record["format"], tag == "<reject>", answer, tuple(names))
        except (KeyError, TypeError, ValueError):
            raise DataError(f"{origin}: not an RL row in RULE's format: {str(record)[:120]}") from None


def refuse(prompt: str, form: str, refusal: str, name: str) -> RLRow:
    return RLRow(prompt, form, True, refusal, (name,))


def answer(prompt: str, form: str, gold: str) -> RLRow:
    return RLRow(prompt, form, False, gold)


def read_rows(path: str | Path) -> list[RLRow]:
    return [RLRow.from_json(record, path) for record in read_json(path)]


def write_rows(path: str | Path, rows: list[RLRow]) -> None:
    write_json(path, [row.to_json() for row in rows])
