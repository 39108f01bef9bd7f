"""The websocket server: gevent-websocket, with a size limit and the reading done in C (ADR 0009).

python-engineio's gevent driver uses gevent-websocket when it is installed (Flask-SocketIO's
`socketio.run` and gunicorn's `GeventWebSocketWorker` give it the socket). It reads a frame with one
buffered read where simple-websocket (the fallback) runs a second greenlet per connection and wsproto's
generators: at 300 participants, reading the 3,300 incoming frames per second (cursor moves, mostly)
was the largest part of the server's time. Four things in gevent-websocket are not acceptable as they
are, and `harden` replaces them, once per process:

- it reads a frame of any announced length (up to 2**63 bytes) and joins fragments without limit,
  before engine.io can see the size: a frame or message over `max_message_bytes` now closes the
  connection (1009, "message too big") without its payload being read;
- it unmasks and validates UTF-8 byte by byte in Python (a 2 MB frame blocked the process for
  seconds): unmasking is now one integer XOR, and UTF-8 is checked by the decode that follows
  (invalid text closes the connection with 1007, as before);
- it upgrades every websocket request before the app sees it, so engine.io's refusal of a foreign
  Origin came after the handshake had succeeded: the handler now upgrades only requests for the
  Socket.IO path from an origin engine.io accepts, and leaves the others to the app as plain HTTP
  (a foreign Origin gets engine.io's 400, and the handshake fails);
- its close frame leaves out the status code (a reason was sent where the code belongs): the close
  frame is now the code, then the reason.

And the writing is made cheap: a message is framed once for all the connections it goes to, and a
packet for an idle connection is written through at once instead of waking its writer greenlet
(`_write_through_engineio`).

With `WEBSOCKET_SERVER=simple-websocket` (app.py hides gevent-websocket) engine.io serves websockets
with simple-websocket, which is maintained, and none of the above is patched: `harden` gives that
stack the same write-through on public surfaces instead (`_write_through_simple_websocket`, ADR 0020).
"""
from __future__ import annotations

import logging
import os
import struct
from typing import Callable

import gevent
from gevent.lock import Semaphore

_MESSAGE_TOO_BIG = 1009
_ENGINEIO_TYPES = frozenset("0123456")  # open, close, ping, pong, message, upgrade, noop
log = logging.getLogger(__name__)


