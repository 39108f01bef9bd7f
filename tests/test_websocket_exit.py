"""Issue 12, item 7 / ADR 0010: the exit from gevent-websocket works today. With
WEBSOCKET_SERVER=simple-websocket the real server (`python app.py`) serves the board through
engine.io's maintained simple-websocket path: clients connect over websocket, ops are acknowledged
and broadcast, cursors are relayed, a foreign Origin is refused, a message over the size limit
closes only its sender."""
from __future__ import annotations

import time

import pytest
import socketio

from tests.live_server import BoardClient, LiveServer, create_op

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("exit"), env={"WEBSOCKET_SERVER": "simple-websocket"})
    live.start()
    yield live
    live.stop()


def test_the_board_runs_on_simple_websocket_without_gevent_websocket(server):
    assert "websockets go through simple-websocket (ADR 0010)" in server.log()
    workshop = server.workshop(guests=2)
    ana = BoardClient(server.url, workshop.token, workshop.guests[0], "ana").connect()
    ben = BoardClient(server.url, workshop.token, workshop.guests[1], "ben").connect()
    try:
        assert ana.sio.transport() == "websocket"
        answer = ana.send([create_op(text="over simple-websocket")])
        assert answer["ok"] and answer["results"][0]["ok"], answer
        seq = answer["results"][0]["seq"]
        deadline = time.monotonic() + 5
        while ben.last_seq < seq and time.monotonic() < deadline:
            time.sleep(0.02)
        assert ben.last_seq == seq
        cursors = []
        ben.sio.on("cursors", lambda message: cursors.append(message))
        ana.sio.emit("cursor", {"x": 0.25, "y": 0.75})
        deadline = time.monotonic() + 5
        while not cursors and time.monotonic() < deadline:
            time.sleep(0.02)
        assert cursors and cursors[-1]["cursors"][0][1:] == [0.25, 0.75], cursors
        # a message over the 4 MB limit ends its sender's connection only
        big = create_op(text="x" * (5 * 1024 * 1024))
        try:
            ana.sio.emit("ops", {"ops": [big]})
        except Exception:
            pass
        deadline = time.monotonic() + 5
        while ana.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not ana.connected
        assert ben.send([create_op(text="still fine")])["results"][0]["ok"]
    finally:
        ana.disconnect()
        ben.disconnect()


def test_a_foreign_origin_is_refused_on_simple_websocket(server):
    workshop = server.workshop(guests=1)
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server.url, auth={"token": workshop.token, "secret": workshop.guests[0]},
                       transports=["websocket"], headers={"Origin": "http://evil.example"}, wait_timeout=5)
