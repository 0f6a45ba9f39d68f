"""The model file the engine reads: refused when missing, corrupt or made for other features, never
replaced by other weights in silence."""

import json

import numpy as np
import pytest

from commitments.engine.analyse import analyse_text
from commitments.engine.matching.engine import match_commitments
from commitments.engine.matching.learned import current_model, load_model, model_from_dict
from commitments.engine.matching.model_file import MODEL_PATH, ModelError, engine_version


def shipped() -> dict:
    return json.loads(MODEL_PATH.read_text(encoding="utf-8"))


def test_the_shipped_model_loads_with_its_manifest():
    model = load_model(MODEL_PATH)
    assert model.version and set(model.variants) == {True, False}
    assert model.manifest["cv"]["pooled_real"]["status_n"] > 0  # it carries its cross-validated figures


def test_a_missing_model_file_is_a_clear_refusal(tmp_path):
    with pytest.raises(ModelError, match="找不到匹配模型文件.*train_matcher"):
        load_model(tmp_path / "none.json")


def test_a_corrupt_model_file_is_a_clear_refusal(tmp_path):
    path = tmp_path / "matcher.json"
    path.write_text('{"format": 1, "variants": {', encoding="utf-8")
    with pytest.raises(ModelError, match="无法读取"):
        load_model(path)


def test_a_model_of_another_feature_list_is_refused():
    data = shipped()
    data["variants"]["lexical"]["evidence"]["features"][0] = "something_else"
    with pytest.raises(ModelError, match="特征与本版程序不符"):
        model_from_dict(data)


def test_non_finite_weights_are_refused():
    data = shipped()
    data["variants"]["embeddings"]["status"]["coef"][0][0] = float("nan")
    with pytest.raises(ModelError, match="非有限"):
        model_from_dict(data)


def test_matching_refuses_to_start_without_a_usable_model(tmp_path, monkeypatch):
    broken = tmp_path / "matcher.json"
    broken.write_text("[]", encoding="utf-8")
    monkeypatch.setenv("MATCH_MODEL", str(broken))
    plan = "2022年工作计划\n一、养老服务。新建社区养老服务站20个。\n"
    commitments = analyse_text(plan, year=2022).commitments
    with pytest.raises(ModelError):
        match_commitments(commitments, "2022年工作总结\n新建站点22个。", [], use_embeddings=False)


def test_a_new_model_file_is_read_again_when_it_changes(tmp_path, monkeypatch):
    path = tmp_path / "matcher.json"
    data = shipped()
    path.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setenv("MATCH_MODEL", str(path))
    assert current_model().version == data["version"]
    data["version"] = "m-test-2"
    path.write_text(json.dumps(data), encoding="utf-8")
    import os

    os.utime(path, (1, 2_000_000_000))  # a new mtime even within the file system's resolution
    assert current_model().version == "m-test-2"


def test_status_probabilities_sum_to_one():
    status = current_model().variant(True).status
    rows = np.random.default_rng(1).normal(size=(5, len(status.names)))
    np.testing.assert_allclose(status.probabilities(rows).sum(axis=1), 1.0)


def test_the_engine_version_names_the_model(tmp_path, monkeypatch):
    """Adopting a model changes the version evidence is stamped with, so old evidence is re-matched."""
    before = engine_version()
    assert before.endswith("+" + current_model().version)
    path = tmp_path / "matcher.json"
    path.write_text(json.dumps(shipped() | {"version": "m-other"}), encoding="utf-8")
    monkeypatch.setenv("MATCH_MODEL", str(path))
    assert engine_version() != before and engine_version().endswith("+m-other")


def test_a_model_fitted_for_another_encoder_refuses_to_match(monkeypatch):
    data = shipped()
    model = model_from_dict(data)
    other = "e5" if model.encoder == "use" else "use"
    monkeypatch.setenv("MATCH_ENCODER", other)
    with pytest.raises(ModelError, match="MATCH_ENCODER"):
        model.variant(True)
    assert model.variant(False) is model.variants[False], "the lexical path does not depend on the encoder"

    data["encoder"] = "word2vec"
    with pytest.raises(ModelError, match="word2vec"):
        model_from_dict(data)
