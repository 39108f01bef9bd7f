"""Helpers for board tests: a workshop with a facilitator and guests, and op builders."""
from __future__ import annotations

import uuid

from workshop.db.models import User
from workshop.domain.errors import DomainError
from workshop.domain.permissions import Account
from workshop.services import discoveries as svc


def make_workshop(db, template="discovery", team="Payments"):
    """A discovery with one workshop; returns (workshop_id, token, facilitator secret)."""
    with db.session() as session:
        user = User(email=f"f{uuid.uuid4().hex[:6]}@example.com", name="Fran Facilitator", password_hash="x",
                    role="facilitator", is_admin=False)
        session.add(user)
        session.commit()
        account = Account(user.id, "facilitator", False)
        discovery = svc.create_discovery(session, account, name=f"D {uuid.uuid4().hex[:8]}")
        workshop = svc.create_workshop(session, account, discovery.id, team, template)
        _, secret = svc.facilitator_seat(session, account, user.name, workshop.id)
        return workshop.id, workshop.join_token, secret


def join(db, token, name="Grace"):
    with db.session() as session:
        participant, secret = svc.join_as_guest(session, token, name)
        return participant.id, secret


def new_id() -> str:
    return str(uuid.uuid4())


def create(kind="event", text="Ticket raised", x=0.2, y=0.3, sticky_id=None, **extra):
    sticky = {"id": sticky_id or new_id(), "kind": kind, "text": text, "x": x, "y": y, **extra}
    return {"id": new_id(), "type": "sticky.create", "sticky": sticky}


def op(type_, **fields):
    return {"id": new_id(), "type": type_, **fields}


def refusal(call) -> tuple[str, str] | None:
    """(code, message) of the DomainError `call()` raises, or None if it raises none."""
    try:
        call()
    except DomainError as error:
        return error.code, error.message
    return None
