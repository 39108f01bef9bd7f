"""Event Storming discovery workshops, aggregated into one prioritised backlog.

create_app() wires the layers: configuration, the database, the extensions, the HTTP blueprints,
the Socket.IO handlers and the CLI. The domain (workshop.domain) and the use cases
(workshop.services, workshop.aggregation) import no Flask.
"""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from .config import DEFAULTS, settings_from_environment

__all__ = ["create_app"]


def create_app(test_config: dict | None = None) -> Flask:
    root = Path(__file__).resolve().parent.parent
    app = Flask(__name__, instance_path=os.environ.get("INSTANCE_PATH", str(root / "instance")),
                static_folder=str(root / "static"), static_url_path="/static")
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(DEFAULTS)
    app.config.from_mapping(settings_from_environment(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    app.config["NODE_MODULES"] = str(root / "node_modules")

    from . import cli, database, security
    from .extensions import csrf, limiter, login_manager, socketio
    from .realtime import init_realtime
    from .web import register_blueprints

    database.init_app(app)
    if app.config.get("AUTO_MIGRATE", True):
        database.upgrade_schema(app)
    csrf.init_app(app)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
    login_manager.init_app(app)
    security.init_app(app)
    register_blueprints(app)
    init_realtime(app, socketio)
    cli.init_app(app)
    if app.config.get("TRUST_PROXY"):
        # Behind nginx: take the client's address and scheme from the proxy's X-Forwarded-* headers
        # (the proxy must overwrite them), so rate limits see people, not the proxy.
        from werkzeug.middleware.proxy_fix import ProxyFix
        hops = app.config["TRUST_PROXY"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app
