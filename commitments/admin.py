"""The analysts' Chinese admin: bureaus, reports with their sections, commitments, and report upload.

Thin: lists read through selectors, every write goes through services.
"""

from __future__ import annotations

import logging

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from commitments import selectors, services
from commitments.models import Bureau, Commitment, Report, Section

logger = logging.getLogger(__name__)

EXCERPT_CHARS = 40


@admin.register(Bureau)
class BureauAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "level", "is_placeholder", "report_count")
    list_filter = ("is_placeholder", "level")
    search_fields = ("name", "region")
    autocomplete_fields = ("parent",)

    def get_queryset(self, request):
        return selectors.bureaus_with_counts()

    @admin.display(description="报告数", ordering="report_count")
    def report_count(self, obj: Bureau) -> int:
        return obj.report_count


class SectionInline(admin.TabularInline):
    model = Section
    fields = ("order", "kind", "year", "period", "heading", "start", "end")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class ReportImportForm(forms.Form):
    file = forms.FileField(label="报告文件", help_text="txt、html、docx 或 pdf；一个文件一份报告")
    bureau = forms.CharField(
        label="发布单位", required=False, max_length=200, help_text="单位全称，如“潜江市民政局”；不填则从正文识别"
    )
    year = forms.IntegerField(
        label="报告年份",
        required=False,
        min_value=services.YEAR_MIN,
        max_value=services.YEAR_MAX,
        help_text="不填则从正文识别",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.REPORT_MAX_BYTES:
            limit = settings.REPORT_MAX_BYTES // (1024 * 1024)
            raise forms.ValidationError(f"文件过大（上限 {limit} MB）")
        return upload


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
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
    list_filter = ("bureau", "year", "source_format")
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
        "text",
    )
    fieldsets = (
        (None, {"fields": ("bureau", "title", "year", "published")}),
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
        ("正文", {"classes": ("collapse",), "fields": ("text",)}),
    )

    def get_queryset(self, request):
        return selectors.reports_with_counts()

    def has_add_permission(self, request):
        # Reports enter through the import view, which reads the file and runs the engine.
        return False

    def get_urls(self):
        custom = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="commitments_report_import",
            )
        ]
        return custom + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context=extra_context)

    def has_import_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("commitments.add_report")

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = ReportImportForm(request.POST, request.FILES) if request.method == "POST" else ReportImportForm()
        if form.is_bound and form.is_valid():
            upload = form.cleaned_data["file"]
            outcome = services.report_import_bytes(
                data=upload.read(),
                filename=upload.name,
                bureau_name=form.cleaned_data["bureau"] or None,
                year=form.cleaned_data["year"],
                imported_by=request.user,
            )
            if outcome.status == "failed":
                messages.error(request, f"导入失败：{outcome.source}：{outcome.reason}")
            else:
                report = outcome.report
                if outcome.status == "imported":
                    messages.success(
                        request,
                        f"已导入《{report.title}》（{report.bureau}）：{outcome.sections} 个部分，"
                        f"{outcome.commitments} 条承诺",
                    )
                    for warning in report.warnings:
                        messages.warning(request, warning)
                else:
                    messages.info(request, f"内容未变化：与已导入的《{report.title}》（{report.bureau}）相同")
                return redirect("admin:commitments_report_change", report.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "导入工作报告",
            "form": form,
            "max_mb": settings.REPORT_MAX_BYTES // (1024 * 1024),
        }
        return TemplateResponse(request, "admin/commitments/report/import.html", context)

    @admin.display(description="节数", ordering="section_count")
    def section_count(self, obj: Report) -> int:
        return obj.section_count

    @admin.display(description="承诺数", ordering="commitment_count")
    def commitment_count(self, obj: Report) -> int:
        return obj.commitment_count

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
                services.report_reextract(report=report)
            except Exception:
                logger.exception("re-extraction of report %s failed", report.pk)
                messages.error(request, f"《{report.title}》重新抽取失败，详情见日志")
            else:
                done += 1
        if done:
            messages.success(request, f"已重新抽取 {done} 份报告")


