"""Configuration in layers: defaults, then environment variables, then a test's dict."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def load_secret_key(instance_path: str) -> str:
    """A missing SECRET_KEY is generated once and kept in the instance folder (never a constant)."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Several processes may start at once: write a private temporary file, then link it into
        # place atomically; whoever links first wins and everybody reads the winner's key.
        tmp = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


def settings_from_environment(instance_path: str) -> dict:
    """The app's settings the README documents, read from the environment. Four are read where they act,
    before or outside the app: ``INSTANCE_PATH`` (workshop/__init__.py), ``WEBSOCKET_SERVER`` (app.py and
    gunicorn.conf.py, before the server is imported), ``STORMING_EMBEDDING_MODEL``
    (workshop/aggregation/embedding.py) and ``PASSWORD_HASH_METHOD`` (workshop/services/accounts.py)."""
    default_db = "sqlite:///" + str(Path(instance_path) / "workshop.db")
    return {
        "SECRET_KEY": load_secret_key(instance_path),
        "DATABASE_URL": os.environ.get("DATABASE_URL", default_db),
        "SOCKETIO_MESSAGE_QUEUE": os.environ.get("SOCKETIO_MESSAGE_QUEUE") or None,
        "BOARD_TICK_MS": int(os.environ.get("BOARD_TICK_MS", "25")),
        "ACCOUNT_SWEEP_SECONDS": float(os.environ.get("ACCOUNT_SWEEP_SECONDS", "5")),
        "EXPORT_DIR": os.environ.get("EXPORT_DIR", str(Path(instance_path).parent / "exports")),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": os.environ.get("RATELIMIT_ENABLED", "1") != "0",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        # Flask-Login's one-year remember_token: Secure behind HTTPS like the session cookie
        "REMEMBER_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "HOST": os.environ.get("HOST", "127.0.0.1"),
        "PORT": int(os.environ.get("PORT", "5000")),
        "TRUST_PROXY": int(os.environ.get("TRUST_PROXY", "0")),
        "SOCKETIO_CHANNEL": os.environ.get("SOCKETIO_CHANNEL", "storming"),
        # engine.io's heartbeat: a ping every interval, and a client that has not answered one
        # within the timeout is gone (Socket.IO's defaults: 25 s and 20 s)
        "SOCKETIO_PING_INTERVAL": float(os.environ.get("SOCKETIO_PING_INTERVAL", "25")),
        "SOCKETIO_PING_TIMEOUT": float(os.environ.get("SOCKETIO_PING_TIMEOUT", "20")),
        "CORS_ALLOWED_ORIGINS": [o for o in os.environ.get("CORS_ALLOWED_ORIGINS", "").split(",") if o] or None,
    }


DEFAULTS = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 30,
    "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
    "WTF_CSRF_TIME_LIMIT": None,
}
