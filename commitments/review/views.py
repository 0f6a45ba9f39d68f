"""The analysts' review queue and review page, served inside the admin site (/admin/review/).

Thin: reads through selectors, writes through services/assessments.py.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from commitments.engine.types import PART_LABELS, STATUS_LABELS
from commitments.models import Assessment
from commitments.review.filters import ReviewQueueFilter
from commitments.review.forms import ReviewForm, decision_save
from commitments.review.highlight import text_highlight
from commitments.selectors import lists
from commitments.selectors.access import user_may_edit_bureau
from commitments.selectors.lists import assessments_for_user, bureaus_for_user
from commitments.services.assessments import assessment_confirm, assessment_decide
from commitments.services.matching import runs_pending_finish

PAGE_SIZE = 50
BAR_PX = 120


def review_queue(request: HttpRequest) -> HttpResponse:
    runs_pending_finish()  # embedded default: what an interrupted import left unmatched joins the queue
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
    assessment = get_object_or_404(assessments_for_user(request.user), pk=pk)
    commitment = assessment.commitment
    evidence = list(commitment.evidence.select_related("section").order_by("rank"))
    may_edit = user_may_edit_bureau(user=request.user, bureau_id=commitment.section.report.bureau_id)
    form = ReviewForm(evidence=evidence, initial=_initial(assessment, evidence))
    status = 200
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied("只读账户或非本人负责的单位，不能修改评估")
        action = request.POST.get("action", "save")
        form = ReviewForm(request.POST, evidence=evidence)

        def save(data: dict) -> None:
            if action == "confirm":
                # One click: only the version the page was loaded with matters.
                if "version" in form.errors:
                    raise ValidationError("缺少版本号，请刷新页面")
                assessment_confirm(assessment=assessment, user=request.user, expected_version=data["version"])
                return
            assessment_decide(
                assessment=assessment,
                user=request.user,
                expected_version=data["version"],
                status=data["status"],
                evidence_text=data["evidence_text"],
                note=data["note"],
                failure_reason=data["failure_reason"],
            )

        decided = decision_save(request, form, save, form_must_validate=action != "confirm")
        status = decided.status
        if decided.conflict is not None:
            assessment = decided.conflict.assessment
        if action == "confirm":
            form = ReviewForm(evidence=evidence, initial=_initial(assessment, evidence))
        if decided.saved:
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


def _initial(assessment: Assessment, evidence) -> dict:
    return {
        "version": assessment.version,
        "status": assessment.status,
        "evidence_choice": next((str(e.rank) for e in evidence if e.text == assessment.evidence_text), ""),
        "note": assessment.note,
        "failure_reason": assessment.failure_reason,
    }


def _queue_filter(request: HttpRequest) -> ReviewQueueFilter:
    base = lists.review_queue(user=request.user, disagreements=_disagreements(request))
    return ReviewQueueFilter(request.GET, queryset=base, bureaus=bureaus_for_user(request.user))


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