class CommitmentInline(admin.TabularInline):
    model = Commitment
    fields = ("order", "text", "topic", "vague")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ("heading", "report", "kind", "year", "period", "commitment_count")
    list_filter = ("kind", "year", "report__bureau")
    list_select_related = ("report__bureau",)
    search_fields = ("heading", "report__title")
    fields = ("report", "order", "kind", "year", "period", "heading", "start", "end", "section_text")
    readonly_fields = ("report", "order", "start", "end", "section_text")
    inlines = (CommitmentInline,)

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        return selectors.sections_with_counts()

    @admin.display(description="承诺数", ordering="commitment_count")
    def commitment_count(self, obj: Section) -> int:
        return obj.commitment_count

    @admin.display(description="原文")
    def section_text(self, obj: Section) -> str:
        return format_html('<div style="white-space: pre-wrap; max-width: 60em">{}</div>', obj.text)


class PlanYearFilter(admin.SimpleListFilter):
    title = "计划年份"
    parameter_name = "plan_year"

    def lookups(self, request, model_admin):
        years = Section.objects.filter(kind=Section.Kind.PLAN).values_list("year", flat=True).distinct()
        known = sorted({y for y in years if y}, reverse=True)
        return [(str(y), f"{y}年") for y in known] + [("unknown", "年份未知")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "unknown":
            return queryset.filter(section__year__isnull=True)
        if value:
            return queryset.filter(section__year=value)
        return queryset


@admin.register(Commitment)
class CommitmentAdmin(admin.ModelAdmin):
    list_display = ("excerpt", "topic", "bureau", "plan_year", "vague", "document_list", "target_summary")
    list_filter = (("section__report__bureau", admin.RelatedOnlyFieldListFilter), PlanYearFilter, "topic", "vague")
    list_select_related = ("section__report__bureau",)
    search_fields = ("text",)
    fields = (
        "text",
        "in_context",
        "section",
        "topic_trail",
        "action_list",
        "document_list",
        "target_detail",
        "deadline",
        "vague",
        "start",
        "end",
        "order",
        "engine_version",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return selectors.commitments_listed()

    def has_add_permission(self, request):
        return False

    @admin.display(description="承诺", ordering="text")
    def excerpt(self, obj: Commitment) -> str:
        return obj.text if len(obj.text) <= EXCERPT_CHARS else obj.text[:EXCERPT_CHARS] + "…"

    @admin.display(description="单位", ordering="section__report__bureau__name")
    def bureau(self, obj: Commitment) -> Bureau:
        return obj.section.report.bureau

    @admin.display(description="计划年份", ordering="section__year")
    def plan_year(self, obj: Commitment) -> str:
        return f"{obj.section.year}年{obj.section.period}" if obj.section.year else f"未知{obj.section.period}"

    @admin.display(description="文件")
    def document_list(self, obj: Commitment) -> str:
        return "、".join(d if d.startswith("《") else f"《{d}》" for d in obj.documents) or "-"

    @admin.display(description="量化目标")
    def target_summary(self, obj: Commitment) -> str:
        return "、".join(t.get("text", "") if isinstance(t, dict) else str(t) for t in obj.targets) or "-"

    @admin.display(description="主题路径")
    def topic_trail(self, obj: Commitment) -> str:
        return " > ".join(obj.topic_path) or "-"

    @admin.display(description="行动词")
    def action_list(self, obj: Commitment) -> str:
        return "、".join(obj.actions) or "-"

    @admin.display(description="量化目标")
    def target_detail(self, obj: Commitment) -> str:
        rows = [
            (t.get("text", ""), t.get("comparator", ""), t.get("value"), t.get("unit", ""), t.get("subject", ""))
            for t in obj.targets
            if isinstance(t, dict)
        ]
        if not rows:
            return "-"
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", "<li>{}（{} {} {}；{}）</li>", ((*row[:4], row[4] or "对象未明") for row in rows)),
        )

    @admin.display(description="原文位置")
    def in_context(self, obj: Commitment) -> str:
        text = obj.section.report.text
        before = text[max(0, obj.start - 120) : obj.start]
        after = text[obj.end : obj.end + 120]
        link = reverse("admin:commitments_report_change", args=[obj.section.report_id])
        return format_html(
            '<div style="white-space: pre-wrap; max-width: 60em">…{}<mark>{}</mark>{}…</div><p><a href="{}">{}</a></p>',
            before,
            text[obj.start : obj.end],
            after,
            link,
            obj.section.report.title,
        )
