"""Discoveries and their workshops: create, list with counts, close, share, join."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlmodel import Session, select

from ..db.models import Discovery, DiscoveryMember, Participant, Sticky, User, Vote, Workshop
from ..domain.board import Actor
from ..domain.errors import Conflict, NotFound, ValidationError
from ..domain.permissions import (Account, can_create_discovery, can_manage_discovery, can_read_backlog,
                                  require)
from ..domain.templates import get_template
from ..domain.validation import validate_discovery, validate_display_name, validate_workshop, clean_line
from .boards import BOARD_DELETED, NO_BOARDS, BoardPort, end_boards
from .seat_secrets import hash_secret


def new_join_token() -> str:
    """192 random bits, URL-safe: a join link nobody can guess."""
    return secrets.token_urlsafe(24)


def get_discovery(session: Session, discovery_id: int) -> Discovery:
    discovery = session.get(Discovery, discovery_id)
    if discovery is None:
        raise NotFound("unknown_discovery", f"There is no discovery {discovery_id}.")
    return discovery


def get_workshop(session: Session, workshop_id: int) -> Workshop:
    workshop = session.get(Workshop, workshop_id)
    if workshop is None:
        raise NotFound("unknown_workshop", f"There is no workshop {workshop_id}.")
    return workshop


def member_ids(session: Session, discovery_id: int) -> set[int]:
    return set(session.exec(select(DiscoveryMember.user_id).where(DiscoveryMember.discovery_id == discovery_id)))


def ensure_can_create(account: Account) -> None:
    require(can_create_discovery(account), "Only facilitators and admins create discoveries.")


def create_discovery(session: Session, account: Account, **fields) -> Discovery:
    ensure_can_create(account)
    draft = validate_discovery(**fields)
    if session.exec(select(Discovery).where(func.lower(Discovery.name) == draft.name.lower())).first():
        raise Conflict("discovery_exists", f"A discovery named {draft.name!r} exists already.")
    discovery = Discovery(name=draft.name, problem=draft.problem, goal=draft.goal, stages=draft.stages,
                          start_label=draft.start_label, end_label=draft.end_label, created_by_id=account.id)
    session.add(discovery)
    session.flush()
    session.add(DiscoveryMember(discovery_id=discovery.id, user_id=account.id))
    session.commit()
    return discovery


def visible_discoveries(session: Session, account: Account) -> list[dict]:
    """The home page: discoveries this person may see, with workshop and sticky counts."""
    query = select(Discovery).order_by(Discovery.created_at.desc())
    if not account.is_admin:
        query = query.join(DiscoveryMember, DiscoveryMember.discovery_id == Discovery.id).where(
            DiscoveryMember.user_id == account.id)
    discoveries = list(session.exec(query))
    ids = [d.id for d in discoveries]
    workshops = dict(session.exec(
        select(Workshop.discovery_id, func.count()).where(Workshop.discovery_id.in_(ids)).group_by(Workshop.discovery_id)
    ).all()) if ids else {}
    stickies = dict(session.exec(
        select(Workshop.discovery_id, func.count()).join(Sticky, Sticky.workshop_id == Workshop.id)
        .where(Workshop.discovery_id.in_(ids), Sticky.deleted == False)  # noqa: E712
        .group_by(Workshop.discovery_id)
    ).all()) if ids else {}
    return [{"discovery": d, "workshops": workshops.get(d.id, 0), "stickies": stickies.get(d.id, 0)}
            for d in discoveries]


def ensure_can_see(session: Session, account: Account, discovery_id: int) -> Discovery:
    discovery = get_discovery(session, discovery_id)
    if not can_read_backlog(account, member_ids(session, discovery_id)):
        raise NotFound("unknown_discovery", f"There is no discovery {discovery_id}.")
    return discovery


def ensure_can_manage(session: Session, account: Account, discovery_id: int) -> Discovery:
    discovery = ensure_can_see(session, account, discovery_id)
    require(can_manage_discovery(account, member_ids(session, discovery_id)),
            "Only this discovery's facilitators can do that.")
    return discovery


def create_workshop(session: Session, account: Account, discovery_id: int, team, template=None,
                    held_on=None) -> Workshop:
    ensure_can_manage(session, account, discovery_id)
    draft = validate_workshop(team, template, held_on)
    workshop = Workshop(discovery_id=discovery_id, team=draft.team, template=draft.template,
                        held_on=draft.held_on, join_token=new_join_token(),
                        phase=get_template(draft.template).first_phase.key, facilitator_id=account.id,
                        round=latest_round(session, discovery_id))
    session.add(workshop)
    session.commit()
    return workshop


def team_workshops_in_round(session: Session, workshop: Workshop) -> int:
    """How many other workshops of the workshop's round carry its team's name (case aside): the
    backlog counts them as one team, which a second "Payments" made by mistake would hide."""
    return len(session.exec(select(Workshop.id).where(
        Workshop.discovery_id == workshop.discovery_id, Workshop.round == workshop.round,
        func.lower(Workshop.team) == workshop.team.lower(), Workshop.id != workshop.id)).all())


@dataclass
class WorkshopRow:
    workshop: Workshop
    participants: int
    stickies: int
    pain_points: int
    votes: int


def workshops_of(session: Session, discovery_id: int) -> list[WorkshopRow]:
    """The discovery page's table: each workshop with its state and counts (four grouped queries)."""
    workshops = list(session.exec(select(Workshop).where(Workshop.discovery_id == discovery_id)
                                  .order_by(Workshop.held_on, Workshop.id)))
    ids = [w.id for w in workshops]
    if not ids:
        return []

    def counts(query) -> dict:
        return dict(session.exec(query).all())

    participants = counts(select(Participant.workshop_id, func.count()).where(
        Participant.workshop_id.in_(ids), Participant.is_facilitator == False).group_by(Participant.workshop_id))  # noqa: E712
    live = (Sticky.deleted == False, Sticky.private == False)  # noqa: E712
    stickies = counts(select(Sticky.workshop_id, func.count()).where(Sticky.workshop_id.in_(ids), *live)
                      .group_by(Sticky.workshop_id))
    pains = counts(select(Sticky.workshop_id, func.count()).where(Sticky.workshop_id.in_(ids), Sticky.kind == "pain",
                                                                  *live).group_by(Sticky.workshop_id))
    votes = counts(select(Vote.workshop_id, func.count()).where(Vote.workshop_id.in_(ids)).group_by(Vote.workshop_id))
    return [WorkshopRow(w, participants.get(w.id, 0), stickies.get(w.id, 0), pains.get(w.id, 0), votes.get(w.id, 0))
            for w in workshops]


