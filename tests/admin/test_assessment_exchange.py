"""Assessments out and in as CSV/XLSX through the admin's export and import pages (django-import-export):
Chinese headers, only the user's bureaus, each row through assessment_decide, errors row by row, and a
file that fails anywhere changes nothing."""

import csv
import io

import openpyxl
import pytest

from commitments.models import Assessment, Bureau, Commitment, Report, Section
from commitments.services.assessments import assessment_decide
from tests.helpers import xlsx_cells

pytestmark = pytest.mark.django_db

EXPORT = "/admin/commitments/assessment/export/"
IMPORT = "/admin/commitments/assessment/import/"
PROCESS = "/admin/commitments/assessment/process_import/"
HEADERS = [
    "id",
    "单位",
    "计划年份",
    "主题",
    "承诺",
    "状态",
    "置信度",
    "来源",
    "采用的证据",
    "备注",
    "未完成原因",
    "版本",
]
CSV_FORMAT, XLSX_FORMAT = "0", "1"


@pytest.fixture
def bureau(db):
    return Bureau.objects.create(name="中山市民政局")


@pytest.fixture
def rows(bureau, other_bureau_assessment):
    """Three proposals of 中山市民政局 (topics 养老, 救助, 殡葬); 兰陵县民政局 has one too."""
    text = "2022年工作计划\n一、新建养老服务站10个。二、救助对象全覆盖。三、推进殡葬改革。"
    report = Report.objects.create(bureau=bureau, title="中山市民政局2021年工作总结", text=text, sha256="e" * 64)
    section = Section.objects.create(report=report, kind=Section.Kind.PLAN, year=2022, start=0, end=len(text))
    made = []
    for n, (topic, sentence, status, confidence) in enumerate(
        [
            ("养老服务", "新建养老服务站10个。", "partial", 0.7),
            ("社会救助", "救助对象全覆盖。", "fulfilled", 0.9),
            ("殡葬管理", "推进殡葬改革。", "no_evidence", 0.55),
        ],
        1,
    ):
        commitment = Commitment.objects.create(
            section=section, text=sentence, topic=topic, order=n, start=text.index(sentence), end=len(text)
        )
        made.append(
            Assessment.objects.create(
                commitment=commitment,
                status=status,
                confidence=confidence,
                reason="机器理由",
                evidence_text=f"证据{n}",
                machine_status=status,
                machine_confidence=confidence,
            )
        )
    return made


@pytest.fixture
def analyst(make_user, bureau):
    return make_user("zs-analyst", "analyst", [bureau])


@pytest.fixture
def colleague(make_user, bureau):
    return make_user("zs-colleague", "analyst", [bureau])


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst)
    return client


def _export(client, file_format: str, query: str = ""):
    fields = {f"assessmentresource_{name}": "on" for name in _FIELD_NAMES}
    response = client.post(EXPORT + query, {"format": file_format, "resource": "0", **fields})
    assert response.status_code == 200, response.content[:500]
    return response


_FIELD_NAMES = [
    "id",
    "bureau",
    "plan_year",
    "topic",
    "commitment",
    "status",
    "confidence",
    "source",
    "evidence_text",
    "note",
    "failure_reason",
    "version",
]


def _csv_rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def _csv_bytes(table: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(table[0]))
    writer.writeheader()
    writer.writerows(table)
    return out.getvalue().encode("utf-8")


def _upload(client, data: bytes, name: str, file_format: str):
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(IMPORT, {"import_file": upload, "format": file_format, "resource": "0"})


def _confirm(client, preview):
    form = preview.context["confirm_form"]
    return client.post(PROCESS, {**form.initial}, follow=True)


def _state(assessment: Assessment) -> tuple:
    row = Assessment.objects.get(pk=assessment.pk)
    return row.status, row.source, row.note, row.failure_reason, row.version


