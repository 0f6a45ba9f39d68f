"""What the matching engine returns: evidence with its score parts, and a proposed status."""

from __future__ import annotations

from dataclasses import dataclass, field

MATCH_ENGINE_VERSION = "match-0.8"

STATUSES = ("fulfilled", "partial", "not_fulfilled", "no_evidence", "unverifiable")
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
class Evidence:
    text: str
    start: int
    end: int
    section_index: int
    score: float
    parts: dict[str, float]  # named contributions; they add up to `score`
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
    evidence: tuple[Evidence, ...] = field(default_factory=tuple)  # best first, at most 3
