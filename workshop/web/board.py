"""The board's pages: the join form (guests) and the board itself (guests and facilitators)."""
from __future__ import annotations


from flask import (Blueprint, current_app, redirect, render_template, request, send_from_directory,
                   session as cookie, url_for)
from flask_login import current_user, login_required

from ..database import get_session
from ..domain.errors import DomainError
from ..domain.kinds import kinds_as_dicts
from ..domain.templates import get_template
from ..extensions import limiter
from .guessing import guarded
from ..services import discoveries as svc

bp = Blueprint("board", __name__)


def _seats() -> dict:
    return cookie.get("seats", {})


def _seat(workshop):
    """This browser's participant in the workshop (from its signed session cookie), and its secret."""
    secret = _seats().get(str(workshop.id))
    return svc.participant_for_secret(get_session(), workshop.id, secret), secret


def _remember_seat(workshop_id: int, secret: str) -> None:
    seats = dict(_seats())
    seats[str(workshop_id)] = secret
    cookie["seats"] = seats
    cookie.permanent = True


def _join_limit() -> str:
    """Valid joins per client address: a whole room behind one office NAT must get in."""
    return current_app.config.get("JOIN_RATE_LIMIT", "300 per minute")


def _guarded_workshop(token: str):
    """The workshop of a join link, with guessing limited per address (web.guessing).
    Returns (workshop, None) or (None, the answer to send)."""
    return guarded("join", "Too many unknown join links from your network; wait a minute and check the link.",
                   lambda: svc.workshop_by_token(get_session(), token))


@bp.route("/w/<token>", methods=["GET", "POST"])
@limiter.limit(_join_limit, methods=["POST"])
def join(token: str):
    """Two steps from link to board: type a name (team prefilled), land on the board."""
    session = get_session()
    workshop, refusal = _guarded_workshop(token)
    if refusal is not None:
        return refusal
    seat, _ = _seat(workshop)
    if seat is not None and request.method == "GET":
        return redirect(url_for("board.board", token=token))
    discovery = svc.get_discovery(session, workshop.discovery_id)
    error = None
    if workshop.status == "closed":
        error = DomainError("workshop_closed", "This workshop is closed. Thank you for taking part!")
        return render_template("board/join.html", workshop=workshop, discovery=discovery, error=error,
                               form={}, closed=True), 410
    if request.method == "POST":
        try:
            participant, secret = svc.join_as_guest(session, token, request.form.get("name"), request.form.get("team"))
        except DomainError as exc:
            error = exc
        else:
            _remember_seat(workshop.id, secret)
            return redirect(url_for("board.board", token=token))
    return render_template("board/join.html", workshop=workshop, discovery=discovery, error=error,
                           form=request.form or {"team": workshop.team}, closed=False), 400 if error else 200


@bp.get("/w/<token>/board")
def board(token: str):
    workshop, refusal = _guarded_workshop(token)
    if refusal is not None:
        return refusal
    participant, secret = _seat(workshop)
    if participant is None:
        return redirect(url_for("board.join", token=token))
    return _render_board(workshop, participant, secret)


@bp.get("/workshops/<int:workshop_id>/board")
@login_required
def facilitate(workshop_id: int):
    """A facilitator opens the board from the discovery page and gets the facilitator's controls."""
    session = get_session()
    workshop = svc.get_workshop(session, workshop_id)
    participant, secret = _seat(workshop)
    if participant is None or not participant.is_facilitator:
        participant, secret = svc.facilitator_seat(session, current_user.account, current_user.name, workshop_id)
        _remember_seat(workshop.id, secret)
    else:
        svc.ensure_can_manage(session, current_user.account, workshop.discovery_id)
    return _render_board(workshop, participant, secret)


def _render_board(workshop, participant, secret):
    discovery = svc.get_discovery(get_session(), workshop.discovery_id)
    template = get_template(workshop.template)
    names = svc.board_names(get_session(), workshop)
    config = {
        "token": workshop.join_token,
        "secret": secret,
        "workshopId": workshop.id,
        "discoveryId": discovery.id,  # the clipboard is shared by the boards of one discovery
        "phase": workshop.phase,  # shown before the snapshot arrives (never a flash of the first phase)
        "me": {"id": participant.id, "name": participant.name, "team": participant.team,
               "facilitator": participant.is_facilitator},
        **names,  # team, discovery: name, stages, startLabel, endLabel
        "template": template.as_dict(),
        "kinds": kinds_as_dicts(),
        "joinUrl": url_for("board.join", token=workshop.join_token, _external=True),
        "backUrl": url_for("discoveries.show", discovery_id=discovery.id) if participant.is_facilitator else None,
    }
    return render_template("board/board.html", workshop=workshop, discovery=discovery,
                           config=config)


@bp.get("/vendor/socket.io.esm.min.js")
def socketio_client():
    """The Socket.IO client, from the npm package pinned in package.json (never a CDN, never committed)."""
    folder = current_app.config["NODE_MODULES"] + "/socket.io-client/dist"
    return send_from_directory(folder, "socket.io.esm.min.js", mimetype="text/javascript", max_age=3600)
