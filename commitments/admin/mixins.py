"""What the admin pages of the app share: read-only rows, bureau scoping, the plan-year filter, excerpts."""

from __future__ import annotations

from django.contrib import admin
from django.http import Http404
from django.utils.html import format_html

from commitments.engine.types import PART_LABELS
from commitments.models import Assessment, Commitment, Section

EXCERPT_CHARS = 40
# A report or section text shown on its page is cut here (a report can hold millions of characters).
TEXT_SHOWN_CHARS = 50_000


class ReadOnlyAdminMixin:
    """Rows that only services write (machine runs, decisions taken on the review page)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BureauScopedMixin:
    """Rows of bureaus not assigned to the user do not exist for them: lists, pages and actions alike."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("无此记录，或不属于你负责的单位")
        return obj


def assessment_of(commitment: Commitment) -> Assessment | None:
    try:
        return commitment.assessment
    except Assessment.DoesNotExist:
        return None


def excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…"


def score_parts(parts: dict) -> str:
    return "、".join(f"{PART_LABELS.get(name, name)} {value:+.2f}" for name, value in parts.items() if value) or "-"


class PlanYearFilter(admin.SimpleListFilter):
    title = "计划年份"
    parameter_name = "plan_year"
    year_field = "section__year"

    def lookups(self, request, model_admin):
        years = Section.objects.filter(kind=Section.Kind.PLAN).values_list("year", flat=True).distinct()
        known = sorted({y for y in years if y}, reverse=True)
        return [(str(y), f"{y}年") for y in known] + [("unknown", "年份未知")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "unknown":
            return queryset.filter(**{f"{self.year_field}__isnull": True})
        if value:
            return queryset.filter(**{self.year_field: value})
        return queryset


def text_excerpt(text: str) -> str:
    """A long text as a page shows it: the first TEXT_SHOWN_CHARS characters, and a note of what is left out."""
    shown = format_html('<div style="white-space: pre-wrap; max-width: 60em">{}</div>', text[:TEXT_SHOWN_CHARS])
    if len(text) <= TEXT_SHOWN_CHARS:
        return shown
    note = f"（全文共 {len(text):,} 字，此处只显示前 {TEXT_SHOWN_CHARS:,} 字）"
    return format_html('{}<p class="help">{}</p>', shown, note)
