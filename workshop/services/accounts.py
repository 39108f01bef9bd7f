"""Accounts: the first account becomes admin; admins add, edit, deactivate and reactivate people.

Guard rails (each refused with a message, nothing written): an admin cannot demote or deactivate
themselves, and the last active admin can never be demoted or deactivated, not even from the CLI.
"""
from __future__ import annotations

import secrets
from functools import lru_cache

from sqlalchemy import func
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..db.models import Participant, User
from ..domain.errors import Conflict, NotFound, ValidationError
from ..domain.permissions import Account, require
from ..domain.validation import clean_line, validate_account, validate_password, validate_role


def count_users(session: Session) -> int:
    return session.exec(select(func.count()).select_from(User)).one()


def create_user(session: Session, email, name, password, role, *, is_admin: bool = False) -> User:
    email, name, password, role = validate_account(email, name, password, role)
    if session.exec(select(User).where(User.email == email)).first():
        raise Conflict("email_taken", f"An account with {email} already exists.")
    user = User(email=email, name=name, password_hash=generate_password_hash(password), role=role,
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
    return generate_password_hash("no account has this password")


def authenticate(session: Session, email, password) -> User:
    """The account for this email and password. An unknown email costs the same hash check as a wrong
    password, and says the same; only the right password learns that an account is deactivated."""
    user = session.exec(select(User).where(User.email == str(email or "").strip().lower())).first()
    password = str(password or "")
    if user is None:
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


def update_user(session: Session, actor: Account, user_id: int, *, name, role, is_admin: bool) -> User:
    """Change a person's name, role and admin rights, all or nothing."""
    user = get_user(session, actor, user_id)
    name, role, is_admin = clean_line(name, "name"), validate_role(role), bool(is_admin)
    demoting = user.is_admin and not is_admin
    if demoting:
        if user.id == actor.id:
            raise Conflict("own_admin", "You cannot remove your own admin rights; ask another admin.")
        _lock_admins_keeping_one(session, user, "remove the admin rights of")
    user.name, user.role, user.is_admin = name, role, is_admin
    _commit(session, user, keep_an_admin="remove the admin rights of" if demoting else None)
    return user


def reset_password(session: Session, actor: Account, user_id: int, password, repeat=None) -> User:
    """An admin sets someone else's password (the person's sessions end; they sign in with the new one)."""
    user = get_user(session, actor, user_id)
    if user.id == actor.id:
        raise Conflict("own_password", "Change your own password on your Account page (it asks for the current one).")
    _set_password(user, password, repeat)
    _close_board_seats(session, user)
    session.add(user)
    session.commit()
    return user


def set_active(session: Session, actor: Account, user_id: int, active: bool) -> User:
    """Deactivate (cannot sign in, sessions end) or reactivate an account; nothing it made is removed."""
    user = get_user(session, actor, user_id)
    if not active and user.id == actor.id:
        raise Conflict("own_account", "You cannot deactivate your own account; ask another admin.")
    return _set_active(session, user, active)


def set_active_by_email(session: Session, email, active: bool) -> User:
    """The operator's path (CLI): the same guard rails, except the admin's own account."""
    email = clean_line(email, "email", max_length=254).lower()
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None:
        raise NotFound("unknown_user", f"No account has the email {email}.")
    return _set_active(session, user, active)


def _set_active(session: Session, user: User, active: bool) -> User:
    active = bool(active)
    if user.is_active == active:
        return user
    losing_an_admin = not active and user.is_admin
    if losing_an_admin:
        _lock_admins_keeping_one(session, user, "deactivate")
    user.is_active = active
    if not active:
        _close_board_seats(session, user)
    _commit(session, user, keep_an_admin="deactivate" if losing_an_admin else None)
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

def change_own_password(session: Session, user_id: int, current, new, repeat=None) -> User:
    """A signed-in person changes their password; the current one is required."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound("unknown_user", "There is no such account.")
    if not check_password_hash(user.password_hash, str(current or "")):
        raise ValidationError("wrong_password", "The current password is not right.")
    _set_password(user, new, repeat)
    _close_board_seats(session, user)
    session.add(user)
    session.commit()
    return user


def _close_board_seats(session: Session, user: User) -> None:
    """The person's facilitator seats get a new secret nobody knows: a board socket that ends with a
    password change or a deactivation cannot come back with the secret it had (opening the board
    again, signed in, gives a fresh one)."""
    from .discoveries import hash_secret
    for seat in session.exec(select(Participant).where(Participant.user_id == user.id)):
        seat.secret_hash = hash_secret(secrets.token_urlsafe(32))
        session.add(seat)


def _set_password(user: User, password, repeat) -> None:
    password = validate_password(password)
    if repeat is not None and repeat != password:
        raise ValidationError("password_mismatch", "The two new passwords are not the same.")
    user.password_hash = generate_password_hash(password)
