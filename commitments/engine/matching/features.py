"""The features of one (commitment, review unit) candidate that the learned ranker weighs.

The named parts of the rule score stay (关键词, 共同短语, 同名文件…) and are joined by what they lack:
the character TF-IDF cosine, the candidate's rank and margin among the commitment's candidates,
whether the commitment is also the unit's best match, the unit's status wording and its place in a
problems part. Each feature belongs to a group, the unit the review page draws one bar for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from commitments.engine.matching.status import last_cue
from commitments.engine.nlp.targets import parse_targets
from commitments.engine.types import ReviewUnit

CANDIDATES = 10  # best units by the rule score, per commitment
TFIDF_CANDIDATES = 3  # and by TF-IDF cosine, where they are not among those already

# feature -> group (a key of PART_LABELS)
GROUPS = {
    "terms": "terms",
    "phrase": "phrase",
    "document": "document",
    "target": "target",
    "topic": "topic",
    "outcome": "outcome",
    "span": "span",
    "semantic": "semantic",
    "semantic_z": "semantic",
    "tfidf": "tfidf",
    "tfidf_z": "tfidf",
    "tfidf_gap": "tfidf",
    "rule": "rule",
    "rule_gap": "rule",
    "rule_rank": "rank",
    "tfidf_rank": "rank",
    "unit_best_rule": "mutual",
    "unit_best_tfidf": "mutual",
    "problem": "problem",
    "cue_done": "cue",
    "cue_progress": "cue",
    "cue_failed": "cue",
    "figures": "outcome",
    "length": "length",
}
SEMANTIC = ("semantic", "semantic_z")
# Features that can only speak for a unit: a shared term, document, figure or a better rank never
# counts against it. The fit keeps their weights ≥ 0, so that every bar the analyst sees for them
# points the way its name says (correlated features would otherwise take signs at random).
SUPPORTING = frozenset(GROUPS) - {"span", "problem", "cue_done", "cue_progress", "cue_failed", "length"}
FEATURES = tuple(GROUPS)
LEXICAL_FEATURES = tuple(name for name in FEATURES if name not in SEMANTIC)


def feature_names(use_embeddings: bool) -> tuple[str, ...]:
    return FEATURES if use_embeddings else LEXICAL_FEATURES


@dataclass
class CandidateFeatures:
    """Per commitment: the candidate units (indexes into the pair's units) and their feature rows."""

    names: tuple[str, ...]
    units: list[np.ndarray]
    rows: list[np.ndarray]


def _zscore(matrix: np.ndarray) -> np.ndarray:
    spread = matrix.std(axis=1, keepdims=True)
    spread[spread == 0] = 1.0
    return (matrix - matrix.mean(axis=1, keepdims=True)) / spread


def _ranks(matrix: np.ndarray) -> np.ndarray:
    """0 for a row's best column, 1 for the next…"""
    order = np.argsort(-matrix, axis=1, kind="stable")
    ranks = np.empty_like(order)
    rows = np.arange(matrix.shape[0])[:, None]
    ranks[rows, order] = np.arange(matrix.shape[1])[None, :]
    return ranks


def _unit_row(units: list[ReviewUnit]) -> dict[str, np.ndarray]:
    """Features of the unit alone."""
    cues = [last_cue(u.text) for u in units]
    return {
        "problem": np.array([u.problem for u in units], dtype=np.float32),
        "cue_done": np.array([bool(c) and c[0] == "done" for c in cues], dtype=np.float32),
        "cue_progress": np.array([bool(c) and c[0] == "progress" for c in cues], dtype=np.float32),
        "cue_failed": np.array([bool(c) and c[0] == "failed" for c in cues], dtype=np.float32),
        "figures": np.array([bool(parse_targets(u.text)) for u in units], dtype=np.float32),
        "length": np.array([np.log1p(len(u.text)) / 5 for u in units], dtype=np.float32),
    }


def candidate_features(
    parts: dict[str, np.ndarray], rule: np.ndarray, tfidf: np.ndarray, units: list[ReviewUnit], use_embeddings: bool
) -> CandidateFeatures:
    """The candidates of every commitment and their features. `parts` holds the rule parts' raw
    values (0..1), `rule` their weighted sum, `tfidf` the cosines; all (n commitments, m units)."""
    names = feature_names(use_embeddings)
    n, m = rule.shape
    full: dict[str, np.ndarray] = {name: parts[name] for name in parts if name in names}
    full["tfidf"] = tfidf
    full["tfidf_z"] = _zscore(tfidf)
    full["tfidf_gap"] = tfidf - tfidf.max(axis=1, keepdims=True)
    full["rule"] = rule
    full["rule_gap"] = rule - rule.max(axis=1, keepdims=True)
    rule_ranks, tfidf_ranks = _ranks(rule), _ranks(tfidf)
    full["rule_rank"] = 1.0 / (1.0 + rule_ranks)
    full["tfidf_rank"] = 1.0 / (1.0 + tfidf_ranks)
    full["unit_best_rule"] = (rule >= rule.max(axis=0, keepdims=True)).astype(np.float32)
    full["unit_best_tfidf"] = (tfidf >= tfidf.max(axis=0, keepdims=True)).astype(np.float32)
    if use_embeddings:
        full["semantic_z"] = _zscore(parts["semantic"])
    for name, values in _unit_row(units).items():
        full[name] = np.broadcast_to(values, (n, m))
    chosen_units, rows = [], []
    for row in range(n):
        by_rule = np.flatnonzero(rule_ranks[row] < CANDIDATES)
        by_tfidf = np.flatnonzero(tfidf_ranks[row] < TFIDF_CANDIDATES)
        chosen = np.union1d(by_rule, by_tfidf)
        chosen_units.append(chosen)
        rows.append(np.stack([full[name][row, chosen] for name in names], axis=1).astype(np.float64))
    return CandidateFeatures(names, chosen_units, rows)
