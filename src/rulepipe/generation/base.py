"""The interface both backends implement: token ids in, completions out.

Callers tokenize once (with the HF tokenizer) and pass ids, so both backends see the very
same prompt tokens; both decode with that tokenizer too, so greedy output can be compared
token for token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SamplingConfig:
    n: int = 1
    temperature: float = 0.0  # 0 = greedy
    top_p: float = 1.0
    max_tokens: int = 30
    seed: int = 0

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0


@dataclass(frozen=True)
class Completion:
    text: str
    token_ids: tuple[int, ...]
    finished_by_stop: bool  # False when max_tokens cut it


class Generator(Protocol):
    name: str
    tokenizer: object

    def generate(
        self, prompts: list[list[int]], sampling: SamplingConfig, stop_token_ids: list[int]
    ) -> list[list[Completion]]:
        """For each prompt, `sampling.n` completions, cut before the first stop token."""
        ...

    def sleep(self) -> None:
        """Free accelerator memory until the next generate (vLLM sleep mode); may do nothing."""
        ...

    def close(self) -> None: ...


def cut_at_stop(token_ids: list[int], stop_token_ids: list[int]) -> tuple[list[int], bool]:
    stops = set(stop_token_ids)
    for i, token in enumerate(token_ids):
        if token in stops:
            return token_ids[:i], True
    return token_ids, False
