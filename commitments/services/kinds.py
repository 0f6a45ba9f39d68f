"""Writes of an analyst's call on what a clause is: concrete, vague, or not a commitment.

The call decides whether the clause counts in its bureau's rate, so it is audited (a version in the
commitment's history, with who) and kept: a re-extraction never overwrites it (services/extraction.py).
The scope is re-matched afterwards, so that the proposal follows (a vague clause is 无法核验).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from commitments.models import Commitment, Report
from commitments.selectors.access import bureau_ids_editable_by
from commitments.services.busy import retry_when_busy

SKIP_BUREAU = "不属于你可决定的单位"
SKIP_SAME = "类型未变"


@dataclass
class KindOutcome:
    changed: list[int] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    scopes: set[tuple[int, int | None]] = field(default_factory=set)  # (bureau id, plan year) to re-match


@retry_when_busy
def commitments_kind_set(*, user, commitment_ids, kind: str) -> KindOutcome:
    """Set the kind of these commitments as the analyst's call; another bureau's are skipped, not changed."""
    kind = Commitment.Kind(kind)
    editable = bureau_ids_editable_by(user)
    outcome = KindOutcome()
    ids = list(commitment_ids)
    with transaction.atomic():
        # The reports first, as a re-extraction locks them: it cannot read a commitment as the machine's
        # while the analyst's call is being written, and write the machine's kind back over it.
        report_ids = Commitment.objects.filter(pk__in=ids).values_list("section__report_id", flat=True).distinct()
        list(Report.objects.select_for_update().filter(pk__in=list(report_ids)).order_by("pk").values_list("pk"))
        rows = (
            Commitment.objects.select_for_update().select_related("section__report").filter(pk__in=ids).order_by("pk")
        )
        for commitment in rows:
            bureau_id = commitment.section.report.bureau_id
            if editable is not None and bureau_id not in editable:
                outcome.skipped[SKIP_BUREAU] = outcome.skipped.get(SKIP_BUREAU, 0) + 1
                continue
            if commitment.kind == kind and commitment.kind_by_analyst:
                outcome.skipped[SKIP_SAME] = outcome.skipped.get(SKIP_SAME, 0) + 1
                continue
            commitment.kind = kind
            commitment.vague = kind != Commitment.Kind.CONCRETE
            commitment.kind_by_analyst = True
            commitment._history_user = user
            commitment.save(update_fields=["kind", "vague", "kind_by_analyst"])
            outcome.changed.append(commitment.pk)
            outcome.scopes.add((bureau_id, commitment.section.year))
    return outcome
