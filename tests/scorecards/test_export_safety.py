"""Scorecard exports never carry a live formula: text from uploaded reports that starts like one (a bureau
named `=HYPERLINK(...)`, a commitment, evidence, a topic) is quoted in CSV and a quoted string cell in XLSX."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

import pytest

from commitments.models import Assessment, Bureau, Report, Section
from tests.helpers import commitment_build, xlsx_cells

BUREAU = '=HYPERLINK("http://evil.example","点此")民政局'
REGION = "@SUM(1+1)区"
TOPIC = "-2+3+cmd|' /C calc'!A0"
COMMITMENT = "+新建长者饭堂20个"
EVIDENCE = "=1+1 建成长者饭堂20个"
FORMULAS = {BUREAU, REGION, TOPIC, COMMITMENT, EVIDENCE}


@pytest.fixture
def bureau(db):
    """A bureau whose name, region, topic, commitment and evidence all start like formulas."""
    bureau = Bureau.objects.create(name=BUREAU, region=REGION, level="市")
    text = f"2022年工作计划\n{COMMITMENT}"
    report = Report.objects.create(bureau=bureau, title="2021年工作总结", text=text, sha256="f" * 64)
    section = Section.objects.create(report=report, kind=Section.Kind.PLAN, year=2022, start=0, end=len(text))
    commitment = commitment_build(section, 0, COMMITMENT, topic=TOPIC)
    commitment.save()
    Assessment.objects.create(commitment=commitment, status="fulfilled", confidence=0.9, evidence_text=EVIDENCE)
    return bureau


@pytest.fixture
def viewer_client(client, bureau, make_user):
    client.force_login(make_user("reader", "viewer", [bureau]))
    return client


def _urls(bureau: Bureau) -> list[str]:
    page = f"/scorecards/bureau/{bureau.pk}/?"
    return [
        "/scorecards/?",
        f"/scorecards/compare/?{urlencode({'region': REGION, 'year': 2022})}&",
        f"{page}_table=years&",
        f"{page}_table=topics&",
        f"{page}_table=commitments&",
    ]


def _export(client, url: str, export_format: str):
    response = client.get(f"{url}_export={export_format}")
    assert response.status_code == 200, url
    return response


def _csv_cells(response) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(response.content.decode("utf-8"))) for cell in row]


def _unquoted(value) -> str:
    return str(value).removeprefix("'")


def test_a_formula_bureau_name_is_a_quoted_string_in_cell_a2_of_the_list_xlsx(viewer_client, bureau):
    cells = {cell.coordinate: cell for cell in xlsx_cells(_export(viewer_client, "/scorecards/?", "xlsx").content)}

    assert (cells["A2"].value, cells["A2"].data_type) == ("'" + BUREAU, "s")
    assert (cells["B2"].value, cells["B2"].data_type) == ("'" + REGION, "s")
    assert (cells["E2"].value, cells["E2"].data_type) == (1, "n")  # 承诺数: numbers stay numbers


def test_every_scorecard_xlsx_export_has_no_formula_cell_and_quotes_formula_texts(viewer_client, bureau):
    seen = set()
    for url in _urls(bureau):
        cells = xlsx_cells(_export(viewer_client, url, "xlsx").content)

        assert [cell.coordinate for cell in cells if cell.data_type == "f"] == [], url
        for cell in cells:
            if _unquoted(cell.value) in FORMULAS:
                assert cell.data_type == "s" and cell.value.startswith("'"), (url, cell.coordinate)
                seen.add(_unquoted(cell.value))
    assert seen == FORMULAS


def test_every_scorecard_csv_export_quotes_formula_texts(viewer_client, bureau):
    seen = set()
    for url in _urls(bureau):
        cells = _csv_cells(_export(viewer_client, url, "csv"))

        for cell in cells:
            if _unquoted(cell) in FORMULAS:
                assert cell.startswith("'"), (url, cell)
                seen.add(_unquoted(cell))
    assert seen == FORMULAS


def test_the_commitments_csv_export_quotes_the_commitment_and_its_evidence(viewer_client, bureau):
    response = _export(viewer_client, f"/scorecards/bureau/{bureau.pk}/?_table=commitments&", "csv")

    (row,) = csv.DictReader(io.StringIO(response.content.decode("utf-8")))
    assert (row["承诺"], row["证据"], row["主题"]) == ("'" + COMMITMENT, "'" + EVIDENCE, "'" + TOPIC)
    assert row["计划年份"] == "2022"
