"""The configuration: schema validation with errors that name the file and the field.

Snakemake loads config.yaml (and any --configfile preset, then --config overrides); the
Snakefile hands the merged dict here before it builds the DAG, so a bad key, type or path
stops the run at once with one readable line.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from rulepipe.io import DataError
from rulepipe.paths import TARGET, PathError, check_links_inside, plain_segment, results_root

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    """The configuration is wrong; the message says where."""


def load_schema(path: Path = SCHEMA_PATH) -> dict:
    with path.open() as handle:
        return yaml.safe_load(handle)


def _field_path(error: jsonschema.ValidationError) -> str:
    parts = ""
    for part in error.absolute_path:
        parts += f"[{part}]" if isinstance(part, int) else (f".{part}" if parts else str(part))
    return parts or "(top level)"


def _describe(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        return f"{error.message}; allowed keys: {', '.join(allowed)}"
    if error.validator == "enum":
        return f"{error.instance!r} is not one of {error.validator_value}"
    return error.message


def layered(base: dict, over: dict) -> dict:
    """A preset over a config, as Snakemake layers --configfile: sections merge, values replace."""
    out = dict(base)
    for key, value in over.items():
        out[key] = layered(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _fill_defaults(schema: dict, data: Any) -> None:
    if not isinstance(data, dict):
        return
    for key, sub in schema.get("properties", {}).items():
        if key not in data and "default" in sub:
            data[key] = copy.deepcopy(sub["default"])
        if key in data:
            _fill_defaults(sub, data[key])


def defaults(section: str, **overrides: Any) -> dict:
    """The schema's defaults of a dotted section (e.g. "rule.rebo"), with `overrides`: the one
    home of every default, for callers outside a validated run (tests, scripts)."""
    schema = load_schema()
    for key in section.split("."):
        schema = schema["properties"][key]
    data: dict = {}
    _fill_defaults(schema, data)
    return data | overrides


def _accepts_text(schema: dict, value: str) -> bool:
    types = schema.get("type")
    types = [types] if isinstance(types, str) else types
    if types and "null" in types and value.strip().lower() in ("null", "~"):
        return False
    if "enum" in schema:
        return value in schema["enum"]
    return types is None or "string" in types


def _scalar(text: str) -> Any:
    """What YAML 1.2 would read in `text` (Snakemake reads nested --config values as text, and
    PyYAML reads `1e-5` as text): null, a boolean, an integer or a float; else the text."""
    lowered = text.strip().lower()
    if lowered in ("null", "~", "none", ""):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(lowered)
        except ValueError:
            pass
    return text


def coerce(schema: dict, data: Any) -> Any:
    """`data` with every text value that the schema types as a number, boolean or null read as
    one: `--config learn="{epochs: 1}"` arrives as {"epochs": "1"}. Text the schema takes as
    text (a target name, a path) stays text; text that is no number stays for the validator."""
    if isinstance(data, dict):
        properties = schema.get("properties", {})
        return {key: coerce(properties.get(key, {}), value) for key, value in data.items()}
    if isinstance(data, list):
        return [coerce(schema.get("items", {}), value) for value in data]
    if isinstance(data, str) and not _accepts_text(schema, data):
        return _scalar(data)
    return data


def validate_config(config: dict, sources: list[str] | None = None, schema: dict | None = None) -> dict:
    """Return the config with defaults filled in, or raise ConfigError naming file and field."""
    where = " + ".join(sources) if sources else "config"
    schema = schema or load_schema()
    data = coerce(schema, copy.deepcopy(config))
    _fill_defaults(schema, data)
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{where}: {_field_path(e)}: {_describe(e)}" for e in errors]
        raise ConfigError("invalid configuration\n  " + "\n  ".join(lines))
    _check_integers(data, where)
    try:
        plain_segment(data["benchmark"]["name"], "benchmark.name")
        model = data["model"]
        plain_segment(model["name"], "model.name")
        data["results"] = results_root(data["results"])
        base = f"{data['results']}/models/{model['name']}/base"  # a local model: a link to model.path
        local = model["source"] == "local" and model.get("path")
        check_links_inside(data["results"], {base: model["path"]} if local else {})
    except PathError as err:
        raise ConfigError(f"{where}: {err}") from None
    _check_consistency(data, where)
    return data


INT32 = 2**31 - 1  # the narrowest integer a library takes here (vLLM's and torch's int32 fields)


def _check_integers(data: Any, where: str, key: str = "") -> None:
    """Every integer of the config fits 32 bits (seeds have their own range in the schema), so
    none overflows deep in a library."""
    if isinstance(data, dict):
        for name, value in data.items():
            _check_integers(value, where, f"{key}.{name}" if key else name)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            _check_integers(value, where, f"{key}[{i}]")
    elif isinstance(data, int) and not isinstance(data, bool) and abs(data) > INT32 and "seed" not in key:
        raise ConfigError(f"{where}: {key}: {data} is out of range (at most {INT32:,})")


def _check_consistency(cfg: dict, where: str) -> None:
    bench, model = cfg["benchmark"], cfg["model"]
    if bench["source"] == "local":
        if not bench.get("path"):
            raise ConfigError(f"{where}: benchmark.path: required when benchmark.source is local")
        if bench["kind"] == "muse":
            if not (Path(bench["path"]) / "knowmem").is_dir():
                raise ConfigError(
                    f"{where}: benchmark.path: {bench['path']!r} has no knowmem/ directory (expected a MUSE corpus)"
                )
        elif not (Path(bench["path"]) / "Target").is_dir():
            raise ConfigError(
                f"{where}: benchmark.path: {bench['path']!r} has no Target/ directory "
                "(expected RWKU's per-target layout)"
            )
    if bench["kind"] == "muse" and bench["source"] == "generate":
        raise ConfigError(f"{where}: benchmark.source: MUSE is read from local files or the hub, not generated")
    if bench["kind"] == "muse" and bench["source"] == "hub" and "muse" not in bench["hub_repo"].lower():
        raise ConfigError(
            f"{where}: benchmark.hub_repo: {bench['hub_repo']!r} is not a MUSE dataset (muse-bench/MUSE-Books)"
        )
    if bench["kind"] == "rwku" and bench["source"] == "hub" and not all(isinstance(t, str) for t in bench["targets"]):
        raise ConfigError(f"{where}: benchmark.targets: give target names (e.g. 'Stephen King') for source hub")
    judge = cfg["naturalness"]["judge"]
    if judge["kind"] == "endpoint" and not (judge["url"] and judge["endpoint_model"]):
        raise ConfigError(f"{where}: naturalness.judge: url and endpoint_model are required when kind is endpoint")
    if judge["kind"] == "endpoint" and not judge["url"].lower().startswith(("http://", "https://")):
        raise ConfigError(f"{where}: naturalness.judge.url: {judge['url']!r:.60} is not an http(s) URL")
    _check_parallel(cfg, where)
    _check_lengths(cfg, where)
    utility = cfg.get("utility", {}).get("path")
    if utility and not Path(utility).is_dir():
        raise ConfigError(f"{where}: utility.path: {utility!r} is not a directory (RWKU's utility files)")
    if utility:
        check_utility_files(Path(utility), cfg["utility"]["limits"], where)
    if model["source"] == "hub" and not model.get("id"):
        raise ConfigError(f"{where}: model.id: required when model.source is hub")
    if model["source"] == "local":
        if not model.get("path") or not (Path(model["path"]) / "config.json").exists():
            raise ConfigError(
                f"{where}: model.path: {model.get('path')!r} is not an HF model directory (no config.json)"
            )
        from rulepipe.models.check import check_model_config

        try:
            check_model_config(model["path"])
        except DataError as err:
            raise ConfigError(f"{where}: model.path: {err}") from None
    release = bench.get("retain_release_path")
    if bench["kind"] == "rwku" and bench["source"] != "generate" and release and not Path(release).is_dir():
        raise ConfigError(
            f"{where}: benchmark.retain_release_path: {release!r} is not a directory (the RULE release's RWKU "
            "folder, for the GDR / KLR retain corpus; null: no retain corpus)"
        )


def check_utility_files(directory: Path, limits: dict, where: str) -> None:
    """Each utility file that `utility.limits` asks items of is in `directory` (a missing one
    would leave its column blank without a word)."""
    from rulepipe.data.rwku import UTILITY_FILES

    asked = [(task, name) for task, name in UTILITY_FILES.items() if limits.get(task) != 0]
    missing = [f"{task} ({name})" for task, name in asked if not (directory / name).is_file()]
    if missing:
        raise ConfigError(
            f"{where}: utility.limits: asks for items of {', '.join(missing)}, not in {directory} "
            "(add the files, or set those limits to 0 to skip them)"
        )


def _check_lengths(cfg: dict, where: str) -> None:
    """Every generation length fits the engine's window (`generation.max_model_len`)."""
    window = cfg["generation"]["max_model_len"]
    lengths = {
        "evaluation.max_new_tokens": cfg["evaluation"].get("max_new_tokens"),
        "evaluation.rule_release.max_new_tokens": cfg["evaluation"].get("rule_release", {}).get("max_new_tokens"),
        "rule.rebo.max_new_tokens": cfg.get("rule", {}).get("rebo", {}).get("max_new_tokens"),
    }
    for key, value in lengths.items():
        if value is not None and value >= window:
            raise ConfigError(
                f"{where}: {key}: {value} new tokens do not fit generation.max_model_len ({window}) with a prompt"
            )


