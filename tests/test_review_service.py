"""The guided review (issue 22) on a tiny discovery: "Group afresh" keeps the owner's moves, the
review's interface (pain_stickies, next_suggestion, answer, undo), answers kept for good."""
from __future__ import annotations

import pytest
from sqlmodel import select

from tests.test_backlog_service import add_discovery, add_workshop
from workshop.db.models import ThemeAssignment
from workshop.services import backlog as svc

FIREWALL = ["Firewall change takes 2 weeks", "firewall request for a port waits weeks",
            "opening a firewall port needs a network ticket"]
ENVS = ["Waiting weeks for a new test environment", "test environment provisioning takes weeks",
        "no free test environment when we need one"]
CAB = ["CAB meets only on Thursdays", "change advisory board approval slows every release",
       "CAB approval needed for every small change"]


@pytest.fixture
def tiny(session):
    d = add_discovery(session)
    ids = {}
    for team, i in (("Payments", 0), ("Search", 1), ("Checkout", 2)):
        _, got = add_workshop(session, d, team, [("pain", FIREWALL[i], 0.7, 1), ("pain", ENVS[i], 0.5, 0),
                                                 ("pain", CAB[i], 0.8, 0)])
        ids[team] = got
    return d, ids


def themes_of(session, discovery_id):
    return svc.build_report(session, discovery_id).stickies.set_index("sticky_id")["theme_id"]


def test_group_afresh_keeps_a_move_into_a_theme_nobody_shaped(session, tiny):
    """Issue 22, item 3: a sticky moved into an undecided theme stays with that theme's stickies
    after "Group afresh" (it used to end with its old neighbours, the move undone)."""
    d, ids = tiny
    before = themes_of(session, d.id)
    firewall = [ids[t][0] for t in ids]
    envs = [ids[t][1] for t in ids]
    assert before.loc[firewall].nunique() == 1 and before.loc[envs].nunique() == 1
    assert before[firewall[0]] != before[envs[0]]
    target = int(before[firewall[0]])
    moved = envs[0]
    svc.move_sticky(session, d.id, moved, target)
    svc.regroup(session, d.id)
    after = themes_of(session, d.id)
    assert after[moved] == after[firewall[0]] == after[firewall[1]] == after[firewall[2]]
    assert after[envs[1]] != after[moved]
    assert {a.sticky_id for a in session.exec(select(ThemeAssignment).where(ThemeAssignment.pinned.is_(True)))} \
        == {moved}
