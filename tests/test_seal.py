import json

import pytest

from rulepipe.training import seal as sealing


@pytest.fixture()
def key_file(tmp_path, monkeypatch):
    path = tmp_path / "keys" / "resume.key"
    monkeypatch.setenv(sealing.KEY_ENV, str(path))
    return path


def checkpoint(root):
    tag = root / "step4"
    tag.mkdir(parents=True)
    (tag / "mp_rank_00_model_states.pt").write_bytes(b"weights")
    (tag / "zero_pp_rank_0_mp_rank_00_optim_states.pt").write_bytes(b"moments")
    (root / "latest").write_text("step4")
    return tag


def test_a_sealed_checkpoint_passes_and_its_key_is_private(tmp_path, key_file):
    tag = checkpoint(tmp_path / "ckpt")
    sealing.seal(tag)
    assert sealing.unsealed(tmp_path / "ckpt") is None
    assert key_file.stat().st_mode & 0o777 == 0o600 and len(key_file.read_bytes()) == 32
    assert set(json.loads((tag / "seal.json").read_text())) == {p.name for p in tag.iterdir()} - {"seal.json"}


def test_a_checkpoint_from_elsewhere_or_edited_is_refused(tmp_path, key_file, monkeypatch):
    root = tmp_path / "ckpt"
    tag = checkpoint(root)
    assert "no seal" in sealing.unsealed(root)
    sealing.seal(tag)
    (tag / "mp_rank_00_model_states.pt").write_bytes(b"a pickle that runs code")
    assert "files changed" in sealing.unsealed(root)
    sealing.seal(tag)
    (tag / "extra.pt").write_bytes(b"x")
    assert "not the ones its seal lists" in sealing.unsealed(root)
    (tag / "extra.pt").unlink()
    monkeypatch.setenv(sealing.KEY_ENV, str(tmp_path / "another machine.key"))  # same files, another key
    assert "not made by this machine's key" in sealing.unsealed(root)
    (root / "latest").write_text("../../elsewhere")
    assert "not a checkpoint folder" in sealing.unsealed(root)
