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
from commitments.review.forms import PASTE, ReviewForm, decision_save
from commitments.review.highlight import text_highlight
from commitments.review.panes import REVIEW_KEYS, review_pane_context
from commitments.review.passages import Passage, marked_text
from commitments.review.session import Undoable, decision_record, decisions_done, undo_peek, undo_pop
from commitments.selectors import lists
from commitments.selectors.access import user_may_edit_bureau
from commitments.selectors.lists import (
    assessment_version_before,
    assessments_for_user,
    bureaus_for_user,
    with_top_evidence,
)
from commitments.selectors.review_pane import plan_text_for
from commitments.services.assessments import (
    StaleAssessment,
    assessment_confirm,
    assessment_decide,
    assessment_revert,
)
from commitments.services.matching import runs_pending_finish

PAGE_SIZE = 50
BAR_PX = 90


def review_queue(request: HttpRequest) -> HttpResponse:
    runs_pending_finish()  # embedded default: what an interrupted import left unmatched joins the queue
    filters = _queue_filter(request)
    page = Paginator(with_top_evidence(_filtered(filters)), PAGE_SIZE).get_page(request.GET.get("page"))
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
                saved = assessment_confirm(assessment=assessment, user=request.user, expected_version=data["version"])
            else:
                saved = assessment_decide(
                    assessment=assessment,
                    user=request.user,
                    expected_version=data["version"],
                    status=data["status"],
                    evidence_text=data["evidence_text"],
                    evidence_at=data["evidence_at"],
                    note=data["note"],
                    failure_reason=data["failure_reason"],
                )
            _remember(request, saved)

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
    query = _filters_query(request)
    context = {
        **admin.site.each_context(request),
        "title": "复核承诺",
        "assessment": assessment,
        "commitment": commitment,
        "evidence": [_evidence_row(row, commitment) for row in evidence],
        "machine_reason": reason_without_status(assessment.machine_reason or assessment.reason),
        "form": form,
        "may_edit": may_edit,
        "filters_query": query,
        "queue_url": reverse("review_queue"),
        "review": review_pane_context(commitment, evidence, adopted=assessment),
        "progress": _progress(request, assessment),
        "skip_url": _next_url(request, assessment),
        "undo": _undo_context(request),
        "plan_url": _review_url(assessment.pk, query, name="review_plan"),
        "keys": REVIEW_KEYS,
    }
    return TemplateResponse(request, "admin/review/assessment.html", context, status=status)


def review_undo(request: HttpRequest) -> HttpResponse:
    """Undo the last decision of this session: a revert to the version before it, itself a new version."""
    if request.method != "POST":
        return redirect(reverse("review_queue"))
    entry = undo_peek(request)
    if entry is None:
        messages.info(request, "本次没有可撤销的决定")
        return redirect(reverse("review_queue"))
    assessment = get_object_or_404(assessments_for_user(request.user), pk=entry.assessment_id)
    try:
        restored = assessment_revert(
            assessment=assessment, history_id=entry.history_id, user=request.user, expected_version=entry.version
        )
    except StaleAssessment as conflict:
        undo_pop(request, undone=False)  # the decision stands: it stays counted, the stack moves on
        messages.error(request, f"无法撤销：{conflict}")
    except (ValidationError, PermissionDenied) as error:
        undo_pop(request, undone=False)
        messages.error(request, f"无法撤销：{' '.join(getattr(error, 'messages', [str(error)]))}")
    else:
        undo_pop(request, undone=True, restored_version=restored.version)
        messages.success(request, f"已撤销，恢复为“{restored.get_status_display()}”（{restored.get_source_display()}）")
    return redirect(_review_url(assessment.pk, entry.filters))


def review_plan(request: HttpRequest, pk: int) -> HttpResponse:
    """The plan section a commitment belongs to, with the commitment marked: what it is part of."""
    assessment = get_object_or_404(assessments_for_user(request.user), pk=pk)
    commitment = assessment.commitment
    section, text, siblings = plan_text_for(commitment)
    passages = [Passage("plan", commitment.start, commitment.end, label="本条")]
    passages += [Passage(f"c{c.pk}", c.start, c.end) for c in siblings if c.pk != commitment.pk]
    context = {
        **admin.site.each_context(request),
        "title": "承诺所在的计划",
        "assessment": assessment,
        "commitment": commitment,
        "section": section,
        "plan_html": marked_text(text, section.start, section.end, passages=passages),
        "review_url": _review_url(assessment.pk, _filters_query(request)),
        "queue_url": reverse("review_queue"),
        "filters_query": _filters_query(request),
    }
    return TemplateResponse(request, "admin/review/plan.html", context)


def _remember(request: HttpRequest, saved: Assessment) -> None:
    before = assessment_version_before(saved)
    if before is not None:
        decision_record(request, Undoable(saved.pk, saved.version, before.history_id, _filters_query(request)))


def _undo_context(request: HttpRequest) -> dict | None:
    entry = undo_peek(request)
    if entry is None:
        return None
    target = assessments_for_user(request.user).filter(pk=entry.assessment_id).select_related("commitment").first()
    return {"text": target.commitment.text if target else "", "url": reverse("review_undo")}


def _progress(request: HttpRequest, current: Assessment) -> dict:
    """ "第 12 / 81 条 · 本次已完成 11 条" under the queue's filters: the session's decisions that left the
    queue count as done, the rest is what is left, in queue order."""
    query = _filters_query(request)
    queue = _filtered(_queue_filter(request))
    done_ids = decisions_done(request, query)
    done = len(done_ids) - queue.filter(pk__in=done_ids).count()
    left = queue.count()
    in_queue = queue.filter(pk=current.pk).exists()
    before = queue.filter(
        Q(confidence__lt=current.confidence) | Q(confidence=current.confidence, pk__lt=current.pk)
    ).count()
    total = done + left
    return {
        "position": done + before + 1 if in_queue else None,
        "total": total,
        "done": done,
        "percent": round(100 * done / total) if total else 100,
    }


def _initial(assessment: Assessment, evidence) -> dict:
    ranked = next((str(e.rank) for e in evidence if e.text == assessment.evidence_text), "")
    initial = {
        "version": assessment.version,
        "status": assessment.status,
        "evidence_choice": ranked,
        "note": assessment.note,
        "failure_reason": assessment.failure_reason,
    }
    if assessment.evidence_text and not ranked:  # taken from the review or typed: shown again, kept on re-save
        initial.update(
            evidence_choice=PASTE,
            evidence_paste=assessment.evidence_text,
            evidence_report=assessment.evidence_report_id,
            evidence_start=assessment.evidence_start,
            evidence_end=assessment.evidence_end,
        )
    return initial


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


def _review_url(pk: int, query: str, *, name: str = "review_assessment") -> str:
    url = reverse(name, args=[pk])
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
