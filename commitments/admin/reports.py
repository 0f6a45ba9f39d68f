"""Reports, their sections and the upload view (导入报告)."""

from __future__ import annotations

import logging

from django.contrib import admin, messages
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from commitments.admin.mixins import BureauScopedMixin, text_excerpt
from commitments.admin.report_import import ReportImportMixin
from commitments.models import (
    Commitment,
    Report,
    Section,
)
from commitments.selectors.lists import (
    bureaus_for_user,
    commitments_for_user,
    reports_for_user,
    sections_for_user,
)
from commitments.services.extraction import report_reextract

logger = logging.getLogger(__name__)


class SectionInline(admin.TabularInline):
    """The report's first sections; a report of thousands is listed in full on the section list."""

    model = Section
    fields = ("order", "kind", "year", "period", "heading", "start", "end")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    shown = 100

    def get_queryset(self, request):
        sections = super().get_queryset(request).defer("report__text")
        first = list(sections.order_by("order").values_list("pk", flat=True)[: self.shown])
        return sections.filter(pk__in=first)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(ReportImportMixin, BureauScopedMixin, admin.ModelAdmin):
    list_display = (
        "title",
        "bureau",
        "year",
        "source_format",
        "published",
        "section_count",
        "commitment_count",
        "imported_at",
    )
    list_filter = (("bureau", admin.RelatedOnlyFieldListFilter), "year", "source_format")
    list_select_related = ("bureau",)
    search_fields = ("title",)
    autocomplete_fields = ("bureau",)
    inlines = (SectionInline,)
    actions = ("reextract",)
    readonly_fields = (
        "source",
        "source_format",
        "encoding",
        "sha256",
        "warning_list",
        "imported_by",
        "imported_at",
        "engine_version",
        "text_shown",
        "section_overview",
    )
    fieldsets = (
        (None, {"fields": ("bureau", "title", "year", "published", "section_overview")}),
        (
            "来源",
            {
                "fields": (
                    "source",
                    "source_format",
                    "encoding",
                    "imported_by",
                    "imported_at",
                    "engine_version",
                    "sha256",
                    "warning_list",
                )
            },
        ),
        ("正文", {"classes": ("collapse",), "fields": ("text_shown",)}),
    )

    def get_queryset(self, request):
        return reports_for_user(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A report cannot be moved to a bureau the user does not handle.
        if db_field.name == "bureau":
            kwargs["queryset"] = bureaus_for_user(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request):
        # Reports enter through the import view, which reads the file and runs the engine.
        return False

    @admin.display(description="节数", ordering="section_count")
    def section_count(self, obj: Report) -> int:
        return obj.section_count

    @admin.display(description="承诺数", ordering="commitment_count")
    def commitment_count(self, obj: Report) -> int:
        return obj.commitment_count

    @admin.display(description="部分")
    def section_overview(self, obj: Report) -> str:
        count = obj.sections.count()
        url = reverse("admin:commitments_section_changelist") + f"?report__id__exact={obj.pk}"
        listed = f"，下方列出前 {SectionInline.shown} 个" if count > SectionInline.shown else ""
        return format_html('共 {} 个部分{}（<a href="{}">在部分列表中查看全部</a>）', count, listed, url)

    @admin.display(description="正文")
    def text_shown(self, obj: Report) -> str:
        """The text up to a page's worth: a report of millions of characters must not become the page."""
        return text_excerpt(obj.text)

    @admin.display(description="导入提示")
    def warning_list(self, obj: Report) -> str:
        if not obj.warnings:
            return "无"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((w,) for w in obj.warnings)))

    @admin.action(description="用当前抽取引擎重新抽取所选报告", permissions=["change"])
    def reextract(self, request: HttpRequest, queryset) -> None:
        done = 0
        for report in queryset:
            try:
                report_reextract(report=report)
            except Exception:
                logger.exception("re-extraction of report %s failed", report.pk)
                messages.error(request, f"《{report.title}》重新抽取失败，详情见日志")
            else:
                done += 1
        if done:
            messages.success(request, f"已重新抽取 {done} 份报告")


class CommitmentInline(admin.TabularInline):
    model = Commitment
    fields = ("order", "text", "topic", "kind")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    shown = 200

    def get_queryset(self, request):
        # The first commitments only: a section of a huge report can hold thousands.
        visible = super().get_queryset(request).filter(pk__in=commitments_for_user(request.user).values("pk"))
        return visible.filter(pk__in=list(visible.order_by("order").values_list("pk", flat=True)[: self.shown]))

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Section)
class SectionAdmin(BureauScopedMixin, admin.ModelAdmin):
    list_display = ("heading", "report", "kind", "year", "period", "commitment_count")
    list_filter = ("kind", "year", ("report__bureau", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("report__bureau",)
    search_fields = ("heading", "report__title")
    fields = ("report", "order", "kind", "year", "period", "heading", "start", "end", "section_text")
    readonly_fields = ("report", "order", "start", "end", "section_text")
    inlines = (CommitmentInline,)

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        return sections_for_user(request.user)

    @admin.display(description="承诺数", ordering="commitment_count")
    def commitment_count(self, obj: Section) -> int:
        return obj.commitment_count

    @admin.display(description="原文")
    def section_text(self, obj: Section) -> str:
        return text_excerpt(obj.text)
