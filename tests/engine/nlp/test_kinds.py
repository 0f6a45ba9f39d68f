"""The concrete / vague / not-a-commitment call: the JSON model calls as scikit-learn does, its threshold is
fitted out of fold, cross-validation never calls a pair with a model that saw it, and the shipped model
holds its in-sample guard."""

from __future__ import annotations

import json

import numpy as np
import pytest

from commitments.engine.analyse import analyse_text
from commitments.engine.evaluation import evaluate_extraction
from commitments.engine.gold import load_gold
from commitments.engine.learning import kinds as learning
from commitments.engine.nlp.kinds import kinds_call
from commitments.engine.nlp.kinds.features import HAND_FEATURES
from commitments.engine.nlp.kinds.model import (
    MODEL_PATH,
    KindModelError,
    current_kind_model,
    kind_model_from_dict,
)
from commitments.engine.types import CommitmentSpan
from tests.paths import DEVSET

SMALL = ("zhongshan_2022", "lanling_2022", "qianjiang_2020h2", "xxcounty_2021")


@pytest.fixture(scope="module")
def pairs():
    return [learning.kind_pair(DEVSET / f"{name}.gold.json") for name in SMALL]


def test_labelled_clauses_come_from_the_gold_kinds_and_unlisted_clauses_of_a_complete_file(pairs):
    by_name = {p.name: p for p in pairs}
    zhongshan = by_name["zhongshan_2022"]
    assert {"concrete", "vague"} <= set(zhongshan.labels)
    # xxcounty's gold lists two vague clauses; what else the extractor cuts from that plan is no commitment.
    assert set(by_name["xxcounty_2021"].labels) == {"vague", "not_commitment"}
    assert all(len(p.views) == len(p.labels) == len(p.rule_vague) for p in pairs)


def test_the_json_model_calls_exactly_as_the_fitted_scikit_learn_model(pairs):
    views = [v for p in pairs for v in p.views]
    labels = [label for p in pairs for label in p.labels]
    chars, words, mean, scale, fitted = learning._fit_raw(views, labels)
    from scipy.sparse import csr_matrix, hstack

    x = hstack([chars.transform(views), words.transform(views), csr_matrix((learning._hand(views) - mean) / scale)])
    expected = fitted.predict_proba(x.tocsr())

    document = learning.kind_model_document(pairs, manifest={"version": "test"})
    model = kind_model_from_dict(json.loads(json.dumps(document)))
    got = model.probabilities(views)

    order = [model.classes.index(c) for c in fitted.classes_]
    np.testing.assert_allclose(got[:, order], expected, atol=1e-4)
    assert 0.0 < model.threshold < 1.0


def test_a_model_made_for_other_features_is_refused(pairs):
    document = learning.kind_model_document(pairs, manifest={"version": "test"})
    document["hand_features"] = [*HAND_FEATURES[:-1], "something_else"]
    with pytest.raises(KindModelError, match="other cue features"):
        kind_model_from_dict(document)
    document = learning.kind_model_document(pairs, manifest={"version": "test"})
    document["coef"] = document["coef"][:2]
    with pytest.raises(KindModelError):
        kind_model_from_dict(document)


def test_cross_validation_calls_each_pair_with_a_model_fitted_without_it(pairs, monkeypatch):
    seen = []
    fit = learning.fit_kinds

    def spy(training, **options):
        if options.get("inner", True):
            seen.append({p.name for p in training})
        return fit(training, **options)

    monkeypatch.setattr(learning, "fit_kinds", spy)
    calls = learning.cross_validate_kinds(pairs)

    assert [len(c) for c in calls] == [len(p.labels) for p in pairs]
    assert seen == [{p.name for p in pairs} - {held.name} for held in pairs]


def test_without_a_model_the_rules_flag_decides(monkeypatch, tmp_path):
    monkeypatch.delenv("KIND_MODEL", raising=False)
    monkeypatch.setattr("commitments.engine.nlp.kinds.model.MODEL_PATH", tmp_path / "none.json")
    spans = [CommitmentSpan("加强党的建设", 0, 6, 0, vague=True), CommitmentSpan("新建养老院3所", 7, 14, 0)]

    called = kinds_call(spans, "加强党的建设。新建养老院3所。")

    assert [(s.kind, s.vague, s.concreteness) for s in called] == [("vague", True, None), ("concrete", False, None)]


def test_a_named_model_file_that_is_missing_stops_the_engine(monkeypatch, tmp_path):
    monkeypatch.setenv("KIND_MODEL", str(tmp_path / "missing.json"))
    with pytest.raises(KindModelError, match="找不到"):
        current_kind_model()


def test_the_shipped_model_is_read_and_carries_its_cross_validated_figures():
    model = current_kind_model()
    assert model is not None and MODEL_PATH.is_file()
    cv = model.manifest["cv_pooled_real"]
    assert (
        cv["concrete_recall"] >= 0.95
        and cv["concrete_precision"] > model.manifest["rules_pooled_real"]["concrete_precision"]
    )


def test_in_sample_guard_the_shipped_model_keeps_the_concrete_commitments_of_a_real_plan():
    """In-sample (the model saw this file): a regression guard, not a figure to quote."""
    gold = load_gold(DEVSET / "statecouncil_2018.gold.json")
    spans = analyse_text(gold.plan, year=gold.year).commitments
    score = evaluate_extraction(gold.data, gold.plan, spans, "statecouncil_2018", sampled=False)
    assert score.kinds.recall >= 0.95 and score.kinds.precision >= 0.85
    assert {s.kind for s in spans} <= {"concrete", "vague", "not_commitment"}
    assert all(s.vague == (s.kind != "concrete") and s.concreteness is not None for s in spans)


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("去年居民消费价格涨幅回落到2.6%，这是控制通货膨胀取得的一个重要成果", "past_start"),
        ("抓好这些项目，是我们完成全年目标任务的关键", "judgement_phrase"),
        ("创新创造关键在人", "judgement_phrase"),
        ("做好今年政府工作，要把握好以下几点", "lead_in"),
        ("粮食连续增产，为稳定物价提供了有力保障", "perfective"),
        ("“十三五”圆满收官，“十四五”全面擘画", "perfective"),
    ],
)
def test_a_clause_that_reports_weighs_or_announces_shows_its_cue(text, cue):
    from commitments.engine.nlp.kinds.features import clause_view

    plan = f"2022年工作计划\n{text}。\n"
    span = CommitmentSpan(text=text, start=plan.index(text), end=plan.index(text) + len(text), section_index=0)
    view = clause_view(span, plan)

    assert view.hand[cue] == 1.0
    plain = CommitmentSpan(text="新建社区养老服务站20个", start=9, end=21, section_index=0)
    assert clause_view(plain, plan).hand[cue] == 0.0
