"""Sign-in, sign-out, the first account, the admin's People pages and each person's Account page."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session as cookie, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..database import get_session
from ..domain.errors import Conflict, DomainError, ValidationError
from ..domain.validation import PASSWORD_MIN, PASSWORD_RULE, ROLE_LABELS
from ..extensions import limiter
from ..ports import get_boards
from ..security import LoginUser
from ..services import accounts
from .guessing import guarded

bp = Blueprint("auth", __name__)


_UNSAFE_IN_PATH = re.compile(r"[\x00-\x20\x7f\\\\]")  # controls, space, backslash


def same_site_path(target) -> str | None:
    """`target` if it is a path on this site (`/discoveries/3?tab=x`), else None. Browsers drop tabs
    and newlines from a URL and read a backslash as a slash, so `/\t/evil.example` and `/\\evil.example`
    are `//evil.example`, another site: anything with a control character, a space or a backslash is
    refused, and so is anything with a scheme or a host. (A newline used to reach the Location header:
    a 500.)"""
    if not isinstance(target, str) or not target.startswith("/") or len(target) > 2000:
        return None
    if _UNSAFE_IN_PATH.search(target) or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.app_context_processor
def password_rule():
    """The password rule, shown under every password field before anyone submits."""
    return {"password_rule": PASSWORD_RULE, "password_min": PASSWORD_MIN, "invite_days": accounts.INVITE_DAYS}


def _remember_link(user_id: int, token: str, expires) -> None:
    """The new link is shown once, on the person's page after the redirect; only the admin's own
    (signed) session cookie carries it there, and that page takes it out again."""
    cookie["new_link"] = {"user_id": user_id, "url": url_for("auth.invite", token=token, _external=True),
                          "expires": f"{expires:%Y-%m-%d}"}


@bp.route("/setup", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def setup():
    """First visit to an empty install: create the first account, which becomes admin."""
    session = get_session()
    if accounts.count_users(session):
        return redirect(url_for("auth.login"))
    error = None
    if request.method == "POST":
        try:
            user = accounts.create_first_admin(session, request.form.get("email"), request.form.get("name"),
                                               request.form.get("password"), request.form.get("role", "facilitator"))
        except DomainError as exc:
            error = exc
        else:
            login_user(LoginUser(user), remember=True)
            flash(f"Welcome, {user.name}. You are the admin of this install.", "success")
            return redirect(url_for("discoveries.home"))
    return render_template("auth/setup.html", error=error, form=request.form, roles=ROLE_LABELS), 400 if error else 200


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"], deduct_when=lambda response: response.status_code >= 400)
def login():
    session = get_session()
    if not accounts.count_users(session):
        return redirect(url_for("auth.setup"))
    if current_user.is_authenticated:
        return redirect(url_for("discoveries.home"))
    error = None
    if request.method == "POST":
        try:
            user = accounts.authenticate(session, request.form.get("email"), request.form.get("password"))
        except DomainError as exc:
            error = exc
        else:
            login_user(LoginUser(user), remember=True)
            return redirect(same_site_path(request.args.get("next")) or url_for("discoveries.home"))
    return render_template("auth/login.html", error=error, form=request.form), 400 if error else 200


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/users", methods=["GET", "POST"])
@login_required
def users():
    """Admins add facilitators and product owners."""
    if not current_user.is_admin:
        abort(404)
    session = get_session()
    error = None
    if request.method == "POST":
        try:
            user, invite, token = accounts.invite_user(
                session, current_user.account, request.form.get("email"), request.form.get("name"),
                request.form.get("role"), is_admin=request.form.get("is_admin") == "on")
        except DomainError as exc:
            session.rollback()
            error = exc
        else:
            _remember_link(user.id, token, invite.expires_at)
            flash(f"Added {user.name} ({ROLE_LABELS[user.role]}). Send them the link below.", "success")
            return redirect(url_for("auth.person", user_id=user.id))
    users = accounts.list_users(session)
    return render_template("auth/users.html", users=users, error=error, form=request.form, roles=ROLE_LABELS,
                           unset={u.id for u in users if not accounts.has_password(u)},
                           pending=accounts.pending_invites(session)), 400 if error else 200


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def person(user_id: int):
    """An admin changes a person's name, role and admin rights (403 for anyone else)."""
    session = get_session()
    user = accounts.get_user(session, current_user.account, user_id)
    error = None
    if request.method == "POST":
        try:
            user = accounts.update_user(session, current_user.account, user_id, name=request.form.get("name"),
                                        role=request.form.get("role"),
                                        is_admin=request.form.get("is_admin") == "on", boards=get_boards())
        except (ValidationError, Conflict) as exc:  # access refusals propagate as 403/404
            error = exc
        else:
            flash(f"Saved {user.name}.", "success")
            return redirect(url_for("auth.person", user_id=user_id))
    return _person_page(user, error, request.form if error else None)


