"""The websocket layer (workshop/realtime/websocket.py, ADR 0009), frame by frame over a raw TCP
socket against the real server process: what gevent-websocket did unsafely, and what replaced it."""
from __future__ import annotations

import base64
import os
import socket
import struct
import time

import pytest
from hypothesis import given, strategies as st

from tests.live_server import shared_server
from workshop.realtime.websocket import unmask

pytestmark = pytest.mark.timeout(60)

LIMIT = 4 * 1024 * 1024


@pytest.fixture(scope="module")
def server():
    return shared_server()


@given(st.binary(max_size=300), st.binary(min_size=4, max_size=4))
def test_unmask_is_the_xor_of_rfc_6455_and_its_own_inverse(payload, mask):
    expected = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    assert unmask(payload, mask) == expected
    assert unmask(unmask(payload, mask), mask) == payload


def test_unmasking_a_frame_at_the_size_limit_takes_milliseconds_not_seconds():
    payload, mask = os.urandom(LIMIT), os.urandom(4)
    started = time.process_time()
    assert unmask(unmask(payload, mask), mask) == payload
    assert time.process_time() - started < 1.0  # gevent-websocket's byte loop took several seconds


def handshake(server, path="/socket.io/?EIO=4&transport=websocket", origin=None) -> tuple[socket.socket, bytes]:
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    if origin:
        lines.append(f"Origin: {origin}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    return sock, head


def frame(opcode: int, payload: bytes, fin: bool = True, length: int | None = None) -> bytes:
    """A masked client frame; `length` may announce another size than the payload's."""
    length = len(payload) if length is None else length
    first = (0x80 if fin else 0) | opcode
    if length < 126:
        header = struct.pack("!BB", first, 0x80 | length)
    elif length <= 0xFFFF:
        header = struct.pack("!BBH", first, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", first, 0x80 | 127, length)
    mask = os.urandom(4)
    return header + mask + unmask(payload, mask)


def read_frames(sock: socket.socket, seconds: float = 5.0) -> list[tuple[int, bytes]]:
    """Server frames until the server closes the TCP connection (or `seconds` pass)."""
    data, deadline = b"", time.monotonic() + seconds
    sock.settimeout(0.5)
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except ConnectionError:
            break
        if not chunk:
            break
        data += chunk
    frames = []
    while len(data) >= 2:
        opcode, length = data[0] & 0x0F, data[1] & 0x7F
        offset = 2
        if length == 126:
            length, offset = struct.unpack("!H", data[2:4])[0], 4
        elif length == 127:
            length, offset = struct.unpack("!Q", data[2:10])[0], 10
        frames.append((opcode, data[offset:offset + length]))
        data = data[offset + length:]
    return frames


def close_code(frames) -> int | None:
    closes = [payload for opcode, payload in frames if opcode == 0x8]
    return struct.unpack("!H", closes[-1][:2])[0] if closes and len(closes[-1]) >= 2 else None


def test_a_frame_announcing_more_than_the_limit_is_refused_before_its_payload_is_read(server):
    """On simple-websocket (WEBSOCKET_SERVER=simple-websocket, ADR 0020) a frame is read as it comes
    and the announced length is not seen: the connection is closed with 1009 as soon as the payload
    read passes the limit, so what the server holds is bounded by the limit all the same."""
    sock, head = handshake(server)
    assert head.startswith(b"HTTP/1.1 101")
    header = frame(0x1, b"", length=2**40)[:14]
    sock.sendall(header)  # the header only: a terabyte that never comes
    if os.environ.get("WEBSOCKET_SERVER") == "simple-websocket":
        try:
            sock.sendall(unmask(b"x" * (LIMIT + 65536), header[10:14]))  # masked text, just over the limit
        except ConnectionError:
            pass  # closed by the server while we were still sending
    frames = read_frames(sock)
    assert close_code(frames) == 1009  # message too big, at once: no waiting for the payload
    assert server.alive()


def test_fragments_adding_up_to_more_than_the_limit_close_the_connection(server):
    sock, _ = handshake(server)
    piece = b"x" * (1024 * 1024)
    try:
        sock.sendall(frame(0x1, piece, fin=False))
        for _ in range(5):  # 6 MB in fragments of 1 MB, none of them over the limit alone
            sock.sendall(frame(0x0, piece, fin=False))
    except ConnectionError:
        pass  # closed by the server while we were still sending
    assert close_code(read_frames(sock)) == 1009
    assert server.alive()


def test_invalid_utf8_text_closes_with_1007(server):
    sock, _ = handshake(server)
    sock.sendall(frame(0x1, b"42[\"cursor\",{\"x\":\xff}]"))
    assert 0x8 in [opcode for opcode, _ in read_frames(sock)]
    assert server.alive()


def test_a_client_close_is_answered_with_its_status_code(server):
    sock, _ = handshake(server)
    sock.sendall(frame(0x8, struct.pack("!H", 1001) + b"going away"))
    assert close_code(read_frames(sock)) == 1001


def test_only_the_socket_io_path_from_an_accepted_origin_is_upgraded(server):
    _, head = handshake(server, origin="http://evil.example")
    assert head.startswith(b"HTTP/1.1 400")  # engine.io's refusal, before any handshake succeeds
    _, head = handshake(server, path="/login")
    assert not head.startswith(b"HTTP/1.1 101")  # an ordinary page stays an HTTP request
    _, head = handshake(server, origin=server.url)
    assert head.startswith(b"HTTP/1.1 101")


def test_cursor_moves_take_the_fast_path_and_reach_the_room_compact(server):
    """`42["cursor",...]` is handled as the websocket reads it (ADR 0009); odd ones take the usual
    path and change nothing."""
    import socketio as sio_client

    workshop = server.workshop(guests=2)
    moved, clients = [], []
    for index, secret in enumerate(workshop.guests[:2]):
        client = sio_client.Client(reconnection=False)
        if index == 1:  # the watcher (the mover gets its own cursor too; the board skips it)
            client.on("cursors", lambda msg: moved.extend(msg["cursors"]))
            client.on("ops", lambda msg: moved.extend(msg.get("cursors", [])))
        client.connect(server.url, auth={"token": workshop.token, "secret": secret}, transports=["websocket"],
                       wait_timeout=10)
        clients.append(client)
    mover, watcher = clients
    try:
        mover.emit("cursor", {"x": 0.25, "y": 1 / 3})
        mover.emit("cursor", {"x": "left", "y": 0.5})   # not a number: ignored
        mover.emit("cursor")                            # no payload: the usual path, ignored
        deadline = time.monotonic() + 5
        while not moved and time.monotonic() < deadline:
            time.sleep(0.05)
        assert moved == [[workshop.guest_ids[0], 0.25, 0.3333]]
        assert mover.connected and watcher.connected
    finally:
        for client in clients:
            client.disconnect()
