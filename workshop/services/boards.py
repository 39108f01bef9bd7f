"""The board port: what the use cases ask of the live boards, whatever serves them (ADR 0019).

The services own this interface; the realtime adapter implements it (`realtime.hub.RoomHub`) and
`create_app` binds that implementation to the app (`workshop.ports`). Web pages and CLI commands
never reach the realtime package: they call a use case, which calls the port.

Three things only:
- `submit`: a board operation from outside the board (closing a workshop from its discovery page),
  through the board's tick, so it is logged, sequenced and broadcast like any other;
- `names_changed`: the team, discovery or stage names changed, open boards redraw them;
- `end_sessions`: seats of a board (or all of it) end now, on every process: each socket is told why
  (`ended`, docs/protocol.md) and disconnected.
"""
from __future__ import annotations

from typing import Protocol

from ..domain.board import Actor

#: Why sessions end, as the board is told (`ended` event, docs/protocol.md).
RIGHTS_ENDED = {"code": "rights_ended",
                "message": "Your rights on this board changed (an admin or a facilitator changed your account or "
                           "removed you from the discovery). Open the board again from its discovery page if you "
                           "still may."}
BOARD_DELETED = {"code": "board_deleted",
                 "message": "This board was deleted by a facilitator, with everything on it. Nothing more can be "
                            "added; ask the facilitator if you need what was on it."}


class BoardPort(Protocol):
    def submit(self, workshop_id: int, actor: Actor, ops: list[dict]) -> list[dict]:
        """Queue the ops for the board's next tick and wait until committed; their results."""

    def names_changed(self, workshop_id: int, names: dict) -> None:
        """Open boards of the workshop redraw its team, discovery and stage names."""

    def end_sessions(self, workshop_id: int, participant_ids: set[int] | None, reason: dict) -> int:
        """Tell these seats' sockets (every socket of the board when `participant_ids` is None) why
        they end, and end them, on every process; how many were told."""


class NoBoards:
    """The port where no board is served (a script over the database): nothing is open, so
    nothing is told. Each server's account sweep still ends what it holds (ADR 0019)."""

    def submit(self, workshop_id: int, actor: Actor, ops: list[dict]) -> list[dict]:
        raise RuntimeError("no board is served here")

    def names_changed(self, workshop_id: int, names: dict) -> None:
        return None

    def end_sessions(self, workshop_id: int, participant_ids: set[int] | None, reason: dict) -> int:
        return 0


NO_BOARDS = NoBoards()


def end_seats(boards: BoardPort, seats: dict[int, set[int]], reason: dict = RIGHTS_ENDED) -> int:
    """End the sockets of these seats (workshop id -> participant ids). Never fails the change that
    called it (it is committed already): each process's account sweep ends what this missed."""
    import logging
    ended = 0
    for workshop_id, participant_ids in seats.items():
        try:
            ended += boards.end_sessions(workshop_id, set(participant_ids), reason)
        except Exception:
            logging.getLogger(__name__).exception("ending the sessions of seats %s on board %s failed",
                                                  sorted(participant_ids), workshop_id)
    return ended


def end_boards(boards: BoardPort, workshop_ids, reason: dict = BOARD_DELETED) -> int:
    """Everyone on these boards is told they ended (deleted) and disconnected."""
    import logging
    ended = 0
    for workshop_id in workshop_ids:
        try:
            ended += boards.end_sessions(workshop_id, None, reason)
        except Exception:
            logging.getLogger(__name__).exception("ending board %s failed", workshop_id)
    return ended
