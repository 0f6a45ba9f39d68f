"""Match commitments of plan year N against the review of year N: rank evidence, propose a status.

Two stages. `prepare_pair` computes the named parts (关键词, 共同短语, 同名文件…; WEIGHTS sums them to
the rule score that picks the candidates) and the features of each commitment's candidate units, from
a few matrix products: one embedding batch per document, one similarity matrix per pair. `decide`
ranks the candidates with the fitted evidence model (learned.py), whose log-odds contributions are
what the analyst sees, and judges the status from the evidence's wording.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np

from commitments.engine.ingest.wrapping import unwrap
from commitments.engine.matching import embedding
from commitments.engine.matching.features import CandidateFeatures, candidate_features
from commitments.engine.matching.figures import measure_key
from commitments.engine.matching.judge import evidence_features, judged, with_grounds, wording_features
from commitments.engine.matching.learned import Logistic, MatcherModel, current_model
from commitments.engine.matching.status import last_cue, propose_status
from commitments.engine.matching.terms import (
    Rarity,
    abbreviation_expansions,
    char_bigrams,
    char_ngrams,
    content_terms,
    corpus_clauses,
    coverage,
    overlap,
    with_expansions,
)
from commitments.engine.matching.tfidf import tfidf_cosines
from commitments.engine.matching.units import HAN_RE, review_units
from commitments.engine.nlp.components.attributes import named_documents
from commitments.engine.nlp.targets import parse_targets
from commitments.engine.types import CommitmentSpan, EvidenceSpan, MatchResult, ReviewUnit, SectionSpan

# Weights of the score parts; a part's value (0..1) times its weight is its contribution.
WEIGHTS = {
    "terms": 0.40,  # shared key terms, weighted by rarity in the bureau's reports
    "phrase": 0.15,  # a shared run of rare characters (平安海拉尔建设), whatever the commitment's length
    "document": 0.25,  # the same 《document》
    "target": 0.10,  # a reported figure in the unit and subject of a planned target
    "topic": 0.08,  # the review heading agrees with the plan heading
    "semantic": 0.20,  # sentence-embedding similarity
    "outcome": 0.04,  # the sentence reports an outcome (done / under way / failed / a figure)
    "span": -0.06,  # the sentence sums up several years (五年来…), not the plan's year
}
MULTI_YEAR_RE = re.compile(
    r"[两三四五]年来|[两三四五]年共|[两三四五]年累计|五年间|十[一二三四五六七八九]五[”\"]?(?:期间|时期|以来)|(?:19|20)\d{2}年以来|是(?:19|20)\d{2}年的"
)
TOP_K = 3
MAX_CONFIDENCE = 0.999
PROBLEMS_RE = re.compile(r"问题|不足|差距|短板")
WINDOW = 2  # comma-clauses per passage inside a long sentence
ACTION_COVER = 0.3  # share of a sub-action's term mass a review sentence must repeat to report on it
ACTION_SPLIT_RE = re.compile(r"[，,]")
PHRASE_GRAM = 4  # characters per gram of the phrase part
PHRASE_FULL = 3.0  # rare shared grams for a full phrase part: a six-character run
SEMANTIC_FLOOR = 0.2  # cosines below this say nothing; rescaled to 0..1 above it


def active_weights(use_embeddings: bool) -> dict[str, float]:
    """The weights in use; without embeddings the others are scaled up to the same total, so that
    scores (and the no-evidence threshold) mean the same thing either way."""
    if use_embeddings:
        return dict(WEIGHTS)
    positive = sum(w for w in WEIGHTS.values() if w > 0)
    scale = positive / (positive - WEIGHTS["semantic"])
    return {name: w * scale for name, w in WEIGHTS.items() if name != "semantic"}


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


def _doc_similarity(a: str, b: str) -> float:
    grams_a = {a[i : i + 2] for i in range(len(a) - 1)}
    grams_b = {b[i : i + 2] for i in range(len(b) - 1)}
    if not grams_a or not grams_b:
        return 0.0
    return 2 * len(grams_a & grams_b) / (len(grams_a) + len(grams_b))


def _document_part(documents: tuple[str, ...], unit_docs: tuple[str, ...], unit_text: str) -> float:
    best = 0.0
    for name in documents:
        if name in unit_text:
            return 1.0
        for other in unit_docs:
            best = max(best, _doc_similarity(name, other))
    return best if best >= 0.6 else 0.0


def _outcome_part(text: str) -> float:
    """1 for a sentence that reports a result (done, failed, a figure), 0.5 for one under way."""
    if parse_targets(text):
        return 1.0
    cue = last_cue(text)
    if cue is None:
        return 0.0
    return 0.5 if cue[0] == "progress" else 1.0


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
    similarity = _background().submit(semantic_similarity, commitments, units) if use_embeddings else None
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
        silent=False,
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


LAYOUT_BREAK_RE = re.compile(r"[ \t\u3000\xa0\r]*\n[ \t\u3000\xa0\r]*")


def _unwrapped(span):
    return replace(span, text=LAYOUT_BREAK_RE.sub("", span.text)) if "\n" in span.text else span


def score_parts(
    commitments: Sequence[CommitmentSpan],
    units: Sequence[ReviewUnit],
    *,
    corpus: Sequence[str] = (),
    use_embeddings: bool = True,
    similarity: Future | None = None,
    abbreviations: tuple[dict, dict] | None = None,
) -> dict[str, np.ndarray]:
    """Each named part as an (n commitments, m units) matrix with values in [0, 1].

    `similarity` is the cosine matrix being computed elsewhere (see match_commitments); without
    it, it is computed here.
    """
    n, m = len(commitments), len(units)
    unit_abbreviations, commitment_abbreviations = abbreviations or abbreviations_between(commitments, units)
    commitment_terms = [content_terms(c.text) for c in commitments]
    unit_terms = [content_terms(u.text) for u in units]
    commitment_terms = with_expansions(commitment_terms, commitment_abbreviations)
    unit_terms = with_expansions(unit_terms, unit_abbreviations)
    clauses = corpus_clauses(corpus)
    words = Rarity([*commitment_terms, *unit_terms, *(content_terms(c) for c in clauses)])
    commitment_grams = [char_bigrams(c.text) for c in commitments]
    unit_grams = [char_bigrams(u.text) for u in units]
    grams = Rarity([*commitment_grams, *unit_grams, *(char_bigrams(c) for c in clauses)])

    parts: dict[str, np.ndarray] = {}
    # Coverage of the commitment's terms, softened by how much of the passage is about something
    # else. Passages are the unit and its runs of up to WINDOW comma-clauses: a long sentence
    # reporting ten things is judged by the part that reports this one.
    windows, owners = unit_windows(units)
    window_terms = with_expansions([content_terms(w) for w in windows], unit_abbreviations)
    window_grams = [char_bigrams(w) for w in windows]
    recall = (coverage(commitment_terms, window_terms, words) + coverage(commitment_grams, window_grams, grams)) / 2
    precision = (
        coverage(window_terms, commitment_terms, words).T + coverage(window_grams, commitment_grams, grams).T
    ) / 2
    by_window = np.sqrt(recall * np.sqrt(np.clip(precision, 0, 1)))
    parts["terms"] = np.maximum.reduceat(by_window, np.searchsorted(owners, np.arange(m)), axis=1)

    # The terms part is a share of the commitment: a long commitment of five actions scores low
    # against the sentence reporting one of them. A shared run of rare characters says "this one"
    # whatever the length; grams are weighted by rarity so that boilerplate runs (经济社会发展) fade.
    commitment_runs = [char_ngrams(c.text, PHRASE_GRAM) for c in commitments]
    unit_runs = [char_ngrams(u.text, PHRASE_GRAM) for u in units]
    runs = Rarity([*commitment_runs, *unit_runs, *(char_ngrams(c, PHRASE_GRAM) for c in clauses)])
    parts["phrase"] = np.clip(overlap(commitment_runs, unit_runs, lambda g: runs.relative(g) ** 2) / PHRASE_FULL, 0, 1)

    documents = np.zeros((n, m), dtype=np.float32)
    unit_docs = [named_documents(u.text) for u in units]
    for i, commitment in enumerate(commitments):
        if commitment.documents:
            for j, unit in enumerate(units):
                documents[i, j] = _document_part(commitment.documents, unit_docs[j], unit.text)
    parts["document"] = documents

    # 1 where the unit reports a figure of what one of the commitment's targets measures. Any figure
    # in the same unit is not enough: nearly every sentence of a review has a percentage.
    targets = np.zeros((n, m), dtype=np.float32)
    measured = [(j, [measure_key(f) for f in parse_targets(u.text)]) for j, u in enumerate(units)]
    measured = [(j, keys) for j, keys in measured if keys]
    for i, commitment in enumerate(commitments):
        planned = [measure_key(t, planned=True) for t in commitment.targets]
        for j, keys in measured if planned else ():
            targets[i, j] = any(u == fu and g & fg for u, g in planned for fu, fg in keys)
    parts["target"] = targets

    topic_terms = [content_terms(" ".join(c.topic_path)) for c in commitments]
    unit_topic_terms = [content_terms(" ".join(u.topic_path)) for u in units]
    parts["topic"] = coverage(topic_terms, unit_topic_terms, words)

    span = np.array([1.0 if MULTI_YEAR_RE.search(u.text) else 0.0 for u in units], dtype=np.float32)
    parts["span"] = np.broadcast_to(span, (n, m))
    outcome = np.array([_outcome_part(u.text) for u in units], dtype=np.float32)
    # An outcome statement only counts where the sentence is about the commitment at all.
    parts["outcome"] = np.minimum(np.broadcast_to(outcome, (n, m)), (parts["terms"] > 0.2).astype(np.float32))

    if use_embeddings:  # last: the lexical parts above overlap with the encoding
        cosines = similarity.result() if similarity is not None else semantic_similarity(commitments, units)
        parts["semantic"] = np.clip((cosines - SEMANTIC_FLOOR) / (1 - SEMANTIC_FLOOR), 0, 1)
    else:
        parts["semantic"] = np.zeros((n, m), dtype=np.float32)
    return parts


def abbreviations_between(
    commitments: Sequence[CommitmentSpan], units: Sequence[ReviewUnit]
) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """(abbreviations in the review with the plan words they stand for, and the other way round):
    低保 in the review stands for 最低生活保障 in the plan, 棚改 in the plan for 棚户区改造."""
    commitment_terms = [content_terms(c.text) for c in commitments]
    unit_terms = [content_terms(u.text) for u in units]
    return (
        abbreviation_expansions(unit_terms, [c.text for c in commitments], commitment_terms),
        abbreviation_expansions(commitment_terms, [u.text for u in units], unit_terms),
    )


def semantic_similarity(commitments: Sequence[CommitmentSpan], units: Sequence[ReviewUnit]) -> np.ndarray:
    """Cosine of every commitment with every unit: one batch per side, one matrix product."""
    return embedding.encode([c.text for c in commitments]) @ embedding.encode([u.text for u in units]).T


_executors: dict[int, ThreadPoolExecutor] = {}


def _background() -> ThreadPoolExecutor:
    """One embedding thread per process. Keyed by pid: a forked child (a Celery prefork worker)
    inherits the parent's executor but not its thread, and would wait forever on it."""
    pid = os.getpid()
    if pid not in _executors:
        _executors.clear()
        _executors[pid] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedding")
    return _executors[pid]