def _check_parallel(cfg: dict, where: str) -> None:
    """What the engine would reject later, deep in DeepSpeed or a rank's shard, named here."""
    training, generation = cfg["training"], cfg["generation"]
    ranks = training["num_processes"]
    if training["offload_params"] and training["zero_stage"] != 3:
        raise ConfigError(f"{where}: training.offload_params: needs training.zero_stage 3")
    if training["offload_optimizer"] and training["zero_stage"] == 0:
        raise ConfigError(f"{where}: training.offload_optimizer: needs training.zero_stage 1, 2 or 3")
    rebo = cfg.get("rule", {}).get("rebo", {})
    offload = rebo.get("critic_offload")  # the schema's default where rule.rebo is configured
    if offload == "all" and training["zero_stage"] != 3:
        raise ConfigError(f"{where}: rule.rebo.critic_offload: all needs training.zero_stage 3 (parameters offload)")
    if offload == "optimizer" and training["zero_stage"] == 0:
        raise ConfigError(f"{where}: rule.rebo.critic_offload: optimizer needs training.zero_stage 1, 2 or 3")
    if rebo and rebo["prompts_per_step"] % ranks:
        raise ConfigError(
            f"{where}: rule.rebo.prompts_per_step: {rebo['prompts_per_step']} is not a multiple of "
            f"training.num_processes ({ranks}); each process trains on an equal share of every step"
        )
    if ranks % generation["tensor_parallel_size"]:  # ReBO's ranks serve its engines, a group each
        raise ConfigError(
            f"{where}: generation.tensor_parallel_size: {generation['tensor_parallel_size']} does not divide "
            f"training.num_processes ({ranks}); ReBO's engines are served by groups of its training processes"
        )


