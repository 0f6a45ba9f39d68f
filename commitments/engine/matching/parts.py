"""The named parts of the rule score: every commitment × review unit, each a matrix of values in [0, 1].

关键词 (terms), 共同短语 (phrase), 同名文件 (document), 目标数值 (target), 主题一致 (topic), 语义相似
(semantic), 结果表述 (outcome), 多年合计 (span). WEIGHTS sums them to the rule score, which picks each
commitment's candidates; the learned evidence model (learned.py) weighs them as features. All pair scores
come from a few matrix products: one embedding batch per document, one similarity matrix per pair.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from commitments.engine.matching import embedding
from commitments.engine.matching.figures import measure_key
from commitments.engine.matching.status import last_cue
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
from commitments.engine.matching.units import HAN_RE
from commitments.engine.nlp.components.attributes import named_documents
from commitments.engine.nlp.targets import parse_targets
from commitments.engine.types import CommitmentSpan, ReviewUnit

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


def background() -> ThreadPoolExecutor:
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
