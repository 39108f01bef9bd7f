"""Home, discoveries and their workshops (facilitators), and the one-click demo."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..database import get_session
from ..domain.errors import Conflict, DomainError, ValidationError
from ..domain.permissions import can_create_discovery, can_manage_discovery
from ..domain.templates import DEFAULT_TEMPLATE, all_templates
from ..domain.validation import DEFAULT_END_LABEL, DEFAULT_STAGES, DEFAULT_START_LABEL
from ..services import discoveries as svc

bp = Blueprint("discoveries", __name__)


@bp.get("/")
def home():
    session = get_session()
    from ..services.accounts import count_users
    if not count_users(session):
        return redirect(url_for("auth.setup"))
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template("discoveries/home.html", rows=svc.visible_discoveries(session, current_user.account),
                           can_create=can_create_discovery(current_user.account))


@bp.post("/demo")
@login_required
def load_demo():
    from ..services.demo import load_demo as load
    session = get_session()
    discovery, created = load(session, owner_id=current_user.id)
    flash("The demo discovery is ready: open its backlog to see the themes." if created
          else "The demo discovery was loaded already.", "success")
    return redirect(url_for("discoveries.show", discovery_id=discovery.id))


@bp.route("/discoveries/new", methods=["GET", "POST"])
@login_required
def new():
    # a product owner is refused before filling the form in, not after
    svc.ensure_can_create(current_user.account)
    error = None
    form = request.form if request.method == "POST" else {
        "stages": "\n".join(DEFAULT_STAGES), "start_label": DEFAULT_START_LABEL, "end_label": DEFAULT_END_LABEL}
    if request.method == "POST":
        try:
            discovery = svc.create_discovery(
                get_session(), current_user.account, name=request.form.get("name"),
                problem=request.form.get("problem"), goal=request.form.get("goal"),
                stages=request.form.get("stages"), start_label=request.form.get("start_label"),
                end_label=request.form.get("end_label"))
        except (ValidationError, Conflict) as exc:  # access refusals propagate as 403/404
            error = exc
        else:
            flash(f"Discovery {discovery.name!r} created. Now add a workshop for each team.", "success")
            return redirect(url_for("discoveries.show", discovery_id=discovery.id))
    return render_template("discoveries/new.html", error=error, form=form), 400 if error else 200


@bp.route("/discoveries/<int:discovery_id>", methods=["GET", "POST"])
@login_required
def show(discovery_id: int):
    """The discovery page: its workshops with state and counts, and the form to add one."""
    session = get_session()
    discovery = svc.ensure_can_see(session, current_user.account, discovery_id)
    error = None
    if request.method == "POST":
        try:
            workshop = svc.create_workshop(session, current_user.account, discovery_id, request.form.get("team"),
                                           request.form.get("template"), request.form.get("held_on"))
        except (ValidationError, Conflict) as exc:  # access refusals propagate as 403/404
            error = exc
        else:
            flash(f"Workshop for {workshop.team} created. Share its join link with the team.", "success")
            return redirect(url_for("discoveries.show", discovery_id=discovery_id, _anchor=f"w{workshop.id}"))
    can_manage = can_manage_discovery(current_user.account, svc.member_ids(session, discovery_id))
    return render_template("discoveries/show.html", discovery=discovery, rows=svc.workshops_of(session, discovery_id),
                           templates=all_templates(), default_template=DEFAULT_TEMPLATE, error=error,
                           form=request.form, can_manage=can_manage,
                           members=svc.members_of(session, discovery_id)), 400 if error else 200


@bp.post("/discoveries/<int:discovery_id>/members")
@login_required
def add_member(discovery_id: int):
    try:
        user = svc.add_member(get_session(), current_user.account, discovery_id, request.form.get("email"))
    except DomainError as exc:
        if exc.code in ("forbidden", "unknown_discovery"):
            raise  # not yours to manage: 403/404, not a flash on a page you cannot see
        flash(exc.message, "error")
    else:
        flash(f"{user.name} can now see this discovery.", "success")
    return redirect(url_for("discoveries.show", discovery_id=discovery_id, _anchor="people"))


@bp.post("/workshops/<int:workshop_id>/status")
@login_required
def set_status(workshop_id: int):
    """Close or reopen: the board's own operation, through its tick (logged, sequenced, broadcast)."""
    status = request.form.get("status")
    workshop, actor, op = svc.workshop_status_op(get_session(), current_user.account, current_user.name,
                                                 workshop_id, status)
    result = current_app.extensions["room_hub"].submit(workshop.id, actor, [op])[0]
    if result["ok"]:
        flash(f"The {workshop.team} workshop is {status}.", "success")
    else:
        flash(result["error"]["message"], "error")
    return redirect(url_for("discoveries.show", discovery_id=workshop.discovery_id, _anchor=f"w{workshop.id}"))
