"""Fit and cross-validate the concrete / vague / not-a-commitment call on the gold files' `kind` labels.

Labelled clauses are the extractor's own clauses (before the call), each labelled by the gold item it
finds (the devset's 60% rule). In a complete gold file a clause that overlaps no gold item at all is
not a commitment (the annotators list every action or target clause); in a sampled file only the
sampled clauses are labelled. The threshold on P(concrete) is fitted too, by an inner leave-one-pair-out
over the training pairs, so that concrete recall on unseen reports stays near RECALL_TARGET; the
figures to quote are leave-one-pair-out (each pair called by a model that never saw it).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from commitments.engine.analyse import analyse_text
from commitments.engine.evaluation import KindFigures, evaluate_extraction
from commitments.engine.gold import load_gold
from commitments.engine.nlp.kinds.features import HAND_FEATURES, ClauseView, char_grams, clause_view, word_grams
from commitments.engine.nlp.kinds.model import FORMAT, KINDS, KindModel, kind_model_from_dict

C = 1.0  # inverse regularisation (0.3 / 1 / 3 compared by leave-one-pair-out: 1 was best on the real pairs)
RECALL_TARGET = 0.955  # of concrete clauses kept concrete on the training pairs' out-of-fold calls (0.96: 1.2% n.c.)
MIN_PAIRS = 3
CV_MIN_PAIRS = MIN_PAIRS + 1  # each fold fits on the others


class KindTrainingError(ValueError):
    """Too little labelled data to fit or cross-validate the call."""


@dataclass
class KindPair:
    """One gold file's labelled clauses."""

    name: str
    real: bool
    sampled: bool
    views: list[ClauseView]
    labels: list[str]
    rule_vague: list[bool] = field(default_factory=list)


def kind_pair(path: Path) -> KindPair:
    gold = load_gold(path)
    spans = analyse_text(gold.plan, year=gold.year, call_kinds=False).commitments
    labels = evaluate_extraction(gold.data, gold.plan, spans, path.name, sampled=gold.sampled).labels
    return KindPair(
        name=path.name.removesuffix(".gold.json"),
        real=gold.real,
        sampled=gold.sampled,
        views=[clause_view(spans[i], gold.plan) for i in labels],
        labels=list(labels.values()),
        rule_vague=[spans[i].vague for i in labels],
    )


def _hand(views: Sequence[ClauseView]) -> np.ndarray:
    return np.array([[v.hand[name] for name in HAND_FEATURES] for v in views])


def _fit_raw(views: list[ClauseView], labels: list[str]):
    chars = TfidfVectorizer(analyzer=lambda v: char_grams(v.text), sublinear_tf=True, min_df=2)
    words = TfidfVectorizer(analyzer=lambda v: word_grams(v.words), sublinear_tf=True, min_df=2)
    hand = _hand(views)
    mean, scale = hand.mean(axis=0), hand.std(axis=0)
    scale[scale < 1e-9] = 1.0
    x = hstack([chars.fit_transform(views), words.fit_transform(views), csr_matrix((hand - mean) / scale)]).tocsr()
    if len(set(labels)) < 2:
        raise KindTrainingError("训练数据只有一类承诺类型，无法拟合")
    model = LogisticRegression(C=C, max_iter=5000)
    model.fit(x, labels)
    return chars, words, mean, scale, model


def _document(views: list[ClauseView], labels: list[str], threshold: float, manifest: dict) -> dict:
    chars, words, mean, scale, model = _fit_raw(views, labels)
    classes = list(model.classes_)
    coef = np.zeros((len(KINDS), model.coef_.shape[1]))
    intercept = np.full(len(KINDS), -30.0)  # a kind the training data never shows
    for row, kind in enumerate(KINDS):
        if kind in classes:
            source = classes.index(kind) if len(classes) > 2 else None
            if source is None:  # binary: scikit-learn keeps one row, for classes[1]
                sign = 1.0 if kind == classes[1] else -1.0
                coef[row], intercept[row] = sign * model.coef_[0] / 2, sign * model.intercept_[0] / 2
            else:
                coef[row], intercept[row] = model.coef_[source], model.intercept_[source]

    def vocabulary(vectorizer) -> dict:
        terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
        return {"terms": terms, "idf": [round(float(v), 6) for v in vectorizer.idf_]}

    return {
        "format": FORMAT,
        "version": manifest.get("version") or _version(),
        "classes": list(KINDS),
        "hand_features": list(HAND_FEATURES),
        "chars": vocabulary(chars),
        "words": vocabulary(words),
        "hand_mean": [float(v) for v in mean],
        "hand_scale": [float(v) for v in scale],
        "coef": [[round(float(v), 6) for v in row] for row in coef],
        "intercept": [float(v) for v in intercept],
        "threshold": round(float(threshold), 6),
        "manifest": manifest,
    }


