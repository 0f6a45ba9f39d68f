"""Double coding pages inside the admin site: the second coder's queue and page, and agreement.

The second coder's page never shows the first decision, the machine's status, reason or confidence:
what the first coder or the machine said must not steer the second judgement.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from commitments import coding_services, selectors
from commitments.agreement import cohen_kappa
from commitments.highlight import text_highlight
from commitments.matching.types import STATUS_LABELS
from commitments.models import SecondCoding
from commitments.review_views import EvidenceChoiceForm


class SecondCodingForm(EvidenceChoiceForm):
    field_order = ["status", "evidence_choice", "evidence_paste", "note"]

    # No preselected status: a default would be a hint.
    status = forms.ChoiceField(label="状态", choices=[("", "—"), *STATUS_LABELS.items()])


class SampleDrawForm(forms.Form):
    bureau = forms.ModelChoiceField(label="单位", queryset=None)
    year = forms.IntegerField(label="计划年份", min_value=1900, max_value=2200)
    size = forms.IntegerField(label="抽样数", min_value=1)
    seed = forms.IntegerField(
        label="随机种子",
        required=False,
        min_value=0,
        max_value=coding_services.SEED_LIMIT - 1,
        help_text="留空则随机生成并记录；同一种子可重现同一样本",
    )

    def __init__(self, *args, bureaus, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bureau"].queryset = bureaus


def double_coding_queue(request: HttpRequest) -> HttpResponse:
    context = {
        **admin.site.each_context(request),
        "title": "双人复核",
        "items": coding_services.second_coding_queue(user=request.user),
        "mine": SecondCoding.objects.filter(
            coder=request.user, assessment__in=selectors.assessments_for_user(request.user)
        ).select_related("assessment__commitment"),
        "may_code": coding_services.user_may_code(request.user),
    }
    return TemplateResponse(request, "admin/review/double_queue.html", context)


def double_coding_assessment(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = get_object_or_404(coding_services.sampled_assessments_for_user(request.user), pk=pk)
    coding_services.second_coding_check(assessment=assessment, user=request.user)
    commitment = assessment.commitment
    evidence = list(commitment.evidence.select_related("section").order_by("rank"))
    mine = SecondCoding.objects.filter(assessment=assessment, coder=request.user).first()
    form = SecondCodingForm(evidence=evidence, initial=_initial(mine, evidence))
    status = 200
    if request.method == "POST":
        form = SecondCodingForm(request.POST, evidence=evidence)
        try:
            if not form.is_valid():
                raise ValidationError("请更正下方的错误")
            coding_services.second_coding_save(
                assessment=assessment,
                user=request.user,
                status=form.cleaned_data["status"],
                evidence_text=form.cleaned_data["evidence_text"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            status = 400
        else:
            messages.success(request, "已保存复核结论")
            if request.POST.get("action") == "save_next":
                following = coding_services.second_coding_queue(user=request.user).first()
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
    }
    return TemplateResponse(request, "admin/review/double_assessment.html", context, status=status)


def double_coding_agreement(request: HttpRequest) -> HttpResponse:
    user = request.user
    bureaus = selectors.bureaus_for_user(user)
    codable = [b for b in bureaus if selectors.user_may_edit_bureau(user=user, bureau_id=b.pk)]
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
            sample = coding_services.double_coding_sample_draw(
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
        "rows": coding_services.agreement_rows(user=user),
        "confusion": _confusion(request, bureaus),
        "draw_form": draw_form if codable else None,
    }
    return TemplateResponse(request, "admin/review/agreement.html", context, status=status)


def coding_urls(site: admin.AdminSite) -> list:
    return [
        path("double/", site.admin_view(double_coding_queue), name="double_coding_queue"),
        path("double/<int:pk>/", site.admin_view(double_coding_assessment), name="double_coding_assessment"),
        path("agreement/", site.admin_view(double_coding_agreement), name="double_coding_agreement"),
    ]


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
    pairs = coding_services.agreement_pairs(user=request.user, bureau_id=bureau.pk, year=int(year))
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
