"""Helpers for the rights tests (issue 23, items 1-3): people and a board written through the services
on a server's database, a signed-in browser session over HTTP, and a board socket that records what
the server told it when it ended (`ended`, docs/protocol.md)."""
from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass, field

import requests
import socketio

from tests.board_helpers import join

PASSWORD = "correct horse battery"


@dataclass
class Room:
    discovery_id: int
    workshop_id: int
    token: str
    admin_email: str
    fran_id: int            # the facilitator whose rights change (F3 in the issue)
    fran_email: str
    fran_secret: str        # Fran's seat on the board
    guest_secret: str
    guest_id: int


def make_room(db) -> Room:
    """An admin facilitator (F1) who created a discovery, Fran (F3) added to it, a workshop whose board
    Fran opened (her seat's secret), and a guest."""
    from workshop.services import accounts
    from workshop.services import discoveries as svc
    tag = uuid.uuid4().hex[:8]
    with db.session() as session:
        admin = accounts.create_user(session, f"admin-{tag}@example.com", "Ada Admin", PASSWORD, "facilitator",
                                     is_admin=True)
        fran = accounts.create_user(session, f"fran-{tag}@example.com", "Fran", PASSWORD, "facilitator")
        ada = accounts.as_account(admin)
        discovery = svc.create_discovery(session, ada, name=f"Rights {tag}")
        svc.add_member(session, ada, discovery.id, fran.email)
        workshop = svc.create_workshop(session, ada, discovery.id, "Payments")
        _, fran_secret = svc.facilitator_seat(session, accounts.as_account(fran), fran.name, workshop.id)
        room = dict(discovery_id=discovery.id, workshop_id=workshop.id, token=workshop.join_token,
                    admin_email=admin.email, fran_id=fran.id, fran_email=fran.email, fran_secret=fran_secret)
    guest_id, guest_secret = join(db, room["token"], "Gus")
    return Room(**room, guest_secret=guest_secret, guest_id=guest_id)


class Browser:
    """A signed-in person over HTTP (a requests session carrying the cookie and the CSRF token)."""

    def __init__(self, url: str, email: str, password: str = PASSWORD):
        self.url = url
        self.http = requests.Session()
        page = self.http.get(url + "/login", timeout=10).text
        answer = self.http.post(url + "/login", data={"email": email, "password": password,
                                                      "csrf_token": self._csrf(page)},
                                allow_redirects=False, timeout=10)
        assert answer.status_code == 302, answer.text[:500]
        self.csrf = self._csrf(self.http.get(url + "/", timeout=10).text)

    @staticmethod
    def _csrf(page: str) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def post(self, path: str, **data) -> requests.Response:
        return self.http.post(self.url + path, data={**data, "csrf_token": self.csrf}, allow_redirects=False,
                              timeout=30)


@dataclass
class Seat:
    """A board socket (python-socketio over websocket) that records `ended` and its disconnect."""
    url: str
    token: str
    secret: str
    ended: list = field(default_factory=list)
    gone: threading.Event = field(default_factory=threading.Event)
    sio: socketio.Client | None = None

    def connect(self) -> "Seat":
        sio = socketio.Client(reconnection=False)
        sio.on("ended", self.ended.append)
        sio.on("disconnect", lambda *_: self.gone.set())
        sio.connect(self.url, auth={"token": self.token, "secret": self.secret}, transports=["websocket"],
                    wait_timeout=10)
        self.sio = sio
        return self

    def call(self, event: str, payload: dict) -> dict:
        return self.sio.call(event, payload, timeout=10)

    def op(self, type_: str, **fields) -> dict:
        """One op; its result (or the whole answer when it was refused as a whole)."""
        answer = self.call("ops", {"ops": [{"id": uuid.uuid4().hex, "type": type_, **fields}]})
        return answer["results"][0] if answer.get("ok") else answer

    def wait_ended(self, timeout: float = 3.0) -> bool:
        """True once the server has disconnected this socket."""
        return self.gone.wait(timeout)

    def close(self) -> None:
        if self.sio is not None and self.sio.connected:
            self.sio.disconnect()


def refused(url: str, token: str, secret: str) -> dict | None:
    """None if a new connection with this secret is admitted, else the refusal's data {code, message}."""
    sio = socketio.Client(reconnection=False)
    errors: list = []
    sio.on("connect_error", errors.append)
    try:
        sio.connect(url, auth={"token": token, "secret": secret}, transports=["websocket"], wait_timeout=10)
    except socketio.exceptions.ConnectionError as error:
        data = errors[0] if errors else None  # {message, data: {code, message}} as socket.io sends it
        if isinstance(data, dict) and isinstance(data.get("data"), dict):
            return data["data"]
        return {"code": "refused", "message": f"{error} {data!r}"}
    sio.disconnect()
    return None


def wait_for(condition, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()