# Closing and reopening from the discovery page are the board's own operations.
STATUS_OPS = {"closed": "workshop.close", "open": "workshop.reopen"}


def workshop_status_op(session: Session, account: Account, user_name: str, workshop_id: int,
                       status) -> tuple[Workshop, Actor, dict]:
    """Close or reopen a workshop from the discovery page the way its board does: the caller submits
    the returned op (`workshop.close` or `workshop.reopen`) as the returned Actor, the account's
    facilitator seat, to the board's tick, so it is logged with the next seq and broadcast to every
    open board, with the phase and the timer handled as on the board."""
    workshop = get_workshop(session, workshop_id)
    ensure_can_manage(session, account, workshop.discovery_id)
    if status not in STATUS_OPS:
        raise ValidationError("invalid_status", "A workshop is open or closed.")
    participant = _facilitator_participant(session, account, user_name, workshop_id)
    if participant.id is None:  # a new seat; nobody learns its secret (opening the board sets a fresh one)
        participant.secret_hash = hash_secret(secrets.token_urlsafe(32))
        session.add(participant)
        session.commit()
    return workshop, Actor(participant.id, participant.name, True), \
        {"id": f"status-{secrets.token_hex(8)}", "type": STATUS_OPS[status]}


def set_workshop_status(session: Session, account: Account, user_name: str, workshop_id: int, status, *,
                        boards: BoardPort) -> tuple[Workshop, dict]:
    """Close or reopen a workshop from its discovery page, through its board's tick (the board port):
    the op's result. An earlier round's board is not reopened (refused before anything is written)."""
    if status == "open":
        workshop = get_workshop(session, workshop_id)
        ensure_can_manage(session, account, workshop.discovery_id)  # 403/404 first
        ensure_round_open(session, workshop)
    workshop, actor, op = workshop_status_op(session, account, user_name, workshop_id, status)
    return workshop, boards.submit(workshop.id, actor, [op])[0]


