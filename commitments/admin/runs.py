"""Matching runs: the jobs' rows, with progress; the list reloads itself while a run is active."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from commitments.admin.mixins import BureauScopedMixin, ReadOnlyAdminMixin, excerpt
from commitments.models import MatchingRun
from commitments.selectors.lists import runs_for_user


@admin.register(MatchingRun)
class MatchingRunAdmin(ReadOnlyAdminMixin, BureauScopedMixin, admin.ModelAdmin):
    list_display = (
        "__str__",
        "trigger",
        "state",
        "progress",
        "changed",
        "attempts",
        "engine_version",
        "created_at",
        "started_at",
        "finished_at",
        "error_excerpt",
    )
    list_filter = ("state", "trigger", "engine_version")
    list_select_related = ("scope_bureau",)

    def get_queryset(self, request):
        return runs_for_user(request.user)

    change_list_template = "admin/commitments/matchingrun/change_list.html"
    # While a run is queued or running the list reloads itself, so the bars move.
    refresh_seconds = 3

    @admin.display(description="进度")
    def progress(self, obj: MatchingRun) -> str:
        percent = round(100 * obj.done / obj.total) if obj.total else (100 if obj.state == obj.State.DONE else 0)
        return format_html(
            '<progress value="{}" max="100" title="{}%" style="width:8em"></progress> {}/{}',
            percent,
            percent,
            obj.done,
            obj.total,
        )

    @admin.display(description="错误")
    def error_excerpt(self, obj: MatchingRun) -> str:
        return excerpt(obj.error) if obj.error else "-"

    def changelist_view(self, request, extra_context=None):
        active = (
            runs_for_user(request.user).filter(state__in=[MatchingRun.State.QUEUED, MatchingRun.State.RUNNING]).exists()
        )
        context = {**(extra_context or {}), "refresh_seconds": self.refresh_seconds if active else None}
        return super().changelist_view(request, extra_context=context)
