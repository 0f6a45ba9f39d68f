"""The fitted concrete / vague / not-a-commitment call, read from JSON with numpy (no scikit-learn at run time).

A multinomial logistic regression over the clause's three views (features.py): TF-IDF of its character
and word grams (the vocabularies and idf as fitted) and its standardised cues. A clause is concrete
when P(concrete) reaches the fitted threshold, chosen by cross-validation so that concrete recall on
unseen reports stays at its target; otherwise it is the likelier of vague and not_commitment.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from commitments.engine.nlp.kinds.features import HAND_FEATURES, ClauseView, char_grams, word_grams

KINDS = ("concrete", "vague", "not_commitment")
MODEL_PATH = Path(__file__).with_name("model") / "kinds.json"
FORMAT = 1


class KindModelError(RuntimeError):
    """A kind model file that is missing, unreadable or made for other features."""


@dataclass(frozen=True)
class Vocabulary:
    index: dict[str, int]
    idf: np.ndarray

    @classmethod
    def from_dict(cls, data: dict) -> Vocabulary:
        terms, idf = data["terms"], data["idf"]
        if len(terms) != len(idf):
            raise KindModelError("kind model: vocabulary and idf differ in length")
        return cls({t: i for i, t in enumerate(terms)}, np.asarray(idf, dtype=float))

    def tfidf(self, grams: list[str]) -> np.ndarray:
        """Sublinear tf × idf, l2-normalised: scikit-learn's TfidfVectorizer(sublinear_tf=True)."""
        vector = np.zeros(len(self.idf))
        counts: dict[int, int] = {}
        for gram in grams:
            index = self.index.get(gram)
            if index is not None:
                counts[index] = counts.get(index, 0) + 1
        for index, count in counts.items():
            vector[index] = (1.0 + np.log(count)) * self.idf[index]
        norm = np.linalg.norm(vector)
        return vector / norm if norm else vector


@dataclass(frozen=True)
class KindModel:
    version: str
    chars: Vocabulary
    words: Vocabulary
    hand_mean: np.ndarray
    hand_scale: np.ndarray
    coef: np.ndarray  # classes × features (chars, words, hand)
    intercept: np.ndarray
    classes: tuple[str, ...]
    threshold: float  # P(concrete) at or above which a clause is concrete
    manifest: dict

    def probabilities(self, views: list[ClauseView]) -> np.ndarray:
        if not views:
            return np.zeros((0, len(self.classes)))
        rows = np.vstack([self._vector(v) for v in views])
        logits = rows @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        odds = np.exp(logits)
        return odds / odds.sum(axis=1, keepdims=True)

    def call(self, views: list[ClauseView]) -> list[tuple[str, float]]:
        """(kind, P(concrete)) per clause."""
        probs = self.probabilities(views)
        concrete = self.classes.index("concrete")
        others = [i for i in range(len(self.classes)) if i != concrete]
        calls = []
        for row in probs:
            if row[concrete] >= self.threshold:
                calls.append(("concrete", float(row[concrete])))
            else:
                calls.append((self.classes[max(others, key=lambda i: row[i])], float(row[concrete])))
        return calls

    def _vector(self, view: ClauseView) -> np.ndarray:
        hand = np.array([view.hand[name] for name in HAND_FEATURES])
        return np.concatenate(
            [
                self.chars.tfidf(char_grams(view.text)),
                self.words.tfidf(word_grams(view.words)),
                (hand - self.hand_mean) / self.hand_scale,
            ]
        )


def kind_model_from_dict(data: dict) -> KindModel:
    """The model a JSON document describes; KindModelError when it does not fit this code."""
    try:
        if data.get("format") != FORMAT:
            raise KindModelError(f"kind model: format {data.get('format')!r}, this code reads {FORMAT}")
        if list(data["hand_features"]) != list(HAND_FEATURES):
            raise KindModelError("kind model: fitted on other cue features; refit with manage.py train_kinds")
        chars, words = Vocabulary.from_dict(data["chars"]), Vocabulary.from_dict(data["words"])
        coef = np.asarray(data["coef"], dtype=float)
        classes = tuple(data["classes"])
        width = len(chars.idf) + len(words.idf) + len(HAND_FEATURES)
        if coef.shape != (len(classes), width) or set(classes) != set(KINDS):
            raise KindModelError(f"kind model: coefficients {coef.shape} do not fit {len(classes)} × {width}")
        return KindModel(
            version=str(data["version"]),
            chars=chars,
            words=words,
            hand_mean=np.asarray(data["hand_mean"], dtype=float),
            hand_scale=np.asarray(data["hand_scale"], dtype=float),
            coef=coef,
            intercept=np.asarray(data["intercept"], dtype=float),
            classes=classes,
            threshold=float(data["threshold"]),
            manifest=dict(data.get("manifest", {})),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise KindModelError(f"kind model: malformed ({type(exc).__name__}: {exc})") from exc


def kind_model_path() -> Path:
    return Path(os.environ.get("KIND_MODEL") or MODEL_PATH)


def current_kind_model() -> KindModel | None:
    """The model in use (re-read when its file changes); None when there is none: the rules decide."""
    path = kind_model_path()
    try:
        mtime = path.stat().st_mtime
    except OSError:
        if os.environ.get("KIND_MODEL"):
            raise KindModelError(f"找不到承诺类型模型文件 {path}") from None
        return None
    return _read(str(path), mtime)


@lru_cache(maxsize=2)
def _read(path: str, mtime: float) -> KindModel:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KindModelError(f"承诺类型模型文件 {path} 无法读取（{exc}）") from exc
    if not isinstance(data, dict):
        raise KindModelError(f"承诺类型模型文件 {path} 不是模型")
    return kind_model_from_dict(data)
