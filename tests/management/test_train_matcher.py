"""train_matcher and evaluate --cv on real gold files: the figures are leave-one-pair-out."""

import json

import pytest
from django.core.management import CommandError, call_command

from commitments.engine.matching.learned import load_model
from commitments.models import MatcherVersion
from tests.paths import DEVSET

pytestmark = pytest.mark.django_db

GOLD = [
    str(DEVSET / n)
    for n in ("lanling_2022.gold.json", "sampled/hailar_2013.gold.json", "sampled/hailar_2014.gold.json")
]


def test_train_matcher_writes_a_model_with_its_cross_validated_figures(tmp_path, capsys):
    out = tmp_path / "model" / "matcher.json"
    call_command("train_matcher", *GOLD, "--output", str(out))

    model = load_model(out)
    assert model.manifest["files"] == [n.rsplit("/", 1)[-1] for n in GOLD]
    pooled = model.manifest["cv"]["pooled_real"]
    assert 0 <= pooled["status_accuracy"] <= 1 and pooled["status_n"] > 0
    assert set(model.manifest["cv"]["pairs"]) == {n.rsplit("/", 1)[-1] for n in GOLD}
    printed = capsys.readouterr().out
    assert "留一对" in printed and "ECE" in printed and str(out) in printed
    assert not list(out.parent.glob(".matcher-*"))  # written atomically, no temporary left
    row = MatcherVersion.objects.get(version=model.version)
    assert row.adopted and not row.current  # written elsewhere: not the engine's model


def test_train_matcher_names_a_bad_gold_file(tmp_path):
    bad = tmp_path / "bad.gold.json"
    bad.write_text(json.dumps({"plan_file": "nowhere.txt", "commitments": []}), encoding="utf-8")
    with pytest.raises(CommandError, match="bad.gold.json"):
        call_command("train_matcher", str(bad), "--output", str(tmp_path / "m.json"))
    assert not (tmp_path / "m.json").exists()


def test_train_matcher_with_too_few_pairs_writes_nothing(tmp_path):
    with pytest.raises(CommandError, match="无法训练"):
        call_command("train_matcher", GOLD[0], "--output", str(tmp_path / "m.json"))
    assert not (tmp_path / "m.json").exists()


def test_evaluate_cv_prints_leave_one_pair_out_figures_and_calibration(capsys):
    call_command("evaluate", *GOLD, "--cv", "--no-embeddings")
    printed = capsys.readouterr().out
    assert "留一对交叉验证" in printed
    assert "hailar_2013.gold.json" in printed and "all real pairs" in printed
    assert "期望校准误差 ECE" in printed
    assert "kinds: 留一对交叉验证至少需要 4 个" in printed  # three files: no kind folds to fit


def test_evaluate_cv_is_not_a_peer_run():
    with pytest.raises(CommandError, match="--cv"):
        call_command("evaluate", *GOLD, "--cv", "--peer", "tfidf")
