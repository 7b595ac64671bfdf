"""RWKU loaders: the per-target directory layout, or the Hugging Face hub.

The per-target layout (`Target/<k>_<Name>/forget_level1.json`, ...) is RWKU's processed
release; the fictional world is written in the same layout, so this module reads both.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from rulepipe.data.contract import check_records, check_texts
from rulepipe.data.target import Probe, Target
from rulepipe.io import DataError, read_json

PROBE_FILES = {
    "forget": ("forget_level1.json", "forget_level2.json", "forget_level3.json"),
    "neighbor": ("neighbor_level1.json", "neighbor_level2.json"),
}
UTILITY_FILES = {
    "mmlu": "retain_mmlu.json",
    "bbh": "retain_bbh.json",
    "truthfulqa": "truthful.json",
    "triviaqa": "triviaqa.json",
    "fluency": "fluency.json",
}
HUB_CONFIGS = {  # file name in the per-target layout -> hub config name (split "test")
    "intro.json": "forget_target",
    "forget_level1.json": "forget_level1",
    "forget_level2.json": "forget_level2",
    "forget_level3.json": "forget_level3",
    "neighbor_level1.json": "neighbor_level1",
    "neighbor_level2.json": "neighbor_level2",
    "forget_mia.json": "mia_forget",
    "retain_mia.json": "mia_retain",
    "retain_mmlu.json": "utility_general",
    "retain_bbh.json": "utility_reason",
    "truthful.json": "utility_truthfulness",
    "triviaqa.json": "utility_factuality",
    "fluency.json": "utility_fluency",
    "positive.json": "train_positive_llama3",
    "reject.json": "train_refusal_llama3",
}


def target_id(index: int, name: str) -> str:
    """RWKU's directory name for a target: `1_Stephen_King`."""
    return f"{index}_" + re.sub(r"\s+", "_", name.strip())


def list_targets(root: str | Path) -> list[str]:
    """Target ids in a per-target layout, in RWKU's numeric order."""
    target_root = Path(root) / "Target"
    if not target_root.is_dir():
        raise DataError(f"{root}: no Target/ directory (expected RWKU's per-target layout)")
    ids = [p.name for p in target_root.iterdir() if p.is_dir()]
    return sorted(ids, key=lambda name: (int(name.split("_")[0]) if name.split("_")[0].isdigit() else 10**9, name))


def _probes(rows: list[dict[str, Any]], origin: Path) -> list[Probe]:
    return [
        Probe(
            query=r["query"], answer=str(r["answer"]), level=str(r["level"]), type=r["type"], neighbor=r.get("neighbor")
        )
        for r in check_records(rows, "probe", origin)
    ]


def _rows_from_dir(directory: Path, name: str, required: bool) -> list[Any]:
    path = directory / name
    if not path.exists():
        if required:
            raise DataError(f"{path}: required benchmark file is missing")
        return []
    rows = read_json(path)
    if not isinstance(rows, list):
        raise DataError(f"{path}: expected a JSON list")
    return rows


def release_retain_corpus(release_root: str | Path, tid: str, name: str) -> list[str]:
    """The retain corpus of RWKU's GDR / KLR baselines. RWKU ships none (its reference code has
    no GDR / KLR); the RULE release pairs each forget text with a retain text for them
    (`positive_with_retain.json`: model-written biographies of other RWKU people). Its retain
    side, deduplicated in order, without texts that name the target. [] where the file is absent."""
    path = Path(release_root) / "Target" / tid / "positive_with_retain.json"
    if not path.exists():
        return []
    rows = read_json(path)
    texts: list[str] = []
    for i, row in enumerate(rows):
        try:
            text = row["prompts"][1]
        except (KeyError, IndexError, TypeError):
            raise DataError(f"{path}: item {i}: expected {{prompts: [forget text, retain text]}}") from None
        if text not in texts and name.lower() not in text.lower():
            texts.append(text)
    return texts


def load_local_target(root: str | Path, tid: str, allow_empty_levels: bool = False) -> Target:
    """Read one target from the per-target layout under `root/Target/<tid>`."""
    directory = Path(root) / "Target" / tid
    if not directory.is_dir():
        available = ", ".join(list_targets(root)[:12])
        raise DataError(f"{directory}: no such target (available: {available})")
    rows = lambda name, required=False: _rows_from_dir(directory, name, required)  # noqa: E731
    return _build_target(tid, rows, directory, allow_empty_levels=allow_empty_levels)


