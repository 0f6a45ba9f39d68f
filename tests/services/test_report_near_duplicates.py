"""Near-copies of an imported report are caught before they double a bureau's commitments: the analyst
is asked, or the copy replaces the report as its new version, or both are kept on purpose."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from commitments.models import Assessment, Bureau, Commitment, Report, Section
from commitments.scorecards.figures import tally_rows
from commitments.scorecards.tally import tallies_refresh
from commitments.services.demo import demo_setup
from commitments.services.reports import report_import, report_import_bytes
from tests.helpers import gbk_resaved, paragraphs_of, report_page_html
from tests.paths import DEVSET, seed

pytestmark = pytest.mark.django_db

LANLING = "兰陵县民政局"
LANLING_TITLE = "兰陵县民政局2021年工作总结和2022年工作计划"


def row_counts() -> tuple[int, int, int, int, int]:
    return (
        Bureau.objects.count(),
        Report.objects.count(),
        Section.objects.count(),
        Commitment.objects.count(),
        Assessment.objects.count(),
    )


def one_byte_changed() -> bytes:
    """Seed 003 with one figure of its review changed by one byte: 32285 → 32286 people."""
    data = seed("003").read_bytes()
    assert data.count(b"32285") == 1
    return data.replace(b"32285", b"32286")


def web_page() -> bytes:
    """Seed 003 as the bureau's site serves it."""
    page = report_page_html(title=LANLING_TITLE, paragraphs=paragraphs_of(seed("003")), site=LANLING)
    return page.encode("utf-8")


COPIES = {
    # name: (seed the copy is made of, its bytes, the file name it arrives under)
    "one_changed_byte": ("003", one_byte_changed, "兰陵县民政局工作总结（修订）.txt"),
    "gbk_resaved": ("001", lambda: gbk_resaved(seed("001")), "中山市民政局工作总结.gbk.txt"),
    "web_page": ("003", web_page, "t20220130_1234567.html"),
}


def percent(value: float) -> int:
    return int(value * 100 + 1e-9)


@pytest.mark.parametrize("name", sorted(COPIES))
def test_a_near_copy_is_asked_about_and_writes_nothing(name):
    number, build, filename = COPIES[name]
    first = report_import(path=seed(number)).report
    data = build()
    assert hashlib.sha256(data).hexdigest() != hashlib.sha256(seed(number).read_bytes()).hexdigest()
    before = row_counts()

    outcome = report_import_bytes(data=data, filename=filename)

    assert outcome.status == "near_duplicate", outcome.reason
    assert outcome.status_label == "几乎相同"
    assert outcome.existing == first and outcome.report is None
    assert 0.9 <= outcome.similarity < 1.0
    assert (
        outcome.reason
        == f"与已导入的报告 #{first.pk}《{first.title}》几乎相同（相似度 {percent(outcome.similarity)}%）"
    )
    assert outcome.bureau_name == first.bureau.name
    assert row_counts() == before


