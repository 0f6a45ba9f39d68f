"""Scorecard pages: the list per bureau and plan year, one bureau's page, bureaus of a region side by side.

Readers only: every page is GET, login required, and shows the bureaus the user may see. Any table exports
as CSV or XLSX (`?_export=csv|xlsx`, plus `&_table=` on pages with several tables); `?print=1` gives the
whole table unpaginated for printing.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_safe
from django_tables2 import RequestConfig
from django_tables2.export import TableExport

from commitments import carryover, charts, scorecards
from commitments.scorecard_filters import ScorecardFilter
from commitments.selectors import bureaus_for_user
from commitments.tables import CommitmentTable, ScorecardTable, TopicTable, YearTable

PAGE_SIZE = 25
EXPORT_FORMATS = ("csv", "xlsx")


@require_safe
@login_required
def scorecard_list(request: HttpRequest) -> HttpResponse:
    bureaus = bureaus_for_user(request.user)
    filters = ScorecardFilter(
        request.GET or None, queryset=scorecards.commitments_visible(request.user), bureaus=bureaus
    )
    table = ScorecardTable(scorecards.scorecard_rows(_kept(filters)), prefix="")
    exported = _configure(request, {"scorecards": table}, stem="scorecards")
    if exported:
        return exported
    return render(request, "scorecards/list.html", {"filter": filters, "table": table, **_page(request)})


@require_safe
@login_required
def scorecard_bureau(request: HttpRequest, pk: int) -> HttpResponse:
    bureau = get_object_or_404(bureaus_for_user(request.user), pk=pk)
    commitments = scorecards.commitments_visible(request.user).filter(section__report__bureau=bureau)
    year_rows = list(scorecards.scorecard_rows(commitments))
    years = sorted({row["year"] for row in year_rows if row["year"] is not None}, reverse=True)
    topic_year = _year_param(request, years)
    in_year = commitments.filter(section__year=topic_year) if topic_year else commitments
    listed = list(
        in_year.select_related("section", "assessment").order_by("-section__year", "section__report_id", "order")
    )
    carryover.annotate_carried_over(listed, bureau_id=bureau.pk)
    tables = {
        "years": YearTable(scorecards.scorecard_rows(commitments), prefix="y-"),
        "topics": TopicTable(scorecards.topic_rows(in_year), prefix="t-", order_by=("-commitments",)),
        "commitments": CommitmentTable(listed, prefix="c-"),
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
    bureaus = bureaus_for_user(request.user)
    filters = ScorecardFilter(
        request.GET or None, queryset=scorecards.commitments_visible(request.user), bureaus=bureaus
    )
    region = request.GET.get("region") or ""
    year = _int(request.GET.get("year"))
    kept = _kept(filters) if region and year else filters.qs.none()
    rows = scorecards.scorecard_rows(kept)
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
    if export_format not in EXPORT_FORMATS or not TableExport.is_valid_format(export_format):
        raise Http404("不支持的导出格式")
    name = request.GET.get("_table") or next(iter(tables))
    if name not in tables:
        raise Http404("没有这张表")
    table = tables[name]
    exporter = TableExport(export_format, table, exclude_columns=())
    stamp = timezone.localdate().isoformat()
    return exporter.response(filename=f"{stem}-{name}-{stamp}.{export_format}")


def _kept(filters: ScorecardFilter):
    """What the filters keep; nothing when a value is invalid (a region the user may not see, say), rather
    than django-filter's default of ignoring that filter and showing everything."""
    return filters.qs if filters.is_valid() else filters.queryset.none()


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