def close_workshops(session: Session, account: Account, user_name: str, workshop_ids, *,
                    boards: BoardPort) -> None:
    """Close these workshops, each on its own board (a new round closes the earlier rounds' boards)."""
    for workshop_id in workshop_ids:
        workshop, actor, op = workshop_status_op(session, account, user_name, workshop_id, "closed")
        boards.submit(workshop.id, actor, [op])


def tell_open_boards(session: Session, workshops, *, boards: BoardPort) -> None:
    """Open boards of these workshops redraw the team, discovery and stage names (no reload)."""
    for workshop in workshops:
        boards.names_changed(workshop.id, board_names(session, workshop))


def add_member(session: Session, account: Account, discovery_id: int, email) -> User:
    ensure_can_manage(session, account, discovery_id)
    email = clean_line(email, "email", max_length=254).lower()
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None:
        raise NotFound("unknown_user", f"No account has the email {email}; an admin can add it.")
    if not user.is_active:
        raise Conflict("deactivated_user", f"{user.name}'s account is deactivated; an admin can reactivate it.")
    if user.id in member_ids(session, discovery_id):
        raise Conflict("already_member", f"{user.name} is a member already.")
    session.add(DiscoveryMember(discovery_id=discovery_id, user_id=user.id))
    session.commit()
    return user


def members_of(session: Session, discovery_id: int) -> list[User]:
    return list(session.exec(select(User).join(DiscoveryMember, DiscoveryMember.user_id == User.id)
                             .where(DiscoveryMember.discovery_id == discovery_id).order_by(User.name)))


def must_stay(members: list[User]) -> set[int]:
    """The ids of the members who cannot be removed: a facilitator with no other active facilitator
    on the discovery (someone must always be able to run it). The page offers no Remove for them."""
    active = {m.id for m in members if m.role == "facilitator" and m.is_active}
    return {m.id for m in members if m.role == "facilitator" and not (active - {m.id})}


def workshop_by_token(session: Session, token: object) -> Workshop:
    if not isinstance(token, str) or not 16 <= len(token) <= 64:
        raise NotFound("unknown_workshop", "This join link is not valid.")
    workshop = session.exec(select(Workshop).where(Workshop.join_token == token)).first()
    if workshop is None:
        raise NotFound("unknown_workshop", "This join link is not valid.")
    return workshop


def join_as_guest(session: Session, token, name, team="") -> tuple[Participant, str]:
    """A participant joins from the link with a display name; returns the row and its secret."""
    workshop = workshop_by_token(session, token)
    if workshop.status == "closed":
        raise Conflict("workshop_closed", "This workshop is closed; ask the facilitator for the board's summary.")
    display = validate_display_name(name)
    team_name = clean_line(team, "team", required=False) or workshop.team
    secret = secrets.token_urlsafe(32)
    participant = Participant(workshop_id=workshop.id, name=display, team=team_name, secret_hash=hash_secret(secret))
    session.add(participant)
    session.commit()
    return participant, secret


def participant_for_secret(session: Session, workshop_id: int, secret: object) -> Participant | None:
    """The seat this secret opens; a facilitator's seat closes with their account's deactivation."""
    if not isinstance(secret, str) or not 16 <= len(secret) <= 100:
        return None
    return session.exec(select(Participant).outerjoin(User, Participant.user_id == User.id)
                        .where(Participant.workshop_id == workshop_id,
                               Participant.secret_hash == hash_secret(secret),
                               or_(Participant.user_id.is_(None), User.is_active == True))).first()  # noqa: E712


@dataclass(frozen=True)
class Admission:
    """A board socket admitted to its workshop: who it is and, for an account's seat, the password
    hash it connected under (a new password ends it)."""
    workshop_id: int
    actor: Actor
    team: str
    user_id: int | None
    password_hash: str | None


def admit(session: Session, token, secret) -> Admission:
    """A board socket's connect: the workshop its join token names and the seat its secret opens,
    or a refusal (`unknown_workshop`, a deleted one too; `unknown_participant`, an account's seat
    whose rights ended too: services.rights)."""
    from .rights import seat_holds
    workshop = workshop_by_token(session, token)
    participant = participant_for_secret(session, workshop.id, secret)
    if participant is None or not seat_holds(session, participant, workshop.discovery_id):
        raise NotFound("unknown_participant", "Join the workshop from its link first.")
    account = session.get(User, participant.user_id) if participant.user_id is not None else None
    return Admission(workshop.id, Actor(participant.id, participant.name, participant.is_facilitator),
                     participant.team, participant.user_id,
                     account.password_hash if account is not None else None)


