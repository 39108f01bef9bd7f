"""The board's pages: the join form (guests) and the board itself (guests and facilitators)."""
from __future__ import annotations


from flask import (Blueprint, current_app, redirect, render_template, request, send_from_directory,
                   session as cookie, url_for)
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from gevent import sleep as gevent_sleep
from gevent.lock import Semaphore
from limits import parse as parse_limit

from ..database import get_session
from ..domain.errors import DomainError, NotFound
from ..domain.kinds import kinds_as_dicts
from ..domain.templates import get_template
from ..extensions import limiter
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


# Guessing join links: only unknown links count, per client address. Past GUESS_SOFT_LIMIT failures
# every join-link request from the address is answered one at a time and slowly (JOIN_GUESS_DELAY
# seconds): an unknown link gets 429, a valid one still opens (an office behind one NAT is never locked
# out of a workshop by one mistyped link); past GUESS_HARD_LIMIT the address gets 429 for every
# join link (a guessing script, not a person). Tokens have 192 bits: the limits keep a script slow
# and visible, they are not what makes a link unguessable.
GUESS_SOFT_LIMIT = parse_limit("20/minute")
GUESS_HARD_LIMIT = parse_limit("300/hour")
_slow_lanes: dict[str, Semaphore] = {}


def _guessing(address: str) -> str:
    """"ok", "slow" (past the soft limit) or "blocked" (past the hard limit) for this address."""
    if not limiter.enabled:
        return "ok"
    strategy = limiter.limiter
    if not strategy.test(GUESS_HARD_LIMIT, "join-guess-hard", address):
        return "blocked"
    if not strategy.test(GUESS_SOFT_LIMIT, "join-guess", address):
        return "slow"
    return "ok"


def _count_guess(address: str) -> None:
    if limiter.enabled:
        limiter.limiter.hit(GUESS_SOFT_LIMIT, "join-guess", address)
        limiter.limiter.hit(GUESS_HARD_LIMIT, "join-guess-hard", address)


def _too_many_guesses():
    from . import answer_error
    body, status = answer_error(DomainError("rate_limited", "Too many unknown join links from your network; "
                                                            "wait a minute and check the link."), 429)
    return body, status, {"Retry-After": "60"}


def _guarded_workshop(token: str):
    """The workshop of a join link, with guessing limited per address (see GUESS_SOFT_LIMIT).
    Returns (workshop, None) or (None, the answer to send)."""
    address = get_remote_address()
    state = _guessing(address)
    if state == "blocked":
        return None, _too_many_guesses()
    if state == "slow":  # one answer at a time per address, each after a pause
        lane = _slow_lanes.setdefault(address, Semaphore())
        with lane:
            gevent_sleep(current_app.config.get("JOIN_GUESS_DELAY", 1.0))
        if not lane.locked() and _slow_lanes.get(address) is lane:
            del _slow_lanes[address]  # nobody else waiting: no lane kept per address ever seen
    try:
        return svc.workshop_by_token(get_session(), token), None
    except NotFound:
        _count_guess(address)
        if state != "ok":
            return None, _too_many_guesses()
        raise


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
