"""Accounts: the first account becomes admin; admins add, edit, deactivate and reactivate people.
People set their own password on a one-time link (an invitation, or a new password an admin offers);
no admin ever chooses or knows someone else's password.

Guard rails (each refused with a message, nothing written): an admin cannot demote or deactivate
themselves, and the last active admin can never be demoted or deactivated, not even from the CLI.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from sqlalchemy import func
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..db.models import Invite, User
from ..domain.errors import Conflict, NotFound, ValidationError
from ..domain.permissions import Account, require
from ..domain.validation import (clean_line, validate_account, validate_email, validate_password,
                                 validate_role)
from .boards import NO_BOARDS, BoardPort
from .rights import close_seats, end_closed

#: The password hash of an account whose owner has not set a password yet: no password matches it.
NO_PASSWORD = "!unset"

#: werkzeug's password hash methods this setting may name (``PASSWORD_HASH_METHOD``).
_HASH_FAMILIES = ("scrypt", "pbkdf2")


def hash_password(password: str) -> str:
    """werkzeug's scrypt by default. ``PASSWORD_HASH_METHOD`` (an environment variable read at each
    call, so a test run's server processes inherit it) names another werkzeug method: the test suite
    sets a cheap ``pbkdf2:sha256:1`` because scrypt's 0.1 s per hash is most of an account test's time.
    Any other family is refused, so a typo cannot store passwords in the clear."""
    method = os.environ.get("PASSWORD_HASH_METHOD", "").strip() or "scrypt"
    if method.split(":", 1)[0] not in _HASH_FAMILIES:
        raise RuntimeError(f"PASSWORD_HASH_METHOD={method!r}: use a werkzeug scrypt or pbkdf2 method")
    return generate_password_hash(password, method=method)


def count_users(session: Session) -> int:
    return session.exec(select(func.count()).select_from(User)).one()


def create_user(session: Session, email, name, password, role, *, is_admin: bool = False) -> User:
    email, name, password, role = validate_account(email, name, password, role)
    if session.exec(select(User).where(User.email == email)).first():
        raise Conflict("email_taken", f"An account with {email} already exists.")
    user = User(email=email, name=name, password_hash=hash_password(password), role=role,
                is_admin=is_admin)
    session.add(user)
    session.commit()
    return user


def create_first_admin(session: Session, email, name, password, role="facilitator") -> User:
    if count_users(session):
        raise Conflict("already_set_up", "The first account exists already; sign in instead.")
    return create_user(session, email, name, password, role, is_admin=True)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password("no account has this password")


def authenticate(session: Session, email, password) -> User:
    """The account for this email and password. An unknown email costs the same hash check as a wrong
    password, and says the same; only the right password learns that an account is deactivated."""
    user = session.exec(select(User).where(User.email == str(email or "").strip().lower())).first()
    password = str(password or "")
    if user is None or user.password_hash == NO_PASSWORD:  # unknown, or invited and not set up yet
        check_password_hash(_dummy_hash(), password)
        raise ValidationError("bad_credentials", "Wrong email or password.")
    if not check_password_hash(user.password_hash, password):
        raise ValidationError("bad_credentials", "Wrong email or password.")
    if not user.is_active:
        raise ValidationError("account_deactivated", "This account is deactivated; ask an admin.")
    return user


def as_account(user: User) -> Account:
    return Account(id=user.id, role=user.role, is_admin=user.is_admin)


def list_users(session: Session) -> list[User]:
    """Active people first, then deactivated ones, each by name."""
    return list(session.exec(select(User).order_by(User.is_active.desc(), User.name)))


def active_admin_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(User)
                        .where(User.is_admin == True, User.is_active == True)).one()  # noqa: E712


# --- an admin manages people ----------------------------------------------------------------------

def get_user(session: Session, actor: Account, user_id: int) -> User:
    """An account, for an admin to manage (403 for anyone else, 404 when there is no such account)."""
    require(actor.is_admin, "Only an admin can manage people.")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("unknown_user", "There is no such account.")
    return user


def update_user(session: Session, actor: Account, user_id: int, *, name, role, is_admin: bool,
                boards: BoardPort = NO_BOARDS) -> User:
    """Change a person's name, role and admin rights, all or nothing. A board seat the new rights
    no longer allow (a facilitator made product owner, an admin's seat on a discovery they are not a
    member of) ends at once (services.rights)."""
    user = get_user(session, actor, user_id)
    name, role, is_admin = clean_line(name, "name"), validate_role(role), bool(is_admin)
    demoting = user.is_admin and not is_admin
    if demoting:
        if user.id == actor.id:
            raise Conflict("own_admin", "You cannot remove your own admin rights; ask another admin.")
        _lock_admins_keeping_one(session, user, "remove the admin rights of")
    user.name, user.role, user.is_admin = name, role, is_admin
    session.add(user)
    closed = close_seats(session, user)
    _commit(session, user, keep_an_admin="remove the admin rights of" if demoting else None)
    end_closed(boards, closed)
    return user


def set_active(session: Session, actor: Account, user_id: int, active: bool, *,
               boards: BoardPort = NO_BOARDS) -> User:
    """Deactivate (cannot sign in, sessions end) or reactivate an account; nothing it made is removed."""
    user = get_user(session, actor, user_id)
    if not active and user.id == actor.id:
        raise Conflict("own_account", "You cannot deactivate your own account; ask another admin.")
    return _set_active(session, user, active, boards)


def set_active_by_email(session: Session, email, active: bool, *, boards: BoardPort = NO_BOARDS) -> User:
    """The operator's path (CLI): the same guard rails, except the admin's own account."""
    email = clean_line(email, "email", max_length=254).lower()
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None:
        raise NotFound("unknown_user", f"No account has the email {email}.")
    return _set_active(session, user, active, boards)


def _set_active(session: Session, user: User, active: bool, boards: BoardPort) -> User:
    active = bool(active)
    if user.is_active == active:
        return user
    losing_an_admin = not active and user.is_admin
    if losing_an_admin:
        _lock_admins_keeping_one(session, user, "deactivate")
    user.is_active = active
    session.add(user)
    closed = close_seats(session, user, every_seat=True) if not active else {}
    _commit(session, user, keep_an_admin="deactivate" if losing_an_admin else None)
    end_closed(boards, closed)
    return user


def _lock_admins_keeping_one(session: Session, user: User, verb: str) -> None:
    """Refuse when `user` is the last active admin. On PostgreSQL the active admins' rows stay locked
    until the commit, so two admins demoting each other at once cannot both succeed."""
    admin_ids = session.exec(select(User.id).where(User.is_admin == True, User.is_active == True)  # noqa: E712
                             .order_by(User.id).with_for_update()).all()
    if not set(admin_ids) - {user.id}:
        error = _last_admin(user, verb)
        session.rollback()  # releases the locks
        raise error


def _commit(session: Session, user: User, *, keep_an_admin: str | None) -> None:
    """Write and commit. When the change takes an admin away, check once more inside the transaction
    (SQLite has no row locks, but one writer at a time) and roll back and refuse if none would be left."""
    session.add(user)
    if keep_an_admin:
        session.flush()
        if active_admin_count(session) == 0:
            error = _last_admin(user, keep_an_admin)
            session.rollback()
            raise error
    session.commit()


def _last_admin(user: User, verb: str) -> Conflict:
    return Conflict("last_admin", f"You cannot {verb} {user.name}: they are the last active admin. "
                                  "Make someone else an admin first.")


# --- a person manages their own account -----------------------------------------------------------

def change_own_password(session: Session, user_id: int, current, new, repeat=None, *,
                        boards: BoardPort = NO_BOARDS) -> User:
    """A signed-in person changes their password; the current one is required."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound("unknown_user", "There is no such account.")
    if not check_password_hash(user.password_hash, str(current or "")):
        raise ValidationError("wrong_password", "The current password is not right.")
    _set_password(user, new, repeat)
    session.add(user)
    closed = close_seats(session, user, every_seat=True)  # a board socket ends with the sign-in it came from
    session.commit()
    end_closed(boards, closed)
    return user


