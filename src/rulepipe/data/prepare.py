"""The prepare_benchmark stage's work: any source -> one `target.json` per target (+ learn data)."""

from __future__ import annotations

from pathlib import Path

from rulepipe.data import fictional, muse, rwku
from rulepipe.data.target import Target
from rulepipe.io import read_json, write_json
from rulepipe.prompts import probe_turn


def learn_examples(targets: list[Target], corpus: list[dict]) -> list[dict]:
    """The learn stage's chat examples: every probe in its evaluation format (TOFU-style: the
    original model is fine-tuned on the QA it is later probed with), plus the world's
    biographies and its other phrasings of each fact."""
    examples = []
    for target in targets:
        for probe in target.forget_probes + target.neighbor_probes:
            user, prefix = probe_turn(probe)
            examples.append({"user": user, "assistant_prefix": prefix, "response": " " + probe.answer})
    return examples + corpus


def learns(bench: dict) -> bool:
    """Whether the original model is learned first: `benchmark.learn`, else only for the
    fictional world (whose facts no model knows)."""
    return bench["source"] == "generate" if bench.get("learn") is None else bool(bench["learn"])


def prepare_benchmark(bench: dict, target_ids: list[str], out_dir: str | Path) -> list[Path]:
    """Write `<out_dir>/<target_id>/target.json` for each id; for the fictional world also the
    generated source files (`raw/`); `learn.json` where the original model is learned first."""
    out = Path(out_dir)
    written = []
    if bench["kind"] == "muse":
        spec = bench["muse"]
        sets = muse.load_local(bench["path"]) if bench["source"] == "local" else muse.load_hub(bench["hub_repo"])
        origin = bench["path"] if bench["source"] == "local" else f"hub:{bench['hub_repo']}"
        targets = [muse.build_target(sets, spec["corpus"], spec["target_name"], spec["limits"], origin)]
        if learns(bench):
            write_json(out / "learn.json", muse.learn_examples(targets[0], spec["learn_chars"]))
    elif bench["source"] == "generate":
        fic = bench["fictional"]
        raw = out / "raw"
        all_ids = fictional.write_world(
            raw, fic["num_people"], fic["seed"], fic["aa_per_type"], neighbor_facts=fic["neighbor_facts"]
        )
        everyone = [rwku.load_local_target(raw, tid, bench["allow_empty_levels"]) for tid in all_ids]
        write_json(out / "learn.json", learn_examples(everyone, read_json(raw / "learn_corpus.json")))
        loaded = {t.target_id: t for t in everyone}
        targets = [loaded[tid] for tid in target_ids]
    elif bench["source"] == "local":
        targets = [rwku.load_local_target(bench["path"], tid, bench["allow_empty_levels"]) for tid in target_ids]
    else:
        names = [tid.split("_", 1)[1].replace("_", " ") for tid in target_ids]
        targets = [
            rwku.load_hub_target(bench["hub_repo"], tid, name, bench["allow_empty_levels"])
            for tid, name in zip(target_ids, names)
        ]
    if bench["kind"] == "rwku" and bench["source"] != "generate" and bench["retain_release_path"]:
        for target in targets:
            if not target.retain_corpus:
                target.retain_corpus = rwku.release_retain_corpus(
                    bench["retain_release_path"], target.target_id, target.name
                )
                print(
                    f"[prepare_benchmark] {target.target_id}: retain corpus (GDR / KLR) = "
                    f"{len(target.retain_corpus)} texts of the RULE release's positive_with_retain.json",
                    flush=True,
                )
    for target in targets:
        path = out / target.target_id / "target.json"
        target.save(path)
        written.append(path)
        print(
            f"[prepare_benchmark] {target.target_id}: {len(target.forget_probes)} forget probes, "
            f"{len(target.neighbor_probes)} neighbor probes -> {path}",
            flush=True,
        )
    return written
