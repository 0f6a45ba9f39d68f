"""Simple peers the engine must beat: nearest review sentence by TF-IDF, and by USE cosine.

Each proposes `fulfilled` when its nearest sentence is similar enough and `no_evidence` otherwise,
which is what a plain retrieval tool would tell an analyst.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from commitments.engine.matching import embedding
from commitments.engine.matching.terms import char_bigrams
from commitments.engine.matching.units import review_units
from commitments.engine.types import CommitmentSpan, EvidenceSpan, MatchResult, SectionSpan

USE_THRESHOLD = 0.55
TFIDF_THRESHOLD = 0.25


def _tfidf(texts: Sequence[str], vocabulary: dict[str, int], idf: np.ndarray) -> np.ndarray:
    m = np.zeros((len(texts), len(vocabulary)), dtype=np.float32)
    for row, text in enumerate(texts):
        for gram in char_bigrams(text):
            if gram in vocabulary:
                m[row, vocabulary[gram]] += 1.0
    m *= idf
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return m / norms


def _nearest(commitments, units, similarity: np.ndarray, threshold: float, name: str) -> list[MatchResult]:
    results = []
    for row, _ in enumerate(commitments):
        order = np.argsort(-similarity[row], kind="stable")[:3]
        evidence = tuple(
            EvidenceSpan(
                units[j].text,
                units[j].start,
                units[j].end,
                units[j].section_index,
                float(similarity[row, j]),
                {name: float(similarity[row, j])},
            )
            for j in order
        )
        best = float(similarity[row, order[0]]) if len(order) else 0.0
        status = "fulfilled" if best >= threshold else "no_evidence"
        results.append(MatchResult(status, best, f"{name} {best:.2f}", evidence))
    return results


def match_tfidf(
    commitments: Sequence[CommitmentSpan], review_text: str, review_sections: Sequence[SectionSpan]
) -> list[MatchResult]:
    units = review_units(review_text, review_sections)
    if not units:
        return [MatchResult("no_evidence", 0.0, "", ()) for _ in commitments]
    documents = [char_bigrams(u.text) for u in units]
    df: dict[str, int] = {}
    for grams in documents:
        for gram in grams:
            df[gram] = df.get(gram, 0) + 1
    vocabulary = {gram: i for i, gram in enumerate(sorted(df))}
    idf = np.array([math.log((len(units) + 1) / (df[g] + 1)) + 1 for g in sorted(df)], dtype=np.float32)
    similarity = (
        _tfidf([c.text for c in commitments], vocabulary, idf) @ _tfidf([u.text for u in units], vocabulary, idf).T
    )
    return _nearest(commitments, units, similarity, TFIDF_THRESHOLD, "tfidf")


def match_use(
    commitments: Sequence[CommitmentSpan], review_text: str, review_sections: Sequence[SectionSpan]
) -> list[MatchResult]:
    units = review_units(review_text, review_sections)
    if not units:
        return [MatchResult("no_evidence", 0.0, "", ()) for _ in commitments]
    similarity = embedding.encode([c.text for c in commitments]) @ embedding.encode([u.text for u in units]).T
    return _nearest(commitments, units, similarity, USE_THRESHOLD, "use")


PEERS = {"tfidf": match_tfidf, "use": match_use}
