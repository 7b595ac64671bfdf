"""Checks every synthesized item must pass before it becomes training data."""

from __future__ import annotations

import re

BLANK_RE = re.compile(r"_{3,}")
QUESTION_START = re.compile(
    r"^((?:in|on|at|to|for|from|with|by|of|under|after) (?:what|which|whom|whose)|"
    r"what|which|who|whom|whose|when|where|why|how|is|was|are|were|did|does|do|has|have|had|can|could|name)\b",
    re.IGNORECASE,
)


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def near_duplicate(text: str, accepted: list[str], threshold: float = 0.8) -> bool:
    """Jaccard overlap of word sets above `threshold` with anything already accepted."""
    mine = words(text)
    for other in accepted:
        theirs = words(other)
        if mine and theirs and len(mine & theirs) / len(mine | theirs) > threshold:
            return True
    return False


def mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE) is not None


def blanks(text: str) -> int:
    """Blank tokens in a cloze: each run of three or more underscores is one."""
    return len(BLANK_RE.findall(text))


def copies_example(text: str, examples: list[str], names: list[str]) -> bool:
    """The item reuses a worked example of the synthesis prompt (its person, or its words)."""
    return any(mentions(text, name) for name in names) or near_duplicate(text, examples, threshold=0.6)


def valid_cloze(text: str, must_name: str, examples: tuple[list[str], list[str]] = ([], [])) -> str | None:
    """None if acceptable, else the reason."""
    if blanks(text) != 1:
        return "cloze: not exactly one blank"
    if not mentions(text, must_name):
        return "cloze: does not name the entity"
    if copies_example(text, *examples):
        return "cloze: copies the prompt's example"
    return None


def is_question(text: str) -> bool:
    text = text.strip()
    return text.endswith("?") and QUESTION_START.match(text) is not None and blanks(text) == 0


def valid_boundary_prompt(text: str, target: str) -> str | None:
    """A boundary prompt is a question, or a cloze with exactly one blank, and never names the
    forget target."""
    if mentions(text, target):
        return "boundary: names the forget target"
    if not is_question(text) and blanks(text) != 1:
        return "boundary: neither a question nor a cloze with one blank"
    return None


def valid_neighbor(
    question: str, answer: str, target: str, neighbor: str, examples: tuple[list[str], list[str]] = ([], [])
) -> str | None:
    if not question.strip() or not answer.strip():
        return "neighbor: not parseable"
    if mentions(question, target) or mentions(answer, target):
        return "neighbor: names the forget target"
    if not is_question(question):
        return "neighbor: not a question"
    if not mentions(question, neighbor):
        return "neighbor: does not name the neighbor"
    if copies_example(question, *examples):
        return "neighbor: copies the prompt's example"
    return None


def neighbor_questions(
    replies: list[str], target: str, neighbor: str, rejections: list[str], examples=([], []), also=None
) -> list[str]:
    """The distinct replies that are questions about `neighbor` (`valid_neighbor`, and `also`, a
    further check that returns a reason or None); the others' reasons go to `rejections`."""
    kept = []
    for question in dict.fromkeys(reply.strip() for reply in replies):
        reason = valid_neighbor(question, "-", target, neighbor, examples) or (also(question) if also else None)
        if reason is None:
            kept.append(question)
        else:
            rejections.append(f"{reason}: {question[:60]!r}")
    return kept


def normalised(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def grounded_answer(answer: str, question: str, passage: str, max_words: int = 8) -> str | None:
    """None if `answer` is a short span of `passage` that the question does not already give
    away, else the reason."""
    span = normalised(answer)
    if not span or len(span.split()) > max_words:
        return "grounded: answer empty or too long"
    if f" {span} " not in f" {normalised(passage)} ":
        return "grounded: answer is not a span of the passage"
    if f" {span} " in f" {normalised(question)} ":
        return "grounded: the question contains its answer"
    return None
