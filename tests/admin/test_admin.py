"""The Chinese admin as the demo's analyst sees it: lists, change pages, filters, search, upload."""

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from commitments.models import Bureau, Commitment, Report, Section
from commitments.services.demo import roles_ensure
from commitments.services.reports import PLACEHOLDER_BUREAU, report_import
from tests.helpers import message_texts

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/commitments/report/import/"


@pytest.fixture
def reports(seed):
    return {number: report_import(path=seed(number)).report for number in ("001", "003", "004")}


def changelist(client, model: str, query: str = ""):
    response = client.get(f"/admin/commitments/{model}/{query}")
    assert response.status_code == 200
    return response


def rows_of(response) -> list:
    return list(response.context["cl"].result_list)


@pytest.mark.parametrize(
    ("model", "heading"),
    [("bureau", "单位"), ("report", "工作报告"), ("section", "报告部分"), ("commitment", "承诺")],
)
def test_each_list_renders_in_chinese(staff_client, reports, model, heading):
    response = changelist(staff_client, model)

    html = response.content.decode()
    assert "承诺追踪" in html
    assert f"选择 {heading} 来修改" in html or heading in html
    assert rows_of(response)


def test_the_index_lists_the_app_in_chinese(staff_client):
    response = staff_client.get("/admin/")

    assert response.status_code == 200
    assert "工作报告与承诺" in response.content.decode()


def test_each_change_page_renders(staff_client, reports):
    report = reports["001"]
    section = report.sections.get(kind="plan")
    commitment = Commitment.objects.filter(section=section).first()
    pages = [
        reverse("admin:commitments_bureau_change", args=[report.bureau_id]),
        reverse("admin:commitments_report_change", args=[report.pk]),
        reverse("admin:commitments_section_change", args=[section.pk]),
        reverse("admin:commitments_commitment_change", args=[commitment.pk]),
    ]
    for url in pages:
        response = staff_client.get(url)
        assert response.status_code == 200, url
    html = staff_client.get(pages[1]).content.decode()
    assert "2022年工作计划" in html and "工作回顾" in html
    assert f"<mark>{commitment.text}</mark>" in staff_client.get(pages[3]).content.decode()


def test_the_report_list_shows_bureau_year_and_counts(staff_client, reports):
    html = changelist(staff_client, "report").content.decode()

    assert "中山市民政局" in html and "兰陵县民政局" in html and PLACEHOLDER_BUREAU in html
    count = Commitment.objects.filter(section__report=reports["003"]).count()
    assert f'<td class="field-commitment_count">{count}</td>' in html


def test_the_bureau_list_counts_reports(staff_client, reports):
    html = changelist(staff_client, "bureau").content.decode()

    assert '<td class="field-report_count">1</td>' in html


def test_reports_filter_by_bureau_year_and_format_and_search_by_title(staff_client, reports):
    zhongshan = reports["001"]

    assert rows_of(changelist(staff_client, "report", f"?bureau__id__exact={zhongshan.bureau_id}")) == [zhongshan]
    assert rows_of(changelist(staff_client, "report", "?year=2022")) == sorted(
        [reports["001"], reports["003"]], key=lambda r: (r.bureau.name, r.title)
    )
    assert len(rows_of(changelist(staff_client, "report", "?source_format=txt"))) == 3
    assert rows_of(changelist(staff_client, "report", "?q=第三季度")) == [reports["004"]]


def test_commitments_filter_by_bureau_plan_year_topic_and_vague(staff_client, reports):
    lanling = reports["003"].bureau

    by_bureau = rows_of(changelist(staff_client, "commitment", f"?section__report__bureau__id__exact={lanling.pk}"))
    assert by_bureau and {c.section.report.bureau for c in by_bureau} == {lanling}

    by_year = rows_of(changelist(staff_client, "commitment", "?plan_year=2022"))
    assert by_year and {c.section.year for c in by_year} == {2022}

    unknown = rows_of(changelist(staff_client, "commitment", "?plan_year=unknown"))
    assert unknown and {c.section.report for c in unknown} == {reports["004"]}

    vague = rows_of(changelist(staff_client, "commitment", "?vague__exact=1"))
    assert vague and all(c.vague for c in vague)

    topic = Commitment.objects.exclude(topic="").values_list("topic", flat=True).first()
    by_topic = rows_of(changelist(staff_client, "commitment", "?" + _query(topic=topic)))
    assert by_topic and {c.topic for c in by_topic} == {topic}


def test_commitments_search_by_text(staff_client, reports):
    found = rows_of(changelist(staff_client, "commitment", "?q=养老"))

    assert found and all("养老" in c.text for c in found)