@bp.post("/users/<int:user_id>/password")
@login_required
def reset_password(user_id: int):
    """An admin makes someone a one-time link on which they choose a (new) password; the admin
    never types nor knows it."""
    session = get_session()
    user = accounts.get_user(session, current_user.account, user_id)
    try:
        user, invite, token = accounts.password_link(session, current_user.account, user_id)
    except (ValidationError, Conflict) as exc:
        return _person_page(user, exc)
    _remember_link(user.id, token, invite.expires_at)
    flash(f"Here is a new link for {user.name}; any earlier one stops working.", "success")
    return redirect(url_for("auth.person", user_id=user_id))


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"], deduct_when=lambda response: response.status_code >= 400)
def invite(token: str):
    """The one-time link: the person sets their password and is signed in."""
    session = get_session()
    # used, replaced or expired: a 404 that says so; unknown links are limited like join links (they
    # create accounts, admins included): past 20 a minute from one address they are slowed and refused,
    # a valid link still opens (web.guessing)
    found, refusal = guarded("invite", "Too many unknown links from your network; wait a minute and check the link.",
                             lambda: accounts.open_invite(session, token))
    if refusal is not None:
        return refusal
    _invite, user = found
    first_time = not accounts.has_password(user)
    error = None
    if request.method == "POST":
        try:
            # board sockets end too (the seats' secrets changed)
            user = accounts.accept_invite(session, token, request.form.get("password"), request.form.get("repeat"),
                                          boards=get_boards())
        except ValidationError as exc:
            error = exc
        else:
            if current_user.is_authenticated:
                logout_user()
            login_user(LoginUser(user), remember=True)
            flash(f"Welcome, {user.name}. Your password is set." if first_time
                  else "Your new password is set; any other session of yours is signed out.", "success")
            return redirect(url_for("discoveries.home"))
    return render_template("auth/invite.html", person=user, first_time=first_time, error=error,
                           roles=ROLE_LABELS), 400 if error else 200


@bp.post("/users/<int:user_id>/status")
@login_required
def set_status(user_id: int):
    """An admin deactivates (cannot sign in, signed out at once) or reactivates an account."""
    session = get_session()
    user = accounts.get_user(session, current_user.account, user_id)
    active = request.form.get("active") == "1"
    try:
        user = accounts.set_active(session, current_user.account, user_id, active, boards=get_boards())
    except (ValidationError, Conflict) as exc:
        return _person_page(user, exc)
    flash(f"{user.name} can sign in again." if active
          else f"{user.name} is deactivated: signed out and unable to sign in. Nothing they made is removed.",
          "success")
    return redirect(url_for("auth.person", user_id=user_id))


def _person_page(user, error=None, form=None):
    session = get_session()
    last_admin = user.is_admin and user.is_active and accounts.active_admin_count(session) <= 1
    new_link = cookie.get("new_link")
    if new_link and new_link.get("user_id") == user.id:
        cookie.pop("new_link")
    else:
        new_link = None
    return render_template("auth/person.html", person=user, error=error, form=form, roles=ROLE_LABELS,
                           is_self=user.id == current_user.id, last_admin=last_admin, new_link=new_link,
                           has_password=accounts.has_password(user),
                           pending=accounts.pending_invites(session).get(user.id)), 400 if error else 200


@bp.route("/account", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute", methods=["POST"], deduct_when=lambda response: response.status_code >= 400)
def account():
    """Anyone signed in changes their own password (the current one is required)."""
    session = get_session()
    error = None
    if request.method == "POST":
        try:
            # board sockets end too (the seats' secrets changed)
            user = accounts.change_own_password(session, current_user.id, request.form.get("current"),
                                                request.form.get("password"), request.form.get("repeat"),
                                                boards=get_boards())
        except (ValidationError, Conflict) as exc:
            error = exc
        else:
            login_user(LoginUser(user), remember=True)  # this session carries on; the others end
            flash("Your password is changed. Any other session of yours is signed out.", "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", error=error, roles=ROLE_LABELS), 400 if error else 200
