"""The `flask --app app ...` commands, as an operator runs them, on fresh databases."""
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import select

from workshop.db.migrate import upgrade
from workshop.db.models import Sticky, User, Vote, Workshop

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).with_name("flask"))


def run_flask(tmp_path, *args, env_extra=None, input_text=None):
    env = {**os.environ, "INSTANCE_PATH": str(tmp_path / "instance"), "EXPORT_DIR": str(tmp_path / "exports")}
    env.pop("DATABASE_URL", None)
    env.update(env_extra or {})
    return subprocess.run([FLASK, "--app", "app", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          input=input_text, timeout=120)


def test_every_command_works_on_a_fresh_database(tmp_path):
    result = run_flask(tmp_path, "demo")
    assert result.returncode == 0, result.stderr
    assert "Loaded demo discovery 'Platform discovery 2026'" in result.stdout
    assert (tmp_path / "instance" / "workshop.db").exists()
    assert len((tmp_path / "instance" / "secret_key").read_text()) == 64  # generated once, kept
    again = run_flask(tmp_path, "demo")
    assert "Already loaded" in again.stdout
    upgraded = run_flask(tmp_path, "db-upgrade")
    assert upgraded.returncode == 0 and "up to date" in upgraded.stdout


def test_create_user_command_and_its_refusals(runner, db):
    result = runner.invoke(args=["create-user", "--email", "ops@example.com", "--name", "Olu", "--role",
                                 "product_owner", "--password", "longenough"])
    assert result.exit_code == 0, result.output
    with db.session() as session:
        user = session.exec(select(User)).one()
    assert user.role == "product_owner" and user.is_admin  # the first account is the admin
    bad = runner.invoke(args=["create-user", "--email", "nope", "--name", "X", "--password", "longenough"])
    assert bad.exit_code == 2 and "is not an email address" in bad.output


def test_deactivate_and_activate_user_commands(runner, db):
    for email, admin in (("ops@example.com", True), ("fay@example.com", False)):
        runner.invoke(args=["create-user", "--email", email, "--name", "X", "--password", "longenough"]
                      + (["--admin"] if admin else []))
    result = runner.invoke(args=["deactivate-user", "Fay@Example.com"])
    assert result.exit_code == 0 and "fay@example.com is deactivated" in result.output, result.output
    with db.session() as session:
        assert not session.exec(select(User).where(User.email == "fay@example.com")).one().is_active
    result = runner.invoke(args=["activate-user", "fay@example.com"])
    assert result.exit_code == 0 and "fay@example.com is active" in result.output
    last = runner.invoke(args=["deactivate-user", "ops@example.com"])
    assert last.exit_code == 2 and "last active admin" in last.output
    unknown = runner.invoke(args=["deactivate-user", "nobody@example.com"])
    assert unknown.exit_code == 2 and "No account has the email" in unknown.output
    with db.session() as session:
        assert all(user.is_active for user in session.exec(select(User)))


def test_the_is_active_migration_keeps_existing_accounts_active(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url, "0001")
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO user (email, name, password_hash, role, is_admin, created_at) "
                                "VALUES ('old@example.com', 'Old', 'x', 'facilitator', 1, '2026-01-01 00:00:00')"))
    upgrade(url)
    with engine.begin() as connection:
        assert connection.execute(text("SELECT is_active FROM user")).scalar_one() == 1
    engine.dispose()


def test_demo_is_realistic_enough_to_show_value(runner, db):
    runner.invoke(args=["demo"])
    with db.session() as session:
        workshops = session.exec(select(Workshop)).all()
        kinds = {s.kind for s in session.exec(select(Sticky))}
        votes = session.exec(select(Vote)).all()
    assert len({w.team for w in workshops}) >= 8
    assert kinds == {"event", "pain", "system", "time", "team", "opportunity", "note"}
    assert len(votes) > 100


def test_migrations_build_the_same_schema_as_the_models(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import workshop.db.models  # noqa: F401  (every table registered)
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                               "compare_server_default": False})
        differences = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert differences == []  # a table, column, type, index or constraint that a model and the migrations disagree on


def _postgres_available() -> bool:
    try:
        engine = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres", connect_args={"connect_timeout": 2})
        with engine.connect():
            return True
    except Exception:
        return False


def test_database_url_switches_to_postgresql_with_no_code_change(tmp_path):
    if not _postgres_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL at 127.0.0.1:5432 is required in CI")
        pytest.skip("PostgreSQL is not running here")
    name = f"storming_cli_{uuid.uuid4().hex[:8]}"
    admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"
        result = run_flask(tmp_path, "demo", env_extra={"DATABASE_URL": url})
        assert result.returncode == 0, result.stderr
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect() as conn:
            assert conn.execute(text("select count(*) from workshop")).scalar() >= 8
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_import_messages_name_the_team_and_the_discovery_and_list_the_valid_kinds(runner, tmp_path):
    good = tmp_path / "payments.csv"
    good.write_text("kind,text\npain,CAB only on Thursdays\nevent,Ticket raised\n", encoding="utf-8")
    result = runner.invoke(args=["import-stickies", str(good), "--discovery", "Permits", "--team", "Payments"])
    assert result.exit_code == 0, result.output
    assert ("Imported 2 stickies (1 event, 1 pain) and 0 votes into the workshop of team 'Payments', round 1, "
            "of discovery 'Permits' (new discovery).") in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("kind,text\nfoo,nope\n", encoding="utf-8")
    refused = runner.invoke(args=["import-stickies", str(bad), "--discovery", "Permits", "--team", "Search"])
    assert refused.exit_code == 2
    assert "line 2: unknown kind 'foo' (kinds: event, pain, system, time, team, opportunity, note)" in refused.output


