"""The import service on the real seed reports: bureaus, sections, commitments, no-ops, failures."""

import shutil

import pytest
from django.contrib.auth import get_user_model

from commitments.engine import analyse
from commitments.models import Bureau, BureauAssignment, Commitment, Report, Section
from commitments.services.demo import demo_setup, demo_user_ensure
from commitments.services.extraction import report_reextract
from commitments.services.reports import PLACEHOLDER_BUREAU, report_files_collect, report_import

pytestmark = pytest.mark.django_db

EXPECTED = {
    # seed: (bureau, placeholder?, [(kind, year, period)] of its review and plan sections)
    "000": (PLACEHOLDER_BUREAU, True, [("review", 2020, ""), ("plan", 2021, "")]),
    "001": ("中山市民政局", False, [("review", 2021, ""), ("plan", 2022, "")]),
    "002": ("潜江市民政局", False, [("review", 2020, "上半年"), ("plan", 2020, "下半年")]),
    "003": ("兰陵县民政局", False, [("review", 2021, ""), ("plan", 2022, "")]),
    "004": (PLACEHOLDER_BUREAU, True, [("review", None, "第三季度"), ("plan", None, "下一阶段")]),
}


def row_counts() -> tuple[int, int, int, int]:
    return Bureau.objects.count(), Report.objects.count(), Section.objects.count(), Commitment.objects.count()


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_it_imports_each_seed_under_its_bureau(seed, number):
    bureau, placeholder, parts = EXPECTED[number]

    outcome = report_import(path=seed(number))

    assert outcome.status == "imported", outcome.reason
    report = outcome.report
    assert report.bureau.name == bureau
    assert report.bureau.is_placeholder is placeholder
    assert [(s.kind, s.year, s.period) for s in report.sections.exclude(kind="other")] == parts
    assert outcome.sections == report.sections.count()
    assert outcome.commitments == Commitment.objects.filter(section__report=report).count() > 0
    assert not Commitment.objects.filter(section__report=report).exclude(section__kind="plan").exists()
    assert report.sha256 and report.engine_version == analyse.engine_version()


def test_commitments_keep_offsets_topics_and_attributes(seed):
    report = report_import(path=seed("001")).report

    commitments = Commitment.objects.filter(section__report=report)
    for commitment in commitments:
        assert report.text[commitment.start : commitment.end] == commitment.text
    assert any(c.documents for c in commitments)
    assert any(c.targets for c in commitments)
    assert any(c.topic_path for c in commitments)
    assert all(isinstance(t["value"], (int, float, type(None))) for c in commitments for t in c.targets)


def test_it_takes_the_report_year_from_the_text_unless_the_analyst_gives_it(seed):
    assert report_import(path=seed("003")).report.year == 2022
    assert report_import(path=seed("004")).report.year is None
    assert report_import(path=seed("002"), year=2020, bureau_name="潜江市民政局").report.year == 2020


def test_a_reimport_is_unchanged_and_adds_no_rows(seed):
    first = report_import(path=seed("001"))
    before = row_counts()

    again = report_import(path=seed("001"))
    named = report_import(path=seed("001"), bureau_name="中山市民政局")

    assert again.status == named.status == "unchanged"
    assert again.report == first.report
    assert (again.sections, again.commitments) == (first.sections, first.commitments)
    assert row_counts() == before


def test_without_a_bureau_the_same_content_under_any_bureau_is_unchanged(seed):
    report_import(path=seed("002"), bureau_name="某市民政局（更正）")

    outcome = report_import(path=seed("002"))

    assert outcome.status == "unchanged"
    assert outcome.report.bureau.name == "某市民政局（更正）"


def test_the_same_content_for_another_named_bureau_is_a_new_report(seed):
    report_import(path=seed("002"))

    outcome = report_import(path=seed("002"), bureau_name="湖北省民政厅")

    assert outcome.status == "imported"
    assert Report.objects.count() == 2


