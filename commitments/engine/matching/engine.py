"""Match commitments of plan year N against the review of year N: rank evidence, propose a status.

Two stages. `prepare_pair` computes the named parts (parts.py; their weighted sum picks the candidates),
the TF-IDF cosine and the features of each commitment's candidate units. `decide` ranks the candidates
with the fitted evidence model (learned.py), whose log-odds contributions are what the analyst sees, and
judges the status from the evidence's wording and the status model (status.py, judge.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from commitments.engine.ingest.wrapping import unwrap
from commitments.engine.matching import embedding
from commitments.engine.matching.features import CandidateFeatures, candidate_features
from commitments.engine.matching.judge import evidence_features, judged, with_grounds, wording_features
from commitments.engine.matching.learned import Logistic, MatcherModel, current_model
from commitments.engine.matching.parts import (
    abbreviations_between,
    action_reports,
    active_weights,
    background,
    score_parts,
    semantic_similarity,
)
from commitments.engine.matching.status import propose_status
from commitments.engine.matching.terms import content_terms
from commitments.engine.matching.tfidf import tfidf_cosines
from commitments.engine.matching.units import review_units
from commitments.engine.nlp.targets import parse_targets
from commitments.engine.types import CommitmentSpan, EvidenceSpan, MatchResult, ReviewUnit, SectionSpan

TOP_K = 3
MAX_CONFIDENCE = 0.999
PROBLEMS_RE = re.compile(r"问题|不足|差距|短板")


def review_sections_for(sections: Sequence[SectionSpan], *, year: int, period: str = "") -> list[int]:
    """Indexes of the review sections that report on plan year `year`.

    The full-year review of the year is preferred; a half-year plan (下半年) is matched against it
    too. Without one, half-year and quarterly reviews of that year are used. A "problems" part
    right after a chosen review (存在的问题, 不足) belongs to it: what was not done is said there.
    """
    reviews = [(i, s) for i, s in enumerate(sections) if s.kind == "review" and s.year == year]
    full_year = [i for i, s in reviews if s.period in ("", "全年")]
    if full_year:
        chosen = full_year
    else:
        later_parts = [i for i, s in reviews if s.period not in ("上半年",)] if period == "下半年" else []
        chosen = later_parts or [i for i, _ in reviews]
    problems = [
        i + 1
        for i in chosen
        if i + 1 < len(sections) and sections[i + 1].kind == "other" and PROBLEMS_RE.search(sections[i + 1].heading)
    ]
    return sorted(set(chosen) | set(problems))


@dataclass
class PairScores:
    """What the first stage computes for one plan/review pair, once: every rule part, the rule score
    and the TF-IDF cosine of every commitment with every unit, and the candidates' features. The
    second stage (`decide`) ranks and judges with a fitted model; cross-validation runs it once per
    fold on the same PairScores."""

    commitments: list[CommitmentSpan]  # as scored: layout line breaks taken out
    units: list[ReviewUnit]
    shown: list[ReviewUnit]  # as they stand in the report
    parts: dict[str, np.ndarray]  # raw values 0..1
    tfidf: np.ndarray
    actions: list[list[str | None]]
    abbreviations: tuple[dict, dict]
    use_embeddings: bool
    weights: dict[str, float] = field(default_factory=dict)
    rule: np.ndarray | None = None
    candidates: CandidateFeatures | None = None
    readings: dict = field(default_factory=dict)  # (row, chosen units) -> _read(...); the lexical view

    def lexical(self) -> PairScores:
        """The same pair without the semantic part: what the MATCH_EMBEDDINGS=0 path sees."""
        if not self.use_embeddings:
            return self
        if "lexical" not in self.readings:  # kept: cross-validation asks for it once per fold
            parts = {name: values for name, values in self.parts.items() if name != "semantic"}
            self.readings["lexical"] = replace(self, parts=parts, use_embeddings=False, readings={})
        return self.readings["lexical"]

    def __post_init__(self):
        self.weights = active_weights(self.use_embeddings)
        self.rule = sum(self.weights[name] * self.parts[name] for name in self.weights)
        self.candidates = candidate_features(self.parts, self.rule, self.tfidf, self.units, self.use_embeddings)


def prepare_pair(
    commitments: Sequence[CommitmentSpan],
    review_text: str,
    review_sections: Sequence[SectionSpan],
    *,
    corpus: Sequence[str] = (),
    use_embeddings: bool | None = None,
) -> PairScores | None:
    """The first stage; None when the review sections hold no unit at all."""
    units = review_units(review_text, review_sections)
    if not units or not commitments:
        return None
    use_embeddings = embedding.embeddings_enabled() if use_embeddings is None else use_embeddings
    # Scored on their text with the layout's line breaks taken out (a PDF's 28-character lines cut
    # words and figures in two); shown and stored as they stand in the report.
    shown = units
    units = [_unwrapped(u) for u in units]
    commitments = [_unwrapped(c) for c in commitments]
    corpus = [unwrap(text) for text in corpus]
    # The embedding runs in numpy outside the GIL: start it first, and the lexical parts, which
    # are Python, are computed on the other core meanwhile.
    similarity = background().submit(semantic_similarity, commitments, units) if use_embeddings else None
    abbreviations = abbreviations_between(commitments, units)
    parts = score_parts(
        commitments,
        units,
        corpus=corpus,
        use_embeddings=use_embeddings,
        similarity=similarity,
        abbreviations=abbreviations,
    )
    if not use_embeddings:
        del parts["semantic"]
    return PairScores(
        commitments=list(commitments),
        units=units,
        shown=list(shown),
        parts=parts,
        tfidf=tfidf_cosines(
            _spelled_out([c.text for c in commitments], abbreviations[1]),
            _spelled_out([u.text for u in units], abbreviations[0]),
        ),
        actions=action_reports(commitments, units, corpus=corpus, abbreviations=abbreviations),
        abbreviations=abbreviations,
        use_embeddings=use_embeddings,
    )


def _spelled_out(texts: list[str], expansions: dict[str, tuple[str, ...]]) -> list[str]:
    """Each text with the words its abbreviations stand for appended (低保 → 最低生活保障), so that
    the character TF-IDF sees what the terms part sees."""
    out = []
    for text in texts:
        extra = [word for short, words in expansions.items() if short in text for word in words]
        out.append(f"{text}（{'、'.join(extra)}）" if extra else text)
    return out


def match_commitments(
    commitments: Sequence[CommitmentSpan],
    review_text: str,
    review_sections: Sequence[SectionSpan],
    *,
    corpus: Sequence[str] = (),
    use_embeddings: bool | None = None,
    model: MatcherModel | None = None,
) -> list[MatchResult]:
    """One MatchResult per commitment, in order. The model is read before any work: a missing or
    broken model file stops matching (ModelError) instead of falling back to other weights."""
    model = model or current_model()
    scores = prepare_pair(commitments, review_text, review_sections, corpus=corpus, use_embeddings=use_embeddings)
    if scores is None:
        return [
            MatchResult(*propose_status(vague=c.vague, targets=c.targets, evidence=[]), evidence=())
            for c in commitments
        ]
    return decide(scores, model)


def decide(scores: PairScores, model: MatcherModel) -> list[MatchResult]:
    """The results under `model`: its status model chooses among the statuses, and the chosen
    status's probability is the confidence."""
    variant = model.variant(scores.use_embeddings)
    proposed = proposals(scores, variant.evidence)
    if not proposed:
        return []
    chances = variant.status.probabilities(np.stack([row for _, _, row in proposed]))
    results = []
    for (result, reading, _), chance, commitment in zip(proposed, chances, scores.commitments, strict=True):
        status, reason, confidence = judged(reading, chance, commitment.vague)
        if status != "no_evidence" and result.evidence:
            reason = with_grounds(reason, result.evidence[0].parts)
        # Never certain: a probability rounded up to 1 would pass any bulk-confirmation floor.
        confidence = min(round(float(confidence), 3), MAX_CONFIDENCE)
        results.append(replace(result, status=status, reason=reason, confidence=confidence))
    return results