def _version() -> str:
    return f"k{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S}-{secrets.token_hex(2)}"


def fit_kinds(pairs: Sequence[KindPair], *, manifest: dict | None = None, inner: bool = True) -> KindModel:
    """The call fitted on these pairs; its threshold from an inner leave-one-pair-out (`inner=False`:
    0.5, for the inner folds themselves)."""
    if inner and len(pairs) < MIN_PAIRS:
        raise KindTrainingError(f"至少需要 {MIN_PAIRS} 个带类型标注的文件，收到 {len(pairs)} 个")
    views = [v for p in pairs for v in p.views]
    labels = [label for p in pairs for label in p.labels]
    threshold = _threshold(pairs) if inner else 0.5
    return kind_model_from_dict(_document(views, labels, threshold, dict(manifest or {})))


def kind_model_document(pairs: Sequence[KindPair], *, manifest: dict) -> dict:
    """The JSON document of the call fitted on all pairs (what train_kinds writes)."""
    views = [v for p in pairs for v in p.views]
    labels = [label for p in pairs for label in p.labels]
    return _document(views, labels, _threshold(pairs), manifest)


def _threshold(pairs: Sequence[KindPair]) -> float:
    """The highest P(concrete) threshold that keeps RECALL_TARGET of the concrete clauses concrete,
    judged out of fold (each training pair called by a model fitted on the others)."""
    concrete_probs = []
    for held in pairs:
        rest = [p for p in pairs if p is not held]
        if not held.views or not rest:
            continue
        model = fit_kinds(rest, inner=False)
        probs = model.probabilities(held.views)[:, model.classes.index("concrete")]
        concrete_probs.extend(p for p, label in zip(probs, held.labels, strict=True) if label == "concrete")
    if not concrete_probs:
        return 0.5
    return float(np.quantile(np.asarray(concrete_probs), 1.0 - RECALL_TARGET))


def figures(pairs: Sequence[KindPair], calls: Sequence[Sequence[str]]) -> tuple[list[KindFigures], KindFigures]:
    """Per pair and pooled over the real pairs."""
    per, pooled = [], KindFigures("合并（真实报告）")
    for pair, called in zip(pairs, calls, strict=True):
        score = KindFigures(pair.name)
        for label, kind in zip(pair.labels, called, strict=True):
            score.add(label, kind)
            if pair.real:
                pooled.add(label, kind)
        per.append(score)
    return per, pooled


def rule_calls(pairs: Sequence[KindPair]) -> list[list[str]]:
    """The rules' own call (before any model): concrete unless flagged vague."""
    return [["vague" if v else "concrete" for v in p.rule_vague] for p in pairs]


def cross_validate_kinds(pairs: Sequence[KindPair]) -> list[list[str]]:
    """Each pair called by a model fitted (threshold included) on the other pairs only."""
    if len(pairs) < CV_MIN_PAIRS:
        raise KindTrainingError(f"留一对交叉验证至少需要 {CV_MIN_PAIRS} 个带类型标注的文件，收到 {len(pairs)} 个")
    calls = []
    for held in pairs:
        model = fit_kinds([p for p in pairs if p is not held])
        calls.append([kind for kind, _ in model.call(held.views)])
    return calls


def label_counts(pairs: Sequence[KindPair]) -> Counter:
    return Counter(label for p in pairs for label in p.labels)
