"""Leave-one-pair-out: each pair scored by a model fitted without it. These are the figures quoted.

A model scored on its own training pairs says how well it remembers them; the product is judged on
reports it has never seen, and so is every figure `evaluate --cv` and `train_matcher` print.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from commitments.engine.evaluation import FileScore, PreparedGold, match_prepared
from commitments.engine.learning.fit import fit_model
from commitments.engine.learning.kinds import CV_MIN_PAIRS, KindPair, fit_kinds
from commitments.engine.learning.reliability import Reliability
from commitments.engine.nlp.kinds import kinds_call


@dataclass
class CrossValidation:
    scores: list[FileScore]  # one per prepared gold file, in order
    reliability: Reliability = field(default_factory=Reliability)


def cross_validate(
    prepared: Sequence[PreparedGold],
    *,
    use_embeddings: bool = True,
    extra: Sequence = (),
    kind_pairs: Mapping[str, KindPair] | None = None,
) -> CrossValidation:
    """Every matched gold pair scored by a model fitted on the others, plus `extra` training pairs
    (analysts' decisions), which are never scored: the figures stay the gold's.

    With `kind_pairs` (gold file name → its labelled clauses) the held pair's concrete / vague call is
    made by a kind model fitted without it too, so that no figure rests on a call that saw the pair."""
    variants = (True, False) if use_embeddings else (False,)
    matched = [p for p in prepared if p.scores is not None]
    cv = CrossValidation([])
    for pair in prepared:
        if pair.review_sections is None:
            cv.scores.append(pair.score(None))
            continue
        model = fit_model([*(p for p in matched if p is not pair), *extra], variants=variants)
        held = _kinds_called_without(pair, kind_pairs) if kind_pairs else pair
        results = match_prepared(held, model, use_embeddings=use_embeddings)
        cv.scores.append(pair.score(results))
        if pair.gold_file.real:  # the figures quoted are those of real reports
            cv.reliability.add(pair, results)
    return cv


def _kinds_called_without(pair: PreparedGold, kind_pairs: Mapping[str, KindPair]) -> PreparedGold:
    """The pair with its commitments' kind called by a model fitted on the other files' labels."""
    others = [kp for name, kp in kind_pairs.items() if name != pair.name and kp.labels]
    if len(others) < CV_MIN_PAIRS - 1:
        return pair
    called = kinds_call(list(pair.commitments), pair.gold_file.plan, fit_kinds(others))
    scores = pair.scores
    if scores is not None:  # the scored spans (line breaks taken out) take the same calls, row by row
        scored = [
            replace(s, kind=c.kind, vague=c.vague, concreteness=c.concreteness)
            for s, c in zip(scores.commitments, called, strict=True)
        ]
        scores = replace(scores, commitments=scored, readings={})
    return replace(pair, commitments=called, scores=scores)
