"""Bureau assignments: an analyst sees and decides only their bureaus; a viewer reads; superusers assign."""

import pytest
from django.urls import reverse

from commitments.models import Assessment, BureauAssignment, MatchingRun, Report, Section
from tests.helpers import listed

pytestmark = pytest.mark.django_db


@pytest.fixture
def zhongshan(zhongshan_pair):
    return zhongshan_pair[0].bureau


@pytest.fixture
def analyst_client(client, make_user, zhongshan, other_bureau_assessment):
    """Logged in as the analyst of 中山市民政局; 兰陵县民政局 (bureau B) has a proposal too."""
    client.force_login(make_user("zs-analyst", "analyst", [zhongshan]))
    return client


@pytest.fixture
def viewer_client(client, make_user, zhongshan):
    client.force_login(make_user("zs-viewer", "viewer", [zhongshan]))
    return client


def test_the_assessment_list_hides_another_bureaus_rows(analyst_client, other_bureau_assessment):
    rows = listed(analyst_client, "/admin/commitments/assessment/?all=")
    assert rows and other_bureau_assessment not in rows
    assert {a.commitment.section.report.bureau.name for a in rows} == {"中山市民政局"}


def test_the_commitment_list_hides_another_bureaus_rows(analyst_client, other_bureau_assessment):
    rows = listed(analyst_client, "/admin/commitments/commitment/?all=")
    assert rows and other_bureau_assessment.commitment not in rows


def test_another_bureaus_change_and_history_pages_are_not_found(analyst_client, other_bureau_assessment):
    urls = [
        reverse("admin:commitments_assessment_change", args=[other_bureau_assessment.pk]),
        reverse("admin:commitments_assessment_history", args=[other_bureau_assessment.pk]),
        reverse("admin:commitments_commitment_change", args=[other_bureau_assessment.commitment_id]),
        reverse("admin:commitments_commitment_history", args=[other_bureau_assessment.commitment_id]),
    ]
    for url in urls:
        assert analyst_client.get(url).status_code == 404, url


def test_another_bureaus_reports_and_sections_are_out_of_reach(analyst_client, other_bureau_assessment):
    section = other_bureau_assessment.commitment.section
    report = section.report

    for url in ("/admin/commitments/report/?all=", "/admin/commitments/section/?all="):
        rows = listed(analyst_client, url)
        assert rows and report not in rows and section not in rows
        # Not even as a choice of the bureau filter.
        assert "兰陵县民政局" not in analyst_client.get(url).content.decode()
    for name, pk in (("report", report.pk), ("section", section.pk)):
        for page in ("change", "history", "delete"):
            url = reverse(f"admin:commitments_{name}_{page}", args=[pk])
            assert analyst_client.get(url).status_code == 404, url
            assert analyst_client.post(url, {"post": "yes", "title": "改名"}).status_code == 404, url
    assert Report.objects.get(pk=report.pk).title == "兰陵县民政局2021年工作总结"


def test_report_actions_and_forms_cannot_reach_another_bureau(analyst_client, zhongshan, other_bureau_assessment):
    report = other_bureau_assessment.commitment.section.report
    changelist = "/admin/commitments/report/"

    response = analyst_client.post(changelist, {"action": "reextract", "_selected_action": [report.pk]}, follow=True)
    assert "已重新抽取" not in response.content.decode()
    analyst_client.post(changelist, {"action": "delete_selected", "_selected_action": [report.pk], "post": "yes"})
    assert Report.objects.filter(pk=report.pk).exists() and Section.objects.filter(report=report).exists()

    # An own report cannot be moved to a bureau the analyst does not handle.
    own = Report.objects.filter(bureau=zhongshan).first()
    page = analyst_client.get(reverse("admin:commitments_report_change", args=[own.pk]))
    choices = page.context["adminform"].form.fields["bureau"].queryset
    assert zhongshan in choices and report.bureau not in choices


def test_a_superuser_sees_every_bureaus_reports_and_sections(client, admin_user, other_bureau_assessment):
    client.force_login(admin_user)
    section = other_bureau_assessment.commitment.section

    assert section.report in listed(client, "/admin/commitments/report/?all=")
    assert section in listed(client, "/admin/commitments/section/?all=")
    assert client.get(reverse("admin:commitments_section_change", args=[section.pk])).status_code == 200


def test_another_bureaus_review_page_cannot_be_opened_or_confirmed(analyst_client, other_bureau_assessment):
    url = reverse("review_assessment", args=[other_bureau_assessment.pk])

    assert analyst_client.get(url).status_code == 404
    response = analyst_client.post(url, {"action": "confirm", "version": other_bureau_assessment.version})

    assert response.status_code == 404
    other_bureau_assessment.refresh_from_db()
    assert other_bureau_assessment.source == "machine" and other_bureau_assessment.confirmed_by is None


def test_another_bureau_is_not_in_the_queue_nor_its_filter(analyst_client, other_bureau_assessment):
    response = analyst_client.get("/admin/review/?all=")
    assert other_bureau_assessment not in list(response.context["page_obj"])
    bureau = other_bureau_assessment.commitment.section.report.bureau
    assert analyst_client.get(f"/admin/review/?bureau={bureau.pk}").context["page_obj"].paginator.count == 0


def test_the_rematch_action_cannot_reach_another_bureau(analyst_client, other_bureau_assessment):
    bureau = other_bureau_assessment.commitment.section.report.bureau

    response = analyst_client.post(
        "/admin/commitments/bureau/", {"action": "rematch", "_selected_action": [bureau.pk]}, follow=True
    )

    assert response.status_code == 200 and bureau.name not in response.content.decode()
    assert not MatchingRun.objects.filter(scope_bureau=bureau).exists()


def test_a_viewer_is_offered_no_rematch(viewer_client, zhongshan):
    response = viewer_client.get("/admin/commitments/bureau/")
    assert response.status_code == 200 and "重新匹配" not in response.content.decode()


def test_a_viewer_can_open_but_not_save(viewer_client, zhongshan):
    assessment = Assessment.objects.filter(commitment__section__report__bureau=zhongshan).first()
    url = reverse("review_assessment", args=[assessment.pk])

    page = viewer_client.get(url)
    assert page.status_code == 200 and "只读" in page.content.decode() and "确认机器建议" not in page.content.decode()
    assert viewer_client.get("/admin/review/").status_code == 200

    for data in ({"action": "confirm"}, {"action": "save", "status": "partial"}):
        response = viewer_client.post(url, {**data, "version": assessment.version})
        assert response.status_code == 403
    assessment.refresh_from_db()
    assert assessment.source == "machine"


def test_a_staff_user_in_no_group_sees_no_assessments(client, make_user, zhongshan):
    user = make_user("nobody", "analyst", [zhongshan])
    user.groups.clear()
    client.force_login(user)
    assert client.get("/admin/review/").context["page_obj"].paginator.count == 0


def test_only_superusers_manage_assignments(analyst_client, client, admin_user, zhongshan):
    assert analyst_client.get("/admin/commitments/bureauassignment/").status_code == 403
    client.force_login(admin_user)
    assert client.get("/admin/commitments/bureauassignment/").status_code == 200
    assert BureauAssignment.objects.filter(bureau=zhongshan).exists()


def test_a_superuser_sees_every_bureau(client, admin_user, zhongshan, other_bureau_assessment):
    client.force_login(admin_user)
    assert other_bureau_assessment in listed(client, "/admin/commitments/assessment/?all=")
