"""Fitting the matcher: bounded evidence weights, a status model over every status, refusals."""

import json
from pathlib import Path

import numpy as np
import pytest

from commitments.engine.learning import crossval, fit
from commitments.engine.learning.fit import ABSENT, TrainingError, fit_model, fit_multinomial
from commitments.engine.matching.features import SUPPORTING
from commitments.engine.matching.judge import JUDGED, STATUS_FEATURES
from commitments.engine.matching.learned import current_model, model_from_dict
from tests.engine.learning.conftest import SMALL_PAIRS
from tests.paths import DEVSET


def test_a_fitted_model_ranks_by_supporting_features_that_never_count_against(small_pairs):
    model = fit_model(small_pairs, variants=(False,))
    evidence = model.variant(False).evidence
    weights = dict(zip(evidence.names, evidence.coef, strict=True))
    assert all(weights[name] >= 0 for name in evidence.names if name in SUPPORTING)
    assert weights["tfidf"] + weights["tfidf_rank"] > 0  # the strongest signal on new reports
    assert model.variant(False).status.classes == JUDGED
    assert model.manifest["pairs"] == [p.name for p in small_pairs]


def test_a_model_round_trips_through_its_file_format(small_pairs):
    shipped = current_model()
    again = model_from_dict(json.loads(json.dumps(shipped.as_dict())))
    rows = small_pairs[1].scores.candidates.rows[0]
    np.testing.assert_allclose(
        again.variant(False).evidence.probabilities(rows),
        shipped.variant(False).evidence.probabilities(rows),
        atol=1e-5,
    )
    assert again.version == shipped.version


def test_too_few_labelled_pairs_are_refused(small_pairs):
    with pytest.raises(TrainingError, match="至少需要"):
        fit_model(small_pairs[:1], variants=(False,))


def test_a_status_the_training_data_never_shows_is_never_proposed():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, len(STATUS_FEATURES)))
    y = np.array([0, 1, 3] * 20)  # no not_fulfilled
    model = fit_multinomial(x, y)
    assert model.intercept[JUDGED.index("not_fulfilled")] == ABSENT
    assert (model.probabilities(x).argmax(axis=1) != JUDGED.index("not_fulfilled")).all()
    np.testing.assert_allclose(model.probabilities(x).sum(axis=1), 1.0)


def test_one_status_only_is_refused():
    with pytest.raises(TrainingError, match="只有一种状态"):
        fit_multinomial(np.ones((5, len(STATUS_FEATURES))), np.zeros(5, dtype=int))


def test_every_pair_is_scored_by_a_model_that_never_saw_it(small_pairs, monkeypatch):
    seen = []
    real_fit = fit.fit_model

    def recording(prepared, **options):
        seen.append([p.name for p in prepared])
        return real_fit(prepared, **options)

    monkeypatch.setattr(crossval, "fit_model", recording)
    cv = crossval.cross_validate(small_pairs, use_embeddings=False)

    assert [s.extraction.gold_file for s in cv.scores] == [p.name for p in small_pairs]
    assert len(seen) == len(small_pairs)
    for pair, training in zip(small_pairs, seen, strict=True):
        assert pair.name not in training and len(training) == len(small_pairs) - 1
    # only the real pairs' proposals enter the reliability figures
    real_items = sum(item["kind"] == "concrete" for p in small_pairs if p.gold_file.real for _, item in p.labelled())
    assert len(cv.reliability.pairs) == real_items


def test_the_held_pairs_kind_call_comes_from_a_kind_model_that_never_saw_it(small_pairs, monkeypatch):
    from commitments.engine.learning import kinds

    names = [*SMALL_PAIRS, "zhongshan_2022.gold.json"]  # each held pair leaves three to fit the call on
    kind_pairs = {Path(name).name: kinds.kind_pair(DEVSET / name) for name in names}
    fitted_on, matched = [], []
    real_fit, real_match = kinds.fit_kinds, crossval.match_prepared

    def fit_spy(training, **options):
        fitted_on.append({p.name for p in training})
        return real_fit(training, **options)

    def match_spy(pair, model, **options):
        matched.append(pair)
        return real_match(pair, model, **options)

    monkeypatch.setattr(crossval, "fit_kinds", fit_spy)
    monkeypatch.setattr(crossval, "match_prepared", match_spy)
    crossval.cross_validate(small_pairs, use_embeddings=False, kind_pairs=kind_pairs)

    assert len(fitted_on) == len(small_pairs) == len(matched)
    for pair, training, held in zip(small_pairs, fitted_on, matched, strict=True):
        assert pair.name.removesuffix(".gold.json") not in training and len(training) == 3
        assert held.name == pair.name and held is not pair
        assert [c.vague for c in held.commitments] == [c.kind != "concrete" for c in held.commitments]
        assert [c.kind for c in held.scores.commitments] == [c.kind for c in held.commitments]
