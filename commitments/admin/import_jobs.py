"""Import jobs (导入任务): a big upload's progress, its outcome, and the question about a near-copy.

Each user sees the jobs they started (a superuser all); the page of an active job reloads itself.
The job page also recovers jobs a killed server left behind (the embedded default has no periodic check).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html

from commitments.admin.mixins import BureauScopedMixin, ReadOnlyAdminMixin, excerpt
from commitments.models import ImportJob, Report
from commitments.selectors.access import user_may_edit_bureau, user_may_see_bureau
from commitments.selectors.imports import import_jobs_for_user
from commitments.services.import_jobs import import_job_cancel, import_job_decide, import_jobs_recover
from commitments.services.reports import NearDuplicates, percent


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdminMixin, BureauScopedMixin, admin.ModelAdmin):
    list_display = ("__str__", "state", "progress", "outcome_text", "report_link", "requested_by", "created_at")
    list_filter = ("state",)
    list_select_related = ("requested_by", "report")
    change_list_template = "admin/commitments/matchingrun/change_list.html"
    refresh_seconds = 2

    def get_queryset(self, request):
        return import_jobs_for_user(request.user)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_view_permission(self, request, obj=None):
        # Whoever may upload a report may follow their own uploads.
        return request.user.is_active and request.user.has_perm("commitments.add_report")

    def get_urls(self):
        custom = [
            path(
                "<int:job_id>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="commitments_importjob_decide",
            ),
            path(
                "<int:job_id>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name="commitments_importjob_cancel",
            ),
        ]
        return custom + super().get_urls()

    @admin.display(description="进度")
    def progress(self, obj: ImportJob) -> str:
        percent_done = round(100 * obj.done / obj.total) if obj.total else 0
        return format_html(
            '<progress value="{}" max="100" title="{}%" style="width:8em"></progress> {}',
            percent_done,
            percent_done,
            obj.stage or obj.get_state_display(),
        )

    @admin.display(description="结果")
    def outcome_text(self, obj: ImportJob) -> str:
        return excerpt(obj.message) if obj.message else "-"

    @admin.display(description="报告")
    def report_link(self, obj: ImportJob) -> str:
        if not obj.report_id:
            return "-"
        return obj.report.title if obj.report_shown else "（不在你负责的单位内）"

    def changelist_view(self, request, extra_context=None):
        import_jobs_recover()
        active = self.get_queryset(request).filter(state__in=ImportJob.ACTIVE).exists()
        context = {**(extra_context or {}), "refresh_seconds": self.refresh_seconds if active else None}
        return super().changelist_view(request, extra_context=context)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        import_jobs_recover()
        job = self.get_object(request, object_id)
        report_visible = bool(job.report_id) and job.report_shown
        existing = job.near_duplicate_of if job.state == ImportJob.State.AWAITING else None
        existing_visible = existing is not None and user_may_see_bureau(user=request.user, bureau_id=existing.bureau_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": str(job),
            "job": job,
            "active": job.state in ImportJob.ACTIVE,
            "refresh_seconds": self.refresh_seconds,
            "percent": round(100 * job.done / job.total) if job.total else 0,
            "report_visible": report_visible,
            "report_elsewhere": bool(job.report_id) and not report_visible,
            "existing": existing if existing_visible else None,
            "similarity": percent(job.similarity) if job.similarity is not None else None,
            "may_replace": existing is not None and self._may_replace(request, existing),
            "warnings": job.report.warnings if report_visible else [],
        }
        return TemplateResponse(request, "admin/commitments/importjob/job.html", context)

    def decide_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self.get_object(request, str(job_id))
        if request.method != "POST":
            return redirect("admin:commitments_importjob_change", job.pk)
        decision = request.POST.get("decision", "")
        if decision == NearDuplicates.REPLACE and not (
            job.near_duplicate_of and self._may_replace(request, job.near_duplicate_of)
        ):
            raise PermissionDenied
        try:
            import_job_decide(job, decision=decision)
        except ValueError:
            messages.error(request, "这次上传已处理，或所选操作无效：请选择替换为新版本、保留两份或取消")
        return redirect("admin:commitments_importjob_change", job.pk)

    def cancel_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self.get_object(request, str(job_id))
        if request.method == "POST":
            job = import_job_cancel(job)
            if job.state == ImportJob.State.CANCELLED:
                messages.info(request, f"已取消导入“{job.filename}”，未保存任何内容")
            elif job.cancel_requested:
                messages.info(request, "已请求取消：若尚未写入数据库，导入将停止且不保存任何内容")
        return redirect("admin:commitments_importjob_change", job.pk)

    def _may_replace(self, request: HttpRequest, report: Report) -> bool:
        return request.user.has_perm("commitments.change_report") and user_may_edit_bureau(
            user=request.user, bureau_id=report.bureau_id
        )
