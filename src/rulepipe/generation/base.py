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
    top_k: int = 0  # 0 = off
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
    stop_token_id: int | None = None  # the stop token that ended it (not in token_ids)


class Closing:
    """`with make_generator(...) as generator:` closes the engine on the way out, errors included."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


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

    def __enter__(self) -> Generator: ...

    def __exit__(self, *exc) -> None: ...


def cut_at_stop(token_ids: list[int], stop_token_ids: list[int]) -> tuple[list[int], int | None]:
    """(the tokens before the first stop token, that stop token or None)."""
    stops = set(stop_token_ids)
    for i, token in enumerate(token_ids):
        if token in stops:
            return token_ids[:i], token
    return token_ids, None


def completion(tokenizer, token_ids: list[int], stop_token_ids: list[int]) -> Completion:
    """A backend's raw sample ids -> the Completion every caller sees."""
    ids, stop = cut_at_stop(token_ids, stop_token_ids)
    return Completion(tokenizer.decode(ids, skip_special_tokens=True), tuple(ids), stop is not None, stop)
