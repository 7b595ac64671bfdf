import pytest

from rulepipe.check import main
from tests.conftest import REPO


@pytest.mark.parametrize(
    "content, message",
    [
        (None, r"given.yaml: no such config file"),
        (b"learn:\n  epochs: [1\n", r"given.yaml: not valid YAML at line 3, column 1 \(expected ',' or ']'"),
        (b"- a\n- b\n", r"given.yaml: is a list; a config file is a mapping of keys"),
        (b"", r"given.yaml: is empty; a config file is a mapping of keys"),
        (b"learn: {lr: 0.1}\n", r"config.yaml \+ .*given.yaml: learn: Additional properties are not allowed"),
        (b"benchmark: {targets: [99]}\n", r"benchmark.targets: no target numbered 99"),
    ],
)
def test_a_broken_config_file_is_named_with_its_line(tmp_path, capsys, content, message):
    import re

    path = tmp_path / "given.yaml"
    if content is not None:
        path.write_bytes(content)
    assert main([str(path)]) == 1
    err = capsys.readouterr().err
    assert re.search(message, err) and "Traceback" not in err, err


@pytest.mark.parametrize("preset", ["smoke.yaml", "rwku-local.yaml", "paper.yaml", "muse-books.yaml", "seeds.yaml"])
def test_the_shipped_presets_pass(preset, capsys):
    assert main([str(REPO / "workflow" / "presets" / preset)]) == 0
    assert capsys.readouterr().out.startswith("ok: config.yaml + ")
