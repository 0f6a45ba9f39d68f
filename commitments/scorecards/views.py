"""Scorecard pages: the list per bureau and plan year, one bureau's page, bureaus of a region side by side.

Readers only: every page is GET, login required, and shows the bureaus the user may see. Any table exports
as CSV or XLSX (`?_export=csv|xlsx`, plus `&_table=` on pages with several tables), through SafeTableExport
so that no cell is a formula; `?print=1` gives the whole table unpaginated for printing.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_safe
from django_tables2 import RequestConfig

from commitments.exports import SafeTableExport
from commitments.models import Bureau, Commitment
from commitments.scorecards import carryover, charts, tally
from commitments.scorecards import figures as scorecards
from commitments.scorecards.filters import ScorecardFilter
from commitments.scorecards.tables import CommitmentTable, ScorecardTable, TopicTable, YearTable
from commitments.selectors.access import bureau_ids_for_user
from commitments.services.matching import runs_pending_finish

PAGE_SIZE = 25
EXPORT_FORMATS = ("csv", "xlsx")


@require_safe
@login_required
def scorecard_list(request: HttpRequest) -> HttpResponse:
    runs_pending_finish()  # embedded default: what an interrupted import left unmatched is counted too
    tally.tallies_refresh()
    ids = bureau_ids_for_user(request.user)
    filters = _filters(request, ids)
    table = ScorecardTable(_rows(filters, ids), prefix="")
    exported = _configure(request, {"scorecards": table}, stem="scorecards")
    if exported:
        return exported
    return render(request, "scorecards/list.html", {"filter": filters, "table": table, **_page(request)})


@require_safe
@login_required
def scorecard_bureau(request: HttpRequest, pk: int) -> HttpResponse:
    runs_pending_finish()  # embedded default: what an interrupted import left unmatched is counted too
    tally.tallies_refresh()
    ids = bureau_ids_for_user(request.user)
    bureau = get_object_or_404(_bureaus(ids), pk=pk)
    commitments = Commitment.objects.filter(section__report__bureau=bureau)
    year_rows = list(scorecards.tally_rows(bureau_ids=ids, bureau=bureau))
    years = sorted({row["year"] for row in year_rows if row["year"] is not None}, reverse=True)
    topic_year = _year_param(request, years)
    in_year = commitments.filter(section__year=topic_year) if topic_year else commitments
    listed = in_year.select_related("section", "assessment").order_by("-section__year", "section__report_id", "order")
    tables = {
        "years": YearTable(scorecards.tally_rows(bureau_ids=ids, bureau=bureau), prefix="y-"),
        "topics": TopicTable(scorecards.topic_rows(in_year), prefix="t-", order_by=("-commitments",)),
        "commitments": CommitmentTable(listed, prefix="c-", carried_over=carryover.bureau_links(bureau.pk)),
    }
    exported = _configure(request, tables, stem=f"{bureau.name}")
    if exported:
        return exported
    context = {
        "bureau": bureau,
        "tables": tables,
        "years": years,
        "topic_year": topic_year,
        "trend": charts.trend_svg(scorecards.year_trend(year_rows)),
        **_page(request),
    }
    return render(request, "scorecards/bureau.html", context)


@require_safe
@login_required
def scorecard_compare(request: HttpRequest) -> HttpResponse:
    tally.tallies_refresh()
    ids = bureau_ids_for_user(request.user)
    filters = _filters(request, ids)
    region = request.GET.get("region") or ""
    year = _int(request.GET.get("year"))
    rows = _rows(filters, ids) if region and year else scorecards.scorecard_rows(filters.queryset.none())
    table = ScorecardTable(rows, prefix="", order_by=("-rate",))
    exported = _configure(request, {"compare": table}, stem=f"{region}{year or ''}")
    if exported:
        return exported
    bars = [(row["bureau_name"], row["rate"], scorecards.provisional(row)) for row in table.data]
    context = {"filter": filters, "table": table, "region": region, "year": year, "bars": charts.bars_svg(bars)}
    return render(request, "scorecards/compare.html", {**context, **_page(request)})


def scorecard_urls() -> list:
    return [
        path("", scorecard_list, name="scorecard_list"),
        path("bureau/<int:pk>/", scorecard_bureau, name="scorecard_bureau"),
        path("compare/", scorecard_compare, name="scorecard_compare"),
    ]


def _configure(request: HttpRequest, tables: dict, *, stem: str) -> HttpResponse | None:
    """Sort and paginate each table from the query string; answer an export request with a file."""
    printing = _printing(request)
    for table in tables.values():
        RequestConfig(request, paginate=False if printing else {"per_page": PAGE_SIZE}).configure(table)
    export_format = request.GET.get("_export")
    if not export_format:
        return None
    if export_format not in EXPORT_FORMATS or not SafeTableExport.is_valid_format(export_format):
        raise Http404("不支持的导出格式")
    name = request.GET.get("_table") or next(iter(tables))
    if name not in tables:
        raise Http404("没有这张表")
    table = tables[name]
    exporter = SafeTableExport(export_format, table, exclude_columns=())
    stamp = timezone.localdate().isoformat()
    return exporter.response(filename=f"{stem}-{name}-{stamp}.{export_format}")


def _bureaus(ids: set[int] | None):
    return Bureau.objects.all() if ids is None else Bureau.objects.filter(pk__in=ids)


def _filters(request: HttpRequest, ids: set[int] | None) -> ScorecardFilter:
    return ScorecardFilter(request.GET or None, queryset=scorecards.commitments_visible(ids), bureaus=_bureaus(ids))


def _rows(filters: ScorecardFilter, ids: set[int] | None):
    """Rows per bureau and year for what the filters keep: from the tallies, or counted live when a topic
    narrows the commitments. Nothing when a value is invalid (a region the user may not see, say), rather
    than django-filter's default of ignoring that filter and showing everything."""
    if not filters.is_bound:
        return scorecards.tally_rows(bureau_ids=ids)
    if not filters.is_valid():
        return scorecards.scorecard_rows(filters.queryset.none())
    data = filters.form.cleaned_data
    if data.get("topic"):
        return scorecards.scorecard_rows(filters.qs)
    return scorecards.tally_rows(
        bureau_ids=ids, region=data.get("region") or "", level=data.get("level") or "", year=data.get("year")
    )


def _page(request: HttpRequest) -> dict:
    return {"printing": _printing(request), "query": request.GET.urlencode()}


def _printing(request: HttpRequest) -> bool:
    return request.GET.get("print") == "1"


def _year_param(request: HttpRequest, years: list[int]) -> int | None:
    year = _int(request.GET.get("year"))
    return year if year in years else None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None