def unit_windows(units: Sequence[ReviewUnit]) -> tuple[list[str], np.ndarray]:
    """Each unit whole, then its runs of up to WINDOW comma-separated pieces; with the owning unit."""
    windows, owners = [], []
    for j, unit in enumerate(units):
        windows.append(unit.text)
        owners.append(j)
        pieces = [p for p in ACTION_SPLIT_RE.split(unit.text) if p.strip()]
        if len(pieces) > WINDOW:
            for k in range(len(pieces) - WINDOW + 1):
                windows.append("，".join(pieces[k : k + WINDOW]))
                owners.append(j)
    return windows, np.asarray(owners)


def sub_actions(text: str) -> list[str]:
    """The comma-separated actions of a commitment ("修订…办法，出台…认定办法，建立…机制")."""
    parts = [p.strip() for p in ACTION_SPLIT_RE.split(text)]
    return [p for p in parts if len(HAN_RE.findall(p)) >= 4]


def action_reports(commitments, units, *, corpus=(), abbreviations=None) -> list[list[str | None]]:
    """Per commitment with two or more actions: the review sentence reporting each action, or None."""
    owners, texts = [], []
    for row, commitment in enumerate(commitments):
        actions = sub_actions(commitment.text)
        if len(actions) >= 2:
            owners += [row] * len(actions)
            texts += actions
    reports: list[list[str | None]] = [[] for _ in commitments]
    if not texts:
        return reports
    in_units, in_commitments = abbreviations or abbreviations_between(commitments, units)
    action_terms = with_expansions([content_terms(t) for t in texts], in_commitments)
    unit_terms = with_expansions([content_terms(u.text) for u in units], in_units)
    action_grams = [char_bigrams(t) for t in texts]
    unit_grams = [char_bigrams(u.text) for u in units]
    clauses = corpus_clauses(corpus)
    words = Rarity([*action_terms, *unit_terms, *(content_terms(c) for c in clauses)])
    grams = Rarity([*action_grams, *unit_grams, *(char_bigrams(c) for c in clauses)])
    recall = (coverage(action_terms, unit_terms, words) + coverage(action_grams, unit_grams, grams)) / 2
    best = recall.argmax(axis=1)
    for k, row in enumerate(owners):
        j = int(best[k])
        reports[row].append(_clauses_about(texts[k], units[j].text) if recall[k, j] >= ACTION_COVER else None)
    return reports


def _clauses_about(action: str, sentence: str) -> str:
    """The comma-clauses of `sentence` that share words with `action`: its status words are read
    there, not in a clause about something else ("…功能日益完善，…纪念园二期工程启动实施")."""
    wanted = set(char_bigrams(action))
    pieces = [p for p in ACTION_SPLIT_RE.split(sentence) if p.strip()]
    about = [p for p in pieces if wanted & set(char_bigrams(p))]
    return "，".join(about) if about and len(about) < len(pieces) else sentence


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
