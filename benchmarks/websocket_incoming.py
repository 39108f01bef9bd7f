"""The incoming path of the two websocket stacks alone (ADR 0020): CPU per incoming message.

    .venv/bin/python benchmarks/websocket_incoming.py [--messages 20000] [--connections 50]

C connections on socket pairs in one gevent process; the peers send masked cursor messages of 38
bytes, one frame per read (a round of one frame to every connection, then the readers run), and the
server side reads them as each stack does: gevent-websocket's reader as `websocket.harden` patches
it, in the connection's greenlet; simple-websocket's own reader greenlet (wsproto) handing each
message to the greenlet that calls `receive`, as engine.io's handler does. Prints the CPU per message,
the sending side included (the same for both). The stacks run alternately, each in a fresh process.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r'''
from gevent import monkey; monkey.patch_all()
import base64, os, socket, struct, sys, time
import gevent, gevent.event, gevent.selectors
sys.path.insert(0, sys.argv[4])
from workshop.realtime.websocket import harden, unmask

messages, stack, connections = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
payload = b'42["cursor",{"x":0.2512,"y":0.7731}]'
mask = os.urandom(4)
frame = struct.pack("!BB", 0x81, 0x80 | len(payload)) + mask + unmask(payload, mask)
got = [0]

def simple_websocket_reader():
    import simple_websocket
    from engineio.async_drivers.gevent import Thread
    ours, peer = socket.socketpair()
    environ = {"gunicorn.socket": ours, "HTTP_HOST": "x", "HTTP_UPGRADE": "websocket", "HTTP_CONNECTION": "Upgrade",
               "HTTP_SEC_WEBSOCKET_KEY": base64.b64encode(os.urandom(16)).decode(), "HTTP_SEC_WEBSOCKET_VERSION": "13"}
    ws = simple_websocket.Server(environ, thread_class=Thread, event_class=gevent.event.Event,
                                 selector_class=gevent.selectors.DefaultSelector)
    peer.recv(4096)  # the 101
    def read():
        while True:
            ws.receive()
            got[0] += 1
    return peer, read

def gevent_websocket_reader():
    harden(4 << 20, lambda environ: True)
    from geventwebsocket.websocket import Stream, WebSocket
    ours, peer = socket.socketpair()
    class Handler:
        pass
    handler = Handler()
    handler.rfile, handler.socket = ours.makefile("rb"), ours
    ws = WebSocket({}, Stream(handler), handler)
    def read():
        while True:
            ws.read_message()
            got[0] += 1
    return peer, read

peers = []
for _ in range(connections):
    peer, read = (simple_websocket_reader if stack == "simple-websocket" else gevent_websocket_reader)()
    gevent.spawn(read)
    peers.append(peer)
gevent.sleep(0.1)
rounds = messages // connections
started = time.process_time()
for _ in range(rounds):
    for peer in peers:
        peer.send(frame)
    gevent.sleep(0)
while got[0] < rounds * connections:
    gevent.sleep(0.001)
print(f"{stack}: {got[0]} messages over {connections} connections, "
      f"{1e6 * (time.process_time() - started) / got[0]:.1f} us CPU per message")
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs of each stack")
    args = parser.parse_args()
    for _ in range(args.rounds):
        for stack in ("gevent-websocket", "simple-websocket"):
            subprocess.run([sys.executable, "-c", CHILD, str(args.messages), stack, str(args.connections), str(ROOT)],
                           check=True)


if __name__ == "__main__":
    main()