def test_import_stickies_takes_the_day_the_workshop_was_held(runner, db, tmp_path):
    """A product owner imported round 2, held weeks before, and the workshop showed today: --held-on
    gives the day, the message says which day it took (and that it is today when none is given), and a
    bad day is refused with nothing imported."""
    from datetime import date, datetime, timezone
    first = tmp_path / "round1.csv"
    first.write_text("kind,text\npain,CAB only on Thursdays\nevent,Ticket raised\n", encoding="utf-8")
    second = tmp_path / "round2.csv"
    second.write_text("kind,text\npain,CAB still only on Thursdays\n", encoding="utf-8")

    before = datetime.now(timezone.utc).date()
    result = runner.invoke(args=["import-stickies", str(first), "--discovery", "Permits", "--team", "Payments"])
    after = datetime.now(timezone.utc).date()
    assert result.exit_code == 0, result.output
    assert any(f"Held on {day} (today: no --held-on YYYY-MM-DD was given)." in result.output
               for day in {before, after}), result.output

    def workshops():
        with db.session() as session:
            return [(w.team, w.round, w.held_on) for w in session.exec(select(Workshop).order_by(Workshop.id))]

    def stickies():
        with db.session() as session:
            return len(session.exec(select(Sticky)).all())

    held = workshops()
    for bad, needle in (("2026-11-31", "'2026-11-31' is not a date"), ("20/11/2026", "'20/11/2026' is not a date"),
                        ("2999-01-01", "2999-01-01 is after today")):
        refused = runner.invoke(args=["import-stickies", str(second), "--discovery", "Permits", "--team", "Payments",
                                      "--round", "2", "--held-on", bad])
        assert refused.exit_code == 2 and f"Error: The day the workshop was held: {needle}" in refused.output, \
            refused.output
        assert "nothing was imported" in refused.output
        assert workshops() == held and stickies() == 2  # round 2 not started, nothing written

    result = runner.invoke(args=["import-stickies", str(second), "--discovery", "Permits", "--team", "Payments",
                                 "--round", "2", "--held-on", "2026-11-20"])
    assert result.exit_code == 0, result.output
    assert "round 2, of discovery 'Permits'. Held on 2026-11-20." in result.output
    assert workshops()[-1] == ("Payments", 2, date(2026, 11, 20))


def test_import_stickies_help_says_how_to_give_the_day_and_what_it_is_without_one(runner):
    help_text = " ".join(runner.invoke(args=["import-stickies", "--help"]).output.split())
    assert "--held-on YYYY-MM-DD" in help_text
    assert "The day the workshop was held" in help_text and "today" in help_text, help_text


def test_import_and_export_commands_end_to_end(tmp_path, runner):
    """In-process (Flask's CLI runner, stdout and stderr apart) over the test app's database: the
    same commands as `flask --app app ...`; test_every_command_works_on_a_fresh_database runs the
    real executable. Seven processes that each loaded the models took 25 s of the suite."""

    def run_flask(_tmp_path, *args):
        result = runner.invoke(args=list(args))
        result.returncode = result.exit_code
        return result

    good = tmp_path / "payments.csv"
    good.write_text("kind,text,stage,position,votes,author\n"
                    "event,Ticket raised,Plan,0.2,,Ana\n"
                    "Hotspot,=waiting 3 weeks for an env,Plan,0.25,4,Ana\n"
                    "technology,Jenkins,Build,,,\n", encoding="utf-8")
    result = run_flask(tmp_path, "import-stickies", str(good), "--discovery", "Imported", "--team", "Payments")
    assert result.returncode == 0, result.stderr
    assert "Imported 3 stickies" in result.stdout and "1 pain" in result.stdout and "4 votes" in result.stdout
    assert "no discovery was called 'Imported', so a new one was created" in result.stderr
    # the same file for the same team again: refused (it would count twice), unless --again
    twice = run_flask(tmp_path, "import-stickies", str(good), "--discovery", "Imported", "--team", "Payments")
    assert twice.returncode == 2 and "already workshop" in twice.stderr and "--again" in twice.stderr
    # a misspelt name says so and names the discovery that exists
    typo = run_flask(tmp_path, "import-stickies", str(good), "--discovery", "Imprted", "--team", "Payments")
    assert typo.returncode == 0 and "the others: 'Imported'" in typo.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("kind,text\nevent,fine\nunicorn,nope\n", encoding="utf-8")
    refused = run_flask(tmp_path, "import-stickies", str(bad), "--discovery", "Imported", "--team", "Search")
    assert refused.returncode == 2 and "line 3" in refused.stderr.lower()
    out = tmp_path / "out" / "backlog.xlsx"
    exported = run_flask(tmp_path, "export-backlog", "--discovery", "imported", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.strip().endswith("backlog.xlsx") and out.exists()
    import openpyxl
    sheet = openpyxl.load_workbook(out)["Stickies"]
    header = [c.value for c in sheet[1]]
    texts = [row[header.index("Text")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "=waiting 3 weeks for an env" in texts  # stored as text, never a formula
    default = run_flask(tmp_path, "export-backlog", "--discovery", "Imported")
    assert default.returncode == 0 and "/exports/imported-backlog-" in default.stdout
    missing = run_flask(tmp_path, "export-backlog", "--discovery", "Nope")
    assert missing.returncode == 2 and "no discovery named" in missing.stderr
