"""HTTP security: CSRF, cookies, headers and CSP on every page type, escaping of user text in
server-rendered pages, rate limits on sign-in and join, unguessable join tokens, and pip-audit."""
from __future__ import annotations

import math
import os
import re
from pathlib import Path

import pytest

from tests.board_helpers import join, make_workshop
from workshop.services.discoveries import new_join_token

ROOT = Path(__file__).resolve().parent.parent
XSS = "<script>alert('pwned')</script>"


def _script_src(csp: str) -> str:
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";") if d.strip())
    return directives.get("script-src", directives.get("default-src", ""))


def _pages(client, auth, db) -> dict[str, object]:
    """One response of every page type: setup, sign-in, home, forms, discovery, users, join, board,
    facilitator board, error pages, the JSON error, a static file."""
    pages = {"setup (empty install)": client.get("/setup")}
    auth.setup()
    _, discovery_id = auth.create_discovery()
    _, workshop_id = auth.create_workshop(discovery_id)
    from workshop.db.models import Workshop
    with db.session() as session:
        token = session.get(Workshop, workshop_id).join_token
    pages.update({
        "home": client.get("/"), "new discovery": client.get("/discoveries/new"),
        "discovery": client.get(f"/discoveries/{discovery_id}"), "users": client.get("/users"),
        "facilitator board": client.get(f"/workshops/{workshop_id}/board"),
        "404 page": client.get("/no/such/page"), "404 json": client.get("/no/such/data", headers={"Accept": "application/json"}),
        "403 page": client.get("/discoveries/999999"), "static": client.get("/static/css/board.css"),
    })
    auth.logout()
    pages.update({"login": client.get("/login"), "join": client.get(f"/w/{token}"),
                  "unknown join link": client.get("/w/" + "x" * 32)})
    client.post(f"/w/{token}", data={"name": "Gus", "team": ""})
    pages["guest board"] = client.get(f"/w/{token}/board")
    return pages


def test_every_page_type_sends_a_csp_without_inline_script_and_security_headers(client, auth, db):
    for name, response in _pages(client, auth, db).items():
        csp = response.headers.get("Content-Security-Policy", "")
        script_src = _script_src(csp)
        assert script_src, f"{name}: no script-src/default-src in {csp!r}"
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src, name
        assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp, name
        assert response.headers.get("X-Content-Type-Options") == "nosniff", name
        assert response.headers.get("X-Frame-Options") == "DENY", name
        assert response.headers.get("Referrer-Policy"), name
        if response.mimetype == "text/html":  # no inline <script> with code in any page
            for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", response.get_data(as_text=True), re.S):
                assert "src=" in attrs or 'type="application/json"' in attrs, (name, attrs, body[:80])
            assert not re.search(r"\son[a-z]+\s*=", response.get_data(as_text=True)), f"{name}: inline handler"


def test_user_text_is_escaped_in_server_rendered_pages(client, auth, db):
    auth.setup()
    response, discovery_id = auth.create_discovery(name=f"Platform {XSS}", problem=f"Problem {XSS}")
    assert discovery_id, response.get_data(as_text=True)[:500]
    _, workshop_id = auth.create_workshop(discovery_id, team=f"Team {XSS}")
    for page in ("/", f"/discoveries/{discovery_id}"):
        html = client.get(page).get_data(as_text=True)
        assert XSS not in html and "&lt;script&gt;alert(" in html, page
    from workshop.db.models import Workshop
    with db.session() as session:
        token = session.get(Workshop, workshop_id).join_token
    auth.logout()
    join_page = client.get(f"/w/{token}").get_data(as_text=True)
    assert XSS not in join_page
    client.post(f"/w/{token}", data={"name": f"Eve {XSS}", "team": f"Red {XSS}"})
    board = client.get(f"/w/{token}/board").get_data(as_text=True)
    assert "Eve &lt;script&gt;" in board and XSS not in board
    # the JSON config block cannot be closed early by user text
    config = re.search(r'<script type="application/json" id="board-config">(.*?)</script>', board, re.S).group(1)
    assert "<" not in config and "\\u003cscript\\u003e" in config


