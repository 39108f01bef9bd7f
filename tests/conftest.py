"""Fixtures: each test gets its own database (a copy of a once-migrated SQLite file), an app,
an HTTP client, a CLI runner and helpers that act as a person would."""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from workshop.db.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent

# A cheap password hash for the whole run, the server processes it starts included (they inherit the
# environment): scrypt's 0.1 s per hash was most of an account test's time. Production keeps scrypt;
# tests/test_accounts.py checks that default and that no other family is accepted.
os.environ["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:1"
# Most of the servers the tests start never open a backlog: they leave the backlog's modules and the
# embedding model to the first one (workshop/heap.py, 2.5-4 s of each of ~50 starts;
# tests/test_embedding_onnx.py checks the model's preload, tests/test_heap.py the setting).
os.environ["STORMING_PRELOAD_MODEL"] = "0"
os.environ["STORMING_PRELOAD_BACKLOG"] = "0"


MODULE_SECONDS = ROOT / "tests" / "module_seconds.json"
# a module missing from the file (a new one): its tests counted at these typical times
NEW_TEST_SECONDS = {"browser": 4.0, "other": 0.3}


def pytest_collection_modifyitems(config, items):
    """The longest test modules first (the longest-processing-time rule): `make test`'s workers take
    whole modules in this order (`--dist loadfile --no-loadscope-reorder`), so no long browser module is
    left to run alone at the end. Times from tests/module_seconds.json (`make bench-suite` writes it);
    within a module the order stays as written."""
    try:
        measured = json.loads(MODULE_SECONDS.read_text())
    except (OSError, ValueError):
        return
    first_seen: dict[str, int] = {}
    counts: dict[str, int] = {}
    for index, item in enumerate(items):
        module = item.nodeid.split("::", 1)[0]
        first_seen.setdefault(module, index)
        counts[module] = counts.get(module, 0) + 1

    def seconds(module: str) -> float:
        if module in measured:
            return measured[module]
        return counts[module] * NEW_TEST_SECONDS["browser" if "/browser/" in module else "other"]

    items.sort(key=lambda item: (-seconds(module := item.nodeid.split("::", 1)[0]), first_seen[module]))


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def _test_app(tmp_path: Path, template: Path, monkeypatch):
    """An app over a copy of the database file `template`, in its own instance directory."""
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SOCKETIO_MESSAGE_QUEUE", raising=False)
    db_path = tmp_path / "test.db"
    shutil.copy(template, db_path)
    from workshop import create_app
    return create_app({
        "TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": f"sqlite:///{db_path}",
        "AUTO_MIGRATE": False, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
        "EXPORT_DIR": str(tmp_path / "exports"), "SERVER_NAME": "storming.test",
    })


@pytest.fixture
def database_template(request, migrated_template) -> Path:
    """The database file a test's app starts from: empty and migrated, or the demo's (`demo_template`)
    for a test that asks for that fixture, itself or through another (a module's `demo`)."""
    return request.getfixturevalue("demo_template") if "demo_template" in request.fixturenames else migrated_template


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory, migrated_template) -> Path:
    """A database holding the demo discovery as `flask demo` makes it, once per test process: the
    first account (Ada, an admin facilitator, "correct horse") and Pat, a product owner ("another
    pass"), both members; the backlog aggregated once (the demo took 3-5 s per test that made it)."""
    directory = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as monkeypatch:
        app = _test_app(directory, migrated_template, monkeypatch)
        auth = Auth(app.test_client())
        auth.setup()
        auth.add_user("po@example.com", "Pat Owner", "product_owner")
        assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
        assert auth.client.get("/discoveries/1/backlog").status_code == 200
        app.extensions["db"].dispose()
    return directory / "test.db"


@pytest.fixture
def app(tmp_path, database_template, monkeypatch):
    app = _test_app(tmp_path, database_template, monkeypatch)
    yield app
    app.extensions["db"].dispose()


@pytest.fixture
def session():
    """A SQLModel session on a throw-away in-memory database (for service-level tests, no app)."""
    from sqlmodel import SQLModel

    from workshop.db import models  # noqa: F401  (registers the tables)
    from workshop.db.engine import Database
    database = Database("sqlite://")
    SQLModel.metadata.create_all(database.engine)
    with database.session() as s:
        yield s
    database.dispose()


@pytest.fixture
def limited_app(tmp_path, migrated_template, monkeypatch):
    """An app with Flask-Limiter on (the other tests run with RATELIMIT_ENABLED False)."""
    import shutil

    from workshop import create_app
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    db_path = tmp_path / "limited.db"
    shutil.copy(migrated_template, db_path)
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": f"sqlite:///{db_path}",
                      "AUTO_MIGRATE": False, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True,
                      "RATELIMIT_STORAGE_URI": "memory://", "SERVER_NAME": "storming.test"})
    from workshop.extensions import limiter
    limiter.reset()
    yield app
    limiter.reset()
    app.extensions["db"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    return app.extensions["db"]


INVITE_LINK = re.compile(r'value="(https?://[^"]+/invite/[A-Za-z0-9_-]+)"')


def invite_link(html: str) -> str:
    """The one-time link shown on a person's page right after it was made (its path)."""
    match = INVITE_LINK.search(html)
    assert match, "no invite link on the page"
    return "/invite/" + match.group(1).rsplit("/invite/", 1)[1]


class Auth:
    """Acts as a person on the HTTP interface: set up, sign in, create things."""

    def __init__(self, client):
        self.client = client

    def setup(self, email="ada@example.com", name="Ada Facilitator", password="correct horse", role="facilitator"):
        return self.client.post("/setup", data={"email": email, "name": name, "password": password, "role": role})

    def login(self, email="ada@example.com", password="correct horse"):
        return self.client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self.client.post("/logout")

    def add_user(self, email, name, role, password="another pass", is_admin=False):
        """The admin adds a person (who gets a one-time link) and the person sets `password` on the
        link in their own browser. Returns the admin's response to the add."""
        data = {"email": email, "name": name, "role": role}
        if is_admin:
            data["is_admin"] = "on"
        response = self.client.post("/users", data=data)
        if response.status_code == 302:
            link = invite_link(self.client.get(response.headers["Location"]).get_data(as_text=True))
            theirs = self.client.application.test_client()
            accepted = theirs.post(link, data={"password": password, "repeat": password})
            assert accepted.status_code == 302, accepted.get_data(as_text=True)[:500]
        return response

    def create_discovery(self, name="Platform discovery", **fields):
        data = {"name": name, "problem": "Teams wait weeks to ship.", "goal": "2 weeks from idea to production",
                "stages": "Idea\nPlan\nBuild\nTest\nRelease\nOperate", "start_label": "", "end_label": ""}
        data.update(fields)
        response = self.client.post("/discoveries/new", data=data)
        match = re.search(r"/discoveries/(\d+)", response.headers.get("Location", ""))
        return response, int(match.group(1)) if match else None

    def create_workshop(self, discovery_id, team="Payments", template="discovery", held_on="2026-11-20"):
        response = self.client.post(f"/discoveries/{discovery_id}",
                                    data={"team": team, "template": template, "held_on": held_on})
        match = re.search(r"#w(\d+)", response.headers.get("Location", ""))
        return response, int(match.group(1)) if match else None


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def signed_in(auth):
    """An install with its first account (an admin facilitator), signed in."""
    auth.setup()
    return auth
