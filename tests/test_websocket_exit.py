"""Issue 12, item 7 / ADR 0010 and 0020: the exit from gevent-websocket works today. With
WEBSOCKET_SERVER=simple-websocket the real server (`python app.py`) serves the board through
engine.io's maintained simple-websocket path, written through as gevent-websocket is (ADR 0020):
clients connect over websocket, ops are acknowledged and broadcast, cursors are relayed, a foreign
Origin is refused, a message over the size limit closes only its sender, connections live through
the heartbeat and a silent one is dropped, and a client that reads slowly gets every message whole
and in order. The write-through itself is also checked alone, on a socket pair.

The rest of the live tests run on simple-websocket too with `WEBSOCKET_SERVER=simple-websocket` in
the environment of pytest (every LiveServer inherits it), except the few that check
gevent-websocket's replaced code and say so."""
from __future__ import annotations

import base64
import json
import os
import socket
import struct
import time

import pytest
import socketio

from tests.live_server import BoardClient, LiveServer, create_op
from tests.test_heartbeat import PING_INTERVAL, PING_TIMEOUT, assert_never_dropped, hold, server_frames
from tests.test_websocket_server import frame, handshake

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("exit"), env={"WEBSOCKET_SERVER": "simple-websocket"})
    live.start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def quick_heartbeat(tmp_path_factory):
    """simple-websocket with test_heartbeat.py's short heartbeat (1 s + 1 s)."""
    live = LiveServer(tmp_path_factory.mktemp("exit-heartbeat"), env={
        "WEBSOCKET_SERVER": "simple-websocket",
        "SOCKETIO_PING_INTERVAL": str(PING_INTERVAL), "SOCKETIO_PING_TIMEOUT": str(PING_TIMEOUT)})
    live.start()
    yield live
    live.stop()


def test_the_board_runs_on_simple_websocket_without_gevent_websocket(server):
    assert "websockets go through simple-websocket (ADR 0010), written through (ADR 0020)" in server.log()
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


def test_busy_clients_stay_connected_over_several_ping_cycles_on_simple_websocket(quick_heartbeat):
    """Messages are written through, engine.io's pings keep its queue: the writer never takes a
    quiet queue for a dead client (issue 12), for python-socketio and socket.io-client alike."""
    pythons, nodes = hold(quick_heartbeat, 2 * (PING_INTERVAL + PING_TIMEOUT), busy=True)
    assert all(r["ops_acked"] == r["ops_sent"] > 0 for r in nodes), nodes
    assert_never_dropped(pythons, nodes)


def test_a_client_that_stops_answering_pings_is_dropped_on_simple_websocket(quick_heartbeat):
    sock, head = handshake(quick_heartbeat)
    assert b" 101 " in head.split(b"\r\n")[0]
    started, closed_at = time.monotonic(), None
    for opcode, _ in server_frames(sock, seconds=PING_INTERVAL + PING_TIMEOUT + 8):
        if opcode == 0x8:
            closed_at = time.monotonic() - started
            break
    sock.close()
    assert closed_at is not None and closed_at < PING_INTERVAL + PING_TIMEOUT + 6, closed_at