def facilitator_seat(session: Session, account: Account, user_name: str, workshop_id: int) -> tuple[Participant, str]:
    """A facilitator opening the board gets a participant seat with the facilitator role (fresh secret)."""
    workshop = get_workshop(session, workshop_id)
    ensure_can_manage(session, account, workshop.discovery_id)
    participant = _facilitator_participant(session, account, user_name, workshop_id)
    secret = secrets.token_urlsafe(32)
    participant.secret_hash = hash_secret(secret)
    session.add(participant)
    session.commit()
    return participant, secret


def _facilitator_participant(session: Session, account: Account, user_name: str, workshop_id: int) -> Participant:
    """The account's seat on the workshop, or a new facilitator seat (not added to the session yet)."""
    participant = session.exec(select(Participant).where(Participant.workshop_id == workshop_id,
                                                         Participant.user_id == account.id)).first()
    if participant is None:
        participant = Participant(workshop_id=workshop_id, name=user_name[:60], team="Facilitation",
                                  user_id=account.id, is_facilitator=True, secret_hash="")
    return participant


# --- editing, deleting, removing a member ------------------------------------------------------------

def live_sticky_count(session: Session, discovery_id: int) -> int:
    """Stickies (not deleted, private ones included) on all of a discovery's boards."""
    return session.exec(select(func.count()).select_from(Sticky).join(Workshop, Workshop.id == Sticky.workshop_id)
                        .where(Workshop.discovery_id == discovery_id, Sticky.deleted == False)).one()  # noqa: E712


def update_discovery(session: Session, account: Account, discovery_id: int, **fields) -> Discovery:
    """Change a discovery's name, problem statement, goal, timeline labels and stage names; how many
    stages there are only while no board has a sticky (a sticky's stage is the column it lies in:
    adding or removing a column under existing stickies would move them between stages; renaming one
    moves nothing)."""
    discovery = ensure_can_manage(session, account, discovery_id)
    draft = validate_discovery(**fields)
    clash = session.exec(select(Discovery).where(func.lower(Discovery.name) == draft.name.lower(),
                                                 Discovery.id != discovery_id)).first()
    if clash:
        raise Conflict("discovery_exists", f"A discovery named {draft.name!r} exists already.")
    if len(draft.stages) != len(discovery.stages or []) and live_sticky_count(session, discovery_id):
        raise Conflict("stages_in_use", f"The number of stages cannot change any more: the boards have stickies "
                                        f"placed in their {len(discovery.stages or [])} columns. Rename them freely; "
                                        "everything else can change too.")
    discovery.name, discovery.problem, discovery.goal = draft.name, draft.problem, draft.goal
    discovery.stages = list(draft.stages)
    discovery.start_label, discovery.end_label = draft.start_label, draft.end_label
    session.add(discovery)
    session.commit()
    return discovery


def board_names(session: Session, workshop: Workshop) -> dict:
    """What a board shows besides its stickies: the team, the discovery's name, stage names and the
    timeline's ends. The board page starts with it, and open boards get it again when it changes."""
    discovery = get_discovery(session, workshop.discovery_id)
    start_label, end_label = get_template(workshop.template).timeline_ends(discovery.start_label,
                                                                          discovery.end_label)
    return {"team": workshop.team,
            "discovery": {"name": discovery.name, "stages": list(discovery.stages or []),
                          "startLabel": start_label, "endLabel": end_label}}


def update_workshop(session: Session, account: Account, workshop_id: int, team, held_on=None) -> Workshop:
    """Change a workshop's team and date (its template and board stay as they are)."""
    workshop = get_workshop(session, workshop_id)
    ensure_can_manage(session, account, workshop.discovery_id)
    draft = validate_workshop(team, workshop.template, held_on)
    workshop.team, workshop.held_on = draft.team, draft.held_on
    session.add(workshop)
    session.commit()
    return workshop


