"""Jobs around the matching service: model warm-up, per-scope locks, enqueueing, stale runs."""

from __future__ import annotations

import logging

from django.conf import settings

logger = logging.getLogger(__name__)


def models_warm() -> None:
    """Load the spaCy pipeline and (when used) the embedding model now, once per worker process."""
    from commitments.matching import embedding
    from commitments.nlp.pipeline import get_pipeline

    get_pipeline()
    if settings.MATCH_EMBEDDINGS:
        embedding.warm_up()