def test_the_csv_export_has_chinese_headers_and_only_the_users_bureaus(analyst_client, rows, other_bureau_assessment):
    response = _export(analyst_client, CSV_FORMAT)

    assert response.content.startswith("\ufeffid,单位".encode())  # Excel reads a BOM-marked CSV as UTF-8
    table = _csv_rows(response.content)
    assert list(table[0]) == HEADERS
    assert [int(r["id"]) for r in table] == [a.pk for a in rows]
    assert str(other_bureau_assessment.pk) not in {r["id"] for r in table}
    first = table[0]
    assert (first["单位"], first["计划年份"], first["主题"], first["承诺"]) == (
        "中山市民政局",
        "2022",
        "养老服务",
        "新建养老服务站10个。",
    )
    assert (first["状态"], first["来源"], first["采用的证据"], first["版本"], first["置信度"]) == (
        "部分完成",
        "机器建议",
        "证据1",
        "1",
        "0.7",
    )


def test_the_xlsx_export_follows_the_list_filters(analyst_client, rows):
    response = _export(analyst_client, XLSX_FORMAT, query="?band=high")

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert list(values[0]) == HEADERS
    assert [row[0] for row in values[1:]] == [rows[1].pk]
    assert values[1][5] == "已完成"


def test_a_csv_import_decides_through_the_service_after_a_preview(analyst_client, analyst, rows):
    table = _csv_rows(_export(analyst_client, CSV_FORMAT).content)
    table[0].update({"状态": "已完成", "备注": "年底补建完成"})
    table[1].update({"状态": "not_fulfilled", "未完成原因": "进度滞后", "采用的证据": "尚未全覆盖"})
    # Row 3 unchanged: a re-imported export must not turn a proposal into a decision.

    preview = _upload(analyst_client, _csv_bytes(table), "评估.csv", CSV_FORMAT)

    assert preview.status_code == 200 and "confirm_form" in preview.context
    assert not preview.context["result"].has_validation_errors()
    assert _state(rows[0])[-1] == 1  # only a preview so far
    response = _confirm(analyst_client, preview)

    assert response.status_code == 200
    assert _state(rows[0]) == ("fulfilled", "analyst", "年底补建完成", "", 2)
    assert _state(rows[1]) == ("not_fulfilled", "analyst", "", "behind_schedule", 2)
    assert Assessment.objects.get(pk=rows[1].pk).evidence_text == "尚未全覆盖"
    assert _state(rows[2]) == ("no_evidence", "machine", "", "", 1)
    latest = Assessment.objects.get(pk=rows[0].pk).history.first()
    assert latest.history_user == analyst


def test_an_xlsx_import_reads_labels_and_codes(analyst_client, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "状态", "备注", "未完成原因", "采用的证据", "版本"])
    sheet.append([rows[0].pk, "fulfilled", "按期完成", None, "建成10个", 1])
    sheet.append([rows[2].pk, "未完成", None, "policy_change", None, 1])
    data = io.BytesIO()
    book.save(data)

    preview = _upload(analyst_client, data.getvalue(), "评估.xlsx", XLSX_FORMAT)
    assert "confirm_form" in preview.context, preview.context["result"].invalid_rows
    _confirm(analyst_client, preview)

    assert _state(rows[0]) == ("fulfilled", "analyst", "按期完成", "", 2)
    assert Assessment.objects.get(pk=rows[0].pk).evidence_text == "建成10个"
    assert _state(rows[2]) == ("not_fulfilled", "analyst", "", "policy_change", 2)


