"""The analysts' Chinese admin: bureaus, reports with their sections, commitments, and report upload.

Thin: lists read through selectors, every write goes through services.
"""

from __future__ import annotations

import logging

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from commitments import matching_services, selectors, services
from commitments.matching.types import PART_LABELS, STATUS_LABELS
from commitments.models import (
    Assessment,
    Bureau,
    BureauAssignment,
    Commitment,
    Evidence,
    MatchingRun,
    Report,
    Section,
)

logger = logging.getLogger(__name__)

EXCERPT_CHARS = 40


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


@admin.register(Bureau)
class BureauAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "level", "is_placeholder", "report_count")
    list_filter = ("is_placeholder", "level")
    search_fields = ("name", "region")
    autocomplete_fields = ("parent",)
    actions = ("rematch",)

    def get_queryset(self, request):
        return selectors.bureaus_with_counts()

    @admin.display(description="报告数", ordering="report_count")
    def report_count(self, obj: Bureau) -> int:
        return obj.report_count

    @admin.action(description="重新匹配", permissions=["change"])
    def rematch(self, request: HttpRequest, queryset) -> None:
        for bureau in queryset:
            if not selectors.user_may_edit_bureau(user=request.user, bureau_id=bureau.pk):
                messages.error(request, f"{bureau}：不是你负责的单位，未匹配")
                continue
            if bureau.is_placeholder:
                messages.warning(request, f"{bureau}：占位单位的报告来自不同发布单位，不做匹配")
                continue
            run = matching_services.matching_run_create(bureau=bureau)
            try:
                outcome = matching_services.commitments_match(bureau=bureau, run=run)
            except Exception:
                logger.exception("rematch of bureau %s failed", bureau.pk)
                messages.error(request, f"{bureau}：匹配出错，详情见日志")
                continue
            messages.success(
                request,
                f"{bureau}：计划—回顾 {outcome.pairs} 对，匹配承诺 {outcome.commitments} 条，"
                f"有变化 {outcome.changed} 条，保留分析员结论 {outcome.skipped_analyst} 条，"
                f"尚无回顾 {outcome.no_review} 条",
            )


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

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=selectors.commitments_for_user(request.user).values("pk"))

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


class AssessmentStatusFilter(admin.SimpleListFilter):
    title = "状态"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*STATUS_LABELS.items(), ("none", "未匹配")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(assessment__isnull=True)
        if value:
            return queryset.filter(assessment__status=value)
        return queryset


class EvidenceInline(admin.TabularInline):
    model = Evidence
    fields = ("rank", "text", "score", "part_list", "section")
    readonly_fields = fields
    ordering = ("rank",)
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="得分构成")
    def part_list(self, obj: Evidence) -> str:
        return _score_parts(obj.parts)


