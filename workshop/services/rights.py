"""The one rule for every change of a person's rights (ADR 0019).

Deactivating an account, a new password, a changed role or admin right, being added to or removed
from a discovery: every use case that changes one of these calls `close_seats` before its commit and
`end_closed` after it. A board seat of the person's that no longer holds
(`domain.permissions.keeps_board_seat`; every seat, for a deactivation or a new password) gets a new
secret nobody knows, in the same transaction as the change, so its old socket cannot come back;
after the commit the board port tells its open sockets why and ends them, on every process.
"""
from __future__ import annotations

import secrets

from sqlmodel import Session, select

from ..db.models import DiscoveryMember, Participant, User, Workshop
from ..domain.permissions import Account, keeps_board_seat
from .boards import RIGHTS_ENDED, BoardPort, end_seats
from .seat_secrets import hash_secret

Seats = dict[int, set[int]]  # workshop id -> participant ids


def _hash(secret: str) -> str:
    return hash_secret(secret)


def close_seats(session: Session, user: User, *, every_seat: bool = False) -> Seats:
    """Give each of the person's board seats that no longer holds (all of them with `every_seat`) a
    new secret nobody knows; the caller commits. Returns the closed seats, for `end_closed`."""
    session.flush()  # the change being made counts (a removed membership, a new role)
    account = Account(id=user.id, role=user.role, is_admin=user.is_admin)
    seats = session.exec(select(Participant, Workshop.discovery_id)
                         .join(Workshop, Workshop.id == Participant.workshop_id)
                         .where(Participant.user_id == user.id)).all()
    if not seats:
        return {}
    discoveries = set(session.exec(select(DiscoveryMember.discovery_id)
                                   .where(DiscoveryMember.user_id == user.id)))
    closed: Seats = {}
    for seat, discovery_id in seats:
        member_ids = {user.id} if discovery_id in discoveries else set()
        if every_seat or not keeps_board_seat(user.is_active, account, member_ids):
            seat.secret_hash = _hash(secrets.token_urlsafe(32))
            session.add(seat)
            closed.setdefault(seat.workshop_id, set()).add(seat.id)
    return closed


def end_closed(boards: BoardPort, closed: Seats) -> int:
    """After the commit: the closed seats' open sockets are told and end, on every process."""
    return end_seats(boards, closed, RIGHTS_ENDED) if closed else 0


def seat_holds(session: Session, participant: Participant, discovery_id: int) -> bool:
    """Whether a seat may connect or act: a guest's always; an account's while the rule holds."""
    if participant.user_id is None:
        return True
    user = session.get(User, participant.user_id)
    if user is None:
        return False
    member = session.exec(select(DiscoveryMember.id).where(DiscoveryMember.discovery_id == discovery_id,
                                                           DiscoveryMember.user_id == user.id)).first()
    return keeps_board_seat(user.is_active, Account(user.id, user.role, user.is_admin),
                            {user.id} if member is not None else set())