def test_every_bad_row_is_reported_with_its_number_and_nothing_is_imported(
    analyst_client, colleague, rows, other_bureau_assessment
):
    assessment_decide(assessment=rows[2], user=colleague, expected_version=1, status="partial")
    table = [
        {"id": rows[0].pk, "状态": "已完成", "未完成原因": "", "版本": 1},  # fine on its own
        {"id": 999999, "状态": "已完成", "未完成原因": "", "版本": 1},
        {"id": other_bureau_assessment.pk, "状态": "已完成", "未完成原因": "", "版本": 1},
        {"id": rows[1].pk, "状态": "差不多", "未完成原因": "", "版本": 1},
        {"id": rows[1].pk, "状态": "未完成", "未完成原因": "", "版本": 1},
        {"id": rows[2].pk, "状态": "已完成", "未完成原因": "", "版本": 1},  # saved meanwhile: now version 2
    ]

    preview = _upload(analyst_client, _csv_bytes(table), "评估.csv", CSV_FORMAT)

    page = preview.content.decode()
    assert "confirm_form" not in preview.context
    invalid = {row.number: row.error_dict for row in preview.context["result"].invalid_rows}
    assert sorted(invalid) == [2, 3, 4, 5, 6]
    assert "无此评估，或不属于你负责的单位" in invalid[2]["id"][0] and "无此评估" in invalid[3]["id"][0]
    assert "未知的状态“差不多”" in invalid[4]["状态"][0]
    assert invalid[5]["未完成原因"] == ["状态为“未完成”时须选择未完成原因"]
    assert "保存冲突" in invalid[6]["版本"][0]
    assert "未知的状态“差不多”" in page and "保存冲突" in page
    assert _state(rows[0]) == ("partial", "machine", "", "", 1)
    assert Assessment.objects.get(pk=other_bureau_assessment.pk).version == 1


def test_a_row_saved_between_preview_and_confirmation_undoes_the_whole_file(analyst_client, colleague, rows):
    table = [
        {"id": rows[0].pk, "状态": "已完成", "版本": 1},
        {"id": rows[1].pk, "状态": "部分完成", "版本": 1},
    ]
    preview = _upload(analyst_client, _csv_bytes(table), "评估.csv", CSV_FORMAT)
    assert "confirm_form" in preview.context
    assessment_decide(assessment=rows[1], user=colleague, expected_version=1, status="no_evidence")

    response = _confirm(analyst_client, preview)

    messages = [str(m) for m in response.context["messages"]]
    assert "导入失败，未做任何修改：" in messages
    assert any(m.startswith("第 2 行：保存冲突") for m in messages)
    assert _state(rows[0]) == ("partial", "machine", "", "", 1)  # row 1 was fine, and is not imported either
    assert _state(rows[1]) == ("no_evidence", "analyst", "", "", 2)


def test_a_file_without_the_version_column_is_refused(analyst_client, rows):
    preview = _upload(analyst_client, _csv_bytes([{"id": rows[0].pk, "状态": "已完成"}]), "评估.csv", CSV_FORMAT)

    assert "confirm_form" not in preview.context
    assert "缺少列：版本" in preview.content.decode()
    assert _state(rows[0])[-1] == 1


def test_a_viewer_exports_their_bureaus_but_cannot_import(client, make_user, bureau, rows, other_bureau_assessment):
    client.force_login(make_user("zs-viewer", "viewer", [bureau]))

    table = _csv_rows(_export(client, CSV_FORMAT).content)
    assert {int(r["id"]) for r in table} == {a.pk for a in rows}
    assert client.get(IMPORT).status_code == 403
    data = _csv_bytes([{"id": rows[0].pk, "状态": "已完成", "版本": 1}])
    assert _upload(client, data, "评估.csv", CSV_FORMAT).status_code == 403
    assert client.post(PROCESS, {"import_file_name": "x", "format": CSV_FORMAT}).status_code == 403
    assert _state(rows[0])[-1] == 1


def test_a_superuser_exports_every_bureau(client, admin_user, rows, other_bureau_assessment):
    client.force_login(admin_user)

    table = _csv_rows(_export(client, CSV_FORMAT).content)

    assert {int(r["id"]) for r in table} == {a.pk for a in rows} | {other_bureau_assessment.pk}


def test_the_xlsx_export_survives_control_characters_from_pdf_text(analyst_client, rows):
    rows[0].evidence_text = "新建养老服务站\x0b12个\x01"
    rows[0].save()

    response = _export(analyst_client, XLSX_FORMAT)

    values = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    evidence = {row[0]: row[8] for row in values[1:]}
    assert evidence[rows[0].pk].startswith("新建养老服务站") and "12个" in evidence[rows[0].pk]


