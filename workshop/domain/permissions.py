"""Who may do what. Plain functions over plain facts, used by HTTP routes and socket handlers alike."""
from __future__ import annotations

from dataclasses import dataclass

from .errors import Forbidden


@dataclass(frozen=True)
class Account:
    """The facts about a signed-in person the rules need (no ORM object, no Flask)."""
    id: int
    role: str  # facilitator | product_owner
    is_admin: bool


def can_create_discovery(account: Account) -> bool:
    return account.is_admin or account.role == "facilitator"


def can_manage_discovery(account: Account, member_ids: set[int]) -> bool:
    """Facilitators of a discovery (its members with the facilitator role) and admins run its workshops."""
    return account.is_admin or (account.role == "facilitator" and account.id in member_ids)


def can_read_backlog(account: Account, member_ids: set[int]) -> bool:
    """Backlog and export: the discovery's facilitators and product owners, and admins."""
    return account.is_admin or account.id in member_ids


def require(allowed: bool, message: str = "You are not allowed to do that.") -> None:
    if not allowed:
        raise Forbidden("forbidden", message)


def keeps_board_seat(active: bool, account: Account, member_ids: set[int]) -> bool:
    """Whether an account's facilitator seat on a board of a discovery still holds: its owner is
    active and may still run the discovery's workshops. The one rule applied after every change of a
    person's rights (deactivation, new password, role or admin rights, membership) and at every
    connect; a seat that fails it gets a new secret and its sockets end (ADR 0019)."""
    return bool(active) and can_manage_discovery(account, member_ids)
