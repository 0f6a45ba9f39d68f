"""Assessments as CSV/XLSX rows (django-import-export) with Chinese headers.

Export writes what the list shows; import only changes status, evidence, note and failure reason of
existing assessments, each row through `assessment_decide` (bureau rights, optimistic locking, history).
A row that fails is reported with its number; the admin rolls the whole file back when any row fails.
Every exported cell goes through commitments.exports (no formula in any cell); text read back is unquoted.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from import_export import fields, resources, widgets

from commitments.engine.types import STATUS_LABELS
from commitments.exports import neutralise_dataset, unneutralise
from commitments.models import Assessment
from commitments.selectors.lists import assessments_for_user
from commitments.services.assessments import StaleAssessment, assessment_decide

NOT_YOURS = "无此评估，或不属于你负责的单位"
REQUIRED_HEADERS = ("id", "状态", "版本")


class ChoiceWidget(widgets.Widget):
    """Exports the Chinese label; imports the label or the code."""

    def __init__(self, choices: dict[str, str], what: str, **kwargs):
        super().__init__(**kwargs)
        self.labels = choices
        self.codes = {label: code for code, label in choices.items()}
        self.what = what

    def clean(self, value, row=None, **kwargs):
        value = "" if value is None else str(value).strip()
        if not value:
            return ""
        if value in self.labels:
            return value
        if value in self.codes:
            return self.codes[value]
        raise ValueError(f"未知的{self.what}“{value}”，可用：{'、'.join(self.labels.values())}")

    def render(self, value, obj=None, **kwargs):
        return self.labels.get(value, value or "")


class TextWidget(widgets.CharWidget):
    """Empty cells (None from XLSX) read as empty text, not as "None"; the quote the export put before a
    formula-like text is taken off again, so that a re-imported export changes nothing."""

    def clean(self, value, row=None, **kwargs):
        return "" if value is None else unneutralise(str(value).strip())


class AssessmentResource(resources.ModelResource):
    id = fields.Field(attribute="id", column_name="id", widget=widgets.IntegerWidget())
    bureau = fields.Field(attribute="commitment__section__report__bureau__name", column_name="单位", readonly=True)
    plan_year = fields.Field(attribute="commitment__section__year", column_name="计划年份", readonly=True)
    topic = fields.Field(attribute="commitment__topic", column_name="主题", readonly=True)
    commitment = fields.Field(attribute="commitment__text", column_name="承诺", readonly=True)
    status = fields.Field(attribute="status", column_name="状态", widget=ChoiceWidget(STATUS_LABELS, "状态"))
    confidence = fields.Field(attribute="confidence", column_name="置信度", readonly=True)
    source = fields.Field(
        attribute="source",
        column_name="来源",
        readonly=True,
        widget=ChoiceWidget(dict(Assessment.Source.choices), "来源"),
    )
    evidence_text = fields.Field(attribute="evidence_text", column_name="采用的证据", widget=TextWidget())
    note = fields.Field(attribute="note", column_name="备注", widget=TextWidget())
    failure_reason = fields.Field(
        attribute="failure_reason",
        column_name="未完成原因",
        widget=ChoiceWidget(dict(Assessment.FailureReason.choices), "未完成原因"),
    )
    # Read from the row and handed to the service as the expected version, never set on the row.
    version = fields.Field(attribute="version", column_name="版本", readonly=True)

    class Meta:
        model = Assessment
        fields = (
            "id",
            "bureau",
            "plan_year",
            "topic",
            "commitment",
            "status",
            "confidence",
            "source",
            "evidence_text",
            "note",
            "failure_reason",
            "version",
        )
        name = "评估（可导入：状态、采用的证据、备注、未完成原因；按 id 与版本核对）"
        import_id_fields = ("id",)
        use_transactions = True
        skip_unchanged = True
        report_skipped = True

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user

    def export(self, queryset=None, **kwargs):
        """Whatever the format, fields added later included: cells made safe once, here."""
        return neutralise_dataset(super().export(queryset=queryset, **kwargs))

    def get_queryset(self):
        # Another bureau's id is looked up among the user's rows only, so it reads as unknown.
        if self.user is None:
            return Assessment.objects.none()
        return assessments_for_user(self.user)

    def before_import(self, dataset, **kwargs):
        missing = [h for h in REQUIRED_HEADERS if h not in (dataset.headers or [])]
        if missing:
            raise ValidationError(f"缺少列：{'、'.join(missing)}")

    def before_import_row(self, row, **kwargs):
        errors = {}
        for column, attribute in (("id", "id"), ("版本", "version")):
            try:
                value = int(str(row.get(column) or "").strip().removesuffix(".0"))
            except ValueError:
                errors[attribute] = f"“{column}”须为整数，而不是“{row.get(column) or ''}”"
            else:
                row[column] = value
        if errors:
            raise ValidationError(errors)

    def init_instance(self, row=None):
        raise ValidationError({"id": f"{NOT_YOURS}（id {row.get('id')}）"})

    def skip_row(self, instance, original, row, import_validation_errors=None):
        # A re-imported export leaves untouched rows alone instead of turning proposals into decisions.
        if import_validation_errors:
            return False
        return all(
            getattr(instance, name) == getattr(original, name)
            for name in ("status", "evidence_text", "note", "failure_reason")
        )

    def import_row(self, row, instance_loader, **kwargs):
        result = super().import_row(row, instance_loader, **kwargs)
        error = result.validation_error
        if error is not None and hasattr(error, "error_dict"):
            # The import page names the columns the user sees, not the model's attributes.
            columns = {f.attribute: f.column_name for f in self.fields.values()}
            result.validation_error = ValidationError(
                {columns.get(key, key): messages for key, messages in error.message_dict.items()}
            )
        return result

    def save_instance(self, instance, is_create, row, **kwargs):
        try:
            assessment_decide(
                assessment=instance,
                user=self.user,
                expected_version=row["版本"],
                status=instance.status,
                evidence_text=instance.evidence_text,
                note=instance.note,
                failure_reason=instance.failure_reason,
            )
        except StaleAssessment as stale:
            raise ValidationError({"version": str(stale)}) from stale
        except PermissionDenied as denied:
            raise ValidationError(str(denied) or NOT_YOURS) from denied
        instance.refresh_from_db()
