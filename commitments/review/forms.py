"""The review pages' forms, and the one handler that turns a posted decision into a save or messages.

Shared by the review page and the second coder's page, so that both validate, refuse and report alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from commitments.engine.types import STATUS_LABELS
from commitments.models import Assessment
from commitments.services.assessments import EvidenceSpot, StaleAssessment
from commitments.services.coding import SEED_LIMIT

PASTE = "paste"


class EvidenceChoiceForm(forms.Form):
    """Pick one of the ranked evidence passages, paste another, or none; a note. Shared by the review
    page and the second coder's page."""

    evidence_choice = forms.ChoiceField(label="采用的证据", widget=forms.RadioSelect, required=False)
    evidence_paste = forms.CharField(
        label="粘贴证据", required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 80})
    )
    note = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 80}))

    # Where pasted evidence stands in the review, filled by the page when a span of the review text is
    # taken; cleared when the analyst types in the paste field (then it is text only).
    evidence_report = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    evidence_start = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    evidence_end = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args, evidence=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = {str(row.rank): row for row in evidence}
        self.evidence = {rank: row.text for rank, row in self.rows.items()}
        self.fields["evidence_choice"].choices = [
            *((rank, f"证据 {rank}") for rank in self.evidence),
            (PASTE, "粘贴或选取回顾中的其他文字"),
            ("", "不采用证据"),
        ]

    def clean(self):
        data = super().clean()
        # A browser sends a textarea's line ends as CRLF; report text holds LF only (readers normalise it).
        data["evidence_paste"] = data.get("evidence_paste", "").replace("\r\n", "\n")
        choice = data.get("evidence_choice") or ""
        if choice == PASTE and not data.get("evidence_paste", "").strip():
            self.add_error("evidence_paste", "请粘贴证据原文，或在右侧回顾中选取文字")
        data["evidence_text"] = data.get("evidence_paste", "") if choice == PASTE else self.evidence.get(choice, "")
        data["evidence_at"] = self._place(choice, data)
        return data

    def _place(self, choice: str, data: dict) -> EvidenceSpot | None:
        if choice in self.rows:
            row = self.rows[choice]
            return EvidenceSpot(row.section.report_id, row.start, row.end)
        place = [data.get(name) for name in ("evidence_report", "evidence_start", "evidence_end")]
        if choice == PASTE and all(value is not None for value in place):
            return EvidenceSpot(*place)
        return None


class ReviewForm(EvidenceChoiceForm):
    field_order = ["version", "status", "failure_reason", "evidence_choice", "evidence_paste", "note"]

    version = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label="状态", choices=list(STATUS_LABELS.items()), widget=forms.RadioSelect)
    failure_reason = forms.ChoiceField(
        label="未完成原因", required=False, choices=[("", "—")] + list(Assessment.FailureReason.choices)
    )

    def clean(self):
        data = super().clean()
        if data.get("status") == "not_fulfilled" and not data.get("failure_reason"):
            self.add_error("failure_reason", "状态为“未完成”时须选择未完成原因")
        return data


class SecondCodingForm(EvidenceChoiceForm):
    field_order = ["status", "evidence_choice", "evidence_paste", "note"]

    # No preselected status: a default would be a hint.
    status = forms.ChoiceField(label="状态", choices=list(STATUS_LABELS.items()), widget=forms.RadioSelect)


class SampleDrawForm(forms.Form):
    bureau = forms.ModelChoiceField(label="单位", queryset=None)
    year = forms.IntegerField(label="计划年份", min_value=1900, max_value=2200)
    size = forms.IntegerField(label="抽样数", min_value=1)
    seed = forms.IntegerField(
        label="随机种子",
        required=False,
        min_value=0,
        max_value=SEED_LIMIT - 1,
        help_text="留空则随机生成并记录；同一种子可重现同一样本",
    )

    def __init__(self, *args, bureaus, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bureau"].queryset = bureaus


@dataclass(frozen=True)
class Decided:
    status: int  # the page's HTTP status: 200 saved, 400 refused, 409 someone saved meanwhile
    conflict: StaleAssessment | None = None

    @property
    def saved(self) -> bool:
        return self.status == 200


def decision_save(
    request: HttpRequest, form: forms.Form, save: Callable[[dict], object], *, form_must_validate: bool = True
) -> Decided:
    """Validate `form` (unless the action needs only part of it) and call `save(cleaned_data)`.

    What refuses the decision (invalid form, a service's ValidationError, a stale version) becomes an
    error message for the analyst, never a traceback; nothing is written then.
    """
    try:
        if not form.is_valid() and form_must_validate:
            raise ValidationError("请更正下方的错误")
        save(form.cleaned_data)
    except StaleAssessment as conflict:
        messages.error(request, str(conflict))
        return Decided(status=409, conflict=conflict)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return Decided(status=400)
    return Decided(status=200)
