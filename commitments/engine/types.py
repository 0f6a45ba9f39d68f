"""The engine's types: the bottom floor, imported by every part of the engine and by the services.

Report text becomes sections and commitments (`Extraction`); a review becomes units, and matching
returns evidence spans with their named score parts and a proposed status (`MatchResult`). Plain
frozen dataclasses, no Django, so the engine runs and is tested without a database.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

# The matching engine's version: evidence and machine assessments it made carry it, and a change
# of it makes the periodic check re-match them.
MATCH_ENGINE_VERSION = "match-0.10"

STATUSES = ("fulfilled", "partial", "not_fulfilled", "no_evidence", "unverifiable")
# The statuses a review can settle; "unverifiable" (a vague commitment) is outside every rate.
VERIFIABLE = ("fulfilled", "partial", "not_fulfilled", "no_evidence")
STATUS_LABELS = {
    "fulfilled": "已完成",
    "partial": "部分完成",
    "not_fulfilled": "未完成",
    "no_evidence": "回顾未提及",
    "unverifiable": "无法核验",
}

# Names of the score parts as analysts read them.
PART_LABELS = {
    "terms": "关键词",
    "phrase": "共同短语",
    "document": "同名文件",
    "target": "目标数值",
    "topic": "主题一致",
    "semantic": "语义相似",
    "outcome": "结果表述",
    "span": "多年合计",
    # the learned ranker's other feature groups (matching/features.py)
    "tfidf": "字面相似",
    "rule": "规则总分",
    "rank": "候选排名",
    "mutual": "互为最佳",
    "problem": "问题部分",
    "cue": "进展用语",
    "length": "句子长度",
}


@dataclass(frozen=True)
class ReviewUnit:
    """A sentence or `；`-clause of a review: the grain at which evidence is shown."""

    text: str
    start: int  # offsets into the review report's text
    end: int
    section_index: int
    topic_path: tuple[str, ...] = ()
    problem: bool = False  # in the review's account of its problems ("要清醒看到…问题和挑战。…")


@dataclass(frozen=True)
class EvidenceSpan:
    text: str
    start: int
    end: int
    section_index: int
    score: float
    parts: dict[str, float]  # named log-odds contributions of the evidence model (matching/learned.py)
    shared_terms: tuple[str, ...] = ()  # for highlighting
    figures: tuple[str, ...] = ()  # reported figures compared with the commitment's targets
    problem: bool = False  # a problem the review admits, not a result it reports

    def as_dict(self) -> dict:
        return {
            "text": self.text,
            "score": round(self.score, 4),
            "parts": {k: round(v, 4) for k, v in self.parts.items()},
            "shared_terms": list(self.shared_terms),
            "figures": list(self.figures),
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True)
class MatchResult:
    status: str
    confidence: float  # 0..1
    reason: str  # one line, Chinese
    evidence: tuple[EvidenceSpan, ...] = field(default_factory=tuple)  # best first, at most 3


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
    vague: bool = False  # out of the rate: vague or not a commitment
    kind: str = "concrete"  # concrete / vague / not_commitment (engine/nlp/kinds)
    concreteness: float | None = None  # the fitted call's P(concrete); None: the rules decided

    @property
    def topic(self) -> str:
        return self.topic_path[-1] if self.topic_path else ""

    def as_dict(self) -> dict:
        return {
            "text": self.text,
            "topic": " > ".join(self.topic_path),
            "vague": self.vague,
            "kind": self.kind,
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