def unmask(payload: bytes, mask: bytes) -> bytes:
    """RFC 6455 5.3: XOR with the 4-byte mask, repeated (the same operation masks and unmasks)."""
    size = len(payload)
    if not size:
        return b""
    key = (mask * (size // 4 + 1))[:size]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(size, "big")


def harden(max_message_bytes: int, accepts_origin: Callable[[dict], bool], path: str = "/socket.io/",
           on_text: Callable[[object, str], bool] | None = None, eio=None) -> bool:
    """Replace gevent-websocket's readers and upgrade check (see the module docstring); True if
    gevent-websocket serves the websockets.
    `accepts_origin(environ)`: whether engine.io would accept the request's Origin.
    `on_text(engineio_socket, text)`: a fast path for incoming text messages, called in the
    connection's reader before engine.io sees them; True means handled (engine.io never sees it).
    `eio`: the engine.io server; with simple-websocket, its connections are written through."""
    from socket import error as socket_error

    try:
        from geventwebsocket import handler as gws_handler
        from geventwebsocket import websocket as gws
        from geventwebsocket.exceptions import FrameTooLargeException, ProtocolError, WebSocketError
    except ImportError:
        # WEBSOCKET_SERVER=simple-websocket, or gevent-websocket uninstalled: engine.io serves
        # websockets with simple-websocket, which upgrades only after engine.io's Origin check.
        # The write-through, the size limit while reading and the inline cursor path are ported
        # to its public surface (ADR 0020); WEBSOCKET_WRITE_THROUGH=0 leaves it as shipped, for
        # measuring only
        ported = (eio is not None and os.environ.get("WEBSOCKET_WRITE_THROUGH", "1") != "0"
                  and _write_through_simple_websocket(eio, max_message_bytes, on_text))
        log.warning("gevent-websocket is not in use: websockets go through simple-websocket (ADR 0010), %s",
                    "written through (ADR 0020)" if ported else "without the write-through")
        return False

    gws.WebSocket.max_message_bytes = max_message_bytes
    gws_handler.WebSocketHandler.accepts = staticmethod(
        lambda environ: environ.get("PATH_INFO", "").startswith(path) and accepts_origin(environ))
    if getattr(gws.WebSocket, "hardened", False):
        return True

    upgrade = gws_handler.WebSocketHandler.upgrade_websocket

    def upgrade_websocket(self):
        if not self.accepts(self.environ):
            return None  # not upgraded: the app answers it as an HTTP request
        return upgrade(self)

    def too_big(ws, size: int):
        ws.close(_MESSAGE_TOO_BIG, b"message too big")
        return FrameTooLargeException(f"a message of {size} bytes is over the limit of {ws.max_message_bytes}")

    def read_frame(self):
        header = gws.Header.decode_header(self.stream)
        if header.flags:
            raise ProtocolError("reserved bits set")
        if header.length > self.max_message_bytes:
            raise too_big(self, header.length)
        if not header.length:
            return header, b""
        try:
            payload = self.raw_read(header.length)
        except (socket_error, OSError):
            payload = b""
        if len(payload) != header.length:
            raise WebSocketError("Unexpected EOF reading frame payload")
        if header.mask:
            payload = unmask(payload, header.mask)
        return header, payload

    def read_message(self):
        """The next message the app must see: a text message the fast path handles (see
        `harden`'s `on_text`) is consumed here and the next one is read."""
        while True:
            message = read_one(self)
            if isinstance(message, str) and (not message or message[0] not in _ENGINEIO_TYPES):
                # not an Engine.IO packet: engine.io's parser would raise out of the socket's handler
                # (a traceback per frame, issue 23 item 7); the connection ends with one line instead
                log.warning("closing a websocket: a frame that is no Engine.IO packet %r", message[:40])
                self.close(1002, b"not an Engine.IO packet")
                return None
            if not isinstance(message, str) or on_text is None:
                return message
            owner = self.handler.__dict__.get("storming_eio") if self.handler is not None else None
            if owner is None or not on_text(owner, message):
                return message

    def read_one(self):
        opcode = None
        message = bytearray()
        while True:
            if self.closed and self.stream is None:
                return None
            header, payload = self.read_frame()
            f_opcode = header.opcode
            if f_opcode in (self.OPCODE_TEXT, self.OPCODE_BINARY):
                if opcode:
                    raise ProtocolError(f"The opcode in non-fin frame is expected to be zero, got {f_opcode!r}")
                opcode = f_opcode
            elif f_opcode == self.OPCODE_CONTINUATION:
                if not opcode:
                    raise ProtocolError("Unexpected frame with opcode=0")
            elif f_opcode == self.OPCODE_PING:
                self.handle_ping(header, payload)
                continue
            elif f_opcode == self.OPCODE_PONG:
                self.handle_pong(header, payload)
                continue
            elif f_opcode == self.OPCODE_CLOSE:
                self.handle_close(header, payload)
                return None
            else:
                raise ProtocolError(f"Unexpected opcode={f_opcode!r}")
            if len(message) + len(payload) > self.max_message_bytes:
                raise too_big(self, len(message) + len(payload))
            message += payload
            if header.fin:
                break
        if opcode == self.OPCODE_TEXT:
            return self._decode_bytes(bytes(message))  # invalid UTF-8: closes with 1007 and raises
        return bytes(message)

    def close(self, code=1000, message=b""):
        """Send the close frame once and refuse further writes. The reading side stays intact: the
        reader greenlet may be inside `raw_read` right now (gevent-websocket set it to None here,
        and the reader then failed with "'NoneType' object is not callable"); it goes on until the
        peer's close frame or the end of the stream, and `read_one` stops at the next frame."""
        if self.closed:
            return
        reason = message.encode() if isinstance(message, str) else bytes(message or b"")
        try:
            self.send_frame(b"" if code is None else struct.pack("!H", code) + reason[:123], self.OPCODE_CLOSE)
        except WebSocketError:
            pass  # the peer is gone: nothing to tell it
        finally:
            self.closed = True

    def send_frame(self, message, opcode):
        data = text_frame(message) if opcode in (self.OPCODE_TEXT, self.OPCODE_BINARY) else frame(opcode, message)
        with write_lock(self):  # never interleaved with a write-through's tail
            if self.closed or self.raw_write is None:
                raise WebSocketError("Connection is already closed")
            try:
                self.raw_write(data)
            except socket_error:
                raise WebSocketError("Socket is dead") from None

    gws.WebSocket.close = close
    gws.WebSocket.send_frame = send_frame
    _write_through_engineio()
    gws_handler.WebSocketHandler.upgrade_websocket = upgrade_websocket
    gws.WebSocket.read_frame = read_frame
    gws.WebSocket.read_message = read_message
    gws.Header.mask_payload = gws.Header.unmask_payload = lambda header, payload: unmask(payload, header.mask)
    gws.WebSocket.hardened = True
    return True


def _write_through_engineio() -> None:
    """engine.io queues every packet for a connection's writer greenlet, which wakes, polls the
    queue and writes: a room message to 300 connections was 300 wake-ups, most of the server's time
    at 300 participants. A packet for a websocket whose queue is empty and whose writer is idle is
    now written at once, in the sender's greenlet, if the socket takes it without waiting; otherwise
    it is queued as before (order is kept: nothing overtakes a queued packet or a write in progress)."""
    from engineio import exceptions as eio_exceptions
    from engineio import socket as eio_socket
    from engineio.async_drivers import gevent as eio_gevent

    wrap = eio_gevent.WebSocketWSGI.__call__

    def __call__(self, environ, start_response):
        owner = getattr(self.app, "__self__", None)  # the engine.io socket whose handler this is
        if isinstance(owner, eio_socket.Socket) and environ.get("wsgi.websocket") is not None:
            owner.storming_ws = environ["wsgi.websocket"]
            environ["wsgi.websocket"].handler.storming_eio = owner
        return wrap(self, environ, start_response)

    queue_send = eio_socket.Socket.send
    queue_poll = eio_socket.Socket.poll

    def poll(self):
        """engine.io's writer greenlet waits here for the next queued packet, with the timeout
        ping interval + ping timeout, and closes the connection when none came: without the
        write-through, the pings themselves went through the queue, so an empty queue meant a dead
        connection. With it, pings and messages are written without the queue, which may stay
        empty for ever on a healthy connection (every connection was closed 45 s after it opened,
        issue 12). Whether the client is gone is the heartbeat's call (`check_ping_timeout`, also
        run by engine.io's service task), so the writer waits on until the socket closes."""
        if self.__dict__.get("storming_ws") is None:
            return queue_poll(self)
        while True:
            try:
                return queue_poll(self)
            except eio_exceptions.QueueEmpty:
                if self.closed or self.closing:
                    raise
                try:
                    self.check_ping_timeout()  # a client that stopped answering is closed here
                except eio_exceptions.SocketIsClosedError:
                    raise eio_exceptions.QueueEmpty() from None

    def send(self, pkt):
        ws = self.__dict__.get("storming_ws")
        if (ws is not None and self.upgraded and not self.upgrading and not self.closed
                and self.queue.empty() and self.check_ping_timeout() and write_through(ws, pkt.encode())):
            return
        queue_send(self, pkt)

    eio_gevent.WebSocketWSGI.__call__ = __call__
    eio_socket.Socket.send = send
    eio_socket.Socket.poll = poll


# --- writing -------------------------------------------------------------------------------------

_last_frame: tuple = (None, b"")  # (message, its frame): a room message goes to every connection in a row


def text_frame(message) -> bytes:
    """The unmasked server frame of a text or binary message; the same message object (a room
    message on its way to every connection) is framed once."""
    global _last_frame
    if message is _last_frame[0]:
        return _last_frame[1]
    framed = frame(0x2 if isinstance(message, (bytes, bytearray)) else 0x1, message)
    _last_frame = (message, framed)
    return framed


def frame(opcode: int, payload) -> bytes:
    data = payload.encode() if isinstance(payload, str) else bytes(payload)
    size = len(data)
    if size < 126:
        header = struct.pack("!BB", 0x80 | opcode, size)
    elif size <= 0xFFFF:
        header = struct.pack("!BBH", 0x80 | opcode, 126, size)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, size)
    return header + data


def write_lock(ws):
    """One writer at a time per connection: engine.io's writer greenlet and the write-through path."""
    handler = ws.handler
    lock = handler.__dict__.get("storming_write_lock")
    if lock is None:
        lock = handler.storming_write_lock = Semaphore()
    return lock


def write_through(ws, message) -> bool:
    """Write `message` now, without waiting for the connection's writer greenlet, if that never has
    to wait: True if it went (or its tail is on its way under the connection's lock), False if
    nothing was written (the caller queues it as usual)."""
    if ws.closed or ws.handler is None:
        return False
    lock = write_lock(ws)
    if lock.locked():
        return False
    data = text_frame(message)
    sock = ws.handler.socket
    try:
        sent = sock.send(data, 0, 0.0)  # never waits: EAGAIN if the socket's buffer is full
    except OSError:
        return False  # nothing written; the usual path reports a dead socket
    if sent < len(data):  # the rest goes as soon as the socket drains, before anything else
        lock.acquire()
        gevent.spawn(_finish, ws, lock, memoryview(data)[sent:])
    return True


def _finish(ws, lock, rest) -> None:
    try:
        ws.handler.socket.sendall(rest)
    except OSError:
        pass  # the reader sees the dead socket and closes the connection
    finally:
        lock.release()


# --- simple-websocket: the write-through on public surfaces (ADR 0020) --------------------------

class _Port:
    """What the write-through needs of one engine.io server: its websocket connections by sid."""

    def __init__(self, max_message_bytes: int, on_text):
        self.max_message_bytes = max_message_bytes
        self.on_text = on_text
        self.connections: dict[str, _Connection] = {}


def _write_through_simple_websocket(eio, max_message_bytes: int, on_text) -> bool:
    """engine.io queues every packet for a connection's writer greenlet, which wakes and hands it
    to simple-websocket (wsproto frames it again for every connection); at 300 participants that
    is 300 wake-ups and 300 framings per room message. Here, as `_write_through_engineio` does for
    gevent-websocket, a message for a connection whose queue is empty and whose writer is idle is
    framed once for all its recipients and written at once, in the sender's greenlet, if the socket
    takes it without waiting; otherwise it is queued as before, and nothing overtakes a queued
    packet or a write in progress. Only messages are written through: engine.io's own packets
    (open, ping, noop, close) keep the queue, so its writer wakes at least once per ping interval
    and its `poll` needs no change (issue 12's 45-second disconnect cannot come back this way).

    The surfaces used, none with a leading underscore: engine.io's `Server.send_packet` (public
    API, wrapped on this server instance: python-socketio sends every message through it);
    the `Socket`'s `sid`, `server`, `queue`, `upgraded`, `upgrading`, `closing`, `closed` and
    `check_ping_timeout`; the gevent driver's `WebSocketWSGI.__call__` and `app` (where engine.io
    hands a connection to simple-websocket: the one place to learn which `simple_websocket.Server`
    belongs to which `Socket`); simple-websocket's `Server.receive`, `close`, `connected`,
    `max_message_size` and `sock`. The last is the only undocumented one: simple-websocket 1.1's
    `send` writes with one `socket.send` and drops the rest of a partial write (simple-websocket
    #45; the fix upstream makes `send` unsafe between greenlets), so frames are written here, to
    `sock`, under a lock of the connection's own. All are in tests/test_library_internals.py."""
    import simple_websocket
    from engineio import packet as eio_packet
    from engineio import socket as eio_socket
    from engineio.async_drivers import gevent as eio_gevent
    from gevent import socket as gevent_socket

    driver = eio_gevent.WebSocketWSGI
    if getattr(eio_gevent, "SimpleWebSocketWSGI", None) is None or not issubclass(driver, eio_gevent.SimpleWebSocketWSGI):
        log.warning("engine.io's gevent driver does not use simple-websocket: no write-through")
        return False
    port = _Port(max_message_bytes, on_text)
    eio.storming_port = port
    queue_send_packet = eio.send_packet

    def send_packet(sid, pkt):
        connection = port.connections.get(sid)
        if connection is None or pkt.packet_type != eio_packet.MESSAGE or not connection.write(pkt):
            queue_send_packet(sid, pkt)

    eio.send_packet = send_packet
    if getattr(driver, "storming_ported", False):
        return True
    accept = driver.__call__

    def __call__(self, environ, start_response):
        handler = self.app  # engine.io's Socket._websocket_handler, bound to its Socket
        owner = getattr(handler, "__self__", None)
        port = getattr(getattr(owner, "server", None), "storming_port", None)
        if isinstance(owner, eio_socket.Socket) and port is not None:
            # no permessage-deflate: frames are written uncompressed, framed once for every
            # recipient (as gevent-websocket, which never offered it)
            environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)

            def app(accepted):  # called by `accept` once simple-websocket has done the handshake
                ws = accepted.ws
                if not isinstance(ws.sock, gevent_socket.socket):
                    return handler(accepted)  # not a cooperative socket: simple-websocket as shipped
                connection = _Connection(owner, ws, port, simple_websocket.ConnectionClosed)
                port.connections[owner.sid] = connection
                try:
                    return handler(connection)  # engine.io's websocket interface: wait, send, close
                finally:
                    if port.connections.get(owner.sid) is connection:
                        del port.connections[owner.sid]

            self.app = app
        return accept(self, environ, start_response)

    driver.__call__ = __call__
    driver.storming_ported = True
    return True