def test_the_commitment_list_shows_documents_and_targets(staff_client, reports):
    html = changelist(staff_client, "commitment", "?all=").content.decode()

    with_document = Commitment.objects.exclude(documents=[]).first()
    assert with_document.documents[0].strip("《》") in html
    assert "计划年份" in html and "量化目标" in html


def test_the_import_view_imports_an_uploaded_report(staff_client, staff_user, seed):
    assert "导入工作报告" in staff_client.get(IMPORT_URL).content.decode()
    upload = SimpleUploadedFile("lanling.txt", seed("003").read_bytes(), content_type="text/plain")

    response = staff_client.post(IMPORT_URL, {"file": upload, "bureau": "", "year": ""})

    report = Report.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:commitments_report_change", args=[report.pk])
    assert (report.bureau.name, report.year, report.imported_by) == ("兰陵县民政局", 2022, staff_user)
    assert report.source == "lanling.txt"
    assert any("已导入" in text for text in message_texts(response))


def test_the_import_view_uses_the_given_bureau_and_year(staff_client, seed):
    upload = SimpleUploadedFile("q3.txt", seed("004").read_bytes())

    staff_client.post(IMPORT_URL, {"file": upload, "bureau": "某市民政局", "year": "2023"})

    report = Report.objects.get()
    assert (report.bureau.name, report.year) == ("某市民政局", 2023)


def test_the_import_view_says_when_content_is_unchanged(staff_client, seed, reports):
    upload = SimpleUploadedFile("again.txt", seed("001").read_bytes())

    response = staff_client.post(IMPORT_URL, {"file": upload})

    assert Report.objects.count() == 3
    assert any("内容未变化" in text for text in message_texts(response))


def test_the_import_view_rejects_a_bad_file_with_a_message(staff_client, garbage_file):
    upload = SimpleUploadedFile("garbage.txt", garbage_file.read_bytes())

    response = staff_client.post(IMPORT_URL, {"file": upload}, follow=True)

    assert response.status_code == 200
    html = response.content.decode()
    assert "导入失败" in html and "garbage.txt" in html
    assert Report.objects.count() == Section.objects.count() == Bureau.objects.count() == 0


@pytest.mark.parametrize("year", ["1800", "abc"])
def test_the_import_view_rejects_an_impossible_year(staff_client, seed, year):
    upload = SimpleUploadedFile("x.txt", seed("001").read_bytes())

    response = staff_client.post(IMPORT_URL, {"file": upload, "year": year})

    assert response.status_code == 200
    assert response.context["form"].errors["year"]
    assert Report.objects.count() == 0


def test_the_import_view_needs_a_file(staff_client):
    response = staff_client.post(IMPORT_URL, {})

    assert response.status_code == 200
    assert "这个字段是必填项" in response.content.decode()


def test_a_viewer_can_read_but_not_import(client, reports):
    roles_ensure()
    viewer = User.objects.create_user("viewer1", password="x", is_staff=True)
    viewer.groups.add(Group.objects.get(name="viewer"))
    client.force_login(viewer)

    assert client.get("/admin/commitments/commitment/").status_code == 200
    assert client.get(IMPORT_URL).status_code == 403
    assert "导入报告" not in client.get("/admin/commitments/report/").content.decode()


def test_the_report_list_offers_the_import_button_to_analysts(staff_client):
    assert IMPORT_URL in staff_client.get("/admin/commitments/report/").content.decode()


def test_reextract_action_replaces_commitments(staff_client, reports):
    report = reports["003"]
    before = Commitment.objects.filter(section__report=report).count()

    response = staff_client.post(
        "/admin/commitments/report/",
        {"action": "reextract", "_selected_action": [report.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "已重新抽取 1 份报告" in response.content.decode()
    assert Commitment.objects.filter(section__report=report).count() == before


def _query(**params) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


def test_the_admin_speaks_chinese_even_to_a_browser_asking_for_english(staff_client):
    response = staff_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    assert "站点管理" in response.content.decode() or "工作报告与承诺" in response.content.decode()
    assert "Site administration" not in response.content.decode()


def test_an_import_into_an_unassigned_bureau_is_kept_and_says_why_it_is_not_shown(client, make_user, seed):
    """The bureau comes from the report's text; an analyst not assigned to it gets the list and a reason,
    not a 404 on the report page they were sent to."""
    from commitments.models import Bureau

    other = Bureau.objects.create(name="潜江市民政局")
    client.force_login(make_user("qj", "analyst", [other]))
    upload = SimpleUploadedFile("lanling.txt", seed("003").read_bytes(), content_type="text/plain")

    response = client.post(IMPORT_URL, {"file": upload})

    report = Report.objects.get()
    assert report.bureau.name == "兰陵县民政局"
    assert response.url == reverse("admin:commitments_report_changelist")
    assert any("尚未被分配此单位" in text for text in message_texts(response))
