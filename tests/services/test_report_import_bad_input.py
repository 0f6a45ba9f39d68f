"""Bad input through the whole import: the issue's list, each ending in a clear outcome and no partial rows."""

import pytest

from commitments.models import Commitment, Report
from commitments.services.reports import report_import
from tests.paths import DEVSET, read_seed

pytestmark = pytest.mark.django_db


def test_a_report_with_no_plan_part_imports_with_a_warning_and_no_commitments():
    outcome = report_import(path=DEVSET / "statecouncil_2018_review.txt", bureau_name="国务院")
    assert outcome.status == "imported"
    assert Commitment.objects.count() == 0
    report = Report.objects.get()
    assert any("没有找到计划部分" in w for w in report.warnings)


def test_a_5_mb_report_imports_whole(tmp_path):
    text = read_seed("001")
    plan = text[text.rindex("2022年工作计划") :]
    body = text + ("\n" + plan.replace("2022年工作计划", "（续）")) * 620
    path = tmp_path / "big.txt"
    path.write_text(body, encoding="utf-8")
    assert path.stat().st_size > 5_000_000

    outcome = report_import(path=path, bureau_name="中山市民政局")

    assert outcome.status == "imported", outcome.reason
    assert Commitment.objects.count() > 10_000


def test_traditional_chinese_report_is_converted_and_extracted(tmp_path):
    from opencc import OpenCC

    traditional = OpenCC("s2t").convert(read_seed("003"))
    path = tmp_path / "lanling_traditional.txt"
    path.write_text(traditional, encoding="utf-8")

    outcome = report_import(path=path)

    assert outcome.status == "imported", outcome.reason
    report = Report.objects.get()
    assert any("繁体" in w for w in report.warnings)
    assert report.sections.filter(kind="plan", year=2022).exists()
    assert Commitment.objects.count() >= 15


def test_unusual_heading_numbering_still_finds_the_plan(tmp_path):
    path = tmp_path / "odd.txt"
    path.write_text(
        "某县民政局工作报告\n一．2022年工作总结\n　　全年完成低保扩围。\n"
        "二． 2023年工作思路\n　　（1）推进养老服务设施建设，新建社区养老服务站20个。\n"
        "　　（2）开展低保专项治理行动。\n",
        encoding="utf-8",
    )
    outcome = report_import(path=path, bureau_name="某县民政局")
    assert outcome.status == "imported", outcome.reason
    assert sorted(Commitment.objects.values_list("text", flat=True)) == [
        "开展低保专项治理行动",
        "推进养老服务设施建设，新建社区养老服务站20个",
    ]