@dataclass
class Deletion:
    """What goes when something is deleted: the confirmation page says it, the delete does it."""
    workshops: int = 0
    stickies: int = 0
    votes: int = 0
    participants: int = 0
    themes: int = 0
    members: int = 0


def _count(session: Session, model, *where) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def workshops_in(session: Session, discovery_id: int) -> list[Workshop]:
    return list(session.exec(select(Workshop).where(Workshop.discovery_id == discovery_id)))


def _workshop_ids(session: Session, discovery_id: int) -> list[int]:
    return list(session.exec(select(Workshop.id).where(Workshop.discovery_id == discovery_id)))


def _what_goes(session: Session, workshop_ids: list[int]) -> Deletion:
    if not workshop_ids:
        return Deletion()
    return Deletion(
        workshops=len(workshop_ids),
        stickies=_count(session, Sticky, Sticky.workshop_id.in_(workshop_ids), Sticky.deleted == False),  # noqa: E712
        votes=_count(session, Vote, Vote.workshop_id.in_(workshop_ids)),
        participants=_count(session, Participant, Participant.workshop_id.in_(workshop_ids),
                            Participant.is_facilitator == False))  # noqa: E712


def workshop_deletion(session: Session, account: Account, workshop_id: int) -> tuple[Workshop, Deletion]:
    workshop = get_workshop(session, workshop_id)
    ensure_can_manage(session, account, workshop.discovery_id)
    return workshop, _what_goes(session, [workshop_id])


def discovery_deletion(session: Session, account: Account, discovery_id: int) -> tuple[Discovery, Deletion]:
    from ..db.models import Theme
    discovery = ensure_can_manage(session, account, discovery_id)
    goes = _what_goes(session, _workshop_ids(session, discovery_id))
    goes.themes = _count(session, Theme, Theme.discovery_id == discovery_id, Theme.merged_into_id.is_(None))
    goes.members = _count(session, DiscoveryMember, DiscoveryMember.discovery_id == discovery_id)
    return discovery, goes


def _delete_rows(session: Session, column: str, ids: list, skip: str) -> None:
    """Delete, children first, every row of every table whose `column` is in `ids` (tables added later
    are covered by their column's name: nothing is left pointing at what is deleted)."""
    from sqlalchemy import delete
    from sqlmodel import SQLModel
    for table in reversed(SQLModel.metadata.sorted_tables):
        if table.name != skip and column in table.c:
            session.execute(delete(table).where(table.c[column].in_(ids)))


def _delete_workshops(session: Session, workshop_ids: list[int]) -> None:
    if not workshop_ids:
        return
    from sqlalchemy import delete
    from sqlmodel import SQLModel
    sticky_ids = select(Sticky.id).where(Sticky.workshop_id.in_(workshop_ids)).scalar_subquery()
    for table in reversed(SQLModel.metadata.sorted_tables):  # theme assignments and the like
        if "sticky_id" in table.c and "workshop_id" not in table.c:
            session.execute(delete(table).where(table.c["sticky_id"].in_(sticky_ids)))
    _delete_rows(session, "workshop_id", workshop_ids, skip="workshop")
    session.execute(delete(Workshop).where(Workshop.id.in_(workshop_ids)))


def delete_workshop(session: Session, account: Account, workshop_id: int, *,
                    boards: BoardPort = NO_BOARDS) -> Deletion:
    """A workshop and everything on its board: stickies, votes, notes, participants, its log. Themes
    stay with the discovery (the next aggregation drops those no sticky and no decision keeps).
    Everyone on the board is told at once that it was deleted, and disconnected (ADR 0019)."""
    workshop, goes = workshop_deletion(session, account, workshop_id)
    _delete_workshops(session, [workshop.id])
    session.commit()
    end_boards(boards, [workshop_id], BOARD_DELETED)
    return goes


