"""The analysts' review queue and review page, served inside the admin site (/admin/review/).

Thin: reads through selectors, writes through assessment_services.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from commitments import assessment_services, selectors
from commitments.highlight import text_highlight
from commitments.matching.types import PART_LABELS, STATUS_LABELS
from commitments.models import Assessment
from commitments.review_filters import ReviewQueueFilter

PAGE_SIZE = 50
PASTE = "paste"
BAR_PX = 120


class EvidenceChoiceForm(forms.Form):
    """Pick one of the ranked evidence passages, paste another, or none; a note. Shared by the review
    page and the second coder's page."""

    evidence_choice = forms.ChoiceField(label="采用的证据", widget=forms.RadioSelect, required=False)
    evidence_paste = forms.CharField(
        label="粘贴证据", required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 80})
    )
    note = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 80}))

    def __init__(self, *args, evidence=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.evidence = {str(row.rank): row.text for row in evidence}
        self.fields["evidence_choice"].choices = [
            *((rank, f"{rank}. {text}") for rank, text in self.evidence.items()),
            (PASTE, "粘贴其他证据（填在下方）"),
            ("", "不采用证据"),
        ]

    def clean(self):
        data = super().clean()
        choice = data.get("evidence_choice") or ""
        if choice == PASTE and not data.get("evidence_paste", "").strip():
            self.add_error("evidence_paste", "请粘贴证据原文")
        data["evidence_text"] = data.get("evidence_paste", "") if choice == PASTE else self.evidence.get(choice, "")
        return data


class ReviewForm(EvidenceChoiceForm):
    field_order = ["version", "status", "evidence_choice", "evidence_paste", "note", "failure_reason"]

    version = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label="状态", choices=list(STATUS_LABELS.items()))
    failure_reason = forms.ChoiceField(
        label="未完成原因", required=False, choices=[("", "—")] + list(Assessment.FailureReason.choices)
    )

    def clean(self):
        data = super().clean()
        if data.get("status") == "not_fulfilled" and not data.get("failure_reason"):
            self.add_error("failure_reason", "状态为“未完成”时须选择未完成原因")
        return data


def review_queue(request: HttpRequest) -> HttpResponse:
    filters = _queue_filter(request)
    page = Paginator(_filtered(filters), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        **admin.site.each_context(request),
        "title": "待复核队列",
        "filter": filters,
        "page_obj": page,
        "filters_query": _filters_query(request),
        "disagreements": _disagreements(request),
    }
    return TemplateResponse(request, "admin/review/queue.html", context)


