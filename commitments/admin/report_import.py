"""Importing reports from the admin: the upload page, the question about near-copies, matching on request.

A mixin of ReportAdmin, so that the upload lives beside the reports it creates, in a module of its own.
"""

from __future__ import annotations

import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from commitments.models import (
    Report,
)
from commitments.selectors.access import user_may_edit_bureau, user_may_see_bureau
from commitments.selectors.reports import report_awaits_matching
from commitments.services.import_jobs import import_in_background, import_job_create, is_archive
from commitments.services.matching import commitments_match_for_report
from commitments.services.reports import (
    YEAR_MAX,
    YEAR_MIN,
    ImportOutcome,
    ImportStatus,
    NearDuplicates,
    percent,
    report_import_bytes,
)
from commitments.services.uploads import UploadHoldError, upload_held, upload_hold, upload_release

logger = logging.getLogger(__name__)


class ReportImportMixin:
    """The report list's upload (导入报告) and what follows it; the views are the admin's own URLs."""

    def get_urls(self):
        custom = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="commitments_report_import",
            ),
            path(
                "import/decide/",
                self.admin_site.admin_view(self.import_decide_view),
                name="commitments_report_import_decide",
            ),
            path(
                "<path:object_id>/match/", self.admin_site.admin_view(self.match_view), name="commitments_report_match"
            ),
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
            data = upload.read()
            held = {"filename": upload.name, "bureau": form.cleaned_data["bureau"] or None}
            held["year"] = form.cleaned_data["year"]
            if import_in_background(len(data), upload.name):
                return self._import_in_background(request, data, held)
            outcome = report_import_bytes(
                data=data,
                filename=held["filename"],
                bureau_name=held["bureau"],
                year=held["year"],
                imported_by=request.user,
            )
            if outcome.needs_ocr:  # a scan: read by OCR in a job, never inside this request
                return self._import_in_background(request, data, held, why="是扫描件，需要文字识别（OCR）")
            if outcome.status == ImportStatus.NEAR_DUPLICATE:
                try:
                    token = upload_hold(data)
                except (OSError, UploadHoldError):
                    logger.exception("holding the upload %s failed", upload.name)
                    messages.error(
                        request, "与已导入的报告几乎相同，但上传的文件无法暂存以待确认：未导入，请联系管理员"
                    )
                    return redirect("admin:commitments_report_import")
                self._held_remember(request, token, {**held, "existing": outcome.existing.pk})
                return self._near_duplicate_page(request, token, outcome)
            if done := self._import_done(request, outcome):
                return done
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "导入工作报告",
            "form": form,
            "max_mb": settings.REPORT_MAX_BYTES // (1024 * 1024),
        }
        return TemplateResponse(request, "admin/commitments/report/import.html", context)

    def _import_in_background(self, request: HttpRequest, data: bytes, held: dict, why: str = "") -> HttpResponse:
        """A big file: held and imported by a job; the job's page shows its progress and then its outcome."""
        try:
            job = import_job_create(
                data=data, filename=held["filename"], bureau_name=held["bureau"], year=held["year"], user=request.user
            )
        except (OSError, UploadHoldError):
            logger.exception("holding the upload %s for its job failed", held["filename"])
            messages.error(request, "上传的文件无法暂存以在后台导入：未导入，请联系管理员")
            return redirect("admin:commitments_report_import")
        why = why or ("是压缩包" if is_archive(job.filename) else "较大")
        messages.info(request, f"“{job.filename}”{why}，已转入后台导入（导入任务 #{job.pk}）；本页显示进度")
        return redirect("admin:commitments_importjob_change", job.pk)

    def import_decide_view(self, request: HttpRequest) -> HttpResponse:
        """The analyst's answer about a near-copy: the held upload replaces the report, is kept as another
        one, or is dropped. Only a token of this session opens a held upload."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return redirect("admin:commitments_report_import")
        token = request.POST.get("token", "")
        pending = request.session.get(HELD_SESSION_KEY, {})
        held = pending.get(token)
        if held is None:
            messages.error(request, "这次上传已处理或已过期，请重新上传")
            return redirect("admin:commitments_report_import")
        decision = request.POST.get("decision")
        if decision == "cancel":
            self._held_forget(request, token)
            messages.info(request, f"已取消导入“{held['filename']}”，未保存任何内容")
            return redirect("admin:commitments_report_import")
        if decision not in (NearDuplicates.REPLACE, NearDuplicates.KEEP):
            messages.error(request, "请选择替换为新版本、保留两份或取消")
            return redirect("admin:commitments_report_import")
        if decision == NearDuplicates.REPLACE and not self._may_replace(request, held["existing"]):
            raise PermissionDenied
        data = upload_held(token)
        if data is None:
            self._held_forget(request, token)
            messages.error(request, f"上传的“{held['filename']}”已过期（暂存一天），请重新上传")
            return redirect("admin:commitments_report_import")
        outcome = report_import_bytes(
            data=data,
            filename=held["filename"],
            bureau_name=held["bureau"],
            year=held["year"],
            imported_by=request.user,
            near_duplicates=decision,
            near_duplicate_of=held["existing"],
        )
        if outcome.status == ImportStatus.NEAR_DUPLICATE:
            # Another report is the near-copy now (the one shown was changed or deleted): ask about it.
            self._held_remember(request, token, {**held, "existing": outcome.existing.pk})
            return self._near_duplicate_page(request, token, outcome)
        self._held_forget(request, token)
        return self._import_done(request, outcome) or redirect("admin:commitments_report_import")

    def _import_done(self, request: HttpRequest, outcome: ImportOutcome) -> HttpResponse | None:
        """Messages for an import's outcome and where to go next; None: back to the form (a failure)."""
        if outcome.status == ImportStatus.FAILED:
            messages.error(request, f"导入失败：{outcome.source}：{outcome.reason}")
            return None
        report = outcome.report
        if outcome.status == ImportStatus.IMPORTED:
            messages.success(
                request,
                f"已导入《{report.title}》（{report.bureau}）：{outcome.sections} 个部分，{outcome.commitments} 条承诺",
            )
            for warning in report.warnings:
                messages.warning(request, warning)
        elif outcome.status == ImportStatus.REPLACED:
            messages.success(
                request,
                f"已用新版本替换报告 #{report.pk}《{report.title}》（相似度 {percent(outcome.similarity)}%）："
                f"{outcome.sections} 个部分，{outcome.commitments} 条承诺；分析员结论已保留",
            )
            for warning in report.warnings:
                messages.warning(request, warning)
        elif not user_may_see_bureau(user=request.user, bureau_id=report.bureau_id):
            # Not even its title: the report belongs to a bureau this user does not handle.
            messages.info(request, "内容未变化：与一份已导入的报告相同（不在你负责的单位内），未重复导入")
            return redirect("admin:commitments_report_changelist")
        else:
            messages.info(request, f"内容未变化：与已导入的《{report.title}》（{report.bureau}）相同")
            if report_awaits_matching(report) and user_may_edit_bureau(user=request.user, bureau_id=report.bureau_id):
                messages.warning(request, self._match_offer(request, report))
        if not user_may_see_bureau(user=request.user, bureau_id=report.bureau_id):
            # Imported all the same (nothing is lost); an administrator assigns the new bureau.
            messages.warning(request, f"该报告属于“{report.bureau}”，你尚未被分配此单位，请联系管理员分配后查看")
            return redirect("admin:commitments_report_changelist")
        return redirect("admin:commitments_report_change", report.pk)

    def _match_offer(self, request: HttpRequest, report: Report) -> str:
        return format_html(
            '该报告导入后尚未完成匹配（上次导入可能被中断）。<form method="post" action="{}" style="display:inline">'
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}"><button type="submit">立即匹配</button></form>',
            reverse("admin:commitments_report_match", args=[report.pk]),
            get_token(request),
        )

    def match_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Match what one report affects, now (the offer after re-uploading an unmatched report)."""
        report = self.get_object(request, object_id)
        if request.method != "POST":
            return redirect("admin:commitments_report_change", report.pk)
        if not user_may_edit_bureau(user=request.user, bureau_id=report.bureau_id):
            raise PermissionDenied
        outcome = commitments_match_for_report(report=report)
        if outcome is None:
            messages.error(request, "匹配出错或同一范围的匹配正在进行，详情见“匹配运行”；稍后可再试")
        elif settings.CELERY_TASK_ALWAYS_EAGER:
            messages.success(request, f"《{report.title}》：{outcome.summary()}")
        else:
            messages.success(request, f"《{report.title}》已提交后台匹配；进度见“匹配运行”")
        return redirect("admin:commitments_report_change", report.pk)

    def _may_replace(self, request: HttpRequest, report_id: int) -> bool:
        """Replacing changes a report's text and commitments: an analyst of its bureau may, no one else."""
        report = Report.objects.filter(pk=report_id).only("bureau_id").first()
        return (
            report is not None
            and request.user.has_perm("commitments.change_report")
            and user_may_edit_bureau(user=request.user, bureau_id=report.bureau_id)
        )

    def _near_duplicate_page(self, request: HttpRequest, token: str, outcome: ImportOutcome) -> HttpResponse:
        existing = outcome.existing
        visible = user_may_see_bureau(user=request.user, bureau_id=existing.bureau_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "导入工作报告：是否为已导入报告的新版本？",
            "near_duplicate": {
                "token": token,
                "source": outcome.source,
                "similarity": percent(outcome.similarity),
                # A report of a bureau the user does not handle is not shown to them, not even its title.
                "reason": outcome.reason if visible else f"“{existing.bureau}”已有一份与此几乎相同或同名的报告",
                "report": existing if visible else None,
                "may_replace": self._may_replace(request, existing.pk),
            },
        }
        return TemplateResponse(request, "admin/commitments/report/import.html", context)

    def _held_remember(self, request: HttpRequest, token: str, held: dict) -> None:
        pending = dict(request.session.get(HELD_SESSION_KEY, {}))
        pending[token] = held
        for stale in list(pending)[:-HELD_PER_SESSION]:
            upload_release(stale)
            del pending[stale]
        request.session[HELD_SESSION_KEY] = pending

    def _held_forget(self, request: HttpRequest, token: str) -> None:
        upload_release(token)
        pending = dict(request.session.get(HELD_SESSION_KEY, {}))
        pending.pop(token, None)
        request.session[HELD_SESSION_KEY] = pending


class ReportImportForm(forms.Form):
    # A longer name is refused with Django's own Chinese form error (a much longer one never parses: middleware).
    file = forms.FileField(
        label="报告文件",
        max_length=200,
        help_text="txt、html、docx、doc、wps、pdf、ofd 或扫描页图片（png、jpg、tif），一个文件一份报告；或这些文件的 zip 压缩包",
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


# The session's uploads awaiting a decision: token -> what the import needs besides the bytes.
HELD_SESSION_KEY = "report_import_held"


HELD_PER_SESSION = 10  # older undecided uploads of the session are let go
