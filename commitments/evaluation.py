"""Score the engine against the devset gold files (rules in shared/devset/README.md).

Pure Python, so that the same figures come from `manage.py evaluate`, the tests and benchmarks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from commitments.extraction import CommitmentSpan, analyse_text

COVER = 0.6
MAX_LENGTH_RATIO = 3.0


@dataclass
class ExtractionScore:
    gold_file: str
    gold_concrete: int = 0
    found: int = 0
    system_concrete: int = 0
    system_matched: int = 0
    vague_agree: int = 0
    vague_total: int = 0
    missed: list[str] = field(default_factory=list)
    spurious: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float | None:
        return self.found / self.gold_concrete if self.gold_concrete else None

    @property
    def precision(self) -> float | None:
        return self.system_matched / self.system_concrete if self.system_concrete else None

    @property
    def vague_accuracy(self) -> float | None:
        return self.vague_agree / self.vague_total if self.vague_total else None


def _positions(text: str, start: int, end: int) -> set[int]:
    """Character positions of a span, whitespace ignored."""
    return {i for i in range(start, end) if not text[i].isspace()}


def _gold_spans(plan: str, gold_text: str) -> list[tuple[int, int]]:
    spans, pos = [], plan.find(gold_text)
    while pos != -1:
        spans.append((pos, pos + len(gold_text)))
        pos = plan.find(gold_text, pos + 1)
    return spans


def evaluate_extraction(gold: dict, plan_text: str, commitments: list[CommitmentSpan], name: str) -> ExtractionScore:
    score = ExtractionScore(gold_file=name)
    system = [(c, _positions(plan_text, c.start, c.end)) for c in commitments]
    gold_items = []
    for item in gold["commitments"]:
        for start, end in _gold_spans(plan_text, item["text"]):
            gold_items.append((item, _positions(plan_text, start, end)))
    for item, chars in gold_items:
        if not chars:
            continue
        best = None
        for commitment, sys_chars in system:
            if len(chars & sys_chars) >= COVER * len(chars) and len(sys_chars) <= MAX_LENGTH_RATIO * len(chars):
                best = commitment
                break
        if item["kind"] == "concrete":
            score.gold_concrete += 1
            if best is not None:
                score.found += 1
            else:
                score.missed.append(item["text"])
        if best is not None:
            score.vague_total += 1
            score.vague_agree += best.vague == (item["kind"] == "vague")
    for commitment, sys_chars in system:
        if commitment.vague or not sys_chars:
            continue
        score.system_concrete += 1
        if any(
            len(chars & sys_chars) >= COVER * len(chars) or len(chars & sys_chars) >= COVER * len(sys_chars)
            for _, chars in gold_items
            if chars
        ):
            score.system_matched += 1
        else:
            score.spurious.append(commitment.text)
    return score


def evaluate_gold_file(path: Path) -> ExtractionScore:
    gold = json.loads(path.read_text(encoding="utf-8"))
    plan_path = path.parent / gold["plan_file"]
    from commitments.ingest.readers import read_report

    plan = read_report(plan_path)
    # The gold offsets refer to the file as stored; the reader only normalises line ends.
    extraction = analyse_text(plan.text, title="", year=gold.get("year") if isinstance(gold.get("year"), int) else None)
    return evaluate_extraction(gold, plan.text, extraction.commitments, path.name)
