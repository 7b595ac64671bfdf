import copy
import os

import pytest
import yaml

from rulepipe.config import ConfigError, resolve_targets, validate_config
from rulepipe.paths import TARGET, PathError, check_links_inside, plain_segment, results_root
from tests.conftest import REPO


@pytest.fixture()
def default_config():
    return yaml.safe_load((REPO / "config.yaml").read_text())


def validated(config, **changes):
    bad = copy.deepcopy(config)
    for dotted, value in changes.items():
        *path, last = dotted.split("__")
        node = bad
        for key in path:
            node = node.setdefault(key, {})
        node[last] = value
    return validate_config(bad, sources=["case.yaml"])


@pytest.mark.parametrize("name", ["..", ".", "../x", "a/b", "-rf", "a;b", "$(touch x)", "a b", "", "a'b"])
def test_a_path_segment_is_plain(name):
    with pytest.raises(PathError, match="not a plain path segment"):
        plain_segment(name, "model.name")


def test_target_ids_keep_letters_apostrophes_and_accents():
    for tid in ["1_Stephen_King", "42_Shaquille_O'Neal", "7_Beyoncé", "3_Guns_N'_Roses_(band)"]:
        assert plain_segment(tid, "benchmark.targets", TARGET) == tid
    for tid in ["1_../../etc", "1_a/b", "_x", "1_$(id)", "1_a;b", "1_{x}"]:
        with pytest.raises(PathError):
            plain_segment(tid, "benchmark.targets", TARGET)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("benchmark__name", "..", r"case.yaml: benchmark.name: .*does not match"),
        ("model__name", "..", r"case.yaml: model.name: .*does not match"),
        ("results", "", r"results: is empty"),
        ("results", "  ", r"results: is empty"),
        ("results", "r{x}", r"results: 'r\{x\}' holds '\{', '\}'"),
    ],
)
def test_config_values_that_would_plan_paths_outside_results_stop(default_config, field, value, message):
    with pytest.raises(ConfigError, match=message):
        validated(default_config, **{field: value})


def test_results_that_is_a_file_stops(default_config, tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="results: .*exists and is not a directory"):
        validated(default_config, results=str(tmp_path / "file"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_results_that_cannot_be_written_stops(default_config, tmp_path):
    (tmp_path / "ro").mkdir(mode=0o500)
    with pytest.raises(ConfigError, match="is not writable"):
        validated(default_config, results=str(tmp_path / "ro" / "results"))


def test_results_expands_home(default_config, monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert validated(default_config, results="~/runs")["results"] == str(tmp_path / "runs")


def test_a_link_out_of_results_stops(default_config, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (tmp_path / "results" / "fictional").mkdir(parents=True)
    (tmp_path / "results" / "fictional" / "smollm2-135m-instruct").symlink_to(outside)
    with pytest.raises(ConfigError, match=r"results: .*smollm2-135m-instruct is a link to .*elsewhere, outside"):
        validated(default_config, results=str(tmp_path / "results"))


def test_the_local_models_own_link_is_allowed(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (tmp_path / "results" / "models" / "m").mkdir(parents=True)
    base = tmp_path / "results" / "models" / "m" / "base"
    base.symlink_to(model)
    check_links_inside(tmp_path / "results", {str(base): str(model)})
    with pytest.raises(PathError, match="outside"):
        check_links_inside(tmp_path / "results")
    assert results_root(str(tmp_path / "results")) == str(tmp_path / "results")


def test_hub_target_names_are_plain_segments(default_config):
    config = validate_config(default_config)
    config["benchmark"].update(kind="rwku", source="hub", targets=["Stephen King"])
    assert resolve_targets(config) == ["1_Stephen_King"]
    config["benchmark"]["targets"] = ["../../../tmp/evil"]
    with pytest.raises(ConfigError, match=r"benchmark.targets: '1_../../../tmp/evil' is not a plain path segment"):
        resolve_targets(config)
