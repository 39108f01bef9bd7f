"""Gunicorn settings for the production command (docs/deployment.md, ADR 0007):

    gunicorn -w 1 --bind 127.0.0.1:8001 app:app

Gunicorn reads this file by itself when it starts in the repository root (or with -c). It runs in
the master process, which is never monkey-patched and must hold no connection: import nothing from
the app here. Command-line flags override these values; the check below refuses the ones that break
the board.
"""

# One gevent worker per process: Socket.IO keeps a client's state in the process that accepted it,
# so scaling is more processes (ports) behind nginx, never more workers behind one port. The worker
# is gevent's pywsgi server with gevent-websocket's handler, which python-engineio uses for the
# websocket transport (ADR 0009).
# WEBSOCKET_SERVER=simple-websocket is the exit from gevent-websocket (ADR 0010): gevent's own worker,
# and engine.io's websockets through simple-websocket (app.py hides gevent-websocket from it).
import os

WORKER_CLASS = ("gevent" if os.environ.get("WEBSOCKET_SERVER", "gevent-websocket") == "simple-websocket"
                else "geventwebsocket.gunicorn.workers.GeventWebSocketWorker")
worker_class = WORKER_CLASS
workers = 1
# Greenlets per process; every open websocket holds one.
worker_connections = 1000
# The worker must answer the master's heartbeat within this many seconds (a blocked hub gets killed).
timeout = 30
# On SIGTERM/restart, open websockets get this long before the worker exits; clients then reconnect
# (to another process behind nginx), resync and re-send their outbox.
graceful_timeout = 10
# Never load the app in the master: gevent must patch the worker before the app, psycopg and redis
# are imported, and connections opened before fork() would be shared by processes.
preload_app = False
# Several processes on one host would share the default $HOME/.gunicorn/gunicorn.ctl, and the control
# socket can add workers at run time, which this app must not have.
control_socket_disable = True
# X-Forwarded-Proto is trusted only from nginx on the same host (gunicorn's default, stated here).
forwarded_allow_ips = "127.0.0.1,::1"


def on_starting(server):
    """Refuse a configuration that would silently break Socket.IO (ADR 0007)."""
    cfg = server.cfg
    problems = []
    if cfg.workers != 1:
        problems.append(f"-w {cfg.workers}: use -w 1 and run more processes on other ports")
    if cfg.worker_class_str != WORKER_CLASS:
        problems.append(f"-k {cfg.worker_class_str}: leave the worker class to gunicorn.conf.py ({WORKER_CLASS})")
    if cfg.preload_app:
        problems.append("--preload: the app must be loaded in the worker, after gevent patches it")
    if problems:
        raise SystemExit("storming: unsupported gunicorn settings: " + "; ".join(problems))


def post_worker_init(worker):
    """Log, once the app is loaded in the worker, that gevent patched first (ADR 0007): a Redis or
    PostgreSQL wait outside gevent's hub would freeze every connection of the process."""
    import sys

    from gevent import monkey

    unpatched = [name for name in ("socket", "select", "threading", "ssl", "time") if not monkey.is_module_patched(name)]
    waiting = sys.modules.get("psycopg.waiting")  # only if the app uses PostgreSQL; never import it here
    wait = getattr(getattr(waiting, "wait", None), "__name__", "not loaded")
    from workshop import heap

    heap.settle()  # the app is loaded: its objects leave the garbage collector's walks (ADR 0009)
    if unpatched or wait == "wait_c":
        worker.log.error("storming: not cooperative: unpatched %s, psycopg waits with %s", unpatched, wait)
    else:
        worker.log.info("storming: gevent patched before the app; psycopg waits with %s", wait)
