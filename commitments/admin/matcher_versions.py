"""模型版本: every training of the matcher, its cross-validated figures and whether it was adopted.

Superusers only: a model serves every bureau, and its rows are the deployment's, not a bureau's.
"""

from __future__ import annotations

from django.contrib import admin

from commitments.admin.mixins import ReadOnlyAdminMixin
from commitments.engine.matching.model_file import ModelError, model_path, read_model_json
from commitments.models import MatcherVersion


def _pooled(row: MatcherVersion, key: str) -> str:
    value = (row.figures or {}).get("pooled_real", {}).get(key)
    return "-" if value is None else f"{value:.3f}"


@admin.register(MatcherVersion)
class MatcherVersionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "version",
        "current",
        "adopted",
        "gold_count",
        "decisions",
        "p_at_1",
        "accuracy",
        "macro_f1",
        "ece",
        "verdict",
        "trained_by",
        "created_at",
    )
    list_filter = ("adopted", "current")
    change_list_template = "admin/commitments/matcherversion/change_list.html"

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    @admin.display(description="标注文件数")
    def gold_count(self, row: MatcherVersion) -> int:
        return len(row.gold_files or [])

    @admin.display(description="证据 P@1")
    def p_at_1(self, row: MatcherVersion) -> str:
        return _pooled(row, "evidence_p_at_1")

    @admin.display(description="状态准确率")
    def accuracy(self, row: MatcherVersion) -> str:
        return _pooled(row, "status_accuracy")

    @admin.display(description="宏平均F1")
    def macro_f1(self, row: MatcherVersion) -> str:
        return _pooled(row, "status_macro_f1")

    @admin.display(description="校准误差 ECE")
    def ece(self, row: MatcherVersion) -> str:
        value = (row.figures or {}).get("calibration", {}).get("ece")
        return "-" if value is None else f"{value:.3f}"

    def changelist_view(self, request, extra_context=None):
        """Above the rows: the model the engine reads now (it may be the shipped one, with no row)."""
        try:
            data = read_model_json(model_path())
            manifest = data.get("manifest") or {}
            pooled = (manifest.get("cv") or {}).get("pooled_real") or {}
            in_use = {"version": data.get("version"), "trained_at": manifest.get("trained_at"), "pooled": pooled}
        except ModelError as exc:
            in_use = {"error": str(exc)}
        return super().changelist_view(request, {**(extra_context or {}), "model_in_use": in_use})