def load_hub_target(repo: str, tid: str, name: str, allow_empty_levels: bool = False) -> Target:
    """Read one target from the hub (`jinzhuoran/RWKU`), filtering every config by subject."""
    from datasets import load_dataset  # imported here: only the hub path needs it

    def rows(file_name: str, required: bool = False) -> list[Any]:
        config = HUB_CONFIGS.get(file_name)
        if config is None:
            return []
        try:
            split = load_dataset(repo, config, split="test")
        except Exception as err:  # the hub raises many types; name the config instead
            if required:
                raise DataError(
                    f"benchmark.hub_repo: {repo!r} config {config} could not be loaded from "
                    f"https://huggingface.co/datasets/{repo} ({err})"
                ) from None
            return []
        return [dict(row) for row in split if row.get("subject", row.get("target")) == name]

    return _build_target(tid, rows, Path(f"hub:{repo}"), name=name, allow_empty_levels=allow_empty_levels)


def _utility_sets(rows, origin: Path) -> dict[str, list[dict[str, Any]]]:
    """The five utility sets, each item checked for the fields its task reads."""
    return {task: check_records(rows(file_name), task, origin / file_name) for task, file_name in UTILITY_FILES.items()}


def load_utility_dir(directory: str | Path) -> dict[str, list[dict[str, Any]]]:
    """Utility sets from one directory of RWKU's files (the config's `utility.path`)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError(f"utility.path: {directory} is not a directory")
    sets = _utility_sets(lambda name, required=False: _rows_from_dir(directory, name, required), directory)
    if not any(sets.values()):
        names = ", ".join(UTILITY_FILES.values())
        raise DataError(f"utility.path: {directory} holds none of {names}")
    return sets


def _probe_levels(rows, side: str, origin: Path, allow_empty: bool) -> list[Probe]:
    """A side's probes, level by level; an empty level is an error (forget All would silently
    average the others) unless `benchmark.allow_empty_levels` says so."""
    probes = []
    for number, file_name in enumerate(PROBE_FILES[side], 1):
        level = _probes(rows(file_name, True), origin / file_name)
        for i, probe in enumerate(level):
            if probe.level != str(number):  # the level would be empty in effect, and All silently without it
                raise DataError(
                    f"{origin / file_name}: item {i}: level is {probe.level!r}, but the file holds level {number}"
                )
        if not level:
            if not allow_empty:
                raise DataError(
                    f"{origin / file_name}: no probes; its level would drop out of {side} All unnoticed "
                    "(set benchmark.allow_empty_levels: true to score without it; summary.csv then names it)"
                )
            print(f"[prepare_benchmark] warning: {origin / file_name} is empty; {side} All omits its level", flush=True)
        probes += level
    return probes


def _build_target(tid: str, rows, origin: Path, name: str | None = None, allow_empty_levels: bool = False) -> Target:
    intro_rows = check_records(rows("intro.json"), "intro", origin / "intro.json")
    if intro_rows:
        name = name or intro_rows[0]["target"]
        intro = intro_rows[0]["intro"]
    else:
        first = rows("forget_level1.json", True)
        name = name or (first[0].get("subject") if first and isinstance(first[0], dict) else None)
        if not name:
            raise DataError(f"{origin}: no intro.json and no subject in forget_level1.json: the target has no name")
        intro = ""
    reject = check_records(rows("reject.json"), "reject", origin / "reject.json")
    forget_probes = _probe_levels(rows, "forget", origin, allow_empty_levels)
    neighbor_probes = _probe_levels(rows, "neighbor", origin, allow_empty_levels)
    forget_corpus = check_texts(rows("positive.json"), origin / "positive.json")
    if not forget_corpus:
        raise DataError(
            f"{origin / 'positive.json'}: missing or empty: the target has no forget corpus "
            "(RULE's budget is a share of its tokens; the baselines train on it)"
        )
    return Target(
        name=name,
        target_id=tid,
        intro=intro,
        forget_probes=forget_probes,
        neighbor_probes=neighbor_probes,
        mia_member=check_texts(rows("forget_mia.json"), origin / "forget_mia.json"),
        mia_nonmember=check_texts(rows("retain_mia.json"), origin / "retain_mia.json"),
        forget_corpus=forget_corpus,
        retain_corpus=check_texts(rows("retain.json"), origin / "retain.json"),
        forget_questions=[row["instruction"] for row in reject],
        utility=_utility_sets(rows, origin),
        source=str(origin),
    )
