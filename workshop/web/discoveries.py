"""Home, discoveries and their workshops (facilitators), and the one-click demo."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..database import get_session
from ..ports import get_boards
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
    from ..demo_data import DEMO_DISCOVERY
    rows = svc.visible_discoveries(session, current_user.account)
    # the admin opens the demo from here whatever else exists (issue 26: once any discovery existed,
    # only the CLI could load it); once loaded it is one of the cards
    demo_shown = any(row["discovery"].name.casefold() == DEMO_DISCOVERY["name"].casefold() for row in rows)
    return render_template("discoveries/home.html", rows=rows, can_create=can_create_discovery(current_user.account),
                           offer_demo=current_user.account.is_admin and not demo_shown)


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
            twins = svc.team_workshops_in_round(session, workshop)
            if twins:
                flash(f"{workshop.team} already had {'a workshop' if twins == 1 else f'{twins} workshops'} in this "
                      "round: the backlog counts them as one team. If that was a mistake, delete the new one; "
                      "for another session of the same team, that is right.", "warning")
            return redirect(url_for("discoveries.show", discovery_id=discovery_id, _anchor=f"w{workshop.id}"))
    can_manage = can_manage_discovery(current_user.account, svc.member_ids(session, discovery_id))
    members = svc.members_of(session, discovery_id)
    return render_template("discoveries/show.html", discovery=discovery, rows=svc.workshops_of(session, discovery_id),
                           rounds=svc.latest_round(session, discovery_id),
                           templates=all_templates(), default_template=DEFAULT_TEMPLATE, error=error,
                           form=request.form, can_manage=can_manage,
                           members=members, must_stay=svc.must_stay(members)), 400 if error else 200


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
    workshop, result = svc.set_workshop_status(get_session(), current_user.account, current_user.name,
                                               workshop_id, status, boards=get_boards())
    if result["ok"]:
        flash(f"The {workshop.team} workshop is {status}.", "success")
    else:
        flash(result["error"]["message"], "error")
    return redirect(url_for("discoveries.show", discovery_id=workshop.discovery_id, _anchor=f"w{workshop.id}"))


# --- editing, deleting, members -------------------------------------------------------------------

def counted(n: int, one: str, many: str | None = None) -> str:
    """"1 workshop", "3 workshops", "no stickies"."""
    return f"no {many or one + 's'}" if n == 0 else f"{n} {one if n == 1 else (many or one + 's')}"


@bp.app_template_filter("counted")
def counted_filter(n: int, one: str, many: str | None = None) -> str:
    return counted(n, one, many)


@bp.route("/discoveries/<int:discovery_id>/edit", methods=["GET", "POST"])
@login_required
def edit(discovery_id: int):
    """Name, problem, goal, timeline labels and stage names; how many stages only while no board has
    stickies."""
    session = get_session()
    discovery = svc.ensure_can_manage(session, current_user.account, discovery_id)
    stages_locked = svc.live_sticky_count(session, discovery_id) > 0  # their number, not their names
    error = None
    if request.method == "POST":
        stages = request.form.get("stages")
        try:
            svc.update_discovery(session, current_user.account, discovery_id, name=request.form.get("name"),
                                 problem=request.form.get("problem"), goal=request.form.get("goal"),
                                 stages=stages, start_label=request.form.get("start_label"),
                                 end_label=request.form.get("end_label"))
        except (ValidationError, Conflict) as exc:
            session.rollback()
            error = exc
        else:
            svc.tell_open_boards(session, svc.workshops_in(session, discovery_id), boards=get_boards())
            flash("Discovery saved.", "success")
            return redirect(url_for("discoveries.show", discovery_id=discovery_id))
    form = request.form if request.method == "POST" else {
        "name": discovery.name, "problem": discovery.problem, "goal": discovery.goal,
        "start_label": discovery.start_label, "end_label": discovery.end_label}
    return render_template("discoveries/edit.html", discovery=discovery, form=form, error=error,
                           stages_locked=stages_locked,
                           stages_text=form.get("stages") if request.method == "POST"
                           else "\n".join(discovery.stages)), 400 if error else 200


@bp.route("/discoveries/<int:discovery_id>/delete", methods=["GET", "POST"])
@login_required
def delete(discovery_id: int):
    """GET: what goes with the discovery, and the button; POST: it goes."""
    session = get_session()
    discovery, goes = svc.discovery_deletion(session, current_user.account, discovery_id)
    if request.method == "POST":
        name = discovery.name
        svc.delete_discovery(session, current_user.account, discovery_id, boards=get_boards())
        flash(f"Discovery {name!r} is deleted, with {counted(goes.workshops, 'workshop')} and "
              f"{counted(goes.stickies, 'sticky', 'stickies')}.", "success")
        return redirect(url_for("discoveries.home"))
    return render_template("discoveries/delete.html", kind="discovery", discovery=discovery, workshop=None,
                           goes=goes)


@bp.route("/workshops/<int:workshop_id>/edit", methods=["GET", "POST"])
@login_required
def edit_workshop(workshop_id: int):
    session = get_session()
    workshop = svc.get_workshop(session, workshop_id)
    discovery = svc.ensure_can_manage(session, current_user.account, workshop.discovery_id)
    error = None
    if request.method == "POST":
        try:
            svc.update_workshop(session, current_user.account, workshop_id, request.form.get("team"),
                                request.form.get("held_on"))
        except (ValidationError, Conflict) as exc:
            session.rollback()
            error = exc
        else:
            svc.tell_open_boards(session, [workshop], boards=get_boards())
            flash(f"Workshop for {workshop.team} saved.", "success")
            return redirect(url_for("discoveries.show", discovery_id=discovery.id, _anchor=f"w{workshop_id}"))
    form = request.form if request.method == "POST" else {
        "team": workshop.team, "held_on": workshop.held_on.isoformat() if workshop.held_on else ""}
    return render_template("discoveries/edit_workshop.html", discovery=discovery, workshop=workshop, form=form,
                           error=error), 400 if error else 200


@bp.route("/workshops/<int:workshop_id>/delete", methods=["GET", "POST"])
@login_required
def delete_workshop(workshop_id: int):
    session = get_session()
    workshop, goes = svc.workshop_deletion(session, current_user.account, workshop_id)
    discovery = svc.get_discovery(session, workshop.discovery_id)
    if request.method == "POST":
        team = workshop.team
        svc.delete_workshop(session, current_user.account, workshop_id, boards=get_boards())
        flash(f"The {team} workshop is deleted, with {counted(goes.stickies, 'sticky', 'stickies')}.", "success")
        return redirect(url_for("discoveries.show", discovery_id=discovery.id))
    return render_template("discoveries/delete.html", kind="workshop", discovery=discovery, workshop=workshop,
                           goes=goes)


@bp.post("/discoveries/<int:discovery_id>/members/<int:user_id>/remove")
@login_required
def remove_member(discovery_id: int, user_id: int):
    try:
        user = svc.remove_member(get_session(), current_user.account, discovery_id, user_id, boards=get_boards())
    except DomainError as exc:
        if exc.code in ("forbidden", "unknown_discovery"):
            raise
        flash(exc.message, "error")
    else:
        flash(f"{user.name} no longer sees this discovery (nothing they made is removed).", "success")
    return redirect(url_for("discoveries.show", discovery_id=discovery_id, _anchor="people"))


@bp.post("/discoveries/<int:discovery_id>/rounds")
@login_required
def start_round(discovery_id: int):
    """Round N+1 for the same teams; round N's open boards close (each through its own tick)."""
    session = get_session()
    try:
        number, created, still_open = svc.start_next_round(session, current_user.account, discovery_id)
    except Conflict as exc:
        flash(exc.message, "error")
        return redirect(url_for("discoveries.show", discovery_id=discovery_id))
    svc.close_workshops(session, current_user.account, current_user.name, still_open, boards=get_boards())
    flash(f"Round {number} has started: {counted(len(created), 'team')} got a new workshop and join link. "
          f"Round {number - 1} is closed and stays for comparison.", "success")
    return redirect(url_for("discoveries.show", discovery_id=discovery_id, _anchor=f"round{number}"))
