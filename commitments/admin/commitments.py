"""Commitments with their evidence, assessment and place in the plan."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from commitments.admin.mixins import EXCERPT_CHARS, BureauScopedMixin, PlanYearFilter, assessment_of, score_parts
from commitments.engine.types import STATUS_LABELS
from commitments.models import (
    Bureau,
    Commitment,
    Evidence,
)
from commitments.queue import EnqueueFailed
from commitments.selectors.lists import (
    commitments_for_user,
)
from commitments.services.kinds import commitments_kind_set
from commitments.services.runs import matching_run_request


class AssessmentStatusFilter(admin.SimpleListFilter):
    title = "状态"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*STATUS_LABELS.items(), ("none", "未匹配")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(assessment__isnull=True)
        if value:
            return queryset.filter(assessment__status=value)
        return queryset


class EvidenceInline(admin.TabularInline):
    model = Evidence
    fields = ("rank", "text", "score", "part_list", "section")
    readonly_fields = fields
    ordering = ("rank",)
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="得分构成")
    def part_list(self, obj: Evidence) -> str:
        return score_parts(obj.parts)


@admin.register(Commitment)
class CommitmentAdmin(BureauScopedMixin, SimpleHistoryAdmin):
    list_display = (
        "excerpt",
        "topic",
        "bureau",
        "plan_year",
        "kind_label",
        "document_list",
        "target_summary",
        "status_label",
    )
    list_filter = (
        ("section__report__bureau", admin.RelatedOnlyFieldListFilter),
        PlanYearFilter,
        AssessmentStatusFilter,
        "topic",
        "kind",
        "kind_by_analyst",
    )
    actions = ("mark_concrete", "mark_vague", "mark_not_commitment")
    list_select_related = ("section__report__bureau", "assessment")
    search_fields = ("text",)
    inlines = (EvidenceInline,)
    fields = (
        "text",
        "assessment_summary",
        "in_context",
        "section",
        "topic_trail",
        "action_list",
        "document_list",
        "target_detail",
        "deadline",
        "kind",
        "kind_by_analyst",
        "start",
        "end",
        "order",
        "engine_version",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return commitments_for_user(request.user)

    def has_add_permission(self, request):
        return False

    def has_kind_permission(self, request) -> bool:
        """Analysts (not viewers); which bureaus they may decide on is checked per row by the service."""
        return request.user.has_perm("commitments.change_commitment")

    # simple_history falls back to the history rows when get_queryset misses the object: check first.
    def history_view(self, request, object_id, extra_context=None):
        self.get_object(request, unquote(object_id))
        return super().history_view(request, object_id, extra_context=extra_context)

    @admin.action(description="标为具体承诺（计入完成率）", permissions=["kind"])
    def mark_concrete(self, request, queryset):
        self._kind_set(request, queryset, Commitment.Kind.CONCRETE)

    @admin.action(description="标为表述笼统（不计入完成率）", permissions=["kind"])
    def mark_vague(self, request, queryset):
        self._kind_set(request, queryset, Commitment.Kind.VAGUE)

    @admin.action(description="标为非承诺（不计入完成率）", permissions=["kind"])
    def mark_not_commitment(self, request, queryset):
        self._kind_set(request, queryset, Commitment.Kind.NOT_COMMITMENT)

    def _kind_set(self, request, queryset, kind: str) -> None:
        outcome = commitments_kind_set(
            user=request.user, commitment_ids=queryset.values_list("pk", flat=True), kind=kind
        )
        label = Commitment.Kind(kind).label
        messages.success(request, f"已将 {len(outcome.changed)} 条标为“{label}”（分析员确定，重新抽取时保留）")
        for reason, count in outcome.skipped.items():
            messages.warning(request, f"跳过 {count} 条：{reason}")
        bureaus = Bureau.objects.in_bulk({b for b, _ in outcome.scopes})
        for bureau_id, year in sorted(outcome.scopes, key=lambda s: (s[0], s[1] or 0)):
            try:
                matching_run_request(bureau=bureaus[bureau_id], year=year)
            except EnqueueFailed as exc:
                messages.warning(request, f"类型已保存；重新匹配未能排队：{exc}")

    @admin.display(description="类型", ordering="kind")
    def kind_label(self, obj: Commitment) -> str:
        return obj.get_kind_display() + ("（分析员）" if obj.kind_by_analyst else "")

    @admin.display(description="承诺", ordering="text")
    def excerpt(self, obj: Commitment) -> str:
        return obj.text if len(obj.text) <= EXCERPT_CHARS else obj.text[:EXCERPT_CHARS] + "…"

    @admin.display(description="单位", ordering="section__report__bureau__name")
    def bureau(self, obj: Commitment) -> Bureau:
        return obj.section.report.bureau

    @admin.display(description="计划年份", ordering="section__year")
    def plan_year(self, obj: Commitment) -> str:
        return f"{obj.section.year}年{obj.section.period}" if obj.section.year else f"未知{obj.section.period}"

    @admin.display(description="状态", ordering="assessment__status")
    def status_label(self, obj: Commitment) -> str:
        assessment = assessment_of(obj)
        return assessment.get_status_display() if assessment else "未匹配"

    @admin.display(description="评估")
    def assessment_summary(self, obj: Commitment) -> str:
        assessment = assessment_of(obj)
        if assessment is None:
            return "未匹配（尚无对应年份的工作回顾，或尚未运行匹配）"
        link = reverse("admin:commitments_assessment_change", args=[assessment.pk])
        disagreement = (
            format_html(
                "<p>机器意见不同：{}（{}）</p>", assessment.get_machine_status_display(), assessment.machine_reason
            )
            if assessment.machine_disagrees
            else ""
        )
        return format_html(
            '<p><strong>{}</strong>（置信度 {}，{}）<a href="{}">详情与历史</a></p><p>理由：{}</p>{}',
            assessment.get_status_display(),
            f"{assessment.confidence:.2f}",
            assessment.get_source_display(),
            link,
            assessment.reason or "-",
            disagreement,
        )

    @admin.display(description="文件")
    def document_list(self, obj: Commitment) -> str:
        return "、".join(d if d.startswith("《") else f"《{d}》" for d in obj.documents) or "-"

    @admin.display(description="量化目标")
    def target_summary(self, obj: Commitment) -> str:
        return "、".join(t.get("text", "") if isinstance(t, dict) else str(t) for t in obj.targets) or "-"

    @admin.display(description="主题路径")
    def topic_trail(self, obj: Commitment) -> str:
        return " > ".join(obj.topic_path) or "-"

    @admin.display(description="行动词")
    def action_list(self, obj: Commitment) -> str:
        return "、".join(obj.actions) or "-"

    @admin.display(description="量化目标")
    def target_detail(self, obj: Commitment) -> str:
        rows = [
            (t.get("text", ""), t.get("comparator", ""), t.get("value"), t.get("unit", ""), t.get("subject", ""))
            for t in obj.targets
            if isinstance(t, dict)
        ]
        if not rows:
            return "-"
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", "<li>{}（{} {} {}；{}）</li>", ((*row[:4], row[4] or "对象未明") for row in rows)),
        )

    @admin.display(description="原文位置")
    def in_context(self, obj: Commitment) -> str:
        text = obj.section.report.text
        before = text[max(0, obj.start - 120) : obj.start]
        after = text[obj.end : obj.end + 120]
        link = reverse("admin:commitments_report_change", args=[obj.section.report_id])
        return format_html(
            '<div style="white-space: pre-wrap; max-width: 60em">…{}<mark>{}</mark>{}…</div><p><a href="{}">{}</a></p>',
            before,
            text[obj.start : obj.end],
            after,
            link,
            obj.section.report.title,
        )
