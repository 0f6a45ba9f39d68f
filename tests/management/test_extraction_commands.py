"""The command-line tools: import_reports, extract_file and demo, as an analyst runs them."""

import json
import os
import shutil
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from commitments.models import Commitment, Report
from tests.paths import REPO


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def manage(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


@pytest.fixture
def folder_with_a_bad_file(tmp_path, seed, garbage_file):
    folder = tmp_path / "reports"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(seed("001"), folder)
    shutil.copy(seed("003"), folder / "sub")
    shutil.copy(garbage_file, folder / "garbage.txt")
    (folder / "notes.xyz").write_text("not a report")
    return folder


@pytest.mark.django_db
def test_import_reports_imports_the_good_files_and_lists_the_bad_one(folder_with_a_bad_file):
    output = run("import_reports", str(folder_with_a_bad_file))

    assert Report.objects.count() == 2
    assert "garbage.txt" in output and "失败" in output
    assert "已导入" in output and "中山市民政局" in output and "兰陵县民政局" in output
    assert "notes.xyz" not in output
    assert "共 3 个文件：已导入 2，未变化 0，失败 1" in output
    assert "Traceback" not in output


@pytest.mark.django_db
def test_import_reports_twice_reports_unchanged(seed):
    run("import_reports", str(seed("003")))

    output = run("import_reports", str(seed("003")))

    assert "未变化" in output
    assert Report.objects.count() == 1


@pytest.mark.django_db
def test_import_reports_takes_bureau_and_year_from_the_analyst(seed):
    run("import_reports", str(seed("004")), "--bureau", "某市民政局", "--year", "2023")

    report = Report.objects.get()
    assert (report.bureau.name, report.year) == ("某市民政局", 2023)


@pytest.mark.django_db
def test_import_reports_fails_when_every_file_fails(garbage_file, tmp_path):
    with pytest.raises(CommandError, match="全部|所有"):
        run("import_reports", str(garbage_file), str(tmp_path / "missing.txt"))
    assert Report.objects.count() == 0


@pytest.mark.django_db
def test_import_reports_fails_when_a_folder_holds_no_report(tmp_path):
    with pytest.raises(CommandError, match="没有找到"):
        run("import_reports", str(tmp_path))


@pytest.mark.django_db
@pytest.mark.parametrize("year", ["1800", "二〇二二", "20x2"])
def test_import_reports_refuses_an_unknown_year(seed, year):
    with pytest.raises(CommandError, match="年份"):
        run("import_reports", str(seed("001")), "--year", year)
    assert Report.objects.count() == 0


def test_extract_file_prints_json_without_touching_the_database(seed):
    # No django_db mark: pytest-django fails the test on any database access.
    data = json.loads(run("extract_file", str(seed("001")), "--json"))

    kinds = [(s["kind"], s["year"]) for s in data["sections"] if s["kind"] != "other"]
    assert kinds == [("review", 2021), ("plan", 2022)]
    assert len(data["commitments"]) > 20
    for item in data["commitments"]:
        assert {"text", "topic", "vague", "documents", "targets", "start", "end"} <= item.keys()
    assert any(item["targets"] for item in data["commitments"])


def test_extract_file_lists_in_chinese_without_json(seed):
    output = run("extract_file", str(seed("003")))

    assert "工作计划 2022年" in output
    assert "承诺（" in output


def test_extract_file_runs_without_a_migrated_database(seed, tmp_path):
    result = manage("extract_file", str(seed("002")), "--json", env={"SQLITE_PATH": str(tmp_path / "none.sqlite3")})

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["commitments"]
    assert not (tmp_path / "none.sqlite3").exists() or (tmp_path / "none.sqlite3").stat().st_size == 0


def test_extract_file_on_garbage_exits_1_with_a_message(garbage_file):
    result = manage("extract_file", str(garbage_file), "--json")

    assert result.returncode == 1
    assert "garbage.txt" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_extract_file_on_a_missing_file_exits_1(tmp_path):
    with pytest.raises(CommandError, match="missing.txt"):
        run("extract_file", str(tmp_path / "missing.txt"))


def test_import_reports_on_the_command_line_shows_no_traceback(garbage_file, tmp_path):
    result = manage("import_reports", str(garbage_file), "--year", "abc", env={"SQLITE_PATH": str(tmp_path / "x.db")})

    assert result.returncode != 0
    assert "年份" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.django_db
def test_demo_imports_the_seeds_and_creates_the_account(seeds_dir):
    first = run("demo", "--seeds", str(seeds_dir))
    counts = (Report.objects.count(), Commitment.objects.count())
    second = run("demo", "--seeds", str(seeds_dir))

    assert counts[0] == 7  # five seeds and the two next-year reviews of seed bureaus in shared/devset
    assert (Report.objects.count(), Commitment.objects.count()) == counts
    assert "http://127.0.0.1:8000/admin/" in first and "demo" in first
    assert second.count("未变化") == 7


@pytest.mark.django_db
def test_demo_without_seeds_says_where_it_looked(tmp_path):
    with pytest.raises(CommandError, match="--seeds"):
        run("demo", "--seeds", str(tmp_path / "nowhere"))
