"""Engine and session factory. SQLite by default (WAL, synchronous=FULL), PostgreSQL by DATABASE_URL."""
from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

log = logging.getLogger(__name__)


def make_psycopg_green() -> bool:
    """Make psycopg 3 yield to other greenlets while it waits for PostgreSQL (ADR 0007).

    psycopg (>= 3.1.14) cooperates with gevent by itself, but it chooses how to wait once, when
    `psycopg.waiting` is first imported: its C wait function (which blocks the whole process) unless
    gevent has already patched `select`. Under gunicorn's gevent worker and `python app.py` gevent
    patches first, so this is a safety net for the other orders (`--preload`, a tool that imported
    psycopg before patching): switch to the pure-Python poll wait, which gevent's patched `select.poll`
    makes cooperative. Returns True when it had to switch.
    """
    monkey = sys.modules.get("gevent.monkey")
    if monkey is None or not monkey.is_module_patched("select"):
        return False
    from psycopg import waiting

    wait_c = getattr(waiting, "wait_c", None)
    if wait_c is None or waiting.wait is not wait_c:
        return False
    waiting.wait = waiting.wait_poll if hasattr(waiting, "wait_poll") else waiting.wait_selector
    log.warning("psycopg was imported before gevent patched select; switched it to %s", waiting.wait.__name__)
    return True


def make_engine(url: str) -> Engine:
    """Create the engine; for SQLite, make an acknowledged commit mean 'on disk'."""
    if url.startswith("sqlite"):
        kwargs: dict = {"connect_args": {"check_same_thread": False, "timeout": 30}}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("postgresql+psycopg://"):
        make_psycopg_green()
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class Database:
    """Holds the engine; hands out sessions. Plain Python, usable by the CLI, the web and the tick."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        session = Session(self.engine, expire_on_commit=False)
        try:
            yield session
        except Exception:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
