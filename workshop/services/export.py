"""Export a discovery's backlog as a workbook: the use case behind the download and the CLI."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import IO, Callable

from sqlalchemy import func
from sqlmodel import Session, select

from ..db.models import Discovery
from ..domain.errors import NotFound
from ..export.xlsx import default_export_filename, write_backlog_workbook
from .backlog import build_report
from .review import reviewed_themes


def export_discovery(session: Session, discovery_id: int, target: str | Path | IO[bytes],
                     progress: Callable[[int, int], None] | None = None) -> str:
    """Aggregate the discovery and write its workbook to `target`; returns the file name to offer."""
    report = build_report(session, discovery_id)  # rounds, lead time and pain by stage included
    if len(report.backlog):
        reviewed = reviewed_themes(session, discovery_id)
        report.backlog["reviewed"] = report.backlog["theme_id"].map(lambda t: int(t) in reviewed)
    write_backlog_workbook(report, target, progress)
    return default_export_filename(report.discovery["name"], date.today())


def export_discovery_by_name(session: Session, name: str, out_path: Path | None, export_dir: Path,
                             progress: Callable[[int, int], None] | None = None) -> Path:
    """The CLI's export: find the discovery by name (case-insensitive), write to out_path or exports/."""
    discovery = session.exec(select(Discovery).where(func.lower(Discovery.name) == str(name).strip().lower())).first()
    if discovery is None:
        raise NotFound("unknown_discovery", f"There is no discovery named {name!r}.")
    if out_path is None:
        export_dir.mkdir(parents=True, exist_ok=True)
        out_path = export_dir / default_export_filename(discovery.name, date.today())
    else:
        out_path.parent.mkdir(parents=True, exist_ok=True)
    export_discovery(session, discovery.id, out_path, progress)
    return out_path.resolve()