def test_the_same_file_name_in_the_same_bureau_with_new_content_is_asked_about(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir(), new.mkdir()
    shutil.copy(seed("003"), old / "2022年工作计划.txt")
    shutil.copy(DEVSET / "lanling_2022_plan.txt", new / "2022年工作计划.txt")
    first = report_import(path=old / "2022年工作计划.txt").report
    assert first.bureau.name == LANLING
    before = row_counts()

    outcome = report_import(path=new / "2022年工作计划.txt", bureau_name=LANLING)

    assert outcome.status == "near_duplicate", outcome.reason
    assert outcome.existing == first and outcome.similarity < 0.9
    assert f"#{first.pk}" in outcome.reason and "文件名相同（2022年工作计划.txt）" in outcome.reason
    assert row_counts() == before


@pytest.mark.parametrize(
    ("plan", "review", "bureau"),
    [
        ("001", "zhongshan_2022_review.synthetic.txt", "中山市民政局"),
        ("003", "lanling_2022_review.synthetic.txt", LANLING),
    ],
)
def test_a_genuinely_different_report_of_the_same_bureau_is_imported_without_a_question(plan, review, bureau):
    report_import(path=seed(plan))

    outcome = report_import(path=DEVSET / review, bureau_name=bureau, near_duplicates="ask")

    assert outcome.status == "imported", outcome.reason
    assert Report.objects.filter(bureau__name=bureau).count() == 2


def test_the_same_file_name_says_nothing_in_the_placeholder_bureau(tmp_path):
    """The placeholder gathers reports no bureau signed: their generic file names are no evidence."""
    for number in ("000", "004"):
        folder = tmp_path / number
        folder.mkdir()
        shutil.copy(seed(number), folder / "index.txt")

    first = report_import(path=tmp_path / "000" / "index.txt", near_duplicates="ask")
    second = report_import(path=tmp_path / "004" / "index.txt", near_duplicates="ask")

    assert first.report.bureau.is_placeholder and second.report.bureau == first.report.bureau
    assert second.status == "imported", second.reason


def _decide(commitment: Commitment) -> Assessment:
    return Assessment.objects.create(
        commitment=commitment, status="partial", confidence=1.0, reason="分析员核实", source="analyst", note="已核实"
    )


def _scorecard_commitments(bureau: Bureau) -> int:
    tallies_refresh()
    return sum(row["commitments"] for row in tally_rows(bureau_ids=None, bureau=bureau))


def test_replace_makes_the_copy_a_new_version_of_the_same_report_and_keeps_decisions(tmp_path, staff_user):
    first = report_import(path=seed("003")).report
    commitments = Commitment.objects.filter(section__report=first).order_by("order")
    count = commitments.count()
    decided = commitments[3]
    _decide(decided)
    assert _scorecard_commitments(first.bureau) == count
    copy = tmp_path / "兰陵县民政局工作总结（修订）.txt"
    copy.write_bytes(one_byte_changed())

    outcome = report_import(path=copy, near_duplicates="replace", imported_by=staff_user)

    assert outcome.status == "replaced", outcome.reason
    assert outcome.status_label == "已替换"
    assert f"#{first.pk}" in outcome.reason
    report = Report.objects.get()
    assert report.pk == first.pk and outcome.report == report
    assert "32286人" in report.text and "32285人" not in report.text
    assert report.source == copy.name
    assert report.sha256 == hashlib.sha256(report.text.encode("utf-8")).hexdigest() != first.sha256
    assert report.imported_by == staff_user
    assert (outcome.sections, outcome.commitments) == (report.sections.count(), count)
    assessment = Assessment.objects.get(commitment__text=decided.text)
    assert assessment.commitment_id == decided.pk
    assert (assessment.status, assessment.source, assessment.note) == ("partial", "analyst", "已核实")
    assert Commitment.objects.count() == count
    assert _scorecard_commitments(report.bureau) == count
    for commitment in Commitment.objects.all():
        assert report.text[commitment.start : commitment.end] == commitment.text


def test_replace_keeps_a_decision_the_new_version_no_longer_holds_without_old_offsets(tmp_path):
    first = report_import(path=seed("003")).report
    decided = Commitment.objects.filter(section__report=first).order_by("order").last()
    _decide(decided)
    text = seed("003").read_text(encoding="utf-8")
    assert text.count(decided.text) == 1
    copy = tmp_path / "003.txt"
    copy.write_text(text.replace(decided.text, ""), encoding="utf-8")

    outcome = report_import(path=copy, near_duplicates="replace")

    assert outcome.status == "replaced", outcome.reason
    kept = Commitment.objects.get(pk=decided.pk)
    assert kept.assessment.source == "analyst" and kept.section.report_id == first.pk
    assert kept.start == kept.end <= len(outcome.report.text)
    assert any("已保留分析员结论" in w for w in Report.objects.get().warnings)


def test_replace_asks_again_when_the_report_shown_is_no_longer_the_near_copy():
    first = report_import(path=seed("003")).report
    before = row_counts()

    outcome = report_import_bytes(
        data=one_byte_changed(), filename="v2.txt", near_duplicates="replace", near_duplicate_of=first.pk + 1000
    )

    assert outcome.status == "near_duplicate" and outcome.existing == first
    assert row_counts() == before


def test_keep_imports_the_copy_as_a_second_report():
    first = report_import(path=seed("003")).report

    outcome = report_import_bytes(data=one_byte_changed(), filename="v2.txt", near_duplicates="keep")

    assert outcome.status == "imported", outcome.reason
    assert outcome.report != first
    assert Report.objects.filter(bureau=first.bureau).count() == 2


def test_an_unknown_choice_is_a_programming_error():
    with pytest.raises(ValueError):
        report_import(path=seed("003"), near_duplicates="merge")


def test_the_demo_with_its_reviews_imports_everything_and_twice_changes_nothing(seeds_dir, devset_dir):
    first = demo_setup(seeds_dir=seeds_dir, reviews_dir=devset_dir)
    counts = row_counts()

    second = demo_setup(seeds_dir=seeds_dir, reviews_dir=devset_dir)

    assert [o.status for o in first.imports] == ["imported"] * len(first.imports)
    assert {o.source for o in first.imports} >= {
        "zhongshan_2022_review.synthetic.txt",
        "lanling_2022_review.synthetic.txt",
    }
    assert [o.status for o in second.imports] == ["unchanged"] * len(first.imports)
    assert row_counts() == counts
