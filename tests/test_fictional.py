import hashlib
import json
from collections import Counter
from pathlib import Path

from rulepipe.data import fictional, rwku
from rulepipe.data.target import AA_TYPES


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.json")):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def test_same_seed_same_bytes_other_seed_other_world(tmp_path):
    a = fictional.write_world(tmp_path / "a", num_people=4, seed=3)
    b = fictional.write_world(tmp_path / "b", num_people=4, seed=3)
    c = fictional.write_world(tmp_path / "c", num_people=4, seed=4)
    assert a == b and _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert a != c
    assert fictional.target_ids(4, 3) == a


def test_world_has_the_rwku_layout_and_shape(tmp_path):
    ids = fictional.write_world(tmp_path, num_people=8, seed=0)
    assert len(ids) == 8 and rwku.list_targets(tmp_path) == ids
    world = json.loads((tmp_path / "world.json").read_text())
    names = [p["name"] for p in world["people"]]
    assert len(set(names)) == 8
    for person in world["people"]:
        assert len(person["facts"]) >= 10
        assert {n["kind"] for n in person["neighbors"]} == {"work", "place", "collaborator", "spouse", "university"}
        assert all(len(n["facts"]) == 10 for n in person["neighbors"])
    for tid in ids:
        target = rwku.load_local_target(tmp_path, tid)
        assert Counter(p.level for p in target.forget_probes) == {"1": 12, "2": 12, "3": 18}
        attacks = Counter(p.attack for p in target.probes("forget", "3"))
        assert set(attacks) == set(AA_TYPES) and all(n == 2 for n in attacks.values())
        assert len({p.query for p in target.forget_probes}) == len(target.forget_probes)
        for probe in target.neighbor_probes:
            assert target.name not in probe.query and target.name not in probe.answer
        assert all(p.answer for p in target.forget_probes + target.neighbor_probes)
        assert len(target.mia_member) == 3 and len(target.forget_corpus) == 10
        assert target.mia_nonmember and target.retain_corpus
        assert target.forget_corpus[:3] == target.mia_member
        # the training question pool never repeats an evaluation probe
        assert not set(target.forget_questions) & {p.query for p in target.forget_probes}
        for member in target.mia_member:
            assert target.name in member
        for other in names:
            assert all(other not in text for text in target.mia_nonmember)


def test_adversarial_templates_vary(tmp_path):
    ids = fictional.write_world(tmp_path, num_people=6, seed=1)
    prefixes = set()
    for tid in ids:
        target = rwku.load_local_target(tmp_path, tid)
        prefixes |= {p.query.split(target.name)[0] for p in target.probes("forget", "3") if p.attack == "role play"}
    assert len(prefixes) >= 2