def review_assessment(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = get_object_or_404(selectors.assessments_for_user(request.user), pk=pk)
    commitment = assessment.commitment
    evidence = list(commitment.evidence.select_related("section").order_by("rank"))
    may_edit = selectors.user_may_edit_bureau(user=request.user, bureau_id=commitment.section.report.bureau_id)
    form = ReviewForm(evidence=evidence, initial=_initial(assessment, evidence))
    status = 200
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied("只读账户或非本人负责的单位，不能修改评估")
        action = request.POST.get("action", "save")
        form = ReviewForm(request.POST, evidence=evidence)
        try:
            if action == "confirm":
                # One click: only the version the page was loaded with matters.
                if "version" in form.errors:
                    raise ValidationError("缺少版本号，请刷新页面")
                assessment_services.assessment_confirm(
                    assessment=assessment, user=request.user, expected_version=form.cleaned_data["version"]
                )
            elif form.is_valid():
                assessment_services.assessment_decide(
                    assessment=assessment,
                    user=request.user,
                    expected_version=form.cleaned_data["version"],
                    status=form.cleaned_data["status"],
                    evidence_text=form.cleaned_data["evidence_text"],
                    note=form.cleaned_data["note"],
                    failure_reason=form.cleaned_data["failure_reason"],
                )
            else:
                raise ValidationError("请更正下方的错误")
        except assessment_services.StaleAssessment as conflict:
            messages.error(request, str(conflict))
            status = 409
            assessment = conflict.assessment
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            status = 400
        if action == "confirm":
            form = ReviewForm(evidence=evidence, initial=_initial(assessment, evidence))
        if status == 200:
            messages.success(request, "已保存")
            if action in ("confirm", "save_next"):
                return redirect(_next_url(request, assessment))
            return redirect(_review_url(assessment.pk, _filters_query(request)))
    context = {
        **admin.site.each_context(request),
        "title": "复核承诺",
        "assessment": assessment,
        "commitment": commitment,
        "evidence": [_evidence_row(row, commitment) for row in evidence],
        "machine_reason": reason_without_status(assessment.machine_reason or assessment.reason),
        "form": form,
        "may_edit": may_edit,
        "filters_query": _filters_query(request),
        "queue_url": reverse("review_queue"),
    }
    return TemplateResponse(request, "admin/review/assessment.html", context, status=status)


def review_urls(site: admin.AdminSite) -> list:
    # Imported here: the double coding pages reuse this module's evidence form.
    from commitments.coding_views import coding_urls

    return [
        path("", site.admin_view(review_queue), name="review_queue"),
        path("<int:pk>/", site.admin_view(review_assessment), name="review_assessment"),
        *coding_urls(site),
    ]


def _initial(assessment: Assessment, evidence) -> dict:
    return {
        "version": assessment.version,
        "status": assessment.status,
        "evidence_choice": next((str(e.rank) for e in evidence if e.text == assessment.evidence_text), ""),
        "note": assessment.note,
        "failure_reason": assessment.failure_reason,
    }


def _queue_filter(request: HttpRequest) -> ReviewQueueFilter:
    base = selectors.review_queue(user=request.user, disagreements=_disagreements(request))
    return ReviewQueueFilter(request.GET, queryset=base, bureaus=selectors.bureaus_for_user(request.user))


def _filtered(filters: ReviewQueueFilter):
    # An invalid value (a bureau not assigned to the user, say) shows nothing rather than everything.
    return filters.qs if filters.is_valid() else filters.queryset.none()


def _disagreements(request: HttpRequest) -> bool:
    return request.GET.get("disagrees", "").lower() in ("on", "true", "1")


def _filters_query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _review_url(pk: int, query: str) -> str:
    url = reverse("review_assessment", args=[pk])
    return f"{url}?{query}" if query else url


def _next_url(request: HttpRequest, current: Assessment) -> str:
    """The queue item after the one just saved, under the same filters; the queue when none is left."""
    queue = _filtered(_queue_filter(request)).exclude(pk=current.pk)
    after = queue.filter(Q(confidence__gt=current.confidence) | Q(confidence=current.confidence, pk__gt=current.pk))
    following = after.first() or queue.first()
    query = _filters_query(request)
    if following is None:
        url = reverse("review_queue")
        return f"{url}?{query}" if query else url
    return _review_url(following.pk, query)


def _evidence_row(row, commitment) -> dict:
    terms = [*row.shared_terms, *row.figures]
    biggest = max((abs(v) for v in row.parts.values()), default=0) or 1
    return {
        "row": row,
        "marked": text_highlight(row.text, terms),
        "parts": [
            {
                "label": PART_LABELS.get(name, name),
                "value": value,
                "width": round(abs(value) / biggest * BAR_PX),
                "negative": value < 0,
            }
            for name, value in row.parts.items()
            if value
        ],
        "report_url": reverse("admin:commitments_report_change", args=[row.section.report_id]),
    }


def reason_without_status(reason: str) -> str:
    """The engine's reason opens with its status ("已完成：…", "部分完成（表述笼统）：…"), which the
    page already shows in bold beside it; keep only what follows, and the vagueness note."""
    head, sep, rest = reason.partition("：")
    for label in STATUS_LABELS.values():
        if sep and head.startswith(label):
            note = head[len(label) :]
            return f"{note}{rest}" if note else rest
    return reason
