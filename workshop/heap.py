"""The garbage collector of a server process (ADR 0009).

After start-up a process holds a few hundred thousand long-lived objects (Flask, SQLAlchemy, pandas,
scikit-learn, the templates). CPython's full collection walks all of them: measured at 300
participants, a pause of 110-135 ms every few seconds, during which no board message moves, and the
largest part of the p99 latency. `settle()` collects once and moves what survives out of the
collector's reach (`gc.freeze`); later collections walk only what the running server creates."""
from __future__ import annotations

import gc


def settle() -> None:
    """Call once, in the serving process, when the app is loaded and before it serves. The backlog's
    modules (pandas, scikit-learn, openpyxl: most of the objects) are imported first, so that the
    first backlog page does not bring the long pauses back."""
    import workshop.aggregation.report  # noqa: F401
    import workshop.export.xlsx  # noqa: F401

    gc.collect()
    gc.freeze()
