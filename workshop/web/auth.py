"""Sign-in, sign-out, the first account, and the admin's list of accounts."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..database import get_session
from ..domain.errors import DomainError
from ..domain.validation import ROLE_LABELS
from ..extensions import limiter
from ..security import LoginUser
from ..services import accounts

bp = Blueprint("auth", __name__)


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
            target = request.args.get("next", "")
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("discoveries.home")
            return redirect(target)
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
            user = accounts.create_user(session, request.form.get("email"), request.form.get("name"),
                                        request.form.get("password"), request.form.get("role"),
                                        is_admin=request.form.get("is_admin") == "on")
        except DomainError as exc:
            error = exc
        else:
            flash(f"Added {user.name} ({ROLE_LABELS[user.role]}).", "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/users.html", users=accounts.list_users(session), error=error,
                           form=request.form, roles=ROLE_LABELS), 400 if error else 200
