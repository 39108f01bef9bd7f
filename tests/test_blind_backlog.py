"""Issue 23, item 4: blind voting does not leak through the backlog or the workbook. While a board is
in its vote phase with hiding on (the default), the backlog and the export show none of its dots per
sticky and say that a vote is in progress; once the board leaves the vote, every dot counts."""
from __future__ import annotations

from io import BytesIO

import openpyxl
from sqlmodel import select

from tests.board_helpers import create, join, make_workshop, op
from workshop.db.models import Participant, Workshop
from workshop.domain.board import Actor
from workshop.services.backlog import build_report
from workshop.services.board import BoardService, Submission
from workshop.services.export import export_discovery


def _send(service, workshop_id, actor, *ops):
    submission = Submission(actor, list(ops))
    service.apply_batch(workshop_id, [submission])
    assert all(r["ok"] for r in submission.results), submission.results


def _summary(db, discovery_id) -> dict:
    out = BytesIO()
    with db.session() as session:
        export_discovery(session, discovery_id, out)
    sheet = openpyxl.load_workbook(BytesIO(out.getvalue()))["Summary"]
    return {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and row[0]}


def test_a_blind_vote_in_progress_shows_no_dots_in_the_backlog_or_the_export(db):
    workshop_id, token, _ = make_workshop(db)
    with db.session() as session:
        fac = session.exec(select(Participant).where(Participant.workshop_id == workshop_id,
                                                     Participant.is_facilitator == True)).one()  # noqa: E712
        discovery_id = session.get(Workshop, workshop_id).discovery_id
    facilitator = Actor(fac.id, fac.name, True)
    guest = Actor(join(db, token, "Cleo")[0], "Cleo", False)
    service = BoardService(db)
    pain = create(kind="pain", text="Waiting three weeks for a firewall change")
    _send(service, workshop_id, facilitator, op("phase.set", phase="pain"))
    _send(service, workshop_id, guest, pain)
    _send(service, workshop_id, facilitator, op("phase.set", phase="vote"))  # hiding is on by default
    sticky_id = pain["sticky"]["id"]
    _send(service, workshop_id, guest, *[op("vote.add", sticky_id=sticky_id) for _ in range(4)])

    with db.session() as session:
        report = build_report(session, discovery_id)
    assert report.stickies.set_index("sticky_id").at[sticky_id, "votes"] == 0, "a dot leaked"
    assert int(report.backlog["votes"].sum()) == 0
    assert report.totals["votes"] == 0 and report.totals["votes_hidden_boards"] == 1
    summary = _summary(db, discovery_id)
    assert summary["Votes"] == 0
    assert summary["Vote in progress"].startswith("on 1 board")

    _send(service, workshop_id, facilitator, op("phase.set", phase="wrapup"))  # the vote ends
    with db.session() as session:
        report = build_report(session, discovery_id)
    assert report.stickies.set_index("sticky_id").at[sticky_id, "votes"] == 4
    assert report.totals["votes"] == 4 and "votes_hidden_boards" not in report.totals
    summary = _summary(db, discovery_id)
    assert summary["Votes"] == 4 and "Vote in progress" not in summary


def test_the_backlog_page_says_a_vote_is_in_progress(client, signed_in, db):
    _, discovery_id = signed_in.create_discovery()
    _, workshop_id = signed_in.create_workshop(discovery_id)
    with db.session() as session:
        workshop = session.get(Workshop, workshop_id)
        workshop.phase = "vote"
        session.add(workshop)
        session.commit()
    page = client.get(f"/discoveries/{discovery_id}/backlog").get_data(as_text=True)
    assert "vote in progress on 1 board" in page
