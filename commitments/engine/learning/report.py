"""Cross-validated figures as plain data: what train_matcher stores in the manifest and the adoption
guard compares."""

from __future__ import annotations

from commitments.engine.evaluation import pooled_matching
from commitments.engine.learning.crossval import CrossValidation

BULK_PRECISION = 0.95  # the share right that bulk confirmation aims for by default


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def precision_curve(reliability) -> list[list[float]]:
    """[floor, share right at or above it, share of proposals it keeps] for floors 0.50, 0.51 … 0.99:
    what bulk confirmation reads to turn a target precision into a confidence floor."""
    curve = []
    for step in range(50, 100):
        floor = step / 100
        right, share = reliability.at_least(floor)
        if right is not None:
            curve.append([floor, round(right, 4), round(share, 4)])
    return curve


def cv_figures(cv: CrossValidation) -> dict:
    """Pooled over the real pairs (the figures quoted), and per pair."""
    real = pooled_matching([s for s in cv.scores if s.real])
    right_at_09, share_at_09 = cv.reliability.at_least(0.9)
    return {
        "pooled_real": {
            "evidence_p_at_1": _round(real.precision_at_1),
            "evidence_r_at_3": _round(real.recall_at_3),
            "evidence_n": real.evidence_total,
            "status_accuracy": _round(real.status_accuracy),
            "status_macro_f1": _round(real.status_macro_f1),
            "status_n": len(real.status_pairs),
        },
        "calibration": {
            "ece": _round(cv.reliability.ece),
            "right_at_0.9": _round(right_at_09),
            "share_at_0.9": _round(share_at_09),
            f"floor_for_{BULK_PRECISION}": _round(cv.reliability.floor_for(BULK_PRECISION)),
            "curve": precision_curve(cv.reliability),
        },
        "pairs": {
            s.extraction.gold_file: {
                "real": s.real,
                "evidence_p_at_1": _round(s.matching.precision_at_1),
                "evidence_r_at_3": _round(s.matching.recall_at_3),
                "status_accuracy": _round(s.matching.status_accuracy),
                "status_macro_f1": _round(s.matching.status_macro_f1),
            }
            for s in cv.scores
            if s.matching is not None
        },
    }


# The pooled figures a new model must not lose against the current one to be adopted.
GUARDED = {"evidence_p_at_1": "证据 P@1", "status_accuracy": "状态准确率", "status_macro_f1": "状态宏平均F1"}


def not_worse(new: dict, baseline: dict) -> list[str]:
    """What the new model's cross-validated figures lose against the baseline's (empty: adopt)."""
    lost = []
    for key, label in GUARDED.items():
        a = new.get("pooled_real", {}).get(key)
        b = baseline.get("pooled_real", {}).get(key)
        if a is None:
            lost.append(f"{label}无法计算")
        elif b is not None and a < b - 1e-9:
            lost.append(f"{label} {a:.3f} < 现用模型 {b:.3f}")
    return lost
