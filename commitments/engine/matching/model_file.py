"""Where the fitted matcher lives and which version it is: light (json only), so that services can
stamp evidence with the engine version without loading the engine.

The engine version is the code's MATCH_ENGINE_VERSION plus the model's version: adopting a new model
changes it, and the periodic check re-matches what the old one made.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

from commitments.engine.types import MATCH_ENGINE_VERSION

MODEL_PATH = Path(__file__).with_name("model") / "matcher.json"


class ModelError(RuntimeError):
    """A model file that is missing, unreadable or made for other features: matching stops."""


def model_path() -> Path:
    return Path(os.environ.get("MATCH_MODEL") or MODEL_PATH)


def model_mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return -1.0


def read_model_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelError(f"找不到匹配模型文件 {path}：请运行 manage.py train_matcher") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"匹配模型文件 {path} 无法读取（{exc}）") from exc
    if not isinstance(data, dict):
        raise ModelError(f"匹配模型文件 {path.name} 不是匹配模型")
    return data


@lru_cache(maxsize=4)
def _version(path: str, mtime: float) -> str:
    version = read_model_json(Path(path)).get("version")
    if not isinstance(version, str) or not version:
        raise ModelError(f"匹配模型文件 {Path(path).name} 缺少 version")
    return version


def model_version() -> str:
    path = model_path()
    return _version(str(path), model_mtime(path))


def engine_version() -> str:
    """What evidence, assessments and runs are stamped with: code version + model version."""
    return f"{MATCH_ENGINE_VERSION}+{model_version()}"


def confidence_floor(precision: float) -> tuple[float | None, float]:
    """(the lowest confidence at which the model's proposals were right at least `precision` of the
    time in its leave-one-pair-out figures, the share of proposals at or above it); (None, 0) when no
    floor reaches it. A floor counts only if every higher floor reaches it too."""
    calibration = ((read_model_json(model_path()).get("manifest") or {}).get("cv") or {}).get("calibration") or {}
    floor, share = None, 0.0
    for point, right, kept in sorted(calibration.get("curve") or [], reverse=True):
        if right < precision:
            break
        floor, share = point, kept
    return floor, share