def raw_board_client(server, token: str, secret: str, receive_buffer: int) -> socket.socket:
    """A Socket.IO client over a raw websocket with a small receive buffer, connected to its board."""
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)  # before connect: a small window
    sock.settimeout(5)
    sock.connect((host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}:{port}\r\n"
                  f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    assert data.startswith(b"HTTP/1.1 101"), data[:200]
    sock.sendall(frame(0x1, b"40" + json.dumps({"token": token, "secret": secret}).encode()))
    return sock


def read_messages(sock: socket.socket, until, seconds: float) -> list[str]:
    """Whole text frames as they come (any length), until `until(messages)` or `seconds` pass."""
    data, messages, deadline = b"", [], time.monotonic() + seconds
    sock.settimeout(0.2)
    while time.monotonic() < deadline and not until(messages):
        try:
            chunk = sock.recv(1 << 16)
        except TimeoutError:
            continue
        if not chunk:
            break
        data += chunk
        while len(data) >= 2:
            opcode, length, offset = data[0] & 0x0F, data[1] & 0x7F, 2
            assert data[1] & 0x80 == 0 and data[0] & 0x70 == 0, "server frames are unmasked, uncompressed"
            if length == 126:
                if len(data) < 4:
                    break
                length, offset = struct.unpack("!H", data[2:4])[0], 4
            elif length == 127:
                if len(data) < 10:
                    break
                length, offset = struct.unpack("!Q", data[2:10])[0], 10
            if len(data) < offset + length:
                break
            assert opcode == 0x1, f"a frame of opcode {opcode} in the middle of the board's messages"
            messages.append(data[offset:offset + length].decode())  # a torn frame fails here or above
            data = data[offset + length:]
    return messages


def test_a_client_that_reads_slowly_gets_every_message_whole_and_in_order(server):
    """Room messages of about 100 KB to a client that does not read for a while: the socket's
    buffer fills, a write-through is left half-written (its tail finished by a greenlet), and what
    comes after it queues; when the client reads again, every frame is whole and every op is
    there, in sequence order, exactly once."""
    workshop = server.workshop(guests=2)
    slow = raw_board_client(server, workshop.token, workshop.guests[1], receive_buffer=4096)
    try:
        connected = read_messages(slow, lambda ms: any(m.startswith("40") for m in ms), 5)
        assert any(m.startswith("40") for m in connected), connected
        writer = BoardClient(server.url, workshop.token, workshop.guests[0], "writer").connect()
        try:
            batches, per_batch = 12, 50
            for batch in range(batches):  # about 1.3 MB of broadcasts the slow client does not read yet
                answer = writer.send([create_op(text=f"{batch}-{n} " + "w" * 1990) for n in range(per_batch)])
                assert answer["ok"] and all(r["ok"] for r in answer["results"]), answer
            expected = batches * per_batch
            seqs: list[int] = []

            def all_ops(messages):
                while len(seqs) < expected and all_ops.seen < len(messages):
                    message = messages[all_ops.seen]
                    all_ops.seen += 1
                    if message.startswith('42["ops",'):
                        seqs.extend(record["seq"] for record in json.loads(message[2:])[1]["ops"])
                return len(seqs) >= expected
            all_ops.seen = 0
            time.sleep(1.0)  # the server is now blocked on this client's full buffer
            read_messages(slow, all_ops, 20)
            assert seqs == list(range(seqs[0], seqs[0] + expected)), (len(seqs), seqs[:5], seqs[-5:])
            assert writer.connected
        finally:
            writer.disconnect()
    finally:
        slow.close()


class _StandInSocket:
    """What `_Connection.write` reads of an engine.io Socket."""
    sid, upgraded, upgrading, closing, closed = "sid", True, False, False, False

    def __init__(self):
        from gevent.queue import JoinableQueue
        self.queue = JoinableQueue()

    def check_ping_timeout(self):
        return True


class _StandInWebSocket:
    """What `_Connection` reads of a simple_websocket.Server."""
    connected, max_message_size = True, None

    def __init__(self, sock):
        self.sock = sock


def test_the_write_through_never_waits_and_nothing_overtakes_a_tail():
    """On a socket pair whose buffers hold a few KB: a large message is written as far as the
    socket takes it and its tail handed to a greenlet; a message after it must queue, and engine.io's
    writer waiting for the tail keeps later write-throughs out, so the peer reads both whole, in order."""
    import gevent
    from engineio import packet
    from gevent import socket as gevent_socket
    from simple_websocket import ConnectionClosed

    from workshop.realtime.websocket import _Connection, _Port

    ours, peer = gevent_socket.socketpair()
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    owner = _StandInSocket()
    connection = _Connection(owner, _StandInWebSocket(ours), _Port(1 << 22, None), ConnectionClosed)
    try:
        assert connection.write(packet.Packet(packet.MESSAGE, data="x" * 300_000))
        assert connection.lock.locked()  # the tail is on its way
        after = packet.Packet(packet.MESSAGE, data="after")
        assert not connection.write(after)  # queued by the caller: nothing overtakes the tail
        writer = gevent.spawn(connection.send, after.encode())  # engine.io's writer, as it takes it from the queue
        gevent.sleep(0)
        assert connection.writing == 1 and not connection.write(packet.Packet(packet.MESSAGE, data="later"))
        received = b""
        while len(received) < 300_000 + 10 + 2 + 6:
            received += peer.recv(1 << 16)
        writer.join(5)
        assert received == (struct.pack("!BBQ", 0x81, 127, 300_001) + b"4" + b"x" * 300_000
                            + struct.pack("!BB", 0x81, 6) + b"4after")
        assert not connection.lock.locked() and connection.writing == 0
        # idle again: written at once, whole, in the caller's greenlet
        assert connection.write(packet.Packet(packet.MESSAGE, data="idle")) and not connection.lock.locked()
        assert peer.recv(64) == struct.pack("!BB", 0x81, 5) + b"4idle"
        owner.queue.put(packet.Packet(packet.PING))  # a packet in the queue: the next message waits behind it
        assert not connection.write(packet.Packet(packet.MESSAGE, data="behind"))
    finally:
        ours.close()
        peer.close()
