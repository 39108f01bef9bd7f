"""Persistence shapes (SQLModel tables). Only the services and the migrations use these.

The domain rules live in workshop.domain; these classes are rows, nothing more.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Optional

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint, false, true
from sqlmodel import Field, SQLModel

from ..domain.validation import THEME_TITLE_MAX


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class User(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(max_length=120)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=20)  # facilitator | product_owner
    is_admin: bool = False
    # A deactivated account cannot sign in and its sessions end; nothing it made is removed.
    is_active: bool = Field(default=True, sa_column_kwargs={"server_default": true()})
    created_at: datetime = Field(default_factory=utcnow)


class Discovery(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True, index=True)
    problem: str = Field(default="", max_length=2000)
    goal: str = Field(default="", max_length=1000)
    stages: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    start_label: str = Field(max_length=120)
    end_label: str = Field(max_length=120)
    created_by_id: Optional[int] = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    # What the last aggregation's themes were computed from (services/backlog.py): a read of the
    # backlog aggregates again only when the stickies or the product owner's decisions changed.
    aggregation_fingerprint: Optional[str] = Field(default=None, max_length=64)


class DiscoveryMember(SQLModel, table=True):
    """Who may see a discovery's backlog and export: its facilitators and product owners."""
    __table_args__ = (UniqueConstraint("discovery_id", "user_id"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    discovery_id: int = Field(foreign_key="discovery.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)


class Workshop(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    discovery_id: int = Field(foreign_key="discovery.id", index=True)
    team: str = Field(max_length=120)
    template: str = Field(max_length=40)
    held_on: Optional[date] = None
    join_token: str = Field(max_length=64, unique=True, index=True)
    status: str = Field(default="open", max_length=20)  # open | closed
    phase: str = Field(default="setup", max_length=40)
    private_writing: bool = False
    locked: bool = False
    vote_budget: int = 5
    # Blind dot voting: while the vote phase runs, each participant sees only their own dots. On for
    # new workshops; the migration (0007) keeps existing ones as they were (off).
    hide_votes: bool = Field(default=True, sa_column_kwargs={"server_default": false()})
    timer_ends_at: Optional[datetime] = None
    timer_seconds: Optional[int] = None
    seq: int = 0  # last committed operation's sequence number
    facilitator_id: Optional[int] = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    # A discovery is run again later with the same teams (round 2, 3, ...); earlier rounds stay closed.
    round: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class Participant(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    name: str = Field(max_length=60)
    team: str = Field(default="", max_length=120)
    secret_hash: str = Field(max_length=128, index=True)
    user_id: Optional[int] = Field(default=None, foreign_key="user.id")
    is_facilitator: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class Sticky(SQLModel, table=True):
    __table_args__ = (Index("ix_sticky_workshop_kind", "workshop_id", "kind"),)
    id: str = Field(primary_key=True, max_length=40)  # client-generated uuid
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    kind: str = Field(max_length=20)
    text: str = Field(default="")
    x: float = 0.5  # position along the timeline, 0..1
    y: float = 0.5  # vertical position, 0..1
    duration_minutes: Optional[float] = None
    link_to: Optional[str] = Field(default=None, max_length=40)
    author_id: Optional[int] = Field(default=None, foreign_key="participant.id")
    author_name: str = Field(default="", max_length=60)
    private: bool = False
    deleted: bool = False
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Vote(SQLModel, table=True):
    """One dot. A participant may put several dots on one sticky, up to the budget."""
    id: Optional[int] = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    sticky_id: str = Field(foreign_key="sticky.id", index=True, max_length=40)
    participant_id: Optional[int] = Field(default=None, foreign_key="participant.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class Operation(SQLModel, table=True):
    """The workshop's log: every committed operation in sequence order (replayed on resync)."""
    __table_args__ = (
        UniqueConstraint("workshop_id", "seq"),
        UniqueConstraint("workshop_id", "op_id"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    seq: int
    op_id: str = Field(max_length=64)
    participant_id: Optional[int] = Field(default=None, foreign_key="participant.id")
    type: str = Field(max_length=40)
    private_to: Optional[int] = None  # participant id when the op concerns a private sticky
    result: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Theme(SQLModel, table=True):
    """A backlog theme. Proposed by the aggregation, decided by the product owner."""
    id: Optional[int] = Field(default=None, primary_key=True)
    discovery_id: int = Field(foreign_key="discovery.id", index=True)
    title: str = Field(max_length=THEME_TITLE_MAX)
    title_is_custom: bool = False
    value: Optional[int] = None  # 1..5, product owner's estimate
    effort: Optional[int] = None  # 1..5
    status: str = Field(default="proposed", max_length=20)
    merged_into_id: Optional[int] = Field(default=None, foreign_key="theme.id")
    created_at: datetime = Field(default_factory=utcnow)
    # When the platform shipped what this theme asked for; the next round shows whether its pain went.
    shipped_on: Optional[date] = None


class ThemeAssignment(SQLModel, table=True):
    """Which theme a pain point or opportunity belongs to; pinned when a person decided it."""
    sticky_id: str = Field(foreign_key="sticky.id", primary_key=True, max_length=40)
    theme_id: int = Field(foreign_key="theme.id", index=True)
    pinned: bool = False


class Invite(SQLModel, table=True):
    """A one-time link on which a person sets their own password: a new account's invitation, or a
    new password an admin offers. Only the token's hash is kept; used or expired, it opens nothing."""
    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_by_id: Optional[int] = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: Optional[datetime] = None


class TextEmbedding(SQLModel, table=True):
    """A cached sentence embedding of one distinct sticky text (float32 bytes), per model.

    Keyed by the sha256 of the cleaned text (workshop.aggregation.embedding.text_key), so re-aggregating
    a discovery embeds only texts never seen before, and identical texts across discoveries share a row.
    """
    __tablename__ = "text_embedding"
    model: str = Field(primary_key=True, max_length=64)
    text_key: str = Field(primary_key=True, max_length=64)
    vector: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class ReviewAnswer(SQLModel, table=True):
    """One answer of the guided review (issue 22), kept for good: a yes is applied as the owner's
    decision (pinned assignments, ``before`` says how to undo it), a no is a cannot-link between the
    stickies asked about (``moving``) and the ones they were compared with (``others``), or for "two
    problems here?" a sign that they are one. ``key`` identifies the question: it is never asked twice."""
    __tablename__ = "review_answer"
    id: Optional[int] = Field(default=None, primary_key=True)
    discovery_id: int = Field(foreign_key="discovery.id", index=True)
    key: str = Field(max_length=40)
    kind: str = Field(max_length=20)  # merge | move | split | round | title
    accepted: bool
    moving: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    others: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    parted: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    themes: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # theme ids asked about
    before: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # what a yes changed
    created_at: datetime = Field(default_factory=utcnow)
