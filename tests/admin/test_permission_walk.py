"""Every registered admin page, as every role: another bureau's rows are out of reach.

The walk covers each ModelAdmin the site has (a page added later is walked too): its list shows only the
user's bureaus or is forbidden, and the change, history and delete pages of another bureau's row answer 403
or 404. A model of this app that reaches no bureau must be added to BUREAU_OF, so that nobody can register
an unscoped page by accident.
"""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import NoReverseMatch, reverse

from commitments.models import (
    Assessment,
    Bureau,
    BureauAssignment,
    Commitment,
    ImportJob,
    MatchingRun,
    Report,
    Section,
)

pytestmark = pytest.mark.django_db

# How a row of each of this app's models reaches its bureau.
BUREAU_OF = {
    Bureau: "pk",
    Report: "bureau_id",
    Section: "report__bureau_id",
    Commitment: "section__report__bureau_id",
    Assessment: "commitment__section__report__bureau_id",
    MatchingRun: "scope_bureau_id",
    # A job is its uploader's (the list shows only one's own); its report reaches the bureau.
    ImportJob: "report__bureau_id",
    BureauAssignment: "bureau_id",
}
ROLES = ("analyst", "viewer", "analyst_without_bureau")


def bureau_with_rows(name: str) -> dict:
    """A bureau with one row of every model that belongs to a bureau."""
    bureau = Bureau.objects.create(name=name)
    text = "2022年工作计划\n一、推进养老服务体系建设，新建养老机构3家。"
    report = Report.objects.create(bureau=bureau, title=f"{name}2021年工作总结", text=text, sha256=name.ljust(64, "x"))
    section = Section.objects.create(report=report, kind=Section.Kind.PLAN, year=2022, start=0, end=len(text))
    commitment = Commitment.objects.create(section=section, text="新建养老机构3家。", start=11, end=len(text))
    assessment = Assessment.objects.create(commitment=commitment, status="partial", confidence=0.5, reason="部分")
    run = MatchingRun.objects.create(scope_bureau=bureau, scope_year=2022)
    owner = get_user_model().objects.create_user(username=f"owner-{bureau.pk}", password="pass", is_staff=True)
    assignment = BureauAssignment.objects.create(user=owner, bureau=bureau)
    job = ImportJob.objects.create(filename="报告.txt", requested_by=owner, report=report, state="done")
    return {
        ImportJob: job,
        Bureau: bureau,
        Report: report,
        Section: section,
        Commitment: commitment,
        Assessment: assessment,
        MatchingRun: run,
        BureauAssignment: assignment,
    }


@pytest.fixture
def mine():
    return bureau_with_rows("中山市民政局")


@pytest.fixture
def theirs():
    return bureau_with_rows("潜江市民政局")


@pytest.fixture
def users(make_user, mine, theirs):
    return {
        "analyst": make_user("walk-analyst", "analyst", [mine[Bureau]]),
        "viewer": make_user("walk-viewer", "viewer", [mine[Bureau]]),
        "analyst_without_bureau": make_user("walk-nobody", "analyst"),
    }


def registered() -> list:
    """Every model with an admin page on the site."""
    return sorted(admin.site._registry, key=lambda model: model._meta.label)


def own_bureaus(user) -> set[int]:
    return set(BureauAssignment.objects.filter(user=user).values_list("bureau_id", flat=True))


@pytest.mark.parametrize("role", ROLES)
def test_every_admin_list_shows_only_the_users_bureaus_or_is_forbidden(client, users, role):
    user = users[role]
    client.force_login(user)
    for model in registered():
        opts = model._meta
        response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert response.status_code in (200, 403), (opts.label, response.status_code)
        if response.status_code == 403:
            continue
        assert model in BUREAU_OF, f"{opts.label}: an admin list open to {role} that reaches no bureau"
        rows = response.context["cl"].queryset
        seen = set(rows.values_list(BUREAU_OF[model], flat=True))
        assert seen <= own_bureaus(user), (opts.label, role)


@pytest.mark.parametrize("role", ROLES)
def test_another_bureaus_pages_answer_forbidden_or_not_found_on_every_admin(client, users, theirs, role):
    client.force_login(users[role])
    for model in registered():
        opts = model._meta
        target = theirs.get(model) or model._default_manager.order_by("pk").first()
        if target is None:
            continue
        for page in ("change", "history", "delete"):
            try:
                url = reverse(f"admin:{opts.app_label}_{opts.model_name}_{page}", args=[target.pk])
            except NoReverseMatch:
                continue
            status = client.get(url).status_code
            assert status in (403, 404), (opts.label, page, role, status)


@pytest.mark.parametrize("role", ROLES)
def test_another_bureaus_pages_refuse_changes_on_every_admin(client, users, theirs, role):
    client.force_login(users[role])
    bureau = theirs[Bureau]
    response = client.post(
        reverse("admin:commitments_bureau_change", args=[bureau.pk]),
        {"name": "改名", "region": "x", "level": "市", "is_placeholder": "on"},
    )
    assert response.status_code in (403, 404)
    bureau.refresh_from_db()
    assert (bureau.name, bureau.is_placeholder) == ("潜江市民政局", False)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("model_name", "field_name"),
    [("report", "bureau"), ("bureau", "parent"), ("bureauassignment", "bureau")],
)
def test_autocomplete_offers_no_other_bureau(client, users, theirs, role, model_name, field_name):
    client.force_login(users[role])
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "commitments", "model_name": model_name, "field_name": field_name, "term": "民政"},
    )
    if response.status_code == 200:
        offered = {item["text"] for item in response.json()["results"]}
        assert "潜江市民政局" not in offered
    else:
        assert response.status_code in (403, 404)


def test_an_analyst_cannot_change_even_their_own_bureau(client, users, mine):
    """Bureaus are the superuser's to manage: a renamed bureau shows on everyone's scorecards."""
    client.force_login(users["analyst"])
    bureau = mine[Bureau]
    response = client.post(
        reverse("admin:commitments_bureau_change", args=[bureau.pk]),
        {"name": "改名", "region": "x", "level": "市", "is_placeholder": "on"},
    )
    assert response.status_code == 403
    bureau.refresh_from_db()
    assert (bureau.name, bureau.is_placeholder) == ("中山市民政局", False)