def delete_discovery(session: Session, account: Account, discovery_id: int, *,
                     boards: BoardPort = NO_BOARDS) -> Deletion:
    """A discovery, its workshops with everything on them, its themes and its members' access.
    Everyone on its boards is told at once that they were deleted, and disconnected (ADR 0019)."""
    from sqlalchemy import delete, update
    from ..db.models import Theme
    discovery, goes = discovery_deletion(session, account, discovery_id)
    workshop_ids = _workshop_ids(session, discovery_id)
    _delete_workshops(session, workshop_ids)
    theme_ids = select(Theme.id).where(Theme.discovery_id == discovery_id).scalar_subquery()
    from ..db.models import ThemeAssignment
    session.execute(delete(ThemeAssignment).where(ThemeAssignment.theme_id.in_(theme_ids)))
    # merged themes point at each other: unlink them before the rows go
    session.execute(update(Theme).where(Theme.discovery_id == discovery_id).values(merged_into_id=None))
    _delete_rows(session, "discovery_id", [discovery_id], skip="discovery")
    session.execute(delete(Discovery).where(Discovery.id == discovery_id))
    session.commit()
    end_boards(boards, workshop_ids, BOARD_DELETED)
    return goes


def remove_member(session: Session, account: Account, discovery_id: int, user_id: int, *,
                  boards: BoardPort = NO_BOARDS) -> User:
    """Take a person's access to a discovery away (nothing they made is removed). The last facilitator
    stays, so someone can always run the discovery. Their seats on its boards end at once, unless
    they may still run it (an admin): services.rights, ADR 0019."""
    from .rights import close_seats, end_closed
    ensure_can_manage(session, account, discovery_id)
    member = session.exec(select(DiscoveryMember).where(DiscoveryMember.discovery_id == discovery_id,
                                                        DiscoveryMember.user_id == user_id)).first()
    user = session.get(User, user_id)
    if member is None or user is None:
        raise NotFound("unknown_member", "That person is not on this discovery.")
    if user.id in must_stay(members_of(session, discovery_id)):
        raise Conflict("last_facilitator", f"{user.name} is this discovery's only facilitator; "
                                           "add another facilitator first.")
    session.delete(member)
    closed = close_seats(session, user)
    session.commit()
    end_closed(boards, closed)
    return user


# --- rounds: the discovery run again later with the same teams -------------------------------------------

def latest_round(session: Session, discovery_id: int) -> int:
    return session.exec(select(func.max(Workshop.round)).where(Workshop.discovery_id == discovery_id)).one() or 1


def start_next_round(session: Session, account: Account, discovery_id: int) -> tuple[int, list[Workshop], list[int]]:
    """Round N+1: a new workshop (a new board and join link, the template the team used last) for every
    team of the discovery, including those that had not run round N yet. The problem, goal, stages and
    labels are the discovery's own and stay. Returns the new round, its workshops and the ids of the
    earlier rounds' workshops still open: the caller closes them on their boards (earlier rounds stay
    read-only)."""
    ensure_can_manage(session, account, discovery_id)
    current = latest_round(session, discovery_id)
    earlier = list(session.exec(select(Workshop).where(Workshop.discovery_id == discovery_id)
                                .order_by(Workshop.round.desc(), Workshop.held_on, Workshop.id)))
    if not earlier:
        raise Conflict("no_teams", "Round 1 has no workshops yet: add one per team first.")
    this_round = [w.id for w in earlier if w.round == current]
    if session.exec(select(func.count()).select_from(Sticky).where(
            Sticky.workshop_id.in_(this_round), Sticky.deleted == False, Sticky.private == False)).one() == 0:  # noqa: E712
        raise Conflict("empty_round", f"Round {current} has no stickies yet: run its workshops first; "
                                      "a new round is compared with it.")
    teams: dict[str, Workshop] = {}
    for workshop in earlier:  # the latest round first: its team name and template win
        teams.setdefault(workshop.team.casefold(), workshop)
    created = []
    for workshop in teams.values():
        new = Workshop(discovery_id=discovery_id, team=workshop.team, template=workshop.template,
                       join_token=new_join_token(), phase=get_template(workshop.template).first_phase.key,
                       facilitator_id=account.id, round=current + 1)
        session.add(new)
        created.append(new)
    session.commit()
    still_open = [w.id for w in session.exec(select(Workshop).where(Workshop.discovery_id == discovery_id,
                                                                    Workshop.round <= current,
                                                                    Workshop.status == "open"))]
    return current + 1, created, still_open


def ensure_round_open(session: Session, workshop: Workshop) -> None:
    """A workshop of an earlier round is not reopened: its round is over (read-only, for comparison)."""
    if workshop.round < latest_round(session, workshop.discovery_id):
        raise Conflict("earlier_round", f"The {workshop.team} workshop belongs to round {workshop.round}, "
                                        "which is over; its board stays read-only.")
