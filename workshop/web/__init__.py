"""HTTP adapters: thin blueprints that parse, call a service and render (or turn a DomainError into 4xx)."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError

from ..domain.errors import DomainError


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def register_blueprints(app: Flask) -> None:
    from . import auth, backlog, board, discoveries
    for blueprint in (auth.bp, discoveries.bp, board.bp, backlog.bp):
        app.register_blueprint(blueprint)

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        if wants_json():
            return jsonify(error=error.as_dict()), error.status
        return render_template("error.html", error=error), error.status

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        message = "Your form expired or was sent from another site. Reload the page and try again."
        if wants_json():
            return jsonify(error={"code": "csrf", "message": message}), 400
        return render_template("error.html", error=DomainError("csrf", message)), 400

    @app.errorhandler(404)
    def not_found(_error):
        error = DomainError("not_found", "There is nothing at this address.")
        if wants_json():
            return jsonify(error=error.as_dict()), 404
        return render_template("error.html", error=error), 404

    @app.errorhandler(405)
    def not_allowed(_error):
        error = DomainError("method_not_allowed", "That action is not available here.")
        if wants_json():
            return jsonify(error=error.as_dict()), 405
        return render_template("error.html", error=error), 405

    @app.errorhandler(413)
    def too_large(_error):
        error = DomainError("too_large", "That request is too large.")
        if wants_json():
            return jsonify(error=error.as_dict()), 413
        return render_template("error.html", error=error), 413

    @app.errorhandler(429)
    def rate_limited(_error):
        error = DomainError("rate_limited", "Too many attempts. Wait a minute and try again.")
        if wants_json():
            return jsonify(error=error.as_dict()), 429
        return render_template("error.html", error=error), 429
