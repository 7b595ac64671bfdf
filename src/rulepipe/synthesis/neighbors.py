"""Boundary neighbours for a target without a fact table (RWKU): comparable entities that the
retain probes do not score, each with a passage to ground questions in.

The release's boundary people are comparable to the target (for Stephen King: J.K. Rowling,
Agatha Christie) and are never RWKU's scored neighbours; training on the very entities the
retain columns measure would inflate them. Comparable here: the words of the candidates'
intros (RWKU's `all_intro.json`: 200 people, 3 one-sentence intros each) against the
target's, names and stop words removed, word stems weighted by rarity; the closest first.
Their passages: the intro, and the sentences that name them in the target's retain corpus
(RWKU: the RULE release's biographies of other RWKU people), when it has any. `leaks` is
the guard that `rule_data` runs on the finished boundary set.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rulepipe.data.rl_rows import RLRow
from rulepipe.data.target import Target
from rulepipe.io import DataError, read_json
from rulepipe.synthesis.filters import mentions, near_duplicate

STOP = set(
    "a an the and or of in on at to for from by with as is was were are be been his her their its who whose "
    "which that this known also one most many best widely renowned famous".split()
)


@dataclass(frozen=True)
class Neighbor:
    name: str
    passage: str


def content_words(text: str, names: list[str]) -> set[str]:
    """Word stems (5 letters) of a text, its names and stop words removed."""
    for name in names:
        text = re.sub(re.escape(name), " ", text, flags=re.IGNORECASE)
    return {w[:5] for w in re.findall(r"[a-z][a-z-]+", text.lower()) if w not in STOP}


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def scored_entities(target: Target) -> list[str]:
    """The entities the target's retain (neighbor) probes are about, also without RWKU's
    disambiguation ("The Shining (film)" -> "The Shining") where that leaves a real name."""
    names = set()
    for probe in target.neighbor_probes:
        if probe.neighbor:
            names.add(probe.neighbor)
            bare = re.sub(r"\s*\([^)]*\)$", "", probe.neighbor).strip()
            if bare != probe.neighbor and (len(bare.split()) > 1 or len(bare) >= 5):
                names.add(bare)
    return sorted(names)


def _related(a: str, b: str) -> bool:
    return mentions(a, b) or mentions(b, a)


def load_pool(path: str | Path) -> dict[str, str]:
    """name -> passage from an `all_intro.json`-shaped file ({name: [intro, ...]}); the longest
    intro of each."""
    data = read_json(path)
    if not isinstance(data, dict):
        raise DataError(f"{path}: expected {{name: [intro, ...]}} (RWKU's all_intro.json)")
    pool = {}
    for name, intros in data.items():
        texts = [intros] if isinstance(intros, str) else intros
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts) or not texts:
            raise DataError(f"{path}: {name!r}: expected a list of intro strings")
        pool[name] = max(texts, key=len)
    return pool


def comparable(target: Target, pool: dict[str, str], count: int, corpus: list[str] = ()) -> list[Neighbor]:
    """Passage units of the `count` pool entities most like the target, round-robin over the
    entities (so consecutive queries get different people). Never the target itself, an entity
    whose name contains the target's (or the reverse), one the retain probes score, nor a
    passage that names any of them."""
    excluded = [target.name, *scored_entities(target)]
    words = {name: content_words(passage, [name]) for name, passage in pool.items()}
    df = Counter(w for ws in words.values() for w in ws)
    idf = {w: math.log(len(pool) / n) for w, n in df.items()}
    mine = content_words(target.intro or pool.get(target.name, ""), [target.name])
    ranked = []
    for name, passage in pool.items():
        if any(_related(name, other) for other in excluded) or any(mentions(passage, e) for e in excluded):
            continue
        shared = sum(idf.get(w, 0.0) for w in mine & words[name])
        union = sum(idf.get(w, math.log(len(pool))) for w in mine | words[name])
        ranked.append((-shared / max(union, 1e-9), name))
    chosen = [name for _, name in sorted(ranked)[:count]]
    texts = attribute(chosen, corpus)
    units = {
        name: [pool[name]]
        + [
            s
            for t in texts.get(name, [])
            for s in map(lambda x: named(x, name), sentences(t))
            if usable(s, name, excluded)
        ]
        for name in chosen
    }
    units = {name: list(dict.fromkeys(found)) for name, found in units.items()}
    longest = max((len(u) for u in units.values()), default=0)
    return [Neighbor(name, units[name][r]) for r in range(longest) for name in chosen if r < len(units[name])]


def attribute(names: list[str], texts: list[str], head: int = 300) -> dict[str, list[str]]:
    """Texts about one of `names`: the name that comes first in a text's opening `head` chars."""
    found: dict[str, list[str]] = {}
    for text in texts:
        hits = [(m.start(), -len(name), name) for name in names if (m := re.search(re.escape(name), text[:head]))]
        if hits:
            found.setdefault(min(hits)[2], []).append(text)
    return found


def named(sentence: str, name: str) -> str:
    """A biography's sentence made to stand alone: a leading He / She / His / Her, or a bare
    surname, becomes the person's name (in a text about one person they refer to that person)."""
    if mentions(sentence, name):
        return sentence
    lead = re.match(r"^(He|She|His|Her)\b", sentence)
    if lead:
        return (name + ("'s" if lead.group(1) in ("His", "Her") else "")) + sentence[lead.end() :]
    surname = name.split()[-1]
    if len(surname) > 2 and mentions(sentence, surname):
        return re.sub(rf"(?<!\w){re.escape(surname)}(?!\w)", name, sentence, count=1)
    return sentence


def usable(sentence: str, name: str, excluded: list[str]) -> bool:
    """A sentence fit to ground a question: names its person, mid-length, one line, and names
    nothing that must stay out of the boundary set."""
    return (
        mentions(sentence, name)
        and 8 <= len(sentence.split()) <= 50
        and not any(mentions(sentence, e) for e in excluded)
        and "?" not in sentence
        and not sentence.endswith(":")
        and not re.search(r"\b(?:biography|request|I'm|I am|I'd|let me)\b", sentence, re.IGNORECASE)
    )


def leaks(target: Target, rows: list[RLRow]) -> list[str]:
    """Why boundary rows would leak into the retain columns: a row that names an
    entity the retain probes score, or repeats a probe's question. [] when clean."""
    scored = scored_entities(target)
    probes = [p.query for p in target.neighbor_probes + target.forget_probes]
    problems = []
    for row in rows:
        if row.forget:
            continue
        named = [entity for entity in scored if mentions(row.prompt + " " + row.answer, entity)]
        if named:
            problems.append(f"{row.prompt[:70]!r} names the scored neighbour {named[0]!r}")
        elif near_duplicate(row.prompt, probes, threshold=0.8):
            problems.append(f"{row.prompt[:70]!r} repeats an evaluation probe")
    return problems
