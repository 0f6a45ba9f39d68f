"""The one spaCy pipeline of the engine: blank Chinese with jieba, then our components.

Built once per process (model loading is the cost); everything offline.
"""

from __future__ import annotations

import functools
import logging
import marshal
from pathlib import Path
from types import SimpleNamespace

import spacy
from spacy.language import Language

# Registering the factories and the cue-word lists is a side effect of importing them.
from commitments.engine.nlp import cues  # noqa: F401
from commitments.engine.nlp.components import attributes, clauses, detector, structure, vagueness  # noqa: F401

USER_DICT = Path(__file__).parent / "data" / "policy_terms.txt"


def _quiet_jieba() -> None:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    # jieba reads its 9 MB dictionary cache with marshal.load(file), which pulls the file in
    # thousands of small reads: 0.7 s of a 3 s cold start. marshal.loads on the whole file gives
    # the same objects in 0.2 s.
    jieba.marshal = SimpleNamespace(load=lambda file: marshal.loads(file.read()), dump=marshal.dump)
    jieba.load_userdict(str(USER_DICT))


def build_pipeline() -> Language:
    """A fresh pipeline; use `get_pipeline()` to share one per process."""
    _quiet_jieba()
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    # No parser or NER here, so long reports cost time, not memory: lift the 1M-character guard.
    nlp.max_length = 20_000_000
    nlp.add_pipe("report_structure")
    nlp.add_pipe("clause_sentencizer")
    nlp.add_pipe("commitment_detector")
    nlp.add_pipe("commitment_attributes")
    nlp.add_pipe("vagueness")
    return nlp


@functools.lru_cache(maxsize=1)
def get_pipeline() -> Language:
    return build_pipeline()
