"""The demo discovery: ten team workshops written like real ones, so a newcomer sees the value at once."""
from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func
from sqlmodel import Session, select

from ..db.models import Discovery, DiscoveryMember, Participant, Sticky, User, Vote, Workshop
from ..demo_data import DEMO_DISCOVERY, DEMO_ROUND_TWO, DEMO_WORKSHOPS
from .discoveries import new_join_token
from .seat_secrets import hash_secret


def load_demo(session: Session, owner_id: int | None = None) -> tuple[Discovery, bool]:
    """Create the demo discovery once (idempotent); every existing account may see it."""
    existing = session.exec(select(Discovery).where(func.lower(Discovery.name) == DEMO_DISCOVERY["name"].lower())).first()
    if existing is not None:
        _add_members(session, existing.id, owner_id)
        session.commit()
        return existing, False
    discovery = Discovery(name=DEMO_DISCOVERY["name"], problem=DEMO_DISCOVERY["problem"], goal=DEMO_DISCOVERY["goal"],
                          stages=list(DEMO_DISCOVERY["stages"]), start_label=DEMO_DISCOVERY["start_label"],
                          end_label=DEMO_DISCOVERY["end_label"], created_by_id=owner_id)
    session.add(discovery)
    session.flush()
    for spec in DEMO_WORKSHOPS:
        _load_workshop(session, discovery.id, spec, owner_id)
    for spec in DEMO_ROUND_TWO:  # three teams ran it again: the backlog shows what changed
        _load_workshop(session, discovery.id, spec, owner_id, round_number=2)
    _add_members(session, discovery.id, owner_id)
    session.commit()
    return discovery, True


def _add_members(session: Session, discovery_id: int, owner_id: int | None) -> None:
    present = set(session.exec(select(DiscoveryMember.user_id).where(DiscoveryMember.discovery_id == discovery_id)))
    for user_id in session.exec(select(User.id)):
        if user_id not in present:
            session.add(DiscoveryMember(discovery_id=discovery_id, user_id=user_id))


def _load_workshop(session: Session, discovery_id: int, spec: dict, owner_id: int | None,
                   round_number: int = 1) -> None:
    held_on = date.fromisoformat(spec["date"])
    closed = spec.get("closed", True)
    workshop = Workshop(discovery_id=discovery_id, team=spec["team"], template=spec.get("template", "discovery"),
                        held_on=held_on, join_token=new_join_token(), status="closed" if closed else "open",
                        phase="wrapup" if closed else "vote", facilitator_id=owner_id, round=round_number)
    session.add(workshop)
    session.flush()
    people = {}
    for name in spec["participants"]:
        person = Participant(workshop_id=workshop.id, name=name, team=spec["team"],
                             secret_hash=hash_secret(secrets.token_urlsafe(32)))
        session.add(person)
        people[name] = person
    session.flush()
    voters = list(people.values())
    start = datetime.combine(held_on, time(10, 0), tzinfo=timezone.utc)
    ids = [str(uuid.uuid4()) for _ in spec["stickies"]]
    for index, item in enumerate(spec["stickies"]):
        author = people.get(item.get("author"))
        link = item.get("link")
        sticky = Sticky(id=ids[index], workshop_id=workshop.id, kind=item["kind"], text=item["text"], x=item["x"],
                        y=item["y"], duration_minutes=item.get("duration_minutes"),
                        link_to=ids[link] if link is not None else None,
                        author_id=author.id if author else None, author_name=author.name if author else "",
                        created_at=start + timedelta(minutes=index), updated_at=start + timedelta(minutes=index))
        session.add(sticky)
        for dot in range(int(item.get("votes", 0))):
            voter = voters[(index + dot) % len(voters)]
            session.add(Vote(workshop_id=workshop.id, sticky_id=sticky.id, participant_id=voter.id))
