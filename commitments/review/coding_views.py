"""Double coding pages inside the admin site: the second coder's queue and page, and agreement.

The second coder's page never shows the first decision, the machine's status, reason or confidence:
what the first coder or the machine said must not steer the second judgement.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from commitments.engine.agreement import cohen_kappa
from commitments.engine.types import STATUS_LABELS
from commitments.models import SecondCoding
from commitments.review.forms import SampleDrawForm, SecondCodingForm, decision_save
from commitments.review.highlight import text_highlight
from commitments.review.panes import REVIEW_KEYS, review_pane_context
from commitments.selectors.access import user_may_edit_bureau
from commitments.selectors.coding import (
    agreement_pairs,
    agreement_rows,
    sampled_assessments_for_user,
    second_coding_queue,
    user_may_code,
)
from commitments.selectors.lists import assessments_for_user, bureaus_for_user
from commitments.services.coding import double_coding_sample_draw, second_coding_check, second_coding_save


def double_coding_queue(request: HttpRequest) -> HttpResponse:
    context = {
        **admin.site.each_context(request),
        "title": "双人复核",
        "items": second_coding_queue(user=request.user),
        "mine": SecondCoding.objects.filter(
            coder=request.user, assessment__in=assessments_for_user(request.user)
        ).select_related("assessment__commitment"),
        "may_code": user_may_code(request.user),
    }
    return TemplateResponse(request, "admin/review/double_queue.html", context)


def double_coding_assessment(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = get_object_or_404(sampled_assessments_for_user(request.user), pk=pk)
    second_coding_check(assessment=assessment, user=request.user)
    commitment = assessment.commitment
    evidence = list(commitment.evidence.select_related("section").order_by("rank"))
    mine = SecondCoding.objects.filter(assessment=assessment, coder=request.user).first()
    form = SecondCodingForm(evidence=evidence, initial=_initial(mine, evidence))
    status = 200
    if request.method == "POST":
        form = SecondCodingForm(request.POST, evidence=evidence)
        decided = decision_save(
            request,
            form,
            lambda data: second_coding_save(
                assessment=assessment,
                user=request.user,
                status=data["status"],
                evidence_text=data["evidence_text"],
                note=data["note"],
            ),
        )
        status = decided.status
        if decided.saved:
            messages.success(request, "已保存复核结论")
            if request.POST.get("action") == "save_next":
                following = second_coding_queue(user=request.user).first()
                return redirect(
                    reverse("double_coding_assessment", args=[following.pk])
                    if following
                    else reverse("double_coding_queue")
                )
            return redirect(reverse("double_coding_assessment", args=[assessment.pk]))
    context = {
        **admin.site.each_context(request),
        "title": "双人复核：独立判断",
        "commitment": commitment,
        "evidence": [
            {
                "row": row,
                "marked": text_highlight(row.text, [*row.shared_terms, *row.figures]),
                "report_url": reverse("admin:commitments_report_change", args=[row.section.report_id]),
            }
            for row in evidence
        ],
        "form": form,
        "coded": mine is not None,
        "review": review_pane_context(commitment, evidence),  # no adopted evidence: that is the first coder's
        "left": second_coding_queue(user=request.user).count(),
        "keys": BLIND_KEYS,
    }
    return TemplateResponse(request, "admin/review/double_assessment.html", context, status=status)


# The second coder's keys: the review page's, less what would show or take the machine's proposal.
BLIND_KEYS = [(key, what) for key, what in REVIEW_KEYS if key not in ("c", "s", "u")]


def double_coding_agreement(request: HttpRequest) -> HttpResponse:
    user = request.user
    bureaus = bureaus_for_user(user)
    codable = [b for b in bureaus if user_may_edit_bureau(user=user, bureau_id=b.pk)]
    draw_form = SampleDrawForm(bureaus=bureaus.filter(pk__in=[b.pk for b in codable]))
    status = 200
    if request.method == "POST":
        if not codable:
            raise PermissionDenied("只有分析员可以抽样")
        draw_form = SampleDrawForm(request.POST, bureaus=bureaus.filter(pk__in=[b.pk for b in codable]))
        try:
            if not draw_form.is_valid():
                raise ValidationError("请更正抽样表单中的错误")
            data = draw_form.cleaned_data
            sample = double_coding_sample_draw(
                bureau=data["bureau"], year=data["year"], user=user, size=data["size"], seed=data["seed"]
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            status = 400
        else:
            messages.success(request, f"已抽样：{sample.bureau} {sample.year}年 {sample.size} 条（种子 {sample.seed}）")
            return redirect(f"{reverse('double_coding_agreement')}?bureau={sample.bureau_id}&year={sample.year}")
    context = {
        **admin.site.each_context(request),
        "title": "一致性",
        "rows": agreement_rows(user=user),
        "confusion": _confusion(request, bureaus),
        "draw_form": draw_form if codable else None,
    }
    return TemplateResponse(request, "admin/review/agreement.html", context, status=status)


def _initial(mine: SecondCoding | None, evidence) -> dict:
    if mine is None:
        return {}
    return {
        "status": mine.status,
        "evidence_choice": next((str(e.rank) for e in evidence if e.text == mine.evidence_text), ""),
        "note": mine.note,
    }


def _confusion(request: HttpRequest, bureaus) -> dict | None:
    """The confusion table of the chosen bureau and year; another bureau's is not found."""
    bureau_id, year = request.GET.get("bureau", ""), request.GET.get("year", "")
    if not bureau_id:
        return None
    if not (bureau_id.isdigit() and year.isdigit()):
        raise Http404("单位或年份无效")
    bureau = get_object_or_404(bureaus, pk=int(bureau_id))
    pairs = agreement_pairs(user=request.user, bureau_id=bureau.pk, year=int(year))
    result = cohen_kappa(*pairs.get((bureau.pk, int(year)), ([], [])), labels=list(STATUS_LABELS))
    return {
        "bureau": bureau,
        "year": int(year),
        "agreement": result,
        "rows": [
            {"label": STATUS_LABELS[label], "cells": cells, "total": sum(cells)}
            for label, cells in zip(result.labels, result.matrix, strict=True)
        ],
        "labels": [STATUS_LABELS[label] for label in result.labels],
        "totals": [sum(column) for column in zip(*result.matrix, strict=True)],
    }