def _set_password(user: User, password, repeat) -> None:
    password = validate_password(password)
    if repeat is not None and repeat != password:
        raise ValidationError("password_mismatch", "The two new passwords are not the same.")
    user.password_hash = hash_password(password)


# --- invitations: a one-time link on which a person sets their own password ------------------------

INVITE_DAYS = 7


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _new_link(session: Session, actor: Account, user: User) -> tuple[Invite, str]:
    """A fresh link for `user`; any earlier unused link of theirs stops working."""
    now = datetime.now(timezone.utc)
    for earlier in session.exec(select(Invite).where(Invite.user_id == user.id, Invite.used_at.is_(None))):
        earlier.used_at = now  # spent: only the newest link opens
        session.add(earlier)
    token = secrets.token_urlsafe(24)
    invite = Invite(user_id=user.id, token_hash=hash_token(token), created_by_id=actor.id,
                    created_at=now, expires_at=now + timedelta(days=INVITE_DAYS))
    session.add(invite)
    return invite, token


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_user(session: Session, actor: Account, email, name, role, *, is_admin: bool = False
                ) -> tuple[User, Invite, str]:
    """An admin adds a person without choosing their password: the account exists at once (it can be
    added to discoveries) but cannot sign in until its owner sets a password on the returned link."""
    require(actor.is_admin, "Only an admin can add people.")
    email = validate_email(email)
    name, role = clean_line(name, "name"), validate_role(role)
    if session.exec(select(User).where(User.email == email)).first():
        raise Conflict("email_taken", f"An account with {email} already exists.")
    user = User(email=email, name=name, password_hash=NO_PASSWORD, role=role, is_admin=bool(is_admin))
    session.add(user)
    session.flush()
    invite, token = _new_link(session, actor, user)
    session.commit()
    return user, invite, token


