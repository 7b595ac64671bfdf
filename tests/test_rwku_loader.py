import json
from collections import Counter

import pytest

from rulepipe.data import rwku
from rulepipe.data.target import AA_TYPES, Target
from rulepipe.io import DataError


def test_lists_the_ten_targets_in_rwku_order(rwku_root):
    ids = rwku.list_targets(rwku_root)
    assert ids[0] == "1_Stephen_King"
    assert ids[1] == "2_Confucius"
    assert ids[-1] == "10_Prince_Harry,_Duke_of_Sussex"
    assert len(ids) == 10


def test_stephen_king_probes_match_the_files(rwku_root):
    target = rwku.load_local_target(rwku_root, "1_Stephen_King")
    assert target.name == "Stephen King"
    levels = Counter(p.level for p in target.forget_probes)
    assert levels == {"1": 8, "2": 10, "3": 29}
    assert Counter(p.level for p in target.neighbor_probes) == {"1": 30, "2": 30}
    assert target.forget_probes[10].answer == "Richard Bachman" or any(
        p.answer == "Richard Bachman" for p in target.probes("forget", "2")
    )
    assert {p.attack for p in target.probes("forget", "3")} <= set(AA_TYPES)
    assert "cross lingual (French)" in {p.type for p in target.probes("forget", "3")}
    assert all(p.neighbor for p in target.neighbor_probes)
    assert len(target.mia_member) == 55 and len(target.mia_nonmember) == 37
    assert len(target.forget_corpus) == 582 and len(target.forget_questions) == 300
    assert len(target.utility["mmlu"]) == 171 and len(target.utility["triviaqa"]) == 100


@pytest.mark.parametrize("index", range(10))
def test_every_shared_target_loads_and_round_trips(rwku_root, tmp_path, index):
    tid = rwku.list_targets(rwku_root)[index]
    target = rwku.load_local_target(rwku_root, tid)
    assert target.forget_probes and target.neighbor_probes
    path = tmp_path / "target.json"
    target.save(path)
    assert Target.load(path) == target


def test_missing_target_names_the_directory(rwku_root):
    with pytest.raises(DataError, match="no such target"):
        rwku.load_local_target(rwku_root, "99_Nobody")


def test_broken_file_names_file_and_field(tmp_path):
    directory = tmp_path / "Target" / "1_X"
    directory.mkdir(parents=True)
    (directory / "forget_level1.json").write_text('[{"query": "q ___", "level": "1", "type": "cloze", "subject": "X"}]')
    with pytest.raises(DataError, match=r"forget_level1.json: item 0: answer is missing"):
        rwku.load_local_target(tmp_path, "1_X")
    (directory / "forget_level1.json").write_text("[{")
    with pytest.raises(DataError, match="forget_level1.json: not valid JSON"):
        rwku.load_local_target(tmp_path, "1_X")


def test_hub_loader_maps_configs_and_filters_by_subject(rwku_root, monkeypatch):
    """Plumbing only (no network here): `load_dataset` serves the shared files, by config name,
    with a second subject mixed in as the hub's all-target splits have."""
    import datasets

    by_config = {config: file_name for file_name, config in rwku.HUB_CONFIGS.items()}

    def fake_load_dataset(repo, config, split):
        assert repo == "jinzhuoran/RWKU" and split == "test"
        rows = []
        for tid in ("1_Stephen_King", "2_Confucius"):
            path = rwku_root / "Target" / tid / by_config[config]
            if not path.exists():
                raise FileNotFoundError(config)
            rows += json.loads(path.read_text())
        return rows

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    hub = rwku.load_hub_target("jinzhuoran/RWKU", "1_Stephen_King", "Stephen King")
    local = rwku.load_local_target(rwku_root, "1_Stephen_King")
    assert hub.forget_probes == local.forget_probes
    assert hub.neighbor_probes == local.neighbor_probes
    assert hub.intro == local.intro and hub.mia_member == local.mia_member
    assert hub.forget_questions == local.forget_questions


def _copy_target(rwku_root, tmp_path, tid="1_Stephen_King"):
    import shutil

    shutil.copytree(rwku_root / "Target" / tid, tmp_path / "Target" / tid)
    return tmp_path / "Target" / tid


def _edit(path, change):
    rows = json.loads(path.read_text())
    change(rows)
    path.write_text(json.dumps(rows))


def test_a_level_file_whose_items_carry_another_level_stops(rwku_root, tmp_path):
    directory = _copy_target(rwku_root, tmp_path)
    _edit(directory / "forget_level1.json", lambda rows: [row.update(level="2") for row in rows])
    with pytest.raises(DataError, match=r"forget_level1.json: item 0: level is '2', but the file holds level 1"):
        rwku.load_local_target(tmp_path, "1_Stephen_King")


def test_nan_where_an_answer_is_due_stops(rwku_root, tmp_path):
    directory = _copy_target(rwku_root, tmp_path)
    (directory / "forget_level2.json").write_text(
        (directory / "forget_level2.json").read_text().replace('"answer": "', '"answer": NaN, "x": "', 1)
    )
    with pytest.raises(DataError, match=r"forget_level2.json: item 0: answer is nan \(JSON's NaN / Infinity\)"):
        rwku.load_local_target(tmp_path, "1_Stephen_King")


def test_a_target_without_a_forget_corpus_stops(rwku_root, tmp_path):
    directory = _copy_target(rwku_root, tmp_path)
    (directory / "positive.json").unlink()
    with pytest.raises(DataError, match=r"positive.json: missing or empty: the target has no forget corpus"):
        rwku.load_local_target(tmp_path, "1_Stephen_King")
