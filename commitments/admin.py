"""The analysts' Chinese admin: bureaus, reports with their sections, commitments, and report upload.

Thin: lists read through selectors, every write goes through services.
"""

from __future__ import annotations

import logging

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from simple_history.admin import SimpleHistoryAdmin

from commitments import assessment_services, job_services, matching_services, selectors, services
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
from commitments.resources import AssessmentResource
from commitments.review_filters import BANDS

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
    actions = ("rematch", "rematch_async")

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

    @admin.action(description="重新匹配（后台任务）", permissions=["change"])
    def rematch_async(self, request: HttpRequest, queryset):
        """First a page to choose the plan year, then one background run per bureau."""
        bureaus = [b for b in queryset if selectors.user_may_edit_bureau(user=request.user, bureau_id=b.pk)]
        form = RematchScopeForm(
            request.POST if "apply" in request.POST else None,
            years=matching_services.plan_years_for(bureau_ids=[b.pk for b in bureaus]),
        )
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": "重新匹配（后台任务）",
                "opts": self.model._meta,
                "bureaus": bureaus,
                "form": form,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/commitments/bureau/rematch_async.html", context)
        year = form.cleaned_data["year"]
        for bureau in queryset:
            if bureau not in bureaus:
                messages.error(request, f"{bureau}：不是你负责的单位，未提交")
            elif bureau.is_placeholder:
                messages.warning(request, f"{bureau}：占位单位的报告来自不同发布单位，不做匹配")
            else:
                try:
                    run = job_services.matching_run_request(bureau=bureau, year=year)
                except job_services.EnqueueFailed as exc:
                    messages.error(request, f"{bureau}：{exc}")
                except Exception:
                    logger.exception("background rematch of bureau %s failed", bureau.pk)
                    messages.error(request, f"{bureau}：匹配出错，详情见日志")
                else:
                    messages.success(request, f"{bureau}：已提交后台匹配（运行 #{run.pk}，{run.get_state_display()}）")
        return None


class RematchScopeForm(forms.Form):
    year = forms.TypedChoiceField(label="计划年份", required=False, coerce=int, empty_value=None)

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", "全部年份")] + [(y, f"{y}年") for y in years]


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
    file = forms.FileField(label="报告文件", help_text="txt、html、docx、doc、wps 或 pdf；一个文件一份报告")
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
class ReportAdmin(BureauScopedMixin, admin.ModelAdmin):
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
        return selectors.reports_for_user(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A report cannot be moved to a bureau the user does not handle.
        if db_field.name == "bureau":
            kwargs["queryset"] = selectors.bureaus_for_user(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

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
                if not selectors.user_may_see_bureau(user=request.user, bureau_id=report.bureau_id):
                    # Imported all the same (nothing is lost); an administrator assigns the new bureau.
                    messages.warning(
                        request, f"该报告属于“{report.bureau}”，你尚未被分配此单位，请联系管理员分配后查看"
                    )
                    return redirect("admin:commitments_report_changelist")
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
        return selectors.sections_for_user(request.user)

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


class ConfidenceBandFilter(admin.SimpleListFilter):
    title = "置信度"
    parameter_name = "band"

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _, _) in BANDS.items()]

    def queryset(self, request, queryset):
        if self.value() not in BANDS:
            return queryset
        _, low, high = BANDS[self.value()]
        if low is not None:
            queryset = queryset.filter(confidence__gte=low)
        if high is not None:
            queryset = queryset.filter(confidence__lt=high)
        return queryset


class BulkConfirmForm(forms.Form):
    min_confidence = forms.FloatField(
        label="置信度下限",
        min_value=0,
        max_value=1,
        initial=selectors.BULK_CONFIRM_FLOOR,
        help_text="只确认置信度不低于此值的机器建议",
    )


