import copy
import subprocess
import sys

import pytest
import yaml

from rulepipe.config import ConfigError, resolve_targets, validate_config
from tests.conftest import REPO


@pytest.fixture()
def default_config():
    return yaml.safe_load((REPO / "config.yaml").read_text())


def test_default_config_is_valid_and_gets_defaults(default_config):
    config = validate_config(default_config)
    assert config["benchmark"]["hub_repo"] == "jinzhuoran/RWKU"
    assert config["model"]["tiny"]["hidden_size"] == 64
    assert resolve_targets(config) == ["1_Brisa_Whitdorf"]


@pytest.mark.parametrize(
    "mutate, message",
    [
        (
            lambda c: c["learn"].update(epoch=3),
            r"config.yaml: learn: Additional properties .*'epoch'.*allowed keys: .*epochs",
        ),
        (
            lambda c: c["learn"].update(learning_rate="fast"),
            r"config.yaml: learn.learning_rate: 'fast' is not of type 'number'",
        ),
        (
            lambda c: c["generation"].update(backend="tgi"),
            r"generation.backend: 'tgi' is not one of \['auto', 'vllm', 'hf'\]",
        ),
        (lambda c: c["benchmark"].update(targets=[]), r"benchmark.targets: \[\] should be non-empty"),
        (
            lambda c: c["benchmark"].update(source="local", path="/nonexistent/rwku"),
            r"benchmark.path: '/nonexistent/rwku' has no Target/ directory",
        ),
        (
            lambda c: c["model"].update(source="local", path="/nonexistent"),
            r"model.path: '/nonexistent' is not an HF model",
        ),
        (lambda c: c["training"].update(zero_stage=4), r"training.zero_stage: 4 is not one of \[0, 1, 2, 3\]"),
        (lambda c: c["training"].update(offload_params=True), r"training.offload_params: needs training.zero_stage 3"),
        (
            lambda c: c["training"].update(zero_stage=0, offload_optimizer=True),
            r"training.offload_optimizer: needs training.zero_stage 1, 2 or 3",
        ),
        (
            lambda c: (
                c["training"].update(num_processes=4),
                c.setdefault("rule", {}).update(rebo={"prompts_per_step": 6}),
            ),
            r"rule.rebo.prompts_per_step: 6 is not a multiple of training.num_processes \(4\)",
        ),
        (
            lambda c: (c["training"].update(num_processes=4), c["generation"].update(tensor_parallel_size=3)),
            r"generation.tensor_parallel_size: 3 does not divide training.num_processes \(4\)",
        ),
        (
            lambda c: c["generation"].update(tensor_parallel_size=2),
            r"generation.tensor_parallel_size: 2 does not divide training.num_processes \(1\)",
        ),
        (
            lambda c: c.setdefault("rule", {}).setdefault("rebo", {}).update(critic_offload="all"),
            r"rule.rebo.critic_offload: all needs training.zero_stage 3",
        ),
        (
            lambda c: (
                c["training"].update(zero_stage=0),
                c.setdefault("rule", {}).setdefault("rebo", {}).update(critic_offload="optimizer"),
            ),
            r"rule.rebo.critic_offload: optimizer needs training.zero_stage 1, 2 or 3",
        ),
        (lambda c: c.update(seed=-1), r"config.yaml: seed: -1 is less than the minimum of 0"),
        (lambda c: c.update(seed=2**32), r"config.yaml: seed: 4294967296 is greater than the maximum of 4294967295"),
        (lambda c: c["learn"].update(max_length=2**40), r"learn.max_length: 1099511627776 is out of range"),
        (
            lambda c: c["utility"].update(path="../shared/data/rwku"),
            r"utility.limits: asks for items of truthfulqa \(truthful.json\), triviaqa \(triviaqa.json\), fluency",
        ),
        (
            lambda c: c.setdefault("naturalness", {}).update(
                judge={"kind": "endpoint", "url": "file:///etc/passwd", "endpoint_model": "m"}
            ),
            r"naturalness.judge.url: 'file:///etc/passwd' is not an http\(s\) URL",
        ),
    ],
)
def test_bad_config_names_file_and_field(default_config, mutate, message):
    bad = copy.deepcopy(default_config)
    mutate(bad)
    with pytest.raises(ConfigError, match=message):
        validate_config(bad, sources=["config.yaml"])


def test_unknown_target_is_named(default_config):
    config = validate_config(default_config)
    config["benchmark"]["targets"] = ["Nobody Atall"]
    with pytest.raises(ConfigError, match="'Nobody Atall' is not one of 1_Brisa_Whitdorf"):
        resolve_targets(config)


def test_rwku_targets_by_index_and_name(default_config, rwku_root):
    config = validate_config(default_config)
    config["benchmark"].update(source="local", path=str(rwku_root), targets=[1, "Bruce Lee", "2_Confucius"])
    assert resolve_targets(config) == ["1_Stephen_King", "3_Bruce_Lee", "2_Confucius"]


def test_a_targets_own_missing_utility_files_and_an_ambiguous_number_stop(default_config, rwku_root, tmp_path):
    import shutil

    for tid in ["1_Stephen_King", "1_Stephen_King_copy"]:
        shutil.copytree(rwku_root / "Target" / "1_Stephen_King", tmp_path / "Target" / tid)
    (tmp_path / "Target" / "1_Stephen_King" / "triviaqa.json").unlink()
    config = validate_config(default_config)
    config["benchmark"].update(source="local", path=str(tmp_path), targets=["Stephen King"])
    config["utility"]["path"] = None
    with pytest.raises(ConfigError, match=r"utility.limits: asks for items of triviaqa \(triviaqa.json\), not in"):
        resolve_targets(config)
    config["utility"]["limits"]["triviaqa"] = 0  # the user skips it: fine
    assert resolve_targets(config) == ["1_Stephen_King"]
    config["benchmark"]["targets"] = [1]
    with pytest.raises(ConfigError, match="benchmark.targets: 1 is ambiguous: 1_Stephen_King, 1_Stephen_King_copy"):
        resolve_targets(config)


def test_snakemake_stops_with_the_message_not_a_traceback(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "-n",
            "--cores",
            "1",
            "--config",
            "learn={'epochs': 'many'}",
            f"results={tmp_path}",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "learn.epochs: 'many' is not of type 'number'" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_algorithm_registry_is_what_the_schema_offers():
    from rulepipe.config import load_schema
    from rulepipe.rl.registry import ALGORITHMS

    rebo = load_schema()["properties"]["rule"]["properties"]["rebo"]["properties"]["algorithms"]
    assert rebo["items"]["enum"] == list(ALGORITHMS) == rebo["default"]


def test_the_method_registry_is_the_schemas_list_of_baselines():
    from rulepipe.config import load_schema
    from rulepipe.methods import BASELINES, METHODS, method_of

    section = load_schema()["properties"]["baselines"]["properties"]
    assert section["methods"]["items"]["enum"] == list(BASELINES)
    assert section["sweep"]["properties"]["methods"]["items"]["enum"] == list(BASELINES)
    assert method_of("npo-klr-lr3e-05") is METHODS["npo-klr"] and method_of("nothing") is None
    assert METHODS["icu"].prompts_target and not METHODS["icu"].trained_baseline
    assert [m for m in METHODS if METHODS[m].needs_answers] == ["dpo"]