def proposals(scores: PairScores, evidence_model: Logistic) -> list[tuple[MatchResult, tuple, np.ndarray]]:
    """Per commitment: its ranked evidence (as MatchResult), the wording rules' reading of it
    (status.py, as if the review reports on it) and the status model's feature row."""
    results = []
    for row in range(len(scores.commitments)):
        candidates = scores.candidates.units[row]
        features = scores.candidates.rows[row]
        probabilities = evidence_model.probabilities(features)
        order = np.argsort(-probabilities, kind="stable")[:TOP_K]
        chosen = [int(candidates[k]) for k in order]
        key = (row, tuple(chosen))
        if key not in scores.readings:  # folds of a cross-validation often choose the same units
            scores.readings[key] = _read(scores, row, chosen)
        shared, figures, as_ruled, reading, wording = scores.readings[key]
        evidence = [
            replace(
                ev,
                text=scores.shown[j].text,
                score=float(probabilities[k]),
                parts=evidence_model.grouped(features[k]),
                shared_terms=shared[i],
                figures=figures[i],
            )
            for i, (ev, k, j) in enumerate(zip(as_ruled, order, chosen, strict=True))
        ]
        row_features = np.concatenate([evidence_features(probabilities[order]), wording])
        results.append((MatchResult(*reading, tuple(evidence)), reading, row_features))
    return results


