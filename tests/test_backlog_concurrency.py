"""Reads of the backlog on PostgreSQL: product owners and facilitators opening the backlog and
exporting the workbook at the same time get their pages, and leave one consistent set of themes
(no theme without stickies, no sticky in two themes, no UniqueViolation).

The aggregation behind them writes (themes, assignments); services/backlog.py locks the discovery
row (SELECT ... FOR UPDATE) and skips the work when nothing changed since the last run.

Needs PostgreSQL (127.0.0.1:5432, a throw-away `storming_test_*` database created from `postgres`).
Skipped when it is absent, unless CI is set: then it fails.
"""
from __future__ import annotations

import threading
from io import BytesIO

import pytest
from sqlalchemy import func
from sqlmodel import select

from tests import scaleout_helpers as so

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(300)]

READERS = 4
EXPORTERS = 3
ROUNDS = 2


@pytest.fixture(scope="module")
def pg(tmp_path_factory):
    with so.migrated_database() as (database, url):
        yield database, url, tmp_path_factory.mktemp("pg-backlog")


def _themes_state(database, discovery_id: int) -> dict:
    """Every theme of the discovery with how many stickies it holds, and the live pain points and
    opportunities with how many assignments each has."""
    from workshop.db.models import Sticky, Theme, ThemeAssignment, Workshop
    from workshop.domain.kinds import THEMED_KINDS
    with database.session() as session:
        themes = session.exec(select(Theme).where(Theme.discovery_id == discovery_id)).all()
        held = dict(session.exec(select(ThemeAssignment.theme_id, func.count())
                                 .join(Theme, Theme.id == ThemeAssignment.theme_id)
                                 .where(Theme.discovery_id == discovery_id)
                                 .group_by(ThemeAssignment.theme_id)).all())
        live = session.exec(select(Sticky.id).join(Workshop, Workshop.id == Sticky.workshop_id)
                            .where(Workshop.discovery_id == discovery_id, Sticky.kind.in_(THEMED_KINDS),
                                   Sticky.deleted == False, Sticky.private == False)).all()  # noqa: E712
        assigned = dict(session.exec(select(ThemeAssignment.sticky_id, func.count())
                                     .where(ThemeAssignment.sticky_id.in_(live))
                                     .group_by(ThemeAssignment.sticky_id)).all())
    return {"themes": {t.id: (held.get(t.id, 0), t.merged_into_id) for t in themes},
            "live": {s: assigned.get(s, 0) for s in live}}


def _run_together(jobs) -> list:
    """Start every job at the same moment, each in its own thread; return what each raised."""
    barrier = threading.Barrier(len(jobs))
    errors: list = []

    def run(job):
        try:
            barrier.wait(timeout=60)
            job()
        except Exception as error:  # collected and reported by the test
            errors.append(repr(error))

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert not any(thread.is_alive() for thread in threads), "a reader or an exporter never finished"
    return errors


def test_concurrent_backlog_pages_and_exports_leave_no_orphan_theme(pg):
    database, url, tmp = pg
    from workshop import create_app
    from workshop.services.accounts import create_first_admin
    from workshop.services.demo import load_demo
    from workshop.services.export import export_discovery

    with database.session() as session:
        create_first_admin(session, "ada@example.com", "Ada", "correct horse")
        discovery, _ = load_demo(session)
        discovery_id = discovery.id
    app = create_app({"TESTING": True, "SECRET_KEY": "pg-secret", "DATABASE_URL": url, "AUTO_MIGRATE": False,
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "EXPORT_DIR": str(tmp / "exports"),
                      "SERVER_NAME": "storming.test"})
    clients = []
    for _ in range(READERS):
        client = app.test_client()
        assert client.post("/login", data={"email": "ada@example.com", "password": "correct horse"}).status_code == 302
        clients.append(client)
    statuses: list[int] = []
    workbooks: list[int] = []

    def reader(client):
        def read():
            statuses.append(client.get(f"/discoveries/{discovery_id}/backlog").status_code)
        return read

    def exporter():
        buffer = BytesIO()
        with database.session() as session:
            export_discovery(session, discovery_id, buffer)
        workbooks.append(len(buffer.getvalue()))

    try:
        for round_ in range(ROUNDS):
            errors = _run_together([reader(c) for c in clients] + [exporter] * EXPORTERS)
            assert errors == [], f"round {round_}: {errors}"
            state = _themes_state(database, discovery_id)
            empty = [theme for theme, (held, merged) in state["themes"].items() if held == 0 and merged is None]
            assert empty == [], f"round {round_}: themes holding no sticky: {empty}"
            assert state["live"] and set(state["live"].values()) == {1}, "every pain point in exactly one theme"
            if round_ == 0:
                first = state
            else:
                assert state == first, "a second round of reads changed the themes although nothing changed"
        assert statuses == [200] * READERS * ROUNDS
        assert len(workbooks) == EXPORTERS * ROUNDS and min(workbooks) > 10_000
    finally:
        app.extensions["db"].dispose()
