"""Leave-one-pair-out: each pair scored by a model fitted without it. These are the figures quoted.

A model scored on its own training pairs says how well it remembers them; the product is judged on
reports it has never seen, and so is every figure `evaluate --cv` and `train_matcher` print.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from commitments.engine.evaluation import FileScore, PreparedGold, match_prepared
from commitments.engine.learning.fit import fit_model
from commitments.engine.learning.reliability import Reliability


@dataclass
class CrossValidation:
    scores: list[FileScore]  # one per prepared gold file, in order
    reliability: Reliability = field(default_factory=Reliability)


def cross_validate(
    prepared: Sequence[PreparedGold], *, use_embeddings: bool = True, extra: Sequence = ()
) -> CrossValidation:
    """Every matched gold pair scored by a model fitted on the others, plus `extra` training pairs
    (analysts' decisions), which are never scored: the figures stay the gold's."""
    variants = (True, False) if use_embeddings else (False,)
    matched = [p for p in prepared if p.scores is not None]
    cv = CrossValidation([])
    for pair in prepared:
        if pair.review_sections is None:
            cv.scores.append(pair.score(None))
            continue
        model = fit_model([*(p for p in matched if p is not pair), *extra], variants=variants)
        results = match_prepared(pair, model, use_embeddings=use_embeddings)
        cv.scores.append(pair.score(results))
        if pair.gold_file.real:  # the figures quoted are those of real reports
            cv.reliability.add(pair, results)
    return cv
