"""Reports, their sections and the upload view (导入报告)."""

from __future__ import annotations

import logging

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html, format_html_join

from commitments.admin.mixins import BureauScopedMixin
from commitments.models import (
    Commitment,
    Report,
    Section,
)
from commitments.selectors.access import user_may_see_bureau
from commitments.selectors.lists import (
    bureaus_for_user,
    commitments_for_user,
    reports_for_user,
    sections_for_user,
)
from commitments.services.reports import YEAR_MAX, YEAR_MIN, ImportStatus, report_import_bytes, report_reextract

logger = logging.getLogger(__name__)


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
    # A longer name is refused with Django's own Chinese form error (a much longer one never parses: middleware).
    file = forms.FileField(
        label="报告文件", max_length=200, help_text="txt、html、docx、doc、wps 或 pdf；一个文件一份报告"
    )
    bureau = forms.CharField(
        label="发布单位", required=False, max_length=200, help_text="单位全称，如“潜江市民政局”；不填则从正文识别"
    )
    year = forms.IntegerField(
        label="报告年份",
        required=False,
        min_value=YEAR_MIN,
        max_value=YEAR_MAX,
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
        return reports_for_user(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A report cannot be moved to a bureau the user does not handle.
        if db_field.name == "bureau":
            kwargs["queryset"] = bureaus_for_user(request.user)
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
            outcome = report_import_bytes(
                data=upload.read(),
                filename=upload.name,
                bureau_name=form.cleaned_data["bureau"] or None,
                year=form.cleaned_data["year"],
                imported_by=request.user,
            )
            if outcome.status == ImportStatus.FAILED:
                messages.error(request, f"导入失败：{outcome.source}：{outcome.reason}")
            else:
                report = outcome.report
                if outcome.status == ImportStatus.IMPORTED:
                    messages.success(
                        request,
                        f"已导入《{report.title}》（{report.bureau}）：{outcome.sections} 个部分，"
                        f"{outcome.commitments} 条承诺",
                    )
                    for warning in report.warnings:
                        messages.warning(request, warning)
                else:
                    messages.info(request, f"内容未变化：与已导入的《{report.title}》（{report.bureau}）相同")
                if not user_may_see_bureau(user=request.user, bureau_id=report.bureau_id):
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
    fields = ("order", "text", "topic", "vague")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=commitments_for_user(request.user).values("pk"))

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
        return format_html('<div style="white-space: pre-wrap; max-width: 60em">{}</div>', obj.text)
