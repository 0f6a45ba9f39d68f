"""Score the engine against the devset gold files (rules in shared/devset/README.md).

Pure Python, so that the same figures come from `manage.py evaluate`, the tests and benchmarks.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from commitments.engine.analyse import analyse_text
from commitments.engine.ingest.readers import read_report
from commitments.engine.matching.engine import match_commitments, review_sections_for
from commitments.engine.matching.peers import PEERS
from commitments.engine.types import VERIFIABLE, CommitmentSpan

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
    # gold item id -> index of the system commitment that found it
    found_by: dict[str, int] = field(default_factory=dict)

    @property
    def recall(self) -> float | None:
        return self.found / self.gold_concrete if self.gold_concrete else None

    @property
    def precision(self) -> float | None:
        return self.system_matched / self.system_concrete if self.system_concrete else None

    @property
    def vague_accuracy(self) -> float | None:
        return self.vague_agree / self.vague_total if self.vague_total else None


@dataclass
class MatchingScore:
    evidence_total: int = 0
    hits_at_1: int = 0
    hits_at_3: int = 0
    status_pairs: list[tuple[str, str]] = field(default_factory=list)  # (gold, system) per concrete gold
    errors: list[str] = field(default_factory=list)

    @property
    def precision_at_1(self) -> float | None:
        return self.hits_at_1 / self.evidence_total if self.evidence_total else None

    @property
    def recall_at_3(self) -> float | None:
        return self.hits_at_3 / self.evidence_total if self.evidence_total else None

    @property
    def status_accuracy(self) -> float | None:
        pairs = self.status_pairs
        return sum(g == s for g, s in pairs) / len(pairs) if pairs else None

    @property
    def status_macro_f1(self) -> float | None:
        return macro_f1(self.status_pairs)

    def confusion(self) -> Counter:
        return Counter(self.status_pairs)


@dataclass
class FileScore:
    extraction: ExtractionScore
    matching: MatchingScore | None = None


def macro_f1(pairs: list[tuple[str, str]]) -> float | None:
    """Mean F1 over the gold statuses that occur in the gold or the predictions."""
    if not pairs:
        return None
    labels = [s for s in VERIFIABLE if any(s in pair for pair in pairs)]
    scores = []
    for label in labels:
        tp = sum(g == s == label for g, s in pairs)
        fp = sum(s == label and g != label for g, s in pairs)
        fn = sum(g == label and s != label for g, s in pairs)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


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
        for index, (_, sys_chars) in enumerate(system):
            if len(chars & sys_chars) >= COVER * len(chars) and len(sys_chars) <= MAX_LENGTH_RATIO * len(chars):
                best = index
                break
        if item.get("id") is not None and best is not None:
            score.found_by.setdefault(item["id"], best)
        if item["kind"] == "concrete":
            score.gold_concrete += 1
            if best is not None:
                score.found += 1
            else:
                score.missed.append(item["text"])
        if best is not None:
            score.vague_total += 1
            score.vague_agree += system[best][0].vague == (item["kind"] == "vague")
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


def evaluate_matching(gold: dict, extraction: ExtractionScore, results: list) -> MatchingScore:
    """Evidence P@1 / R@3 and status figures, given one MatchResult per system commitment."""
    score = MatchingScore()
    for item in gold["commitments"]:
        index = extraction.found_by.get(item.get("id"))
        result = results[index] if index is not None else None
        if result is not None and item["status"] != "no_evidence":
            score.evidence_total += 1
            texts = [ev.text for ev in result.evidence]
            hit = [any(g in t for g in item["evidence"]) for t in texts]
            score.hits_at_1 += bool(hit[:1] and hit[0])
            score.hits_at_3 += any(hit[:3])
            if not (hit[:1] and hit[0]):
                score.errors.append(f"[证据] {item['text'][:40]} ⇒ {texts[0][:40] if texts else '（无）'}")
        if item["kind"] == "concrete":
            system_status = result.status if result is not None else "not_found"
            score.status_pairs.append((item["status"], system_status))
            if system_status != item["status"]:
                reason = result.reason if result is not None else "未抽取到"
                score.errors.append(f"[状态] {item['status']}→{system_status} {item['text'][:30]}｜{reason[:60]}")
    return score


def gold_year(gold: dict) -> int | None:
    year = gold.get("year")
    if isinstance(year, int):
        return year
    digits = "".join(ch for ch in str(year or "")[:4] if ch.isdigit())
    return int(digits) if len(digits) == 4 else None


def evaluate_gold_file(
    path: Path, *, matching: bool = True, use_embeddings: bool | None = None, peer: str | None = None
) -> FileScore:
    """Figures for one gold file; `peer` scores a simple baseline (see matching/peers.py) instead."""
    gold = json.loads(path.read_text(encoding="utf-8"))
    plan = read_report(path.parent / gold["plan_file"])
    year = gold_year(gold)
    extraction = analyse_text(plan.text, year=year)
    extraction_score = evaluate_extraction(gold, plan.text, extraction.commitments, path.name)
    if not (matching and gold.get("review_file") and year):
        return FileScore(extraction_score)

    review = read_report(path.parent / gold["review_file"])
    review_extraction = analyse_text(review.text, year=year + 1)
    indexes = review_sections_for(review_extraction.sections, year=year)
    sections = [review_extraction.sections[i] for i in indexes] or [
        s for s in review_extraction.sections if s.kind == "review"
    ]
    if peer:
        results = PEERS[peer](extraction.commitments, review.text, sections)
    else:
        results = match_commitments(
            extraction.commitments,
            review.text,
            sections,
            corpus=[plan.text, review.text],
            use_embeddings=use_embeddings,
        )
    return FileScore(extraction_score, evaluate_matching(gold, extraction_score, results))
