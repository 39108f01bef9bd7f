"""The garbage collector of a server process (ADR 0009).

After start-up a process holds a few hundred thousand long-lived objects (Flask, SQLAlchemy, pandas,
scikit-learn, the templates). CPython's full collection walks all of them: measured at 300
participants, a pause of 110-135 ms every few seconds, during which no board message moves, and the
largest part of the p99 latency. `settle()` collects once and moves what survives out of the
collector's reach (`gc.freeze`); later collections walk only what the running server creates."""
from __future__ import annotations

import gc
import os

#: STORMING_PRELOAD_MODEL=0 leaves the embedding model to the first backlog (the test servers, most of
#: which never open one, start 1-3 s sooner).
PRELOAD_MODEL = "STORMING_PRELOAD_MODEL"
#: STORMING_PRELOAD_BACKLOG=0 leaves the backlog's modules, and with them the model, to the first backlog
#: too: a process that only serves boards starts about 2.5 s sooner (the test suite starts ~50 servers).
#: The collector then walks those modules' objects again once a backlog has been served.
PRELOAD_BACKLOG = "STORMING_PRELOAD_BACKLOG"


def settle() -> None:
    """Call once, in the serving process, when the app is loaded and before it serves. The backlog's
    modules (pandas, scikit-learn, openpyxl: most of the objects) are imported first, so that the
    first backlog page does not bring the long pauses back; and the embedding model is loaded, so that
    the first backlog page does not wait for it either (a new product owner waited 4.5 s for the demo's
    first backlog, 1-3 s of it loading the model). PRELOAD_BACKLOG or PRELOAD_MODEL set to 0 leaves
    them, or the model alone, to the first backlog page."""
    if os.environ.get(PRELOAD_BACKLOG, "1") != "0":
        import workshop.aggregation.report  # noqa: F401
        import workshop.export.xlsx  # noqa: F401
        import workshop.services.backlog_view  # noqa: F401

        if os.environ.get(PRELOAD_MODEL, "1") != "0":
            preload_model()
    gc.collect()
    gc.freeze()


def preload_model() -> bool:
    """Load the configured embedding model now. False (and the reason logged) when it cannot be
    loaded: the backlog then says so itself, as it does without a preload."""
    import logging

    from workshop.aggregation.embedding import get_embedder
    try:
        get_embedder()
        return True
    except Exception as error:  # noqa: BLE001  (a server starts without it; the backlog says why)
        logging.getLogger(__name__).warning("the embedding model is not loaded at start: %s", error)
        return False