_last_packet: tuple = (None, b"")  # (engine.io packet, its frame): a room message is one packet object


def packet_frame(pkt) -> bytes:
    """The frame of an engine.io packet; the same packet object (python-socketio encodes a room
    message once for all its recipients) is encoded and framed once."""
    global _last_packet
    if pkt is _last_packet[0]:
        return _last_packet[1]
    message = pkt.encode()
    framed = frame(0x2 if isinstance(message, (bytes, bytearray)) else 0x1, message)
    _last_packet = (pkt, framed)
    return framed


class _Connection:
    """One websocket, as engine.io's `Socket._websocket_handler` uses it (`wait`, `send`, `close`:
    the interface of engine.io's own `SimpleWebSocketWSGI`), over one `simple_websocket.Server`,
    plus the write-through (`write`). Every frame of ours is written under `lock`; `writing` counts
    the packets engine.io's writer has taken from the queue and not yet written (while it waits
    for the lock), so that a write-through never overtakes them."""

    __slots__ = ("eio_socket", "ws", "sock", "lock", "writing", "on_text", "closed_error")

    def __init__(self, eio_socket, ws, port: _Port, closed_error):
        self.eio_socket, self.ws, self.sock = eio_socket, ws, ws.sock
        self.lock = Semaphore()
        self.writing = 0
        self.on_text = port.on_text
        self.closed_error = closed_error
        ws.max_message_size = port.max_message_bytes  # a message over it closes with 1009 as it is read

    def wait(self):
        """The next message engine.io must see (None: the connection is closed). A text message the
        fast path handles (`harden`'s `on_text`) is consumed here and the next one is read."""
        while True:
            try:
                message = self.ws.receive()
            except self.closed_error:
                return None
            if message is None or not isinstance(message, str):
                return message
            if not message or message[0] not in _ENGINEIO_TYPES:
                # not an Engine.IO packet: engine.io's parser would raise (issue 23 item 7)
                log.warning("closing a websocket: a frame that is no Engine.IO packet %r", message[:40])
                self.close(1002, "not an Engine.IO packet")
                return None
            if self.on_text is None or not self.on_text(self.eio_socket, message):
                return message

    def send(self, message) -> None:
        """engine.io's writer greenlet (and its upgrade handshake): a queued packet, in order."""
        self.writing += 1
        try:
            with self.lock:
                if not self.ws.connected:
                    raise OSError("the websocket is closed")
                self.sock.sendall(text_frame(message))
        finally:
            self.writing -= 1

    def close(self, code=None, reason=None) -> None:
        with self.lock:  # never in the middle of a write-through's tail
            if self.ws.connected:
                try:
                    self.ws.close(code, reason)
                except (OSError, self.closed_error):
                    pass  # the peer is gone: nothing to tell it

    def write(self, pkt) -> bool:
        """Write a message packet now, in the sender's greenlet, if that never has to wait: True if
        it went (or its tail is on its way under the lock), or was dropped because the client missed
        its pong (as engine.io's own `send` drops it); False if the caller must queue it."""
        owner = self.eio_socket
        if (self.writing or self.lock.locked() or not owner.upgraded or owner.upgrading or owner.closing
                or owner.closed or not owner.queue.empty() or not self.ws.connected):
            return False
        if not owner.check_ping_timeout():
            return True
        data = packet_frame(pkt)
        try:
            sent = self.sock.send(data, 0, 0.0)  # never waits: EAGAIN if the socket's buffer is full
        except OSError:
            return False  # nothing written; the writer reports a dead socket
        if sent < len(data):  # the rest goes as soon as the socket drains, before anything else
            self.lock.acquire()
            gevent.spawn(self._finish, memoryview(data)[sent:])
        return True

    def _finish(self, rest) -> None:
        try:
            self.sock.sendall(rest)
        except OSError:
            pass  # the reader sees the dead socket and closes the connection
        finally:
            self.lock.release()