def resolve_targets(cfg: dict) -> list[str]:
    """The target ids (directory names) the configured targets refer to, in config order."""
    from rulepipe.data import fictional, rwku

    bench = cfg["benchmark"]
    if bench["kind"] == "muse":  # one forget set per corpus: the corpus is the target
        available = [bench["muse"]["corpus"]]
    elif bench["source"] == "generate":
        fic = bench["fictional"]
        available = fictional.target_ids(fic["num_people"], fic["seed"])
    elif bench["source"] == "local":
        available = rwku.list_targets(bench["path"])
    else:
        return [_segment(rwku.target_id(i, name)) for i, name in enumerate(bench["targets"], 1)]
    if bench["kind"] == "muse" and len(bench["targets"]) != 1:
        raise ConfigError(f"benchmark.targets: a MUSE corpus is one target; give [{available[0]!r}]")
    ids = []
    for spec in bench["targets"]:
        if isinstance(spec, int) or spec.strip().isdigit():  # RWKU's number: 11 is 11_Miley_Cyrus
            match = [t for t in available if t.split("_", 1)[0] == str(spec).strip()]
            if not match:
                numbers = ", ".join(t.split("_", 1)[0] for t in available[:40])
                raise ConfigError(f"benchmark.targets: no target numbered {spec} here (numbers: {numbers})")
            if len(match) > 1:
                raise ConfigError(
                    f"benchmark.targets: {spec} is ambiguous: {', '.join(match)} all start with it (give the name)"
                )
            ids.append(match[0])
        else:
            match = [t for t in available if t == spec or t.split("_", 1)[-1].replace("_", " ") == spec]
            if not match:
                raise ConfigError(f"benchmark.targets: {spec!r} is not one of {', '.join(available[:12])}")
            ids.append(match[0])
    if bench["source"] == "local" and bench["kind"] == "rwku" and not cfg.get("utility", {}).get("path"):
        for tid in ids:  # each target scores its own utility files
            check_utility_files(Path(bench["path"]) / "Target" / tid, cfg["utility"]["limits"], "benchmark.targets")
    return [_segment(t) for t in ids]


def _segment(target: str) -> str:
    """A target id that is one plain path segment (it names folders under results/)."""
    try:
        return plain_segment(target, "benchmark.targets", TARGET)
    except PathError as err:
        raise ConfigError(str(err)) from None


def neighbor_pool(cfg: dict) -> str | None:
    """The pool of comparable entities RULE's boundary synthesis draws neighbours from, where the
    benchmark has no fact table (RWKU): `rule.synthesis.neighbors.path`, else a local RWKU
    layout's own `all_intro.json`. None where it is not needed or not there."""
    bench, synthesis = cfg["benchmark"], cfg["rule"]["synthesis"]
    if synthesis["source"] != "synthesize" or bench["source"] == "generate" or bench["kind"] == "muse":
        return None
    path = synthesis["neighbors"]["path"]
    if path:
        if not Path(path).is_file():
            raise ConfigError(f"rule.synthesis.neighbors.path: {path!r} is not a file")
        return path
    if bench["source"] == "local" and (Path(bench["path"]) / "all_intro.json").is_file():
        return str(Path(bench["path"]) / "all_intro.json")
    return None


def baseline_runs(cfg: dict) -> dict[str, tuple[str, float | None]]:
    """Every baseline run the config asks for: run name -> (method, learning rate).

    A method's own row uses its configured learning rate; the sweep adds points named
    `{method}-lr{rate}` (e.g. `npo-lr3e-05`) for the trade-off figure. ICU trains nothing.
    """
    from rulepipe.methods import METHODS

    section = cfg["baselines"]
    runs: dict[str, tuple[str, float | None]] = {}
    for method in section["methods"]:
        objective = METHODS[method].objective
        rate = section["learning_rate"][objective] if objective else None
        runs[method] = (method, rate)
        if method in section["sweep"]["methods"] and rate is not None:
            for scale in section["sweep"]["scales"]:
                point = float(f"{rate * scale:.0e}")
                runs[f"{method}-lr{point:.0e}"] = (method, point)
    return runs
