"""The candidates and features of the learned ranker, on hand-made matrices."""

import numpy as np

from commitments.engine.matching.features import (
    CANDIDATES,
    FEATURES,
    LEXICAL_FEATURES,
    TFIDF_CANDIDATES,
    candidate_features,
)
from commitments.engine.types import ReviewUnit

M = 15


def units(m: int = M) -> list[ReviewUnit]:
    return [ReviewUnit(f"第{j}句完成了建设", j * 10, j * 10 + 8, 0, (), j == 3) for j in range(m)]


def parts(n: int, m: int = M, *, semantic: bool = True) -> dict[str, np.ndarray]:
    names = ["terms", "phrase", "document", "target", "topic", "outcome", "span"] + (["semantic"] if semantic else [])
    rng = np.random.default_rng(0)
    return {name: rng.random((n, m)).astype(np.float32) for name in names}


def test_the_tfidf_best_units_are_candidates_even_when_the_rule_ranks_them_last():
    rule = np.linspace(1.0, 0.0, M, dtype=np.float32)[None, :]  # unit 14 last by the rule
    tfidf = np.zeros((1, M), dtype=np.float32)
    tfidf[0, 14] = 0.9
    features = candidate_features(parts(1), rule, tfidf, units(), use_embeddings=True)

    chosen = features.units[0].tolist()
    assert 14 in chosen and set(range(CANDIDATES)) <= set(chosen)
    assert len(chosen) <= CANDIDATES + TFIDF_CANDIDATES
    row = features.rows[0][chosen.index(14)]
    named = dict(zip(features.names, row, strict=True))
    assert named["tfidf_rank"] == 1.0 and named["tfidf_gap"] == 0.0 and named["unit_best_tfidf"] == 1.0
    assert named["rule_rank"] == 1 / (1 + 14)


def test_a_unit_best_for_another_commitment_is_not_mutual():
    rule = np.array([[0.9, 0.1], [0.95, 0.2]], dtype=np.float32)  # unit 0: best for commitment 1
    tfidf = np.array([[0.5, 0.1], [0.6, 0.2]], dtype=np.float32)
    features = candidate_features(parts(2, 2), rule, tfidf, units(2), use_embeddings=True)
    first = dict(zip(features.names, features.rows[0][features.units[0].tolist().index(0)], strict=True))
    second = dict(zip(features.names, features.rows[1][features.units[1].tolist().index(0)], strict=True))
    assert first["unit_best_rule"] == 0 and second["unit_best_rule"] == 1


def test_the_lexical_view_has_no_semantic_features():
    rule = np.random.default_rng(1).random((2, M)).astype(np.float32)
    features = candidate_features(parts(2, semantic=False), rule, rule, units(), use_embeddings=False)
    assert features.names == LEXICAL_FEATURES and "semantic" not in features.names
    assert features.rows[0].shape[1] == len(LEXICAL_FEATURES) < len(FEATURES)
    problem = features.names.index("problem")
    assert features.rows[0][features.units[0].tolist().index(3), problem] == 1.0  # unit 3 is in a problems part
