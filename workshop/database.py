"""Binds the Database to Flask: one session per request (or socket event), closed in teardown."""
from __future__ import annotations

from flask import Flask, current_app, g
from sqlmodel import Session

from .db.engine import Database
from .db.migrate import upgrade


def init_app(app: Flask) -> None:
    app.extensions["db"] = Database(app.config["DATABASE_URL"])
    app.teardown_appcontext(_close_session)


def get_db(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["db"]


def get_session() -> Session:
    """The request's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = Session(get_db().engine, expire_on_commit=False)
    return g.db_session


def _close_session(_exc) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def upgrade_schema(app: Flask) -> None:
    """Apply every Alembic migration not yet applied (idempotent)."""
    upgrade(app.config["DATABASE_URL"])
