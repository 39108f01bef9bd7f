"""The websocket server: gevent-websocket, with a size limit and the reading done in C (ADR 0009).

python-engineio's gevent driver uses gevent-websocket when it is installed (Flask-SocketIO's
`socketio.run` and gunicorn's `GeventWebSocketWorker` give it the socket). It reads a frame with one
buffered read where simple-websocket (the fallback) runs a second greenlet per connection and wsproto's
generators: at 300 participants, reading the 3,300 incoming frames per second (cursor moves, mostly)
was the largest part of the server's time. Two things in gevent-websocket are not acceptable as they
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
"""
from __future__ import annotations

import struct
from typing import Callable

_MESSAGE_TOO_BIG = 1009



def unmask(payload: bytes, mask: bytes) -> bytes:
    """RFC 6455 5.3: XOR with the 4-byte mask, repeated (the same operation masks and unmasks)."""
    size = len(payload)
    if not size:
        return b""
    key = (mask * (size // 4 + 1))[:size]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(size, "big")


def harden(max_message_bytes: int, accepts_origin: Callable[[dict], bool], path: str = "/socket.io/") -> None:
    """Replace gevent-websocket's readers and upgrade check (see the module docstring).
    `accepts_origin(environ)`: whether engine.io would accept the request's Origin."""
    from socket import error as socket_error

    from geventwebsocket import handler as gws_handler
    from geventwebsocket import websocket as gws
    from geventwebsocket.exceptions import FrameTooLargeException, ProtocolError, WebSocketError

    gws.WebSocket.max_message_bytes = max_message_bytes
    gws_handler.WebSocketHandler.accepts = staticmethod(
        lambda environ: environ.get("PATH_INFO", "").startswith(path) and accepts_origin(environ))
    if getattr(gws.WebSocket, "hardened", False):
        return

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
        opcode = None
        message = bytearray()
        while True:
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
        if self.closed:
            return
        reason = message.encode() if isinstance(message, str) else bytes(message or b"")
        try:
            self.send_frame(b"" if code is None else struct.pack("!H", code) + reason[:123], self.OPCODE_CLOSE)
        except WebSocketError:
            pass  # the peer is gone: nothing to tell it
        finally:
            self.closed = True
            self.stream = self.raw_write = self.raw_read = self.environ = None

    gws.WebSocket.close = close
    gws_handler.WebSocketHandler.upgrade_websocket = upgrade_websocket
    gws.WebSocket.read_frame = read_frame
    gws.WebSocket.read_message = read_message
    gws.Header.mask_payload = gws.Header.unmask_payload = lambda header, payload: unmask(payload, header.mask)
    gws.WebSocket.hardened = True
