"""The embedding cache: the process's sentence embedder behind the text_embedding table.

Plain Python (no Flask); the aggregation (services.backlog) and the review (services.review) embed
through it.
"""
from __future__ import annotations

import logging

import numpy as np
from sqlalchemy import insert
from sqlmodel import Session, select

from workshop.aggregation.embedding import (DEFAULT_MODEL_ID, DEFAULT_PARTS, EmbeddingUnavailable, configured_model,
                                            get_embedder, text_key)
from workshop.db.models import TextEmbedding

from .backlog_reading import _chunks

log = logging.getLogger(__name__)


class CachedEmbed:
    """The process's embedder behind the text_embedding table: a text embedded once is never embedded
    again (re-aggregation, other discoveries, other processes sharing the database). The model itself
    is loaded only when a text is missing from the table. New vectors are written in the caller's
    transaction (the aggregation's, which holds the discovery's lock), each batch in a savepoint: a
    duplicate written by a concurrent aggregation of another discovery is simply not stored twice."""

    def __init__(self, session: Session, model_id: str, store: bool = True):
        self.session, self.model_id, self.store = session, model_id, store
        self.computed = 0
        self._embedder = None

    @property
    def embedder(self):
        if self._embedder is None:
            self._embedder = get_embedder()
        return self._embedder

    @property
    def parts(self) -> tuple[int, ...]:
        return DEFAULT_PARTS if self.model_id == DEFAULT_MODEL_ID else self.embedder.parts

    def __call__(self, texts: list[str]) -> np.ndarray:
        keys = [text_key(t) for t in texts]
        wanted = list(dict.fromkeys(keys))
        found: dict[str, np.ndarray] = {}
        dim = sum(self.parts)
        for part in _chunks(wanted):
            for key, blob in self.session.execute(
                    select(TextEmbedding.text_key, TextEmbedding.vector)
                    .where(TextEmbedding.model == self.model_id, TextEmbedding.text_key.in_(part))).all():
                vector = np.frombuffer(blob, dtype=np.float32)
                if len(vector) == dim:
                    found[key] = vector
        missing = [k for k in wanted if k not in found]
        if missing:
            text_of = dict(zip(keys, texts))
            vectors = self.embedder.embed([text_of[k] for k in missing])
            self.computed += len(missing)
            found.update(zip(missing, vectors))
            rows = [{"model": self.model_id, "text_key": k, "vector": v.astype(np.float32).tobytes()}
                    for k, v in zip(missing, vectors)]
            for part in _chunks(rows if self.store else []):
                try:
                    with self.session.begin_nested():
                        self.session.execute(insert(TextEmbedding), list(part))
                except Exception as error:  # stored meanwhile by another process: computed again next time
                    log.info("embedding cache not written (%s)", type(error).__name__)
        return np.vstack([found[k] for k in keys]) if keys else np.zeros((0, dim), np.float32)


def cached_embed(session: Session, store: bool = True) -> CachedEmbed | None:
    """The embed function of the grouping, backed by the database; None when no model is configured
    or installed (the grouping then runs on the lexical views alone, and says so in the log)."""
    try:
        return CachedEmbed(session, configured_model()[0], store)
    except EmbeddingUnavailable as error:
        log.warning("grouping without sentence embeddings: %s", error)
        return None
