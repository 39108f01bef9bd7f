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
