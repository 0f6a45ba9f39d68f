"""The concrete / vague / not-a-commitment call: what a clause is seen as (features.py) and the fitted call
(model.py, read from model/kinds.json); fitted by engine/learning/kinds.py."""

from __future__ import annotations

import dataclasses

from commitments.engine.nlp.kinds.features import clause_view
from commitments.engine.nlp.kinds.model import KindModel, current_kind_model
from commitments.engine.types import CommitmentSpan


def kinds_call(spans: list[CommitmentSpan], text: str, model: KindModel | None = None) -> list[CommitmentSpan]:
    """The spans with their kind (and `vague`: anything not concrete is out of the rate); without a fitted
    model the rules' flag decides, as before."""
    model = model or current_kind_model()
    if model is None or not spans:
        return [dataclasses.replace(s, kind="vague" if s.vague else "concrete") for s in spans]
    calls = model.call([clause_view(s, text) for s in spans])
    return [
        dataclasses.replace(s, kind=kind, vague=kind != "concrete", concreteness=round(p, 3))
        for s, (kind, p) in zip(spans, calls, strict=True)
    ]


def kind_model_version() -> str:
    model = current_kind_model()
    return model.version if model is not None else "rules"
