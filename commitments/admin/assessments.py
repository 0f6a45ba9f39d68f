"""Assessments: history and revert, bulk confirm, CSV/XLSX exchange."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from simple_history.admin import SimpleHistoryAdmin

from commitments.admin.mixins import BureauScopedMixin, PlanYearFilter, ReadOnlyAdminMixin, excerpt
from commitments.admin.resources import AssessmentResource
from commitments.models import (
    Assessment,
    Bureau,
    Commitment,
)
from commitments.review.filters import BANDS
from commitments.selectors.access import user_may_edit_bureau
from commitments.selectors.lists import (
    BULK_SKIP_BUREAU,
    assessments_for_user,
    bulk_confirm_floor,
    bulk_confirm_split,
)
from commitments.services.assessments import StaleAssessment, assessment_revert, assessments_bulk_confirm


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
        help_text="只确认置信度不低于此值的机器建议；默认取能达到目标正确率的下限",
    )

    def __init__(self, *args, floor: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["min_confidence"].initial = round(floor, 3)


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
        return assessments_for_user(request.user)

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
        return not user_may_edit_bureau(user=request.user, bureau_id=bureau_id.first())

    def _revert(self, request: HttpRequest, assessment: Assessment, history_id: int) -> HttpResponse:
        if self.revert_disabled(request, assessment):
            raise PermissionDenied
        form = RevertForm(request.POST)
        if not form.is_valid():
            messages.error(request, "缺少版本号，请重新打开该页面再恢复")
            return HttpResponseRedirect(request.path)
        try:
            saved = assessment_revert(
                assessment=assessment,
                history_id=history_id,
                user=request.user,
                expected_version=form.cleaned_data["version"],
            )
        except StaleAssessment as stale:
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
        target = bulk_confirm_floor()
        form = BulkConfirmForm(request.POST if "min_confidence" in request.POST else None, floor=target.value)
        floor = form.cleaned_data["min_confidence"] if form.is_valid() else target.value
        select_across = request.POST.get("select_across") == "1"
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
        # Ids that the user's rows do not include (another bureau's, posted by hand) are just left out.
        unseen = 0 if select_across else len(set(selected) - {str(pk) for pk in queryset.values_list("pk", flat=True)})
        if request.POST.get("post") == "yes" and (form.is_valid() or not form.is_bound):
            outcome = assessments_bulk_confirm(user=request.user, assessments=queryset, min_confidence=floor)
            messages.success(request, f"已确认 {len(outcome.confirmed)} 条机器建议")
            for reason, count in outcome.skipped.items():
                messages.warning(request, f"跳过 {count} 条：{reason}")
            if unseen:
                messages.warning(request, f"忽略 {unseen} 条：{BULK_SKIP_BUREAU}或已不存在")
            return None
        eligible, skipped = bulk_confirm_split(user=request.user, assessments=queryset, min_confidence=floor)
        if unseen:
            skipped[BULK_SKIP_BUREAU + "或已不存在"] += unseen
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "确认所选机器建议",
            "form": form if form.is_bound else BulkConfirmForm(floor=target.value),
            "target": target,
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
        return excerpt(obj.commitment.text)

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


def _import_problems(result) -> list[str]:
    lines = [str(error.error) for error in result.base_errors]
    for row in result.invalid_rows:
        lines.append(f"第 {row.number} 行：{'；'.join(m for ms in row.error_dict.values() for m in ms)}")
    for number, errors in result.row_errors():
        lines.append(f"第 {number} 行：{'；'.join(str(e.error) for e in errors)}")
    return lines
