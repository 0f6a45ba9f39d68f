"""Reads for the scorecards: fulfilment per bureau and plan year, per topic, and across years.

Every figure is computed by the database, one query per table, so a page's query count does not grow with
the number of bureaus, years or commitments. The per bureau and year rows are read from Tally rows counted
ahead (commitments/tally.py); a topic filter, which the tallies do not know, counts the commitments live.

Fulfilment rate = (已完成 + ½ 部分完成) / rated commitments, where rated means not flagged vague and assessed
with a status other than 无法核验. Vague commitments (slogans no review could check) and clauses called
not a commitment at all (context, judgements) are out of the rate whatever their status; commitments whose review has not been imported yet (no assessment) are counted
apart as 待回顾 and are out of it too.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, F, FloatField, QuerySet, Value, When
from django.db.models.functions import Cast

from commitments.engine.types import VERIFIABLE
from commitments.models import Assessment, Commitment, Tally
from commitments.scorecards import tally

# The stored counts of a Tally row, in the order of tally.counts().
FIGURES = tuple(tally.counts())


def commitments_visible(bureau_ids: set[int] | None) -> QuerySet[Commitment]:
    """Commitments of the bureaus a user may read (selectors.bureau_ids_for_user; None: all of them)."""
    commitments = Commitment.objects.all()
    return commitments if bureau_ids is None else commitments.filter(section__report__bureau_id__in=bureau_ids)


def _ratio(numerator, denominator):
    """numerator / denominator as a float, NULL when the denominator is 0 (sortable in the database)."""
    return Case(
        When(**{f"{denominator}__gt": 0}, then=Cast(numerator, FloatField()) / Cast(F(denominator), FloatField())),
        default=Value(None),
        output_field=FloatField(),
    )


def _with_rates(rows: QuerySet) -> QuerySet:
    return rows.annotate(
        rate=_ratio(F("rated_fulfilled") + F("rated_partial") * 0.5, "rated"),
        confirmed_rate=_ratio(F("confirmed_fulfilled") + F("confirmed_partial") * 0.5, "confirmed_verifiable"),
        confirmed_share=_ratio(F("confirmed"), "assessed"),
    )


def scorecard_rows(commitments: QuerySet[Commitment]) -> QuerySet:
    """One row (a dict) per bureau and plan year, with status counts, rates and the confirmed share."""
    rows = (
        commitments.values(
            bureau_id=F("section__report__bureau_id"),
            bureau_name=F("section__report__bureau__name"),
            region=F("section__report__bureau__region"),
            level=F("section__report__bureau__level"),
            year=F("section__year"),
        )
        .annotate(**tally.counts())
        .order_by("bureau_name", "-year")
    )
    return _with_rates(rows)


def tally_rows(
    *, bureau_ids: set[int] | None, region: str = "", level: str = "", year: int | None = None, bureau=None
) -> QuerySet:
    """The same rows as scorecard_rows, read from the counted-ahead tallies (call tally.tallies_refresh()
    first). Only region, level, year and bureau can narrow them; a topic filter needs scorecard_rows.
    """
    rows = Tally.objects.all()
    if bureau_ids is not None:
        rows = rows.filter(bureau_id__in=bureau_ids)
    if region:
        rows = rows.filter(bureau__region=region)
    if level:
        rows = rows.filter(bureau__level=level)
    if year:
        rows = rows.filter(year=year)
    if bureau is not None:
        rows = rows.filter(bureau=bureau)
    rows = rows.values(
        "bureau_id",
        "year",
        *FIGURES,
        bureau_name=F("bureau__name"),
        region=F("bureau__region"),
        level=F("bureau__level"),
    )
    return _with_rates(rows.order_by("bureau_name", "-year"))


def topic_rows(commitments: QuerySet[Commitment]) -> list[dict]:
    """One row per top-level topic (the first heading of the topic path), same figures as scorecard_rows.

    Grouping by a JSON element is not portable between SQLite and PostgreSQL, so the (bounded: one bureau's)
    rows are read in one query and summed here.
    """
    groups: dict[str, dict] = {}
    values = commitments.values_list("topic_path", "topic", "assessment__status", "assessment__source", "vague", "kind")
    for topic_path, topic, status, source, vague, kind in values:
        name = (topic_path[0] if topic_path else topic) or "（无标题）"
        row = groups.setdefault(name, _empty_row(topic=name))
        _count(row, status, source, vague, kind)
    return [_finish(row) for row in groups.values()]


def year_trend(rows) -> list[TrendPoint]:
    """The bureau's fulfilment rate per plan year, oldest first, for the trend chart."""
    points = [
        TrendPoint(
            year=row["year"],
            rate=row["rate"],
            confirmed_share=row["confirmed_share"] or 0.0,
            commitments=row["commitments"],
        )
        for row in rows
        if row["year"] is not None
    ]
    return sorted(points, key=lambda point: point.year)


@dataclass(frozen=True)
class TrendPoint:
    year: int
    rate: float | None
    confirmed_share: float
    commitments: int

    @property
    def provisional(self) -> bool:
        return self.confirmed_share == 0


def provisional(row: dict) -> bool:
    """A scorecard built only on machine proposals is provisional."""
    return row["assessed"] > 0 and row["confirmed"] == 0


def _empty_row(**key) -> dict:
    return dict(key, **dict.fromkeys(tally.counts(), 0))


def _count(row: dict, status: str | None, source: str | None, vague: bool, kind: str) -> None:
    """One commitment into a topic row, by the same rules as tally.counts()."""
    row["commitments"] += 1
    row["vague_commitments"] += kind == Commitment.Kind.VAGUE
    row["not_commitments"] += kind == Commitment.Kind.NOT_COMMITMENT
    if status is None:
        row["awaiting"] += 1
        return
    row["assessed"] += 1
    row[status] += 1
    row["confirmed"] += source == Assessment.Source.ANALYST
    if vague or status not in VERIFIABLE:
        return
    row["rated"] += 1
    if status in ("fulfilled", "partial"):
        row[f"rated_{status}"] += 1
    if source == Assessment.Source.ANALYST:
        row["confirmed_verifiable"] += 1
        if status in ("fulfilled", "partial"):
            row[f"confirmed_{status}"] += 1


def _finish(row: dict) -> dict:
    row["rate"] = _share(row["rated_fulfilled"] + row["rated_partial"] / 2, row["rated"])
    row["confirmed_rate"] = _share(
        row["confirmed_fulfilled"] + row["confirmed_partial"] / 2, row["confirmed_verifiable"]
    )
    row["confirmed_share"] = _share(row["confirmed"], row["assessed"])
    return row


def _share(numerator: float, denominator: int) -> float | None:
    return numerator / denominator if denominator else None
