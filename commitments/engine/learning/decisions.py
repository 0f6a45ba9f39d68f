"""Analysts' decisions as labelled pairs: the same shape as a prepared gold file for the fit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from commitments.engine.matching.engine import PairScores, prepare_pair
from commitments.engine.types import CommitmentSpan, SectionSpan


@dataclass
class DecisionPair:
    name: str
    scores: PairScores
    items: list[tuple[int, dict]]

    def labelled(self) -> list[tuple[int, dict]]:
        return self.items


def prepare_decisions(inputs: Sequence, *, use_embeddings: bool = True) -> list[DecisionPair]:
    """`inputs` carry commitments, review_text, review_sections, corpus and items (selectors/decisions.py)."""
    pairs = []
    for entry in inputs:
        commitments: list[CommitmentSpan] = entry.commitments
        sections: list[SectionSpan] = entry.review_sections
        scores = prepare_pair(
            commitments, entry.review_text, sections, corpus=entry.corpus, use_embeddings=use_embeddings
        )
        if scores is not None and entry.items:
            pairs.append(DecisionPair(entry.name, scores, list(entry.items)))
    return pairs