def test_forms_are_csrf_protected(app, db):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    for path, data in (("/setup", {"email": "a@example.com", "name": "A", "password": "long enough", "role": "facilitator"}),
                       ("/login", {"email": "a@example.com", "password": "long enough"})):
        response = client.post(path, data=data)
        assert response.status_code == 400, path
        assert "expired or was sent from another site" in response.get_data(as_text=True)
    _, token, _ = make_workshop(db)
    refused = client.post(f"/w/{token}", data={"name": "Mallory"}, headers={"Accept": "application/json"})
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf"
    # with the token from the form, the same POST goes through
    page = client.get(f"/w/{token}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page)
    assert csrf, "the join form has no csrf_token field"
    assert client.post(f"/w/{token}", data={"name": "Grace", "csrf_token": csrf.group(1)}).status_code == 302


def test_session_cookie_is_httponly_and_samesite(client, auth):
    response = auth.setup()
    cookies = [v for k, v in response.headers.items() if k.lower() == "set-cookie"]
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session_cookie and re.search(r"SameSite=(Lax|Strict)", session_cookie)
    remember = [c for c in cookies if c.startswith("remember_token=")]
    for cookie in remember:
        assert "HttpOnly" in cookie


def test_join_tokens_and_participant_secrets_are_unguessable(db):
    tokens = {new_join_token() for _ in range(2000)}
    assert len(tokens) == 2000
    for token in list(tokens)[:50]:
        assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
        assert len(token) * 6 >= 128  # url-safe base64: 6 bits a character, from secrets
    _, token, secret = make_workshop(db)
    _, guest_secret = join(db, token)
    assert len(secret) * 6 >= 128 and len(guest_secret) * 6 >= 128
    # the alphabet is really used (not hex digits or a counter): close to 6 bits of entropy per character
    text = "".join(tokens)
    counts = {c: text.count(c) for c in set(text)}
    entropy = -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())
    assert entropy > 5.9


def test_sign_in_and_join_attempts_are_rate_limited(limited_app):
    db = limited_app.extensions["db"]
    client = limited_app.test_client()
    client.post("/setup", data={"email": "ada@example.com", "name": "Ada", "password": "correct horse",
                                "role": "facilitator"})
    client.post("/logout")
    codes = [client.post("/login", data={"email": "ada@example.com", "password": f"guess {n}"}).status_code
             for n in range(12)]
    assert codes[:10] == [400] * 10 and codes[10:] == [429, 429], codes
    assert "Too many attempts" in client.post("/login", data={}).get_data(as_text=True)
    _, token, _ = make_workshop(db)
    limited_app.config["JOIN_RATE_LIMIT"] = "30 per minute"  # default 300: a whole room behind one NAT
    joins = [client.post(f"/w/{token}", data={"name": f"Bot {n}"}).status_code for n in range(32)]
    assert 429 in joins and joins.index(429) == 30, joins
    limiter_reset()
    guesses = [client.get("/w/" + "g" * 32).status_code for _ in range(22)]
    assert guesses[:20] == [404] * 20 and guesses[20:] == [429, 429], guesses  # guessing links is limited


def limiter_reset():
    from workshop.extensions import limiter
    limiter.reset()


# --- pip-audit ------------------------------------------------------------------------------

def _audit_module():
    """The CI's audit step lives in .ci/audit.py (run by `make audit`); the test drives the same code."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("ci_audit", ROOT / ".ci" / "audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.timeout(300)
def test_pip_audit_finds_no_known_vulnerability_or_skips_when_the_service_is_unreachable():
    audit = _audit_module()
    reachable, why = audit.audit_service_reachable()
    if not reachable:
        pytest.skip(f"pip-audit's vulnerability service is unreachable: {why}")
    if not (os.environ.get("CI") or os.environ.get("RUN_PIP_AUDIT")):
        pytest.skip("pip-audit runs in CI (set RUN_PIP_AUDIT=1 to run it here)")
    assert audit.run_audit() == 0


class _Index:
    """A local stand-in for a package index's JSON API, recording the paths asked."""

    def __init__(self, status: int):
        import http.server
        import threading

        index = self
        self.paths: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                index.paths.append(self.path)
                body = b'{"info": {}, "vulnerabilities": []}' if status == 200 else b"{}"
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/simple/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("status,reachable", [(200, True), (404, False)])
def test_the_audit_probes_the_index_pip_is_configured_with(monkeypatch, status, reachable):
    """Issue 12, item 9: .ci/audit.py names no index host; it asks the index of pip's configuration
    (here PIP_INDEX_URL, which `pip config list` reports) for its per-release JSON API."""
    index = _Index(status)
    try:
        monkeypatch.setenv("PIP_INDEX_URL", index.url)
        audit = _audit_module()
        assert audit.package_index_url() == index.url
        ok, why = audit.audit_service_reachable()
        assert ok is reachable, why
        assert index.paths == ["/pypi/pip/24.0/json"]
    finally:
        index.close()
