"""`flask --app app ...` commands. Each brings the schema up to date first (see create_app)."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask

from .database import get_db, upgrade_schema
from .ports import get_boards
from .domain.errors import DomainError


def _fail(error: DomainError) -> None:
    click.echo(f"Error: {error.message}", err=True)
    sys.exit(2)


def init_app(app: Flask) -> None:
    @app.cli.command("db-upgrade")
    def db_upgrade() -> None:
        """Apply every pending database migration."""
        upgrade_schema(app)
        click.echo(f"Database is up to date ({_safe_url(app.config['DATABASE_URL'])}).")

    @app.cli.command("create-user")
    @click.option("--email", prompt=True)
    @click.option("--name", prompt=True)
    @click.option("--role", type=click.Choice(["facilitator", "product_owner"]), default="facilitator",
                  show_default=True)
    @click.option("--admin", is_flag=True, help="Give the account admin rights.")
    @click.password_option()
    def create_user_command(email, name, role, admin, password) -> None:
        """Add an account (facilitator or product owner)."""
        from .services.accounts import count_users, create_user
        with get_db(app).session() as session:
            try:
                user = create_user(session, email, name, password, role, is_admin=admin or count_users(session) == 0)
            except DomainError as error:
                _fail(error)
            click.echo(f"Created {user.role.replace('_', ' ')} {user.email}{' (admin)' if user.is_admin else ''}.")

    @app.cli.command("deactivate-user")
    @click.argument("email")
    def deactivate_user_command(email) -> None:
        """Deactivate an account: it cannot sign in and its sessions end (the last active admin stays)."""
        _set_active(email, False)

    @app.cli.command("activate-user")
    @click.argument("email")
    def activate_user_command(email) -> None:
        """Reactivate a deactivated account."""
        _set_active(email, True)

    def _set_active(email, active: bool) -> None:
        from .services.accounts import set_active_by_email
        with get_db(app).session() as session:
            try:
                # open board sockets end on every process the message queue reaches
                user = set_active_by_email(session, email, active, boards=get_boards(app))
            except DomainError as error:
                _fail(error)
            click.echo(f"{user.email} is {'active' if active else 'deactivated'}.")

    @app.cli.command("demo")
    def demo_command() -> None:
        """Load a realistic demo discovery (idempotent)."""
        from .services.demo import load_demo
        with get_db(app).session() as session:
            discovery, created = load_demo(session)
            verb = "Loaded" if created else "Already loaded:"
            click.echo(f"{verb} demo discovery {discovery.name!r} (id {discovery.id}).")

    @app.cli.command("import-stickies")
    @click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--discovery", "discovery_name", required=True, help="Discovery name (created if missing).")
    @click.option("--team", required=True, help="The team whose workshop this was.")
    @click.option("--round", "round_number", type=int, default=None,
                  help="The round it belongs to (default: the latest; the next one starts it).")
    @click.option("--held-on", "held_on", metavar="YYYY-MM-DD", default=None,
                  help="The day the workshop was held (default: the day its workshop of the round already has, "
                       "else today).")
    @click.option("--again", is_flag=True, help="Import a file that this team's workshop of the round already holds.")
    def import_stickies_command(csv_file: Path, discovery_name: str, team: str, round_number: int | None,
                                held_on: str | None, again: bool) -> None:
        """Import a workshop's stickies from CSV (kind,text[,stage,position,votes,author,duration]; duration: minutes, or 45m, 4h, 3d, 2w).

        --held-on gives the day the workshop was held; without it, the workshop takes today (or the day its
        workshop of the round already has). A bad day imports nothing."""
        from .services.importer import import_stickies
        with get_db(app).session() as session:
            try:
                with csv_file.open("rb") as handle:
                    result = import_stickies(session, handle, discovery_name, team, held_on=held_on,
                                             round_number=round_number, again=again)
            except DomainError as error:
                _fail(error)
            if result.created_discovery:
                from .db.models import Discovery
                from sqlmodel import select
                others = [d.name for d in session.exec(select(Discovery).where(Discovery.id != result.discovery_id))]
                click.echo(f"Note: no discovery was called {discovery_name!r}, so a new one was created"
                           + (f" (the others: {', '.join(repr(n) for n in sorted(others))})." if others else "."),
                           err=True)
            click.echo(_describe_import(result))

    @app.cli.command("export-backlog")
    @click.option("--discovery", "discovery_name", required=True, help="Discovery name.")
    @click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="Where to write the workbook (default: exports/<discovery>-<date>.xlsx).")
    def export_backlog_command(discovery_name: str, out_path: Path | None) -> None:
        """Write the discovery's prioritised backlog as an Excel workbook and print its path."""
        from .services.export import export_discovery_by_name
        with get_db(app).session() as session:
            with click.progressbar(length=100, label="Writing workbook", file=sys.stderr) as bar:
                state = {"done": 0}

                def progress(done: int, total: int) -> None:
                    pct = int(100 * done / total) if total else 100
                    if pct > state["done"]:
                        bar.update(pct - state["done"])
                        state["done"] = pct
                try:
                    path = export_discovery_by_name(session, discovery_name, out_path,
                                                    Path(app.config["EXPORT_DIR"]), progress)
                except DomainError as error:
                    _fail(error)
            click.echo(str(path))


def _describe_import(result) -> str:
    detail = ", ".join(f"{n} {kind}" for kind, n in sorted(result.by_kind.items()))
    created = " (new discovery)" if result.created_discovery else ""
    held = {"given": "", "workshop": " (the day its workshop had: no --held-on YYYY-MM-DD was given)",
            "today": " (today: no --held-on YYYY-MM-DD was given)"}[result.held_on_from]
    return (f"Imported {result.total} stickies ({detail}) and {result.votes} votes into the workshop of team "
            f"{result.team!r}, round {result.round}, of discovery {result.discovery_name!r}{created}. "
            f"Held on {result.held_on}{held}.")


def _safe_url(url: str) -> str:
    if "@" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
