"""Security wiring: the login loader, security headers with a CSP that forbids inline script."""
from __future__ import annotations

import hashlib
import hmac

from flask import Flask, current_app, request

from .extensions import login_manager


def password_stamp(password_hash: str) -> str:
    """A short keyed digest of the account's password hash, kept in the session: a new password
    (reset by an admin or changed by the person) ends every session signed in with the old one."""
    key = current_app.secret_key
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, password_hash.encode(), hashlib.sha256).hexdigest()[:20]


class LoginUser:
    """Flask-Login's view of an account (kept apart from the ORM row)."""

    def __init__(self, user):
        self.id = user.id
        self.email = user.email
        self.name = user.name
        self.role = user.role
        self.is_admin = user.is_admin
        self.is_active = user.is_active
        self.stamp = password_stamp(user.password_hash)

    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.id}:{self.stamp}"

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
    def load_user(session_id: str):
        """Each request re-reads the account: a deactivated account, or a session from before the
        last password change, is signed out on its next request."""
        from .database import get_session
        from .db.models import User
        user_id, _, stamp = str(session_id).partition(":")
        try:
            user = get_session().get(User, int(user_id))
        except (TypeError, ValueError):
            return None
        if user is None or not user.is_active:
            return None
        if not hmac.compare_digest(stamp.encode(), password_stamp(user.password_hash).encode()):
            return None
        return LoginUser(user)

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
