"""Issue 12, item 7: the seeded sync fuzz (tests/sync_fuzz.py, after tldraw's): 2-6 clients, random
ops, random disconnects and delayed delivery; at the end every client's board equals a fresh
snapshot. Fixed seeds here (fast); `benchmarks/sync_fuzz.py --seeds N` runs many more."""
from __future__ import annotations

import random

import pytest
from sqlmodel import select

from tests import sync_fuzz
from tests.board_helpers import join, make_workshop
from workshop.db.models import Participant
from workshop.domain.board import Actor
from workshop.services.board import BoardService

SEEDS = [1, 2, 3, 4, 5, 6]


def room(db, seed: int):
    """A workshop in the map phase with a facilitator and 1 to 5 guests (the seed decides)."""
    workshop_id, token, _ = make_workshop(db)
    with db.session() as session:
        seat = session.exec(select(Participant).where(Participant.workshop_id == workshop_id,
                                                      Participant.is_facilitator == True)).one()  # noqa: E712
        facilitator = Actor(seat.id, seat.name, True)
    guests = [Actor(join(db, token, f"Guest {i}")[0], f"Guest {i}", False)
              for i in range(random.Random(seed).randint(1, 5))]
    return workshop_id, facilitator, guests


@pytest.mark.parametrize("seed", SEEDS)
def test_every_client_converges_to_a_fresh_snapshot(db, seed):
    workshop_id, facilitator, guests = room(db, seed)
    service = BoardService(db)
    figures = sync_fuzz.run(seed, service, workshop_id, facilitator, guests)
    assert figures["ops_sent"] > 50 and figures["seq"] > 10, figures  # the run did something
    assert figures["drops"] > 0, figures  # and clients were dropped on the way


def test_the_fuzz_finds_a_client_that_merges_a_record_wrongly(db, monkeypatch):
    """The harness can fail: a client that ignores the text of an update (but keeps its version)
    ends with a board unlike the snapshot, and the run says which sticky differs."""
    workshop_id, facilitator, guests = room(db, 3)
    upsert = sync_fuzz.Client._upsert

    def careless(self, sticky):
        if self.name == "g0" and "kind" not in sticky:
            sticky = {k: v for k, v in sticky.items() if k != "text"}
        upsert(self, sticky)

    monkeypatch.setattr(sync_fuzz.Client, "_upsert", careless)
    with pytest.raises(sync_fuzz.Divergence, match="g0's board differs"):
        sync_fuzz.run(3, BoardService(db), workshop_id, facilitator, guests)
