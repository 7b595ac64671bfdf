import pytest

from rulepipe.cli import main
from rulepipe.io import DataError
from rulepipe.models.check import check_model_dir, check_model_inputs


def test_a_damaged_model_directory_is_named_before_a_stage_loads_it(tiny_model, tmp_path, capsys):
    import shutil

    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    check_model_dir(model)
    config = model / "config.json"
    config.write_text(config.read_text()[:40])  # truncated
    with pytest.raises(DataError, match=r"model/config.json: not valid JSON"):
        check_model_inputs({"model": str(model), "data": str(tmp_path / "x.json")})
    # the stage entry point: one line naming the file, exit code 2, no traceback
    assert main(["warm_start", "--inputs", f'{{"model": "{model}"}}', "--outputs", "{}", "--params", "{}"]) == 2
    assert "config.json: not valid JSON" in capsys.readouterr().err
    config.write_text('{"architectures": []}')
    with pytest.raises(DataError, match="no model_type"):
        check_model_dir(model)


def test_pickled_weights_are_refused(tiny_model, tmp_path):
    import shutil

    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    for weights in model.glob("*.safetensors"):
        weights.rename(weights.with_suffix(".bin"))
    with pytest.raises(DataError, match=r"no \*.safetensors weights \(pickled weights are not loaded"):
        check_model_dir(model)