class RevertForm(forms.Form):
    version = forms.IntegerField(min_value=1)


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdminMixin, BureauScopedMixin, ImportExportMixin, SimpleHistoryAdmin):
    """Read-only pages: decisions go through services (review page, bulk confirm, revert, file import)."""

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
        ConfidenceBandFilter,
    )
    list_select_related = ("commitment__section__report__bureau",)
    search_fields = ("commitment__text", "reason")
    actions = ("bulk_confirm",)
    resource_classes = (AssessmentResource,)
    formats = (CSV, XLSX)
    # With a BOM, Excel opens the Chinese CSV as UTF-8.
    to_encoding = "utf-8-sig"
    object_history_template = "admin/commitments/assessment/object_history.html"
    object_history_form_template = "admin/commitments/assessment/object_history_form.html"
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

    def get_readonly_fields(self, request, obj=None):
        # Also on simple_history's version page, whose form would otherwise be editable and saveable.
        return flatten_fieldsets(self.fieldsets)

    def has_decide_permission(self, request: HttpRequest) -> bool:
        """Analysts (not viewers); which bureaus they may decide on is checked per row by the services."""
        return request.user.has_perm("commitments.change_assessment")

    # simple_history falls back to the history rows when get_queryset misses the object: check first.
    def history_view(self, request, object_id, extra_context=None):
        self.get_object(request, unquote(object_id))
        return super().history_view(request, object_id, extra_context=extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """One earlier version; its POST (the revert button) restores that decision via the service,
        never by saving simple_history's form."""
        assessment = self.get_object(request, unquote(object_id))
        record = assessment.history.filter(history_id=version_id).first() if version_id.isdigit() else None
        if record is None:
            raise Http404("无此历史版本")
        if request.method == "POST":
            return self._revert(request, assessment, record.history_id)
        context = {
            **(extra_context or {}),
            "current": assessment,
            "record": record,
            "to_machine": record.source == Assessment.Source.MACHINE,
        }
        return super().history_form_view(request, object_id, version_id, extra_context=context)

    def revert_disabled(self, request, obj=None):
        if obj is None or not self.has_decide_permission(request):
            return True
        bureau_id = Commitment.objects.filter(pk=obj.commitment_id).values_list("section__report__bureau", flat=True)
        return not selectors.user_may_edit_bureau(user=request.user, bureau_id=bureau_id.first())

    def _revert(self, request: HttpRequest, assessment: Assessment, history_id: int) -> HttpResponse:
        if self.revert_disabled(request, assessment):
            raise PermissionDenied
        form = RevertForm(request.POST)
        if not form.is_valid():
            messages.error(request, "缺少版本号，请重新打开该页面再恢复")
            return HttpResponseRedirect(request.path)
        try:
            saved = assessment_services.assessment_revert(
                assessment=assessment,
                history_id=history_id,
                user=request.user,
                expected_version=form.cleaned_data["version"],
            )
        except assessment_services.StaleAssessment as stale:
            messages.error(request, str(stale))
            return HttpResponseRedirect(request.path)
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
            return HttpResponseRedirect(request.path)
        messages.success(
            request,
            f"已恢复所选版本：现为“{saved.get_status_display()}”（{saved.get_source_display()}，版本 {saved.version}）",
        )
        return redirect("admin:commitments_assessment_history", assessment.pk)

    @admin.action(description="确认所选机器建议", permissions=["decide"])
    def bulk_confirm(self, request: HttpRequest, queryset):
        """An intermediate page with the counts; confirming there calls the bulk service."""
        form = BulkConfirmForm(request.POST if "min_confidence" in request.POST else None)
        floor = form.cleaned_data["min_confidence"] if form.is_valid() else selectors.BULK_CONFIRM_FLOOR
        select_across = request.POST.get("select_across") == "1"
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
        # Ids that the user's rows do not include (another bureau's, posted by hand) are just left out.
        unseen = 0 if select_across else len(set(selected) - {str(pk) for pk in queryset.values_list("pk", flat=True)})
        if request.POST.get("post") == "yes" and (form.is_valid() or not form.is_bound):
            outcome = assessment_services.assessments_bulk_confirm(
                user=request.user, assessments=queryset, min_confidence=floor
            )
            messages.success(request, f"已确认 {len(outcome.confirmed)} 条机器建议")
            for reason, count in outcome.skipped.items():
                messages.warning(request, f"跳过 {count} 条：{reason}")
            if unseen:
                messages.warning(request, f"忽略 {unseen} 条：{selectors.BULK_SKIP_BUREAU}或已不存在")
            return None
        eligible, skipped = selectors.bulk_confirm_split(user=request.user, assessments=queryset, min_confidence=floor)
        if unseen:
            skipped[selectors.BULK_SKIP_BUREAU + "或已不存在"] += unseen
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "确认所选机器建议",
            "form": form if form.is_bound else BulkConfirmForm(),
            "eligible": eligible,
            "skipped": sorted(skipped.items()),
            "selected": selected if not select_across else selected[:1],
            "select_across": select_across,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/commitments/assessment/bulk_confirm.html", context)

    def get_resource_kwargs(self, request, *args, **kwargs):
        return {**kwargs, "user": request.user}

    def has_import_permission(self, request):
        return self.has_decide_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_import_data_kwargs(self, **kwargs):
        # The confirmed import is all or nothing: one failing row (say, saved meanwhile) undoes every row.
        return {**super().get_import_data_kwargs(**kwargs), "rollback_on_validation_errors": True}

    def process_result(self, result, request):
        if not result.has_errors() and not result.has_validation_errors():
            return super().process_result(result, request)
        messages.error(request, "导入失败，未做任何修改：")
        for line in _import_problems(result):
            messages.error(request, line)
        return redirect("admin:commitments_assessment_import")

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
        return _excerpt(obj.error) if obj.error else "-"

    def changelist_view(self, request, extra_context=None):
        active = MatchingRun.objects.filter(state__in=[MatchingRun.State.QUEUED, MatchingRun.State.RUNNING]).exists()
        context = {**(extra_context or {}), "refresh_seconds": self.refresh_seconds if active else None}
        return super().changelist_view(request, extra_context=context)


def _assessment_of(commitment: Commitment) -> Assessment | None:
    try:
        return commitment.assessment
    except Assessment.DoesNotExist:
        return None


def _import_problems(result) -> list[str]:
    lines = [str(error.error) for error in result.base_errors]
    for row in result.invalid_rows:
        lines.append(f"第 {row.number} 行：{'；'.join(m for ms in row.error_dict.values() for m in ms)}")
    for number, errors in result.row_errors():
        lines.append(f"第 {number} 行：{'；'.join(str(e.error) for e in errors)}")
    return lines


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + "…"


def _score_parts(parts: dict) -> str:
    return "、".join(f"{PART_LABELS.get(name, name)} {value:+.2f}" for name, value in parts.items() if value) or "-"