@admin.register(Commitment)
class CommitmentAdmin(BureauScopedMixin, admin.ModelAdmin):
    list_display = (
        "excerpt",
        "topic",
        "bureau",
        "plan_year",
        "vague",
        "document_list",
        "target_summary",
        "status_label",
    )
    list_filter = (
        ("section__report__bureau", admin.RelatedOnlyFieldListFilter),
        PlanYearFilter,
        AssessmentStatusFilter,
        "topic",
        "vague",
    )
    list_select_related = ("section__report__bureau", "assessment")
    search_fields = ("text",)
    inlines = (EvidenceInline,)
    fields = (
        "text",
        "assessment_summary",
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
        return selectors.commitments_for_user(request.user)

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

    @admin.display(description="状态", ordering="assessment__status")
    def status_label(self, obj: Commitment) -> str:
        assessment = _assessment_of(obj)
        return assessment.get_status_display() if assessment else "未匹配"

    @admin.display(description="评估")
    def assessment_summary(self, obj: Commitment) -> str:
        assessment = _assessment_of(obj)
        if assessment is None:
            return "未匹配（尚无对应年份的工作回顾，或尚未运行匹配）"
        link = reverse("admin:commitments_assessment_change", args=[assessment.pk])
        disagreement = (
            format_html(
                "<p>机器意见不同：{}（{}）</p>", assessment.get_machine_status_display(), assessment.machine_reason
            )
            if assessment.machine_disagrees
            else ""
        )
        return format_html(
            '<p><strong>{}</strong>（置信度 {}，{}）<a href="{}">详情与历史</a></p><p>理由：{}</p>{}',
            assessment.get_status_display(),
            f"{assessment.confidence:.2f}",
            assessment.get_source_display(),
            link,
            assessment.reason or "-",
            disagreement,
        )

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


class AssessmentPlanYearFilter(PlanYearFilter):
    year_field = "commitment__section__year"


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdminMixin, BureauScopedMixin, SimpleHistoryAdmin):
    """Read-only until the analysts' review queue (issue 4): decisions go through services."""

    list_display = (
        "commitment_excerpt",
        "bureau",
        "plan_year",
        "status",
        "confidence_display",
        "source",
        "machine_disagrees",
    )
    list_filter = (
        "status",
        "source",
        "machine_disagrees",
        ("commitment__section__report__bureau", admin.RelatedOnlyFieldListFilter),
        AssessmentPlanYearFilter,
    )
    list_select_related = ("commitment__section__report__bureau",)
    search_fields = ("commitment__text", "reason")
    fieldsets = (
        (None, {"fields": ("commitment", "status", "confidence", "reason", "source", "evidence_text")}),
        ("分析员", {"fields": ("note", "failure_reason", "confirmed_by", "confirmed_at")}),
        (
            "最近一次机器匹配",
            {
                "fields": (
                    "machine_status",
                    "machine_confidence",
                    "machine_reason",
                    "machine_disagrees",
                    "engine_version",
                )
            },
        ),
        (None, {"fields": ("version", "updated_at")}),
    )
    history_list_display = ("status", "source", "confidence", "machine_status")

    def get_queryset(self, request):
        return selectors.assessments_for_user(request.user)

    # simple_history falls back to the history rows when get_queryset misses the object: check first.
    def history_view(self, request, object_id, extra_context=None):
        self.get_object(request, unquote(object_id))
        return super().history_view(request, object_id, extra_context=extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self.get_object(request, unquote(object_id))
        return super().history_form_view(request, object_id, version_id, extra_context=extra_context)

    @admin.display(description="承诺", ordering="commitment__text")
    def commitment_excerpt(self, obj: Assessment) -> str:
        return _excerpt(obj.commitment.text)

    @admin.display(description="单位", ordering="commitment__section__report__bureau__name")
    def bureau(self, obj: Assessment) -> Bureau:
        return obj.commitment.section.report.bureau

    @admin.display(description="计划年份", ordering="commitment__section__year")
    def plan_year(self, obj: Assessment) -> str:
        section = obj.commitment.section
        return f"{section.year}年{section.period}" if section.year else f"未知{section.period}"

    @admin.display(description="置信度", ordering="confidence")
    def confidence_display(self, obj: Assessment) -> str:
        return f"{obj.confidence:.2f}"


@admin.register(BureauAssignment)
class BureauAssignmentAdmin(admin.ModelAdmin):
    """Managed by superusers only: who sees and decides which bureau."""

    list_display = ("user", "bureau")
    list_filter = ("bureau",)
    list_select_related = ("user", "bureau")
    autocomplete_fields = ("bureau",)

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(MatchingRun)
class MatchingRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "__str__",
        "state",
        "progress",
        "changed",
        "engine_version",
        "created_at",
        "started_at",
        "finished_at",
    )
    list_filter = ("state", "engine_version")
    list_select_related = ("scope_bureau",)

    @admin.display(description="进度")
    def progress(self, obj: MatchingRun) -> str:
        return f"{obj.done}/{obj.total}"


def _assessment_of(commitment: Commitment) -> Assessment | None:
    try:
        return commitment.assessment
    except Assessment.DoesNotExist:
        return None


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…"


def _score_parts(parts: dict) -> str:
    return "、".join(f"{PART_LABELS.get(name, name)} {value:+.2f}" for name, value in parts.items() if value) or "-"
