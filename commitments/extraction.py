"""The extraction engine's one entry point: report text in, sections and commitments out.

Pure Python (no Django), so that it can be evaluated, benchmarked and run from `extract_file`.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass, field

ENGINE_VERSION = "extract-0.3"  # 0.3: headings without a year placed by the date; task-table header rows skipped


@dataclass(frozen=True)
class SectionSpan:
    kind: str  # "review" | "plan" | "other"
    year: int | None  # None when the text does not say (never guessed)
    period: str  # "" (whole year), "上半年", "下半年", "第三季度", "下一阶段", ...
    heading: str
    start: int
    end: int

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Target:
    text: str  # as written, e.g. "超过50%"
    value: float | None
    unit: str  # "%", "个", "分钟", ...
    comparator: str  # ">", ">=", "<", "<=", "=", "~" (about), "range", "+" (growth by), "-" (fall by)
    subject: str = ""  # what the figure is about, when it can be told
    value_high: float | None = None  # upper end of a range ("5%-6%")

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class CommitmentSpan:
    text: str
    start: int
    end: int
    section_index: int  # index into Extraction.sections
    topic_path: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    targets: tuple[Target, ...] = ()
    actions: tuple[str, ...] = ()
    deadline: str = ""
    vague: bool = False

    @property
    def topic(self) -> str:
        return self.topic_path[-1] if self.topic_path else ""

    def as_dict(self) -> dict:
        return {
            "text": self.text,
            "topic": " > ".join(self.topic_path),
            "vague": self.vague,
            "documents": list(self.documents),
            "targets": [t.as_dict() for t in self.targets],
            "actions": list(self.actions),
            "deadline": self.deadline,
            "start": self.start,
            "end": self.end,
        }


@dataclass
class Extraction:
    sections: list[SectionSpan] = field(default_factory=list)
    commitments: list[CommitmentSpan] = field(default_factory=list)
    report_year: int | None = None
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "sections": [s.as_dict() for s in self.sections],
            "commitments": [c.as_dict() for c in self.commitments],
        }


def analyse_text(
    text: str, *, title: str = "", year: int | None = None, published: datetime.date | None = None
) -> Extraction:
    """Split a report into sections and extract the commitments of its plan sections.

    `year` is the analyst's hint for the report's own year; years written in the body win over it.
    `published`, the date the report bears, places headings without a year (今年工作安排).
    """
    from commitments.ingest.sectioning import split_sections
    from commitments.nlp.extract import extract_commitments

    sections, report_year, warnings = split_sections(text, title=title, year_hint=year, published=published)
    commitments: list[CommitmentSpan] = []
    for index, section in enumerate(sections):
        if section.kind == "plan":
            commitments.extend(extract_commitments(text, section, section_index=index))
    return Extraction(sections=sections, commitments=commitments, report_year=report_year, warnings=warnings)
