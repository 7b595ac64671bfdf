"""MUSE (Books / News) as a `Target`: a local copy of the release's layout, or the hub.

MUSE has one forget set per corpus, so a corpus is one target. Its parts map onto the shared
representation so that RULE and the baselines run unchanged:
- forget / neighbor probes: KnowMem forget / retain QA (level "2" questions),
- forget corpus: the VerbMem passages (prompt + continuation, excerpts of the forget split)
  and the raw forget split where the source has it (the hub); retain corpus: raw `retain1`,
- MIA members / non-members: PrivLeak forget / holdout,
- RULE's training pools, disjoint from what is scored: forget questions from the KnowMem
  forget in-context examples and the VerbMem prompts (as continuation requests); boundary
  pairs from the KnowMem retain in-context examples,
- `muse`: the sets MUSE's own metrics read (VerbMem, KnowMem with their in-context examples,
  PrivLeak forget / retain / holdout).
`limits` keeps the first N items of each evaluated set (CPU runs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rulepipe.data.contract import check_records, check_texts
from rulepipe.data.target import Probe, Target
from rulepipe.io import DataError, read_json
from rulepipe.prompts import probe_turn

LOCAL_FILES = {  # name -> path under the corpus directory (the local release layout)
    "forget_qa": "knowmem/forget_qa.json",
    "forget_qa_icl": "knowmem/forget_qa_icl.json",
    "retain_qa": "knowmem/retain2_qa.json",
    "retain_qa_icl": "knowmem/retain2_qa_icl.json",
    "verbmem": "verbmem/forget.json",
    "privleak_forget": "privleak/forget.json",
    "privleak_retain": "privleak/retain2.json",
    "privleak_holdout": "privleak/holdout.json",
    "retain1": "raw/retain1.json",
}
HUB_SPLITS = {  # name -> (hub subset, split)
    "forget_qa": ("knowmem", "forget_qa"),
    "forget_qa_icl": ("knowmem", "forget_qa_icl"),
    "retain_qa": ("knowmem", "retain_qa"),
    "retain_qa_icl": ("knowmem", "retain_qa_icl"),
    "verbmem": ("verbmem", "forget"),
    "privleak_forget": ("privleak", "forget"),
    "privleak_retain": ("privleak", "retain"),
    "privleak_holdout": ("privleak", "holdout"),
    "retain1": ("raw", "retain1"),
    "raw_forget": ("raw", "forget"),
}
CONTRACT = {"forget_qa": "qa", "forget_qa_icl": "qa", "retain_qa": "qa", "retain_qa_icl": "qa"}
CONTRACT |= {"verbmem": "muse_verbmem"}  # the rest are corpora: texts
CONTINUE_REQUEST = "Continue this passage from the book: {}"
REQUEST_WORDS = 40  # words of a VerbMem prompt kept in the continuation request


def _texts(rows: list[Any]) -> list[str]:
    return [row if isinstance(row, str) else row["text"] for row in rows]


def _check(name: str, rows: list[Any], origin: str) -> None:
    """The data contract (`data.contract`) of one MUSE file; corpora are lists of texts."""
    if not isinstance(rows, list):
        raise DataError(f"{origin}: expected a JSON list")
    if name in CONTRACT:
        check_records(rows, CONTRACT[name], origin)
    else:
        check_texts(rows, origin)


def load_local(path: str | Path) -> dict[str, list[Any]]:
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"benchmark.path: {root} is not a directory (expected a MUSE corpus such as muse/books)")
    sets = {}
    for name, relative in LOCAL_FILES.items():
        file = root / relative
        if not file.exists():
            raise DataError(f"{file}: required MUSE file is missing")
        rows = read_json(file)
        _check(name, rows, str(file))
        sets[name] = rows
    return sets


def load_hub(repo: str) -> dict[str, list[Any]]:
    from datasets import load_dataset  # only the hub path needs it

    sets = {}
    for name, (subset, split) in HUB_SPLITS.items():
        try:
            rows = [dict(row) for row in load_dataset(repo, subset, split=split)]
        except Exception as err:  # the hub raises many types; name the split instead
            raise DataError(
                f"benchmark.hub_repo: {repo!r} {subset}/{split} could not be loaded from "
                f"https://huggingface.co/datasets/{repo} ({err})"
            ) from None
        _check(name, rows, f"hub:{repo}/{subset}/{split}")
        sets[name] = rows
    return sets


def continuation_request(prompt: str) -> str:
    """A VerbMem prompt as a chat request: its last words, asked to be continued."""
    tail = " ".join(prompt.split()[-REQUEST_WORDS:])
    return CONTINUE_REQUEST.format(tail)


def build_target(sets: dict[str, list[Any]], corpus: str, name: str, limits: dict, origin: str) -> Target:
    def first(key: str, limit_key: str) -> list[Any]:
        limit = limits.get(limit_key)
        return sets[key][:limit] if limit is not None else sets[key]

    forget_qa, retain_qa = first("forget_qa", "knowmem"), first("retain_qa", "knowmem")
    verbmem = first("verbmem", "verbmem")
    privleak = {side: _texts(first(f"privleak_{side}", "privleak")) for side in ("forget", "retain", "holdout")}
    forget_corpus = [row["prompt"] + row["gt"] for row in verbmem] + _texts(sets.get("raw_forget", []))
    return Target(
        name=name,
        target_id=corpus,
        intro="",
        forget_probes=[Probe(q["question"], str(q["answer"]), "2", "simple question") for q in forget_qa],
        neighbor_probes=[Probe(q["question"], str(q["answer"]), "2", "simple question", "retain") for q in retain_qa],
        mia_member=privleak["forget"],
        mia_nonmember=privleak["holdout"],
        forget_corpus=forget_corpus,
        retain_corpus=_texts(sets["retain1"]),
        forget_questions=[q["question"] for q in sets["forget_qa_icl"]]
        + [continuation_request(v["prompt"]) for v in verbmem],
        boundary_pool=[{"question": q["question"], "answer": str(q["answer"])} for q in sets["retain_qa_icl"]],
        muse={
            "verbmem": verbmem,
            "knowmem_forget": forget_qa,
            "knowmem_forget_icl": sets["forget_qa_icl"],
            "knowmem_retain": retain_qa,
            "knowmem_retain_icl": sets["retain_qa_icl"],
            "privleak_forget": privleak["forget"],
            "privleak_retain": privleak["retain"],
            "privleak_holdout": privleak["holdout"],
        },
        source=origin,
    )


def learn_examples(target: Target, max_chars: int) -> list[dict]:
    """What the small stand-in for MUSE's target model learns, `max_chars` of each passage: the
    VerbMem passages around the prompt / continuation boundary (what VerbMem asks back), the
    PrivLeak forget and retain texts and the retain corpus from their start (what MIA scores:
    set `mia.max_tokens` to about the same length), and the KnowMem QA of both sides in the two
    forms they are asked in (MUSE's plain `Question: / Answer:` text, and the chat probes), so
    that the original model knows what is later unlearned and kept. Holdout texts stay unseen."""
    half = max_chars // 2
    examples: list[dict] = [
        {"text": item["prompt"][-half:] + item["gt"][: max_chars - half]} for item in target.muse["verbmem"]
    ]
    passages = target.muse["privleak_forget"] + target.retain_corpus + target.muse["privleak_retain"]
    examples += [{"text": text[:max_chars]} for text in passages]
    for probe in target.forget_probes + target.neighbor_probes:
        examples.append({"text": f"Question: {probe.query}\nAnswer: {probe.answer}\n\n"})
        user, prefix = probe_turn(probe)
        examples.append({"user": user, "assistant_prefix": prefix, "response": " " + probe.answer})
    return examples