def test_a_bad_file_among_good_ones_fails_alone(seed, garbage_file, tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    for number in ("001", "003"):
        shutil.copy(seed(number), folder)
    shutil.copy(garbage_file, folder / "garbage.txt")

    outcomes = {o.source: o for o in (report_import(path=p) for p in report_files_collect([folder]))}

    assert outcomes["garbage.txt"].status == "failed"
    assert outcomes["garbage.txt"].reason
    assert outcomes["garbage.txt"].report is None
    assert sorted(o.status for o in outcomes.values()) == ["failed", "imported", "imported"]
    assert Report.objects.count() == 2


@pytest.mark.parametrize(
    ("content", "name"),
    [(b"", "empty.txt"), (b"\x00\x01\x02\x03" * 500, "binary.txt")],
)
def test_unreadable_files_fail_with_a_reason(tmp_path, content, name):
    path = tmp_path / name
    path.write_bytes(content)

    outcome = report_import(path=path)

    assert outcome.status == "failed"
    assert outcome.source == name
    assert outcome.reason
    assert row_counts() == (0, 0, 0, 0)


def test_a_missing_file_fails_with_a_reason(tmp_path):
    outcome = report_import(path=tmp_path / "nope.txt")

    assert (outcome.status, outcome.reason) == ("failed", "文件不存在")


def test_an_impossible_year_fails(seed):
    outcome = report_import(path=seed("001"), year=1800)

    assert outcome.status == "failed"
    assert "1800" in outcome.reason
    assert row_counts() == (0, 0, 0, 0)


def test_an_engine_failure_leaves_no_rows_and_no_traceback_for_the_user(seed, monkeypatch, caplog):
    def broken(text, **kwargs):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(analyse, "analyse_text", broken)

    outcome = report_import(path=seed("003"))

    assert outcome.status == "failed"
    assert "抽取引擎出错" in outcome.reason
    assert "Traceback" not in outcome.reason and "exploded" not in outcome.reason
    assert row_counts() == (0, 0, 0, 0)
    assert "engine exploded" in caplog.text  # the traceback goes to the log


def test_a_failure_while_saving_rolls_back_every_row(seed, monkeypatch):
    real = analyse.analyse_text

    def corrupt(text, **kwargs):
        result = real(text, **kwargs)
        last = result.commitments[-1]
        result.commitments[-1] = type(last)(**{**last.__dict__, "section_index": 99})
        return result

    monkeypatch.setattr(analyse, "analyse_text", corrupt)

    outcome = report_import(path=seed("003"))

    assert outcome.status == "failed"
    assert row_counts() == (0, 0, 0, 0)


def test_reextract_keeps_the_rows_of_commitments_found_again(seed):
    report = report_import(path=seed("003")).report
    old_ids = set(Commitment.objects.filter(section__report=report).values_list("pk", flat=True))
    counts = row_counts()

    outcome = report_reextract(report=report)

    new_ids = set(Commitment.objects.filter(section__report=report).values_list("pk", flat=True))
    assert row_counts() == counts
    assert outcome.commitments == len(new_ids) and old_ids == new_ids


def test_reextract_keeps_the_old_rows_when_the_engine_fails(seed, monkeypatch):
    report = report_import(path=seed("003")).report
    counts = row_counts()
    monkeypatch.setattr(analyse, "analyse_text", lambda text, **kw: 1 / 0)

    with pytest.raises(ZeroDivisionError):
        report_reextract(report=report)

    assert row_counts() == counts


def test_demo_setup_is_idempotent(seeds_dir):
    first = demo_setup(seeds_dir=seeds_dir)
    counts = row_counts()

    second = demo_setup(seeds_dir=seeds_dir)

    assert [o.status for o in first.imports] == ["imported"] * 5
    assert [o.status for o in second.imports] == ["unchanged"] * 5
    assert row_counts() == counts
    assert set(Bureau.objects.values_list("name", flat=True)) == {
        "中山市民政局",
        "兰陵县民政局",
        "潜江市民政局",
        PLACEHOLDER_BUREAU,
    }


def test_the_demo_account_is_assigned_every_bureau_the_placeholder_included(seeds_dir):
    demo_setup(seeds_dir=seeds_dir)

    demo = get_user_model().objects.get(username="demo")
    assigned = set(BureauAssignment.objects.filter(user=demo).values_list("bureau__name", flat=True))
    assert assigned == set(Bureau.objects.values_list("name", flat=True))
    assert PLACEHOLDER_BUREAU in assigned


def test_the_demo_account_is_a_staff_analyst_not_a_superuser(client):
    user = demo_user_ensure()

    assert user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == ["analyst"]
    assert user.has_perm("commitments.add_report") and user.has_perm("commitments.view_commitment")
    assert not user.has_perm("commitments.delete_bureau")
    assert client.login(username="demo", password="demo")
