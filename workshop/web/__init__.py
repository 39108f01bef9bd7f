"""HTTP adapters: thin blueprints that parse, call a service and render (or turn a DomainError into 4xx)."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError

from ..domain.errors import DomainError


def wants_json() -> bool:
    """A client that prefers JSON (Accept: application/json) gets its errors as JSON."""
    return request.accept_mimetypes.best == "application/json"


def register_blueprints(app: Flask) -> None:
    from . import auth, backlog, board, discoveries
    for blueprint in (auth.bp, discoveries.bp, board.bp, backlog.bp):
        app.register_blueprint(blueprint)

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        return answer_error(error, error.status)

    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        return answer_error(DomainError(
            "csrf", "Your form expired or was sent from another site. Reload the page and try again."), 400)

    for status, code, message in (
        (404, "not_found", "There is nothing at this address."),
        (405, "method_not_allowed", "That action is not available here."),
        (413, "too_large", "That request is too large."),
        (429, "rate_limited", "Too many attempts. Wait a minute and try again."),
    ):
        app.register_error_handler(status, lambda _e, s=status, c=code, m=message: answer_error(DomainError(c, m), s))


def answer_error(error: DomainError, status: int):
    """A refusal as JSON for API clients, as the error page for people."""
    if wants_json():
        return jsonify(error=error.as_dict()), status
    return render_template("error.html", error=error), status
