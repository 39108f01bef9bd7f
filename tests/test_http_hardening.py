"""Issue 12, item 6: the sign-in redirect only follows same-site paths (never a 500), the
remember-me cookie is SameSite=Lax (Secure behind HTTPS), and wrong join links from one address
never lock a valid join from the same address out, while guessing stays limited."""
from __future__ import annotations

import re
import time

import pytest

from tests.board_helpers import make_workshop


@pytest.mark.parametrize("target", [
    "/%09/evil.example/x", "/%0a/evil.example/x", "/%0d%0a/evil.example", "%2F%2Fevil.example", "//evil.example",
    "/%5Cevil.example", "/%5C%5Cevil.example", "https://evil.example/", "http:/evil.example", "/%20/evil.example",
    "javascript:alert(1)", "/x%0aSet-Cookie:%20a=b", "/x%0d%0aLocation:%20//evil.example", "evil.example",
])
def test_sign_in_never_redirects_off_site_and_never_fails(client, signed_in, target):
    signed_in.logout()
    response = client.post(f"/login?next={target}", data={"email": "ada@example.com", "password": "correct horse"})
    assert response.status_code == 302, response.status_code
    location = response.headers["Location"]
    assert location == "/" or location.endswith("//storming.test/"), location


@pytest.mark.parametrize("target", ["/discoveries/new", "/users?tab=people", "/account"])
def test_sign_in_follows_a_same_site_path(client, signed_in, target):
    signed_in.logout()
    response = client.post(f"/login?next={target}", data={"email": "ada@example.com", "password": "correct horse"})
    assert response.status_code == 302 and response.headers["Location"].endswith(target)


def _remember_cookie(response) -> str:
    cookies = [v for k, v in response.headers.items() if k.lower() == "set-cookie"]
    return next(c for c in cookies if c.startswith("remember_token="))


def test_the_remember_cookie_is_samesite_lax_and_httponly(client, auth):
    cookie = _remember_cookie(auth.setup())
    assert re.search(r"SameSite=Lax", cookie) and "HttpOnly" in cookie, cookie
    assert "Secure" not in cookie  # plain HTTP here


def test_behind_https_the_remember_and_session_cookies_are_secure(monkeypatch, tmp_path, migrated_template):
    import shutil

    from workshop import create_app
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    db_path = tmp_path / "secure.db"
    shutil.copy(migrated_template, db_path)
    app = create_app({"TESTING": True, "SECRET_KEY": "s", "DATABASE_URL": f"sqlite:///{db_path}",
                      "AUTO_MIGRATE": False, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    response = app.test_client().post("https://localhost/setup", data={
        "email": "a@example.com", "name": "A", "password": "correct horse", "role": "facilitator"})
    cookie = _remember_cookie(response)
    assert "Secure" in cookie and "SameSite=Lax" in cookie, cookie
    app.extensions["db"].dispose()


def _recorded_pauses(monkeypatch) -> list[float]:
    """The pauses the guessing guard makes (still made, and recorded)."""
    from workshop.web import guessing
    pauses: list[float] = []
    real = guessing.gevent_sleep

    def pause(seconds):
        pauses.append(seconds)
        real(seconds)
    monkeypatch.setattr(guessing, "gevent_sleep", pause)
    return pauses


def _guess(client, paths, pauses) -> tuple[list[int], list[bool], list[bool]]:
    """Each path in turn: its status, whether the guard paused it, whether it took the whole pause."""
    codes, paused, slow = [], [], []
    for path in paths:
        started, before = time.monotonic(), len(pauses)
        codes.append(client.get(path).status_code)
        paused.append(len(pauses) > before)
        slow.append(time.monotonic() - started >= 0.2)
    return codes, paused, slow


def test_wrong_join_links_never_lock_a_valid_join_out_while_guessing_stays_limited(limited_app, monkeypatch):
    """25 wrong links from one address (a mistyped link, or a whole office behind one NAT trying),
    then a valid join from the same address: it opens. Guessing is still limited: past 20 unknown
    links a minute each answer is 429 and slow (JOIN_GUESS_DELAY), one at a time per address."""
    from workshop.extensions import limiter
    limiter.reset()
    limited_app.config["JOIN_GUESS_DELAY"] = 0.2
    pauses = _recorded_pauses(monkeypatch)
    client = limited_app.test_client()
    _, token, _ = make_workshop(limited_app.extensions["db"])
    client.get("/login")  # the app's first request warms it up (not a guess, not timed)
    codes, paused, slow = _guess(client, [f"/w/wrong-link-{n:04d}-xxxxxxxxxxxx" for n in range(25)], pauses)
    assert codes == [404] * 20 + [429] * 5, codes
    # which answers waited is what the app did (a busy machine can make any request take 0.2 s);
    # that the waiting ones took the whole pause is timed
    assert paused == [False] * 20 + [True] * 5 and all(slow[20:])
    assert client.get(f"/w/{token}").status_code == 200
    joined = client.post(f"/w/{token}", data={"name": "Nadia", "team": "Payments"})
    assert joined.status_code == 302 and joined.headers["Location"].endswith(f"/w/{token}/board")
    assert client.get(f"/w/{token}/board").status_code == 200
    assert client.get("/w/still-guessing-xxxxxxxxxxxx").status_code == 429


def test_wrong_invite_links_are_limited_like_join_links_and_never_lock_a_valid_one_out(limited_app, monkeypatch):
    """Issue 23, item 6: 100 requests of /invite/<random> from one address were all 404, never 429,
    though an invitation (or a new-password link, the same route) creates an account's password,
    admins included. Limited the way join links are: past 20 unknown links a minute, slow 429s; a
    valid link from the same address still opens and sets the password."""
    import secrets as token_source

    from workshop.extensions import limiter
    from workshop.services import accounts
    limiter.reset()
    limited_app.config["JOIN_GUESS_DELAY"] = 0.2
    with limited_app.extensions["db"].session() as session:
        admin = accounts.create_first_admin(session, "root@example.com", "Root", "correct horse", "facilitator")
        _, _, token = accounts.invite_user(session, accounts.as_account(admin), "new@example.com", "Nia",
                                           "facilitator", is_admin=True)
    pauses = _recorded_pauses(monkeypatch)
    client = limited_app.test_client()
    codes, paused, slow = _guess(client, [f"/invite/{token_source.token_urlsafe(24)}" for _ in range(25)], pauses)
    assert codes == [404] * 20 + [429] * 5, codes
    assert paused == [False] * 20 + [True] * 5 and all(slow[20:])
    assert client.get(f"/invite/{token}").status_code == 200
    done = client.post(f"/invite/{token}", data={"password": "a fine new one", "repeat": "a fine new one"})
    assert done.status_code == 302
    assert client.get(f"/invite/{token_source.token_urlsafe(24)}").status_code == 429
    # join links keep their own count: guessing invitations does not slow a join
    _, join_token, _ = make_workshop(limited_app.extensions["db"])
    assert client.get(f"/w/{join_token}").status_code == 200
