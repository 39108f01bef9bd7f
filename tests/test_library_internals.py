"""Issue 12, item 7: every private attribute the project patches or calls in gevent-websocket,
python-engineio and python-socketio, checked against the installed libraries.

`workshop/realtime/websocket.py` replaces gevent-websocket's reader, close and frame writer and
engine.io's `Socket.send`/`poll` and its gevent driver's `WebSocketWSGI.__call__`, and with
simple-websocket wraps engine.io's `send_packet` and writes to simple-websocket's socket;
`workshop/realtime/__init__.py` and `hub.py` call python-socketio's manager and handler table and
engine.io's origin check directly, and `queue.py` holds and pipelines python-socketio's Redis
publishes during the tick (ADR 0008, 0009, 0010, 0020). An upgrade that renames, removes or
reshapes any of them must fail here, by name, before it fails a room at 300 participants. The check
runs in a fresh interpreter that never imports the project, so it sees the libraries as shipped
(the project patches some of these names in place).

When this test fails: read ADR 0010 (the exit plan), adapt websocket.py to the new library or pin
the last verified version (pyproject.toml), and update the table below with what you verified.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

# (module, attribute path, what must hold, where the project relies on it)
# what: "callable(<params>)" = a function/method whose parameters (after self) start with these;
#       "class" / "exception" / "value" = exists as such;
#       "assigned(<name>)" = `self.<name>` is assigned in the class's __init__ source;
#       "source(<text>)" = the module's source contains the text (how two libraries meet).
INTERNALS = [
    # gevent-websocket (unmaintained since 2022): replaced readers, close, frame writer, upgrade check
    ("geventwebsocket.websocket", "WebSocket.read_frame", "callable()", "websocket.py: replaced (size limit, C unmask)"),
    ("geventwebsocket.websocket", "WebSocket.read_message", "callable()", "websocket.py: replaced (inline events)"),
    ("geventwebsocket.websocket", "WebSocket.close", "callable(code,message)", "websocket.py: replaced (close code)"),
    ("geventwebsocket.websocket", "WebSocket.send_frame", "callable(message,opcode)", "websocket.py: replaced (one frame per room message)"),
    ("geventwebsocket.websocket", "WebSocket.handle_ping", "callable(header,payload)", "websocket.py read_one"),
    ("geventwebsocket.websocket", "WebSocket.handle_pong", "callable(header,payload)", "websocket.py read_one"),
    ("geventwebsocket.websocket", "WebSocket.handle_close", "callable(header,payload)", "websocket.py read_one"),
    ("geventwebsocket.websocket", "WebSocket._decode_bytes", "callable(bytestring)", "websocket.py read_one: UTF-8 check, 1007"),
    ("geventwebsocket.websocket", "WebSocket.OPCODE_TEXT", "value", "websocket.py"),
    ("geventwebsocket.websocket", "WebSocket.OPCODE_BINARY", "value", "websocket.py"),
    ("geventwebsocket.websocket", "WebSocket.OPCODE_CONTINUATION", "value", "websocket.py"),
    ("geventwebsocket.websocket", "WebSocket.OPCODE_PING", "value", "websocket.py"),
    ("geventwebsocket.websocket", "WebSocket.OPCODE_PONG", "value", "websocket.py"),
    ("geventwebsocket.websocket", "WebSocket.OPCODE_CLOSE", "value", "websocket.py"),
    ("geventwebsocket.websocket", "WebSocket", "assigned(stream)", "websocket.py read_one / close"),
    ("geventwebsocket.websocket", "WebSocket", "assigned(raw_read)", "websocket.py read_frame"),
    ("geventwebsocket.websocket", "WebSocket", "assigned(raw_write)", "websocket.py send_frame"),
    ("geventwebsocket.websocket", "WebSocket", "assigned(closed)", "websocket.py"),
    ("geventwebsocket.websocket", "WebSocket", "assigned(handler)", "websocket.py write lock, inline events"),
    ("geventwebsocket.websocket", "Header.decode_header", "callable(stream)", "websocket.py read_frame"),
    ("geventwebsocket.websocket", "Header.mask_payload", "callable(payload)", "websocket.py: replaced"),
    ("geventwebsocket.websocket", "Header.unmask_payload", "callable(payload)", "websocket.py: replaced"),
    ("geventwebsocket.websocket", "Header", "assigned(mask)", "websocket.py read_frame"),
    ("geventwebsocket.websocket", "Header", "assigned(length)", "websocket.py read_frame"),
    ("geventwebsocket.websocket", "Header", "assigned(flags)", "websocket.py read_frame"),
    ("geventwebsocket.websocket", "Header", "assigned(opcode)", "websocket.py read_one"),
    ("geventwebsocket.websocket", "Header", "assigned(fin)", "websocket.py read_one"),
    ("geventwebsocket.handler", "WebSocketHandler.upgrade_websocket", "callable()", "websocket.py: wrapped (Origin before upgrade)"),
    ("geventwebsocket.exceptions", "FrameTooLargeException", "exception", "websocket.py"),
    ("geventwebsocket.exceptions", "ProtocolError", "exception", "websocket.py"),
    ("geventwebsocket.exceptions", "WebSocketError", "exception", "websocket.py"),
    ("gevent.pywsgi", "WSGIHandler", "assigned(socket)", "websocket.py write_through: handler.socket"),
    # python-engineio: the write-through and the writer's wait (issue 12 item 1)
    ("engineio.socket", "Socket.send", "callable(pkt)", "websocket.py: replaced (write-through)"),
    ("engineio.socket", "Socket.poll", "callable()", "websocket.py: replaced (writer waits while written through)"),
    ("engineio.socket", "Socket.check_ping_timeout", "callable()", "websocket.py send / poll"),
    ("engineio.socket", "Socket._websocket_handler", "callable(ws)", "websocket.py __call__: the owner of a WebSocketWSGI"),
    ("engineio.socket", "", "source(self._websocket_handler, self.server)", "websocket.py __call__: app.__self__ is the Socket"),
    ("engineio.base_socket", "BaseSocket", "assigned(queue)", "websocket.py send"),
    ("engineio.base_socket", "BaseSocket", "assigned(upgraded)", "websocket.py send"),
    ("engineio.base_socket", "BaseSocket", "assigned(upgrading)", "websocket.py send"),
    ("engineio.base_socket", "BaseSocket", "assigned(closed)", "websocket.py send / poll"),
    ("engineio.base_socket", "BaseSocket", "assigned(closing)", "websocket.py poll"),
    ("engineio.base_socket", "BaseSocket", "assigned(sid)", "__init__.py inline_events"),
    ("engineio.exceptions", "QueueEmpty", "exception", "websocket.py poll"),
    ("engineio.exceptions", "SocketIsClosedError", "exception", "websocket.py poll"),
    ("engineio.async_drivers.gevent", "WebSocketWSGI.__call__", "callable(environ,start_response)", "websocket.py: wrapped"),
    ("engineio.async_drivers.gevent", "WebSocketWSGI", "assigned(app)", "websocket.py __call__"),
    ("engineio.async_drivers.gevent", "", "source(environ['wsgi.websocket'])", "websocket.py: gevent-websocket hands the socket in the environ"),
    # python-engineio and simple-websocket: the write-through ported to simple-websocket
    # (WEBSOCKET_SERVER=simple-websocket, ADR 0020); public names, but undocumented except where said
    ("engineio.server", "Server.send_packet", "callable(sid,pkt)", "websocket.py: wrapped per server (documented API)"),
    ("engineio.server", "", "source(self.send_packet(sid, packet.Packet(packet.MESSAGE, data=data)))", "websocket.py: Server.send goes through send_packet"),
    ("socketio.server", "", "source(self.eio.send_packet(eio_sid, eio_pkt))", "websocket.py: python-socketio's room messages go through send_packet"),
    ("engineio.packet", "MESSAGE", "value", "websocket.py send_packet"),
    ("engineio.base_socket", "BaseSocket", "assigned(server)", "websocket.py __call__: the Socket's engine.io server"),
    ("engineio.async_drivers.gevent", "", "source(class WebSocketWSGI(SimpleWebSocketWSGI))", "websocket.py: the simple-websocket driver is patched"),
    ("engineio.async_drivers._websocket_wsgi", "SimpleWebSocketWSGI.__call__", "callable(environ,start_response)", "websocket.py: wrapped"),
    ("engineio.async_drivers._websocket_wsgi", "SimpleWebSocketWSGI", "assigned(app)", "websocket.py __call__"),
    ("engineio.async_drivers._websocket_wsgi", "", "source(self.ws = simple_websocket.Server(environ, **self.server_args)\n        ret = self.app(self))", "websocket.py __call__: the app gets the driver once the handshake is done"),
    ("simple_websocket.ws", "Base.receive", "callable(timeout)", "websocket.py _Connection.wait"),
    ("simple_websocket.ws", "Base.close", "callable(reason,message)", "websocket.py _Connection.close"),
    ("simple_websocket.ws", "Base", "assigned(sock)", "websocket.py _Connection: frames written to it (Base.send drops partial writes in 1.1)"),
    ("simple_websocket.ws", "Base", "assigned(connected)", "websocket.py _Connection"),
    ("simple_websocket.ws", "Base", "assigned(max_message_size)", "websocket.py _Connection: the size limit while reading"),
    ("simple_websocket.ws", "", "source(self.incoming_message_len > self.max_message_size)", "websocket.py: the limit is checked per frame read"),
    ("simple_websocket.ws", "", "source(if key.startswith('HTTP_'))", "websocket.py __call__: no Sec-WebSocket-Extensions, no permessage-deflate"),
    ("simple_websocket", "ConnectionClosed", "exception", "websocket.py _Connection"),
    ("gevent.socket", "socket.send", "callable(data,flags,timeout)", "websocket.py write_through / _Connection.write: a send that never waits"),
    ("engineio.base_server", "BaseServer._cors_allowed_origins", "callable(environ)", "__init__.py origin_check"),
    ("engineio.base_server", "BaseServer.create_event", "callable()", "hub.py submit"),
    ("engineio", "json", "value", "wire.py: engine.io's own parser as the fallback"),
    # python-socketio: the inline cursor path, the handler table, disconnects over the queue
    ("socketio.base_manager", "BaseManager.sid_from_eio_sid", "callable(eio_sid,namespace)", "__init__.py inline_events"),
    ("socketio.base_manager", "BaseManager.is_connected", "callable(sid,namespace)", "__init__.py inline_events"),
    ("socketio.base_server", "BaseServer", "assigned(handlers)", "__init__.py inline_events: handlers['/'][event]"),
    ("socketio.base_server", "BaseServer", "assigned(eio)", "hub.py / __init__.py"),
    ("socketio.server", "Server.disconnect", "callable(sid,namespace)", "hub.py end_sessions"),
    ("socketio.pubsub_manager", "PubSubManager.can_disconnect", "callable(sid,namespace)", "hub.py: a remote sid's disconnect goes over the queue"),
    ("socketio.server", "Server._handle_eio_message", "callable(eio_sid,data)", "__init__.py guard_packets"),
    ("socketio.server", "Server._handle_event", "callable(eio_sid,namespace,id,data)", "__init__.py guard_packets"),
    ("socketio.server", "Server._send_packet", "callable(eio_sid,pkt)", "__init__.py guard_packets"),
    ("socketio.base_server", "BaseServer", "assigned(_binary_packet)", "__init__.py guard_packets"),
    # python-socketio's Redis queue: the tick's publishes held and sent in one pipeline (queue.py)
    ("socketio.pubsub_manager", "PubSubManager._publish", "callable(data)", "queue.py: held while the tick sends"),
    ("socketio.pubsub_manager", "", "source(self._handle_emit(message)  # handle in this host\n        self._publish(message)  # notify other hosts)",
     "queue.py: an emit is one _handle_emit (held: delivered here after the publish) and one _publish"),
    ("socketio.pubsub_manager", "PubSubManager._handle_emit", "callable(message)",
     "queue.py: the tick's local deliveries held until its publishes have gone; the listener's not"),
    ("socketio.redis_manager", "RedisManager._redis_connect", "callable()", "queue.py _publish_all"),
    ("socketio.redis_manager", "RedisManager", "assigned(connected)", "queue.py _publish_all"),
    ("socketio.redis_manager", "RedisManager", "assigned(redis)", "queue.py _publish_all: self.redis.pipeline"),
    ("socketio.redis_manager", "", "source(self.redis.publish(self.channel, self.json.dumps(data)))",
     "queue.py _publish_all: the same message on the same channel, as the listeners expect"),
]

_CHECK = textwrap.dedent('''
    import importlib, inspect, json, re, sys

    def check(module_name, path, what):
        module = importlib.import_module(module_name)
        if what.startswith("source("):
            needle = what[len("source("):-1]
            return None if needle in inspect.getsource(module) else f"its source no longer contains {needle!r}"
        target = module
        for part in path.split("."):
            if not hasattr(target, part):
                return f"{part!r} is gone"
            target = getattr(target, part)
        if what == "class":
            return None if inspect.isclass(target) else "is no longer a class"
        if what == "exception":
            return None if inspect.isclass(target) and issubclass(target, BaseException) else "is no longer an exception"
        if what == "value":
            return None
        if what.startswith("assigned("):
            name = what[len("assigned("):-1]
            source = inspect.getsource(target.__init__)
            return None if re.search(rf"self\\.{name}\\s*=", source) else f"__init__ no longer sets self.{name}"
        if what.startswith("callable("):
            if not callable(target):
                return "is no longer callable"
            wanted = [p for p in what[len("callable("):-1].split(",") if p]
            params = [p for p in inspect.signature(target).parameters if p != "self"]
            if params[:len(wanted)] != wanted:
                return f"parameters are now {params}, the project relies on {wanted}"
            return None
        return f"unknown check {what!r}"

    problems = []
    for module_name, path, what, where in json.loads(sys.stdin.read()):
        try:
            problem = check(module_name, path, what)
        except Exception as error:
            problem = f"could not be checked: {error!r}"
        if problem:
            problems.append(f"{module_name}.{path or '<module>'} [{what}]: {problem} (used by {where})")
    print(json.dumps(problems))
''')


def test_every_private_library_attribute_the_project_relies_on_is_still_there():
    out = subprocess.run([sys.executable, "-c", _CHECK], input=json.dumps(INTERNALS), capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    problems = json.loads(out.stdout)
    assert not problems, ("A library upgrade changed internals the project patches or calls (see ADR 0010 for "
                          "the exit plan):\n  " + "\n  ".join(problems))


def test_the_internals_check_fails_by_name_when_an_attribute_is_missing():
    """The checker itself can fail: a renamed method, a changed signature and a dropped instance
    attribute are each reported with the name and the place that uses it."""
    broken = [("engineio.socket", "Socket.poll_renamed", "callable()", "websocket.py"),
              ("engineio.socket", "Socket.send", "callable(packet)", "websocket.py"),
              ("engineio.base_socket", "BaseSocket", "assigned(outbox)", "websocket.py"),
              ("engineio.socket", "", "source(no such text anywhere)", "websocket.py")]
    out = subprocess.run([sys.executable, "-c", _CHECK], input=json.dumps(broken), capture_output=True,
                         text=True, timeout=120)
    problems = json.loads(out.stdout)
    assert len(problems) == 4, problems
    assert "'poll_renamed' is gone" in problems[0]
    assert "parameters are now ['pkt']" in problems[1]
    assert "no longer sets self.outbox" in problems[2]


def test_the_verified_versions_are_pinned():
    """pyproject.toml pins the ranges this table was verified against; the installed versions are in them."""
    import re
    from importlib.metadata import version
    from pathlib import Path

    from packaging.specifiers import SpecifierSet

    text = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    for name in ("gevent-websocket", "python-engineio", "python-socketio", "flask-socketio", "simple-websocket"):
        spec = re.search(rf'"{name}([^"]*)"', text)
        assert spec, f"{name} is not a dependency"
        specifier = SpecifierSet(spec.group(1))
        assert any(s.operator in ("<", "<=", "==", "~=") for s in specifier), \
            f"{name} has no upper bound: an unverified release could change its internals"
        assert version(name) in specifier, f"installed {name} {version(name)} is outside {specifier}"
