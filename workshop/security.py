"""Security wiring: the login loader, security headers with a CSP that forbids inline script."""
from __future__ import annotations

from flask import Flask, request

from .extensions import login_manager


class LoginUser:
    """Flask-Login's view of an account (kept apart from the ORM row)."""

    def __init__(self, user):
        self.id = user.id
        self.email = user.email
        self.name = user.name
        self.role = user.role
        self.is_admin = user.is_admin

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def account(self):
        from .domain.permissions import Account
        return Account(id=self.id, role=self.role, is_admin=self.is_admin)


CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."

    @login_manager.user_loader
    def load_user(user_id: str):
        from .database import get_session
        from .db.models import User
        try:
            user = get_session().get(User, int(user_id))
        except (TypeError, ValueError):
            return None
        return LoginUser(user) if user else None

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.path.startswith("/w/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
