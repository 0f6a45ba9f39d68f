"""The scorecards' tables (django-tables2): sortable, paginated, exportable as CSV and XLSX.

Rates render as percentages on the page and export as plain fractions (value_* methods), so a spreadsheet
gets numbers it can compute with.
"""

from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from commitments.engine.types import STATUS_LABELS
from commitments.models import Commitment

AWAITING = "待回顾"
BLANK = "—"


def percent(value: float | None) -> str:
    return BLANK if value is None else f"{value * 100:.1f}%"


def fraction(value: float | None):
    return "" if value is None else round(value, 4)


def basis(record: dict) -> str:
    """Whose judgement the figures rest on: analysts', partly, or only the machine's (provisional)."""
    left_out = record.get("vague_commitments", 0) + record.get("not_commitments", 0)
    if record["commitments"] and left_out == record["commitments"]:
        return "无具体承诺（全部为笼统表述或非承诺，不计完成率）"
    if not record["assessed"]:
        return "待回顾"
    if record["confirmed"] == 0:
        return "暂定（仅机器建议）"
    if record["confirmed"] < record["assessed"]:
        return "部分经分析员确认"
    return "全部经分析员确认"


def carried_over_label(link: dict | None) -> str:
    """连续提出 in words: the later plan years it is promised again in, the earlier ones it comes from."""
    if not link:
        return ""
    parts = [f"{year}年再次提出" for year in link["again"]] + [f"承接{year}年计划" for year in link["from"]]
    return "；".join(parts)


class RateColumn(tables.Column):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", {"td": {"class": "num"}})
        super().__init__(*args, **kwargs)

    def render(self, value):
        return percent(value)

    def value(self, value):
        return fraction(value)


def _count_column(label: str) -> tables.Column:
    return tables.Column(label, attrs={"td": {"class": "num"}})


class _FigureColumns(tables.Table):
    """The figures every scorecard table shows, whatever its rows are."""

    commitments = _count_column("承诺数")
    fulfilled = _count_column(STATUS_LABELS["fulfilled"])
    partial = _count_column(STATUS_LABELS["partial"])
    not_fulfilled = _count_column(STATUS_LABELS["not_fulfilled"])
    no_evidence = _count_column(STATUS_LABELS["no_evidence"])
    unverifiable = _count_column(STATUS_LABELS["unverifiable"])
    awaiting = _count_column("待回顾")
    vague_commitments = _count_column("其中表述笼统")
    not_commitments = _count_column("其中非承诺")
    rate = RateColumn("完成率")
    confirmed_rate = RateColumn("完成率（仅已确认）")
    confirmed_share = RateColumn("分析员确认占比")
    basis = tables.Column("依据", empty_values=(), orderable=False)

    def render_basis(self, record):
        label = basis(record)
        css = "provisional" if label.startswith("暂定") else ""
        return format_html('<span class="{}">{}</span>', css, label)

    def value_basis(self, record):
        return basis(record)

    class Meta:
        abstract = True
        attrs = {"class": "scorecard"}
        empty_text = "没有符合条件的承诺"
        row_attrs = {"class": lambda record: "provisional" if basis(record).startswith("暂定") else ""}


class ScorecardTable(_FigureColumns):
    """One row per bureau and plan year."""

    bureau_name = tables.Column("单位", linkify=lambda record: reverse("scorecard_bureau", args=[record["bureau_id"]]))
    region = tables.Column("地区")
    level = tables.Column("层级")
    year = tables.Column("计划年份")

    def render_year(self, value):
        return f"{value}年"

    def value_year(self, value):
        return value if value is not None else ""

    class Meta(_FigureColumns.Meta):
        sequence = ("bureau_name", "region", "level", "year", "...")
        # Year None would be skipped by tables2's own empty check; say so in words.
        default = BLANK


class YearTable(ScorecardTable):
    """A bureau's own years: the bureau columns say nothing there."""

    class Meta(ScorecardTable.Meta):
        exclude = ("bureau_name", "region", "level")


class TopicTable(_FigureColumns):
    topic = tables.Column("主题（一级标题）")

    class Meta(_FigureColumns.Meta):
        sequence = ("topic", "...")


class CommitmentTable(tables.Table):
    year = tables.Column("计划年份", accessor="section__year")
    topic = tables.Column("主题")
    text = tables.Column("承诺")
    status = tables.Column("状态", accessor="assessment__status", empty_values=())
    source = tables.Column("来源", accessor="assessment__source", default=BLANK)
    evidence = tables.Column("证据", accessor="assessment__evidence_text", default=BLANK, orderable=False)
    carried_over = tables.Column("连续提出", empty_values=(), orderable=False)

    def render_status(self, value):
        return STATUS_LABELS.get(value, value) if value else AWAITING

    def value_status(self, value):
        return STATUS_LABELS.get(value, value) if value else AWAITING

    def render_source(self, record):
        return record.assessment.get_source_display()

    def value_source(self, record):
        assessment = getattr(record, "assessment", None)
        return assessment.get_source_display() if assessment else ""

    def __init__(self, *args, carried_over: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.links = carried_over or {}

    def render_carried_over(self, record):
        return carried_over_label(self.links.get(record.pk))

    def value_carried_over(self, record):
        return carried_over_label(self.links.get(record.pk))

    class Meta:
        model = Commitment
        fields = ("year", "topic", "text", "status", "source", "evidence", "carried_over")
        attrs = {"class": "scorecard commitments"}
        empty_text = "没有承诺"
        order_by = ("-year",)
