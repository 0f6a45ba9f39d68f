"""Fit the evidence and status models on labelled plan/review pairs.

Every row the status model learns from is out of fold: a pair's evidence is ranked by an evidence
model fitted without that pair, so the status model (whose probability is the confidence) learns how
the evidence looks on a report the engine has never seen, not on its training reports.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.linear_model import LogisticRegression

from commitments.engine.evaluation import PreparedGold, evidence_hit
from commitments.engine.matching.embedding import encoder_name
from commitments.engine.matching.engine import PairScores, proposals
from commitments.engine.matching.features import SUPPORTING
from commitments.engine.matching.judge import JUDGED, STATUS_FEATURES
from commitments.engine.matching.learned import Logistic, MatcherModel, Multinomial, Variant
from commitments.engine.types import MATCH_ENGINE_VERSION

C = 0.1  # inverse regularisation: the pairs are few, the features correlated (0.1 beat 0.5 and 2 by CV)
ABSENT = -30.0  # intercept of a status the training data never shows
MIN_PAIRS = 2  # with fewer there is no out-of-fold evidence ranking for the status model to learn from


class TrainingError(ValueError):
    """Too little or unusable training data: nothing is written or adopted."""


@dataclass
class Labelled:
    """One pair as training data: its scores (one feature view) and its labelled commitments."""

    name: str
    scores: PairScores
    items: list[tuple[int, dict]]  # (commitment row, gold item)


def labelled_pairs(prepared: Sequence, use_embeddings: bool) -> list[Labelled]:
    """Prepared gold files or analysts' decision pairs (anything with name, scores and labelled())."""
    pairs = []
    for p in prepared:
        if p.scores is None or not p.labelled():
            continue
        scores = p.scores if use_embeddings else p.scores.lexical()
        if use_embeddings and not scores.use_embeddings:
            raise TrainingError(f"{p.name} 是在无嵌入模式下准备的，无法训练嵌入模型")
        pairs.append(Labelled(p.name, scores, p.labelled()))
    return pairs


def evidence_rows(pair: Labelled) -> tuple[np.ndarray, np.ndarray]:
    """Candidate features and whether each candidate is acceptable evidence (the devset's hit rule).
    A commitment the gold calls unreported gives only negatives: nothing in its review is evidence."""
    xs, ys = [], []
    for row, item in pair.items:
        gold = (item.get("evidence") or []) if item["status"] != "no_evidence" else []
        if item["status"] != "no_evidence" and not gold:
            continue  # a decision without chosen evidence says nothing about the ranking
        units = pair.scores.candidates.units[row]
        xs.append(pair.scores.candidates.rows[row])
        ys.append(np.array([evidence_hit(pair.scores.shown[j].text, gold) for j in units], dtype=np.int8))
    return np.concatenate(xs), np.concatenate(ys)


def fit_logistic(x: np.ndarray, y: np.ndarray, names: tuple[str, ...]) -> Logistic:
    """L2-regularised logistic regression (scikit-learn's objective and C), with the weights of the
    SUPPORTING features bounded at ≥ 0: scipy's L-BFGS-B, since scikit-learn has no bounds."""
    if len(set(y.tolist())) < 2:
        raise TrainingError("训练数据只有一类结果，无法拟合")
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = (x - mean) / scale
    sign = 2.0 * y - 1.0

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:-1], theta[-1]
        margin = sign * (z @ w + b)
        value = 0.5 * w @ w + C * np.logaddexp(0, -margin).sum()
        weight = -C * sign * expit(-margin)
        return value, np.append(w + z.T @ weight, weight.sum())

    start = LogisticRegression(C=C, max_iter=5000).fit(z, y)
    theta = np.append(start.coef_[0], start.intercept_[0])
    bounds = [(0.0, None) if name in SUPPORTING else (None, None) for name in names] + [(None, None)]
    theta = np.clip(theta, [lo if lo is not None else -np.inf for lo, _ in bounds], None)
    fitted = minimize(loss, theta, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 5000})
    return Logistic(tuple(names), mean, scale, fitted.x[:-1].astype(np.float64), float(fitted.x[-1]))


def fit_evidence(pairs: Sequence[Labelled]) -> Logistic:
    rows = [evidence_rows(p) for p in pairs]
    return fit_logistic(
        np.concatenate([x for x, _ in rows]), np.concatenate([y for _, y in rows]), pairs[0].scores.candidates.names
    )


def _concrete(pair: Labelled) -> list[tuple[int, dict]]:
    return [(row, item) for row, item in pair.items if item["kind"] == "concrete"]


def status_rows(pair: Labelled, evidence: Logistic) -> tuple[np.ndarray, np.ndarray]:
    """The status model's feature rows and the gold statuses of the pair's concrete items, with
    evidence ranked by `evidence` (fitted without this pair when the rows train the status model)."""
    proposed = proposals(pair.scores, evidence)
    xs = [proposed[row][2] for row, _ in _concrete(pair)]
    ys = [JUDGED.index(item["status"]) for _, item in _concrete(pair)]
    return np.array(xs).reshape(-1, len(STATUS_FEATURES)), np.array(ys, dtype=np.int64)


def fit_multinomial(x: np.ndarray, y: np.ndarray) -> Multinomial:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    if len(set(y.tolist())) < 2:
        raise TrainingError("训练数据只有一种状态，无法拟合状态模型")
    model = LogisticRegression(C=C, max_iter=5000)
    model.fit((x - mean) / scale, y)
    coef = np.zeros((len(JUDGED), x.shape[1]))
    intercept = np.full(len(JUDGED), ABSENT)  # a status never seen in training is never proposed
    for k, label in enumerate(model.classes_):
        coef[label] = model.coef_[k] if len(model.classes_) > 2 else (model.coef_[0] if k else -model.coef_[0]) / 2
        intercept[label] = (
            model.intercept_[k] if len(model.classes_) > 2 else (model.intercept_[0] if k else -model.intercept_[0]) / 2
        )
    return Multinomial(JUDGED, STATUS_FEATURES, mean, scale, coef, intercept)


def fit_variant(pairs: Sequence[Labelled]) -> Variant:
    """Evidence model on every pair; the status model on out-of-fold rows: each pair's evidence
    ranked by an evidence model fitted without it."""
    if len(pairs) < MIN_PAIRS:
        raise TrainingError(f"至少需要 {MIN_PAIRS} 对有标注的计划与回顾，现有 {len(pairs)} 对")
    evidence = fit_evidence(pairs)
    rows = [status_rows(pair, fit_evidence([p for p in pairs if p is not pair])) for pair in pairs]
    status = fit_multinomial(np.concatenate([x for x, _ in rows]), np.concatenate([y for _, y in rows]))
    return Variant(evidence, status)


def fit_model(
    prepared: Sequence[PreparedGold],
    *,
    version: str | None = None,
    manifest: dict | None = None,
    variants: Sequence[bool] = (True, False),
) -> MatcherModel:
    """The variants (with sentence embeddings, lexical only) on the same labelled pairs."""
    fitted = {flag: fit_variant(labelled_pairs(prepared, flag)) for flag in variants}
    stamp = dt.datetime.now(dt.UTC)
    info = {
        "engine": MATCH_ENGINE_VERSION,
        "trained_at": stamp.isoformat(timespec="seconds"),
        "pairs": [p.name for p in prepared if p.scores is not None],
        **(manifest or {}),
    }
    encoder = encoder_name()
    info["encoder"] = encoder
    return MatcherModel(version or f"m{stamp:%Y%m%d%H%M%S}-{secrets.token_hex(2)}", fitted, info, encoder)
