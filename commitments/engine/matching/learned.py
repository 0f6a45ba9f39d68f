"""The fitted matcher read at run time: logistic models as JSON, applied with numpy only.

`manage.py train_matcher` writes the file (commitments/engine/matching/model/matcher.json). The
engine refuses to match without a model it can read and that fits its feature list: silently falling
back to other weights would make every figure in the manifest a lie.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from commitments.engine.matching.embedding import ENCODERS, encoder_name
from commitments.engine.matching.features import GROUPS, feature_names
from commitments.engine.matching.judge import JUDGED, STATUS_FEATURES
from commitments.engine.matching.model_file import ModelError, model_mtime, model_path, read_model_json

FORMAT = 1
NEGLIGIBLE = 0.005  # log-odds: a bar this small says nothing and is left out


@dataclass(frozen=True)
class Logistic:
    """A fitted logistic model over standardised features: logit = intercept + Σ coef·(x−mean)/scale."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    @classmethod
    def from_dict(cls, data: dict, names: tuple[str, ...], what: str) -> Logistic:
        stored = tuple(data.get("features", ()))
        if stored != names:
            missing = [n for n in names if n not in stored]
            extra = [n for n in stored if n not in names]
            detail = f"缺少 {missing}，多出 {extra}" if missing or extra else "顺序不同"
            raise ModelError(f"{what}的特征与本版程序不符（{detail}）：请用 manage.py train_matcher 重新训练")
        arrays = []
        for key in ("mean", "scale", "coef"):
            values = np.asarray(data.get(key, ()), dtype=np.float64)
            if values.shape != (len(names),) or not np.isfinite(values).all():
                raise ModelError(f"{what}的 {key} 应为 {len(names)} 个有限数值")
            arrays.append(values)
        intercept = data.get("intercept")
        if not isinstance(intercept, int | float) or not math.isfinite(intercept):
            raise ModelError(f"{what}缺少 intercept")
        if (arrays[1] <= 0).any():
            raise ModelError(f"{what}的 scale 必须为正")
        return cls(names, *arrays, float(intercept))

    def as_dict(self) -> dict:
        return {
            "features": list(self.names),
            "mean": self.mean.round(6).tolist(),
            "scale": self.scale.round(6).tolist(),
            "coef": self.coef.round(6).tolist(),
            "intercept": round(self.intercept, 6),
        }

    def contributions(self, rows: np.ndarray) -> np.ndarray:
        """Each feature's share of the log-odds, per row."""
        return (rows - self.mean) / self.scale * self.coef

    def grouped(self, row: np.ndarray) -> dict[str, float]:
        """One row's log-odds contributions summed per named part (features.GROUPS): the review
        page's bars."""
        groups: dict[str, float] = {}
        for name, value in zip(self.names, self.contributions(row[None, :])[0], strict=True):
            groups[GROUPS.get(name, name)] = groups.get(GROUPS.get(name, name), 0.0) + float(value)
        return {name: value for name, value in groups.items() if abs(value) >= NEGLIGIBLE}

    def logits(self, rows: np.ndarray) -> np.ndarray:
        return self.contributions(rows).sum(axis=1) + self.intercept

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logits(rows)))


@dataclass(frozen=True)
class Multinomial:
    """A fitted multinomial logistic model: one row of coefficients per class."""

    classes: tuple[str, ...]
    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # (classes, features)
    intercept: np.ndarray

    @classmethod
    def from_dict(cls, data: dict, classes: tuple[str, ...], names: tuple[str, ...], what: str) -> Multinomial:
        if tuple(data.get("classes", ())) != classes:
            raise ModelError(f"{what}的类别与本版程序不符：{data.get('classes')} ≠ {list(classes)}")
        flat = Logistic.from_dict({**data, "coef": [0.0] * len(names), "intercept": 0.0}, names, what)
        coef = np.asarray(data.get("coef", ()), dtype=np.float64)
        intercept = np.asarray(data.get("intercept", ()), dtype=np.float64)
        if coef.shape != (len(classes), len(names)) or intercept.shape != (len(classes),):
            raise ModelError(f"{what}的 coef 应为 {len(classes)}×{len(names)}，intercept 应为 {len(classes)} 个数值")
        if not (np.isfinite(coef).all() and np.isfinite(intercept).all()):
            raise ModelError(f"{what}含有非有限数值")
        return cls(classes, names, flat.mean, flat.scale, coef, intercept)

    def as_dict(self) -> dict:
        return {
            "classes": list(self.classes),
            "features": list(self.names),
            "mean": self.mean.round(6).tolist(),
            "scale": self.scale.round(6).tolist(),
            "coef": self.coef.round(6).tolist(),
            "intercept": self.intercept.round(6).tolist(),
        }

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        logits = (rows - self.mean) / self.scale @ self.coef.T + self.intercept
        logits -= logits.max(axis=1, keepdims=True)
        odds = np.exp(logits)
        return odds / odds.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class Variant:
    """The models for one feature set: with sentence embeddings, or lexical only."""

    evidence: Logistic
    status: Multinomial


@dataclass(frozen=True)
class MatcherModel:
    version: str
    variants: dict[bool, Variant]  # keyed by use_embeddings
    manifest: dict
    encoder: str = "use"  # the sentence encoder its semantic features came from

    def variant(self, use_embeddings: bool) -> Variant:
        if use_embeddings and self.encoder != encoder_name():
            raise ModelError(
                f"匹配模型 {self.version} 是按句向量模型 {self.encoder} 训练的，当前 MATCH_ENCODER={encoder_name()}："
                "请改回设置，或用 manage.py train_matcher 重新训练"
            )
        return self.variants[use_embeddings]

    def as_dict(self) -> dict:
        return {
            "format": FORMAT,
            "version": self.version,
            "encoder": self.encoder,
            "variants": {
                ("embeddings" if key else "lexical"): {
                    "evidence": v.evidence.as_dict(),
                    "status": v.status.as_dict(),
                }
                for key, v in self.variants.items()
            },
            "manifest": self.manifest,
        }


def model_from_dict(data: dict, where: str = "模型") -> MatcherModel:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelError(f"{where}不是第 {FORMAT} 版的匹配模型文件")
    version = data.get("version")
    if not isinstance(version, str) or not version:
        raise ModelError(f"{where}缺少 version")
    variants = {}
    for key, use_embeddings in (("embeddings", True), ("lexical", False)):
        raw = (data.get("variants") or {}).get(key)
        if not isinstance(raw, dict):
            raise ModelError(f"{where}缺少 {key} 模型")
        variants[use_embeddings] = Variant(
            Logistic.from_dict(raw.get("evidence") or {}, feature_names(use_embeddings), f"{where}（{key} 证据模型）"),
            Multinomial.from_dict(raw.get("status") or {}, JUDGED, STATUS_FEATURES, f"{where}（{key} 状态模型）"),
        )
    encoder = data.get("encoder", "use")
    if encoder not in ENCODERS:
        raise ModelError(f"{where}的句向量模型 {encoder!r} 不是本程序可用的（{', '.join(ENCODERS)}）")
    return MatcherModel(version, variants, data.get("manifest") or {}, encoder)


def load_model(path: Path) -> MatcherModel:
    return model_from_dict(read_model_json(path), f"匹配模型文件 {path.name}")


@lru_cache(maxsize=4)
def _cached(path: str, mtime: float) -> MatcherModel:
    return load_model(Path(path))


def current_model() -> MatcherModel:
    """The model in use, re-read when its file changes (an adoption writes a new file)."""
    path = model_path()
    return _cached(str(path), model_mtime(path))