def _read(scores: PairScores, row: int, chosen: list[int]):
    """What depends only on which units were chosen: highlighted terms and figures, the units with
    their rule scores, the wording rules' reading and the status model's wording features."""
    commitment = scores.commitments[row]
    shared = _shared_terms(commitment, [scores.units[j].text for j in chosen], scores.abbreviations)
    figures = [tuple(t.text for t in parse_targets(scores.units[j].text)) if commitment.targets else () for j in chosen]
    # The wording rules read the unwrapped text and compare rule scores (close to the best…).
    as_ruled = [
        EvidenceSpan(
            text=scores.units[j].text,
            start=scores.shown[j].start,
            end=scores.shown[j].end,
            section_index=scores.units[j].section_index,
            score=float(scores.rule[row, j]),
            parts={name: float(scores.weights[name] * scores.parts[name][row, j]) for name in scores.weights},
            problem=scores.units[j].problem,
        )
        for j in chosen
    ]
    reading = propose_status(
        vague=commitment.vague,
        targets=commitment.targets,
        evidence=as_ruled,
        action_units=scores.actions[row],
        reported=True,
    )
    wording = wording_features(
        reading=reading,
        evidence=as_ruled,
        tfidf_best=float(scores.tfidf[row].max()),
        vague=commitment.vague,
        targets=commitment.targets,
        action_units=scores.actions[row],
    )
    return shared, figures, as_ruled, reading, wording


LAYOUT_BREAK_RE = re.compile(
    r"[ \t\u3000\xa0\r\u200b\u200c\u200d\u2060\ufeff]*\n[ \t\u3000\xa0\r\u200b\u200c\u200d\u2060\ufeff]*"
)


def _unwrapped(span):
    return replace(span, text=LAYOUT_BREAK_RE.sub("", span.text)) if "\n" in span.text else span


def _shared_terms(commitment, unit_texts: list[str], abbreviations) -> list[tuple[str, ...]]:
    """Shared terms of the chosen units only: they are what the analyst sees highlighted,
    abbreviations included (低保 in the review for the plan's 最低生活保障)."""
    in_units, in_commitments = abbreviations
    terms = content_terms(commitment.text)
    shared = []
    for unit_text in unit_texts:
        found = [t for t in terms if t in unit_text]
        found += [a for a, words in in_units.items() if a in unit_text and set(words) & set(terms)]
        found += [w for t in terms for w in in_commitments.get(t, ()) if w in unit_text]
        shared.append(tuple(dict.fromkeys(found)))
    return shared
