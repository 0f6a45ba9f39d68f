"""rematch and match_files as an analyst runs them."""

import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from commitments.engine.types import STATUSES
from commitments.models import Assessment, Commitment, MatchingRun
from commitments.services.reports import report_import
from tests.paths import REPO

COMMITMENT_KEYS = {"text", "topic", "vague", "status", "confidence", "reason", "evidence"}


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def manage(*args, tmp_path) -> subprocess.CompletedProcess:
    # A database file that does not exist: match_files must not need one.
    env = {**os.environ, "SQLITE_PATH": str(tmp_path / "none.sqlite3")}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, capture_output=True, text=True, env=env, timeout=300
    )


@pytest.fixture
def zhongshan_files(devset_dir):
    return str(devset_dir / "zhongshan_2022_plan.txt"), str(devset_dir / "zhongshan_2022_review.synthetic.txt")


@pytest.mark.django_db
def test_rematch_summarises_in_chinese(zhongshan_pair, seed):
    plan, _ = zhongshan_pair
    report_import(path=seed("003"))
    decided = Assessment.objects.filter(commitment__section__report=plan).first()
    Assessment.objects.filter(pk=decided.pk).update(source=Assessment.Source.ANALYST)
    count = Commitment.objects.filter(section__report=plan).count()

    output = run("rematch")

    assert f"计划—回顾 1 对，匹配承诺 {count} 条" in output
    assert "保留分析员结论 1 条" in output
    lanling = Commitment.objects.filter(section__report__bureau__name="兰陵县民政局").count()
    assert f"尚无回顾的承诺 {lanling} 条" in output
    assert "兰陵县民政局 2022年计划：尚未导入对应的工作回顾" in output
    assert MatchingRun.objects.exclude(trigger=MatchingRun.Trigger.IMPORT).get().state == MatchingRun.State.DONE


@pytest.mark.django_db
def test_rematch_narrows_to_a_bureau_and_year(zhongshan_pair):
    output = run("rematch", "--bureau", "中山市民政局", "--year", "2021")

    assert "计划—回顾 0 对，匹配承诺 0 条" in output
    run_ = MatchingRun.objects.exclude(trigger=MatchingRun.Trigger.IMPORT).get()
    assert (run_.scope_bureau.name, run_.scope_year) == ("中山市民政局", 2021)


@pytest.mark.django_db
def test_rematch_refuses_an_unknown_bureau(zhongshan_pair):
    with pytest.raises(CommandError, match="没有名为“中山”的单位.*中山市民政局"):
        run("rematch", "--bureau", "中山")
    assert not MatchingRun.objects.exclude(trigger=MatchingRun.Trigger.IMPORT).exists()


def test_match_files_prints_json_without_touching_the_database(zhongshan_files):
    # No django_db mark: pytest-django fails the test on any database access.
    data = json.loads(run("match_files", *zhongshan_files, "--year", "2022", "--json"))

    assert list(data) == ["commitments"]
    assert len(data["commitments"]) > 20
    for item in data["commitments"]:
        assert set(item) == COMMITMENT_KEYS
        assert item["status"] in STATUSES and 0 <= item["confidence"] <= 1 and item["reason"]
        assert len(item["evidence"]) <= 3
        for evidence in item["evidence"]:
            assert {"text", "score", "parts"} <= set(evidence)
        scores = [e["score"] for e in item["evidence"]]
        assert scores == sorted(scores, reverse=True)
    assert any(item["topic"] for item in data["commitments"])
    assert {item["status"] for item in data["commitments"]} >= {"fulfilled", "partial", "no_evidence"}


def test_match_files_lists_in_chinese_without_json(devset_dir):
    output = run(
        "match_files",
        str(devset_dir / "lanling_2022_plan.txt"),
        str(devset_dir / "lanling_2022_review.synthetic.txt"),
        "--year",
        "2022",
        "--no-embeddings",
    )

    assert "状态：已完成" in output and "理由：" in output and "证据1（" in output


def test_match_files_runs_without_a_database_and_names_a_wrong_year(zhongshan_files, tmp_path):
    result = manage("match_files", *zhongshan_files, "--year", "2021", "--no-embeddings", tmp_path=tmp_path)

    assert result.returncode == 1
    assert "回顾部分的年份是2022年，不是所要求的2021年" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not (tmp_path / "none.sqlite3").exists() or (tmp_path / "none.sqlite3").stat().st_size == 0


def test_match_files_says_when_the_review_file_reviews_another_year(devset_dir, seed):
    with pytest.raises(CommandError, match="回顾部分的年份是2021年，不是所要求的2022年"):
        run("match_files", str(devset_dir / "zhongshan_2022_plan.txt"), str(seed("001")), "--year", "2022")


def test_match_files_on_garbage_exits_1_with_a_message(zhongshan_files, garbage_file, tmp_path):
    result = manage("match_files", zhongshan_files[0], str(garbage_file), "--year", "2022", tmp_path=tmp_path)

    assert result.returncode == 1
    assert "garbage.txt" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
