"""Accounts: the first account becomes admin; admins add facilitators and product owners."""
from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..db.models import User
from ..domain.errors import Conflict, ValidationError
from ..domain.permissions import Account
from ..domain.validation import validate_account


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


def authenticate(session: Session, email, password) -> User:
    user = session.exec(select(User).where(User.email == str(email or "").strip().lower())).first()
    if user is None or not check_password_hash(user.password_hash, str(password or "")):
        raise ValidationError("bad_credentials", "Wrong email or password.")
    return user


def as_account(user: User) -> Account:
    return Account(id=user.id, role=user.role, is_admin=user.is_admin)


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.name)))
