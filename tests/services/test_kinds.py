"""An analyst's call on a commitment's kind: audited, counted on the scorecards, never overwritten by the
machine, and another bureau's commitments are out of reach."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from commitments.models import Assessment, Commitment
from commitments.scorecards.figures import tally_rows
from commitments.scorecards.tables import basis
from commitments.scorecards.tally import tallies_refresh
from commitments.services.extraction import report_reextract
from commitments.services.kinds import SKIP_BUREAU, commitments_kind_set
from commitments.services.reports import report_import
from tests.paths import seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def lanling(settings):
    settings.MATCH_EMBEDDINGS = False
    return report_import(path=seed("003")).report


def concrete_one(report) -> Commitment:
    return Commitment.objects.filter(section__report=report, kind="concrete").order_by("order").first()


def test_an_analysts_call_is_a_version_with_who_and_takes_the_commitment_out_of_the_rate(lanling, staff_user):
    commitment = concrete_one(lanling)
    versions = commitment.history.count()

    outcome = commitments_kind_set(user=staff_user, commitment_ids=[commitment.pk], kind="not_commitment")

    commitment.refresh_from_db()
    assert outcome.changed == [commitment.pk]
    assert (commitment.kind, commitment.vague, commitment.kind_by_analyst) == ("not_commitment", True, True)
    latest = commitment.history.first()
    assert commitment.history.count() == versions + 1 and latest.history_user == staff_user
    assert latest.kind == "not_commitment"
    tallies_refresh()
    row = next(r for r in tally_rows(bureau_ids=None) if r["bureau_id"] == lanling.bureau_id and r["year"] == 2022)
    assert row["not_commitments"] >= 1


def test_a_reextraction_keeps_the_analysts_call(lanling, staff_user):
    commitment = concrete_one(lanling)
    commitments_kind_set(user=staff_user, commitment_ids=[commitment.pk], kind="vague")

    report_reextract(report=lanling)

    again = Commitment.objects.get(section__report=lanling, text=commitment.text)
    assert (again.kind, again.vague, again.kind_by_analyst) == ("vague", True, True)


def test_another_bureaus_commitment_is_skipped(lanling, make_user):
    outsider = make_user("kind-outsider", "analyst")
    commitment = concrete_one(lanling)

    outcome = commitments_kind_set(user=outsider, commitment_ids=[commitment.pk], kind="vague")

    assert outcome.changed == [] and outcome.skipped == {SKIP_BUREAU: 1}
    commitment.refresh_from_db()
    assert commitment.kind == "concrete" and not commitment.kind_by_analyst


def test_vague_can_never_disagree_with_the_kind_in_the_database(lanling):
    commitment = concrete_one(lanling)
    with pytest.raises(IntegrityError), transaction.atomic():
        Commitment.objects.filter(pk=commitment.pk).update(kind="vague")


def test_the_admin_action_flips_the_kind_and_rematches_the_scope(staff_client, lanling):
    commitment = concrete_one(lanling)
    response = staff_client.post(
        reverse("admin:commitments_commitment_changelist"),
        {"action": "mark_vague", "_selected_action": [commitment.pk]},
    )

    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.kind == "vague" and commitment.kind_by_analyst
    history = staff_client.get(reverse("admin:commitments_commitment_history", args=[commitment.pk]))
    assert history.status_code == 200 and "analyst1" in history.content.decode()


def test_a_viewer_has_no_kind_actions(client, lanling, make_user):
    viewer = make_user("kind-viewer", "viewer", [lanling.bureau])
    client.force_login(viewer)
    commitment = concrete_one(lanling)

    client.post(
        reverse("admin:commitments_commitment_changelist"),
        {"action": "mark_vague", "_selected_action": [commitment.pk]},
    )

    commitment.refresh_from_db()
    assert commitment.kind == "concrete"


def test_a_plan_of_slogans_only_says_so_instead_of_a_rate(lanling, staff_user):
    ids = Commitment.objects.filter(section__report=lanling, section__year=2022).values_list("pk", flat=True)
    commitments_kind_set(user=staff_user, commitment_ids=list(ids), kind="vague")
    Assessment.objects.filter(commitment_id__in=ids).update(status="unverifiable")
    tallies_refresh()

    row = next(r for r in tally_rows(bureau_ids=None) if r["bureau_id"] == lanling.bureau_id and r["year"] == 2022)

    assert row["rate"] is None
    assert basis(row).startswith("无具体承诺")
