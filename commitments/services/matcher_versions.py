"""Training and adopting the matcher: the model file the engine reads and its MatcherVersion row.

With the analysts' decisions, a new model replaces the current one only when its leave-one-pair-out
figures on the gold files are not worse than the current model's on the same files: analysts'
decisions may carry a deployment's habits, the gold is what every model is judged by.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from commitments.engine.evaluation import PreparedGold
from commitments.engine.learning.crossval import CrossValidation, cross_validate
from commitments.engine.learning.decisions import prepare_decisions
from commitments.engine.learning.fit import TrainingError, fit_model
from commitments.engine.learning.report import cv_figures, not_worse
from commitments.engine.matching.model_file import ModelError, model_path, read_model_json
from commitments.models import MatcherVersion
from commitments.selectors.decisions import decision_inputs

MIN_DECISIONS = 20  # fewer confirmed decisions are too few to learn a deployment's habits from


@dataclass
class TrainingOutcome:
    row: MatcherVersion
    cv: CrossValidation
    path: Path | None  # where the model was written; None when it was not adopted
    lost: list[str] = field(default_factory=list)  # why it was not adopted


def model_write(path: Path, payload: dict) -> None:
    """Atomically: a worker re-reading the model never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".matcher-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(payload, out, ensure_ascii=False, indent=1)
            out.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _baseline(prepared: list[PreparedGold], names: list[str]) -> dict:
    """The current model's figures on these gold files: from its manifest when it was measured on the
    same files, else measured now with the gold alone."""
    try:
        manifest = read_model_json(model_path()).get("manifest") or {}
    except ModelError:
        manifest = {}
    if sorted(manifest.get("files") or []) == sorted(names) and manifest.get("cv"):
        return manifest["cv"]
    return cv_figures(cross_validate(prepared))


def matcher_train(
    *, prepared: list[PreparedGold], with_decisions: bool = False, user=None, output: Path | None = None
) -> TrainingOutcome:
    """Cross-validate, fit, and (unless the guard says no) write the model; record a MatcherVersion
    either way. `prepared`: the gold files read with embeddings (evaluation.prepare_gold). Raises
    TrainingError when the data are too few."""
    names = [p.gold_file.path.name for p in prepared]
    extra, decisions = [], 0
    if with_decisions:
        inputs = decision_inputs()
        decisions = sum(len(entry.items) for entry in inputs)
        if decisions < MIN_DECISIONS:
            raise TrainingError(f"分析员确认的决定只有 {decisions} 条，至少需要 {MIN_DECISIONS} 条；未训练，未采用")
        extra = prepare_decisions(inputs)
    cv = cross_validate(prepared, extra=extra)
    figures = cv_figures(cv)
    baseline = _baseline(prepared, names) if with_decisions else {}
    lost = not_worse(figures, baseline) if with_decisions else []
    gold_items = sum(len(p.labelled()) for p in prepared if p.scores is not None)
    path = (output or model_path()) if not lost else None
    with transaction.atomic():
        if lost:
            version = f"r{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S%f}"[:40]
            verdict = "未采用：" + "；".join(lost)
        else:
            model = fit_model([*prepared, *extra], manifest={"files": names, "decisions": decisions, "cv": figures})
            version, verdict = model.version, "已采用" + ("（交叉验证结果不低于现用模型）" if with_decisions else "")
        row = MatcherVersion.objects.create(
            version=version,
            adopted=not lost,
            gold_files=names,
            gold_items=gold_items,
            decisions=decisions,
            figures=figures,
            baseline=baseline,
            verdict=verdict,
            trained_by=user,
        )
        if path is not None:
            model_write(path, model.as_dict())
            if path.resolve() == model_path().resolve():
                MatcherVersion.objects.filter(current=True).exclude(pk=row.pk).update(current=False)
                row.current = True
                row.save(update_fields=["current"])
    return TrainingOutcome(row, cv, path, lost)