def password_link(session: Session, actor: Account, user_id: int) -> tuple[User, Invite, str]:
    """An admin gives someone a new link to set their password (a lost password, an expired invite).
    The current password keeps working until the link is used."""
    user = get_user(session, actor, user_id)
    if user.id == actor.id:
        raise Conflict("own_password", "Change your own password on your Account page (it asks for the current one).")
    if not user.is_active:
        raise Conflict("deactivated_user", f"{user.name}'s account is deactivated; reactivate it first.")
    invite, token = _new_link(session, actor, user)
    session.commit()
    return user, invite, token


def open_invite(session: Session, token) -> tuple[Invite, User]:
    """The link's invite and person, while it may still be used (not used, not expired, active)."""
    refused = NotFound("invalid_invite", "This link is not valid any more: it was used, replaced by a newer one "
                                         f"or is older than {INVITE_DAYS} days. Ask an admin for a new one.")
    if not isinstance(token, str) or not 16 <= len(token) <= 64:
        raise refused
    invite = session.exec(select(Invite).where(Invite.token_hash == hash_token(token))).first()
    if invite is None or invite.used_at is not None or _aware(invite.expires_at) <= datetime.now(timezone.utc):
        raise refused
    user = session.get(User, invite.user_id)
    if user is None or not user.is_active:
        raise refused
    return invite, user


def accept_invite(session: Session, token, password, repeat=None, *, boards: BoardPort = NO_BOARDS) -> User:
    """The person sets their password on the link; the link is spent, other sessions of theirs end."""
    invite, user = open_invite(session, token)
    _set_password(user, password, repeat)
    invite.used_at = datetime.now(timezone.utc)
    session.add_all([user, invite])
    closed = close_seats(session, user, every_seat=True)
    session.commit()
    end_closed(boards, closed)
    return user


def pending_invites(session: Session) -> dict[int, Invite]:
    """Per person, their newest unused link (the People page says who has yet to set a password)."""
    now = datetime.now(timezone.utc)
    out: dict[int, Invite] = {}
    for invite in session.exec(select(Invite).where(Invite.used_at.is_(None)).order_by(Invite.created_at)):
        if _aware(invite.expires_at) > now:
            out[invite.user_id] = invite
    return out


def has_password(user: User) -> bool:
    return user.password_hash != NO_PASSWORD
