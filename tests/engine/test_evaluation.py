"""Quality bar of issue 2, measured with the same code as `manage.py evaluate`."""

import json

import pytest

from commitments.engine.analyse import analyse_text
from commitments.engine.evaluation import evaluate_extraction, evaluate_gold_file
from commitments.engine.ingest.readers import read_report
from tests.paths import DEVSET, seed

GOLD_FILES = sorted(DEVSET.glob("*.gold.json"))
WHOLE_REPORTS = {
    "zhongshan_2022.gold.json": seed("001"),
    "lanling_2022.gold.json": seed("003"),
    "qianjiang_2020h2.gold.json": seed("002"),
    "hailar_2015.gold.json": DEVSET / "hailar_2015.gbk.txt",
}


def test_devset_is_there():
    assert len(GOLD_FILES) >= 6


@pytest.mark.parametrize("gold_path", GOLD_FILES, ids=lambda p: p.name)
def test_extraction_meets_the_bar_on_every_plan_part(gold_path):
    score = evaluate_gold_file(gold_path, matching=False).extraction
    if score.recall is not None:
        assert score.recall >= 0.95, score.missed
    assert score.precision is not None and score.precision >= 0.90, score.spurious


@pytest.mark.parametrize("gold_name", sorted(WHOLE_REPORTS), ids=str)
def test_extraction_from_the_whole_published_report_finds_the_plan(gold_name):
    """The same gold, but the engine must first find the plan part inside the whole report."""
    gold = json.loads((DEVSET / gold_name).read_text(encoding="utf-8"))
    report = read_report(WHOLE_REPORTS[gold_name])
    extraction = analyse_text(report.text, title=report.title)
    score = evaluate_extraction(gold, report.text, extraction.commitments, gold_name)
    assert score.recall >= 0.95, score.missed
    assert score.precision >= 0.90, score.spurious


def test_a_system_that_finds_nothing_scores_zero_recall():
    gold_path = DEVSET / "lanling_2022.gold.json"
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    plan = (DEVSET / gold["plan_file"]).read_text(encoding="utf-8")
    score = evaluate_extraction(gold, plan, [], gold_path.name)
    assert score.recall == 0
    assert score.precision is None


def test_evaluate_command_prints_figures(capsys):
    from django.core.management import call_command

    call_command("evaluate", str(DEVSET / "lanling_2022.gold.json"))
    out = capsys.readouterr().out
    assert "lanling_2022.gold.json" in out
    assert "1.000" in out