FORMULA_TEXTS = {
    "单位": '=HYPERLINK("http://evil.example","点此")民政局',
    "承诺": "+新建养老服务站10个。",
    "主题": "-2+3+cmd|' /C calc'!A0",
    "采用的证据": "@SUM(1+1) 建成10个",
    "备注": "=1+1",
}


@pytest.fixture
def formula_row(bureau, rows):
    """rows[0] with formula-like bureau name, commitment, topic, evidence and note."""
    texts = FORMULA_TEXTS
    Bureau.objects.filter(pk=bureau.pk).update(name=texts["单位"])
    Commitment.objects.filter(pk=rows[0].commitment_id).update(text=texts["承诺"], topic=texts["主题"])
    Assessment.objects.filter(pk=rows[0].pk).update(evidence_text=texts["采用的证据"], note=texts["备注"])
    return Assessment.objects.get(pk=rows[0].pk)


def test_the_csv_export_quotes_every_text_that_starts_like_a_formula(analyst_client, formula_row):
    table = {int(r["id"]): r for r in _csv_rows(_export(analyst_client, CSV_FORMAT).content)}

    row = table[formula_row.pk]
    assert {column: row[column] for column in FORMULA_TEXTS} == {c: "'" + t for c, t in FORMULA_TEXTS.items()}
    assert (row["版本"], row["置信度"]) == ("1", "0.7")


def test_the_xlsx_export_writes_formula_texts_as_quoted_string_cells(analyst_client, formula_row):
    cells = xlsx_cells(_export(analyst_client, XLSX_FORMAT).content)

    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    by_column = {(cell.column, cell.row): cell for cell in cells}
    header = {by_column[(column, 1)].value: column for column in range(1, len(HEADERS) + 1)}
    row = next(cell.row for cell in cells if cell.column == 1 and cell.value == formula_row.pk)
    for name, text in FORMULA_TEXTS.items():
        cell = by_column[(header[name], row)]
        assert (cell.value, cell.data_type) == ("'" + text, "s"), name
    assert by_column[(1, row)].data_type == "n"  # the id stays a number


@pytest.mark.parametrize("file_format", [CSV_FORMAT, XLSX_FORMAT])
def test_a_reimported_export_gives_back_the_formula_texts_it_quoted(analyst_client, formula_row, file_format):
    exported = _export(analyst_client, file_format).content
    if file_format == CSV_FORMAT:
        name, quoted = "评估.csv", "'=1+1" in exported.decode("utf-8-sig")
    else:
        name, quoted = "评估.xlsx", "'=1+1" in {cell.value for cell in xlsx_cells(exported)}
    assert quoted

    preview = _upload(analyst_client, exported, name, file_format)

    assert "confirm_form" in preview.context, preview.context["result"].invalid_rows
    _confirm(analyst_client, preview)
    row = Assessment.objects.get(pk=formula_row.pk)
    assert (row.evidence_text, row.note, row.version) == (FORMULA_TEXTS["采用的证据"], FORMULA_TEXTS["备注"], 1)


def test_an_imported_formula_note_is_quoted_in_the_next_export(analyst_client, rows):
    """Text an analyst writes into the file is exported safely too, and comes back unchanged."""
    table = _csv_rows(_export(analyst_client, CSV_FORMAT).content)
    table[0].update({"状态": "已完成", "备注": "-完成后复核", "采用的证据": "'=已经带引号"})
    _confirm(analyst_client, _upload(analyst_client, _csv_bytes(table), "评估.csv", CSV_FORMAT))

    row = Assessment.objects.get(pk=rows[0].pk)
    assert (row.note, row.evidence_text, row.version) == ("-完成后复核", "=已经带引号", 2)
    again = {int(r["id"]): r for r in _csv_rows(_export(analyst_client, CSV_FORMAT).content)}[rows[0].pk]
    assert (again["备注"], again["采用的证据"]) == ("'-完成后复核", "'=已经带引号")
