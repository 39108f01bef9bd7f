"""The product owner's backlog page: themes ranked, heatmap, chart; and their decisions on themes."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask import session as session_cookie
from flask_login import current_user, login_required

from ..database import get_session
from ..domain.errors import DomainError
from ..domain.kinds import KINDS_BY_KEY
from ..services.discoveries import ensure_can_see

bp = Blueprint("backlog", __name__)


def _services():
    """The aggregation stack (pandas, scikit-learn) loads on first use, not when the app starts."""
    from ..services import backlog, backlog_view
    return backlog, backlog_view


def _reviewed(session, discovery_id: int) -> set[int]:
    from ..services import review
    return review.reviewed_themes(session, discovery_id)


@bp.get("/discoveries/<int:discovery_id>/backlog")
@login_required
def show(discovery_id: int):
    session = get_session()
    discovery = ensure_can_see(session, current_user.account, discovery_id)
    svc, views = _services()
    view = views.backlog_view(session, discovery_id)
    report = view.report  # rounds, lead time, pain by stage and the basis sentence built once, in services
    return render_template("backlog/show.html", discovery=discovery, report=report, themes=view.themes,
                           rounds=report.rounds, basis=report.rounds_basis, gone_line=report.rounds_gone,
                           lead_note=view.lead_note, round_numbers=_round_numbers(report.rounds), lead=view.lead,
                           by_stage=report.pain_by_stage, no_duration=view.no_duration,
                           by_stage_max=_by_stage_max(report.pain_by_stage), shipped=report.shipped,
                           heat=view.heat, heat_rows=view.heat_rows, peak=view.peak, top=view.top, top_max=view.top_max,
                           statuses=svc.STATUSES, kinds=KINDS_BY_KEY, theme_choices=view.theme_choices,
                           ties=_ties(view.report.backlog), reviewed=_reviewed(session, discovery_id),
                           demand=view.demand)


def _ties(backlog) -> dict[str, int]:
    """"2.60" -> how many themes the page shows at that priority, for the priorities shown more than once."""
    if backlog is None or not len(backlog):
        return {}
    shown = backlog["priority"].map(lambda p: "%.2f" % p).value_counts()
    return {p: int(n) for p, n in shown.items() if n > 1}


def _by_stage_max(by_stage) -> float:
    if by_stage is None:
        return 0.0
    values = by_stage[[c for c in by_stage.columns if c.startswith("round_")]].to_numpy()
    return float(values.max()) if values.size else 0.0


def _round_numbers(rounds) -> list[int]:
    if rounds is None:
        return []
    return sorted(int(c.split("_")[1]) for c in rounds.columns if c.startswith("teams_"))


def _back(discovery_id: int, theme_id: int | None = None):
    return redirect(url_for("backlog.show", discovery_id=discovery_id, _anchor=f"t{theme_id}" if theme_id else None))


def _decide(discovery_id: int, theme_id: int | None, action, success: str):
    """Run one decision on a theme for a member of the discovery; report the outcome on the page."""
    session = get_session()
    ensure_can_see(session, current_user.account, discovery_id)
    try:
        action(session, _services()[0])
    except DomainError as error:  # access was checked above; what is left is the decision's own refusal
        flash(error.message, "error")
    else:
        flash(success, "success")
    return _back(discovery_id, theme_id)


def _int(name: str) -> int | None:
    try:
        return int(request.form.get(name, ""))
    except ValueError:
        return None


@bp.post("/discoveries/<int:discovery_id>/themes/<int:theme_id>")
@login_required
def update(discovery_id: int, theme_id: int):
    """Rename, value, effort and status in one form: saved together or not at all."""
    form = request.form
    fields = {name: form[name] for name in ("title", "status") if name in form}
    if "value" in form or "effort" in form:  # the form sends both; an absent one is cleared, as before
        fields.update(value=form.get("value", ""), effort=form.get("effort", ""))
    return _decide(discovery_id, theme_id,
                   lambda session, svc: svc.update_theme(session, discovery_id, theme_id, **fields), "Saved.")


@bp.post("/discoveries/<int:discovery_id>/themes/<int:theme_id>/merge")
@login_required
def merge(discovery_id: int, theme_id: int):
    target = _int("into")
    if target is None:
        flash("Choose the theme to merge into.", "error")
        return _back(discovery_id, theme_id)
    return _decide(discovery_id, target,
                   lambda session, svc: svc.merge_themes(session, discovery_id, target, theme_id), "Themes merged.")


@bp.post("/discoveries/<int:discovery_id>/themes/<int:theme_id>/split")
@login_required
def split(discovery_id: int, theme_id: int):
    ids = request.form.getlist("sticky")
    holder = {}

    def action(session, svc):
        holder["theme"] = svc.split_theme(session, discovery_id, theme_id, ids, request.form.get("title") or None)
    response = _decide(discovery_id, theme_id, action, f"Split {len(ids)} {'sticky' if len(ids) == 1 else 'stickies'} into a new theme.")
    return _back(discovery_id, holder["theme"].id) if "theme" in holder else response


@bp.post("/discoveries/<int:discovery_id>/regroup")
@login_required
def regroup(discovery_id: int):
    return _decide(discovery_id, None, lambda session, svc: svc.regroup(session, discovery_id),
                   "Grouped afresh. Moved stickies, the themes you renamed, estimated or gave a status, and "
                   "every review answer stay as they are; the stickies grouped again did not join them.")


@bp.post("/discoveries/<int:discovery_id>/stickies/move")
@login_required
def move(discovery_id: int):
    sticky_ids = [s for s in request.form.getlist("sticky") if s]
    target = _int("theme")
    if not sticky_ids:
        flash("Select the stickies to move first (the boxes in front of them).", "error")
        return _back(discovery_id)
    if target is None:
        flash("Choose the theme to move the selected stickies to.", "error")
        return _back(discovery_id)
    moved = f"{len(sticky_ids)} stickies moved." if len(sticky_ids) > 1 else "Sticky moved."
    return _decide(discovery_id, target,
                   lambda session, svc: svc.move_stickies(session, discovery_id, sticky_ids, target), moved)


@bp.get("/discoveries/<int:discovery_id>/export.xlsx")
@login_required
def export(discovery_id: int):
    """The workbook as a download (only for the discovery's facilitators, product owners and admins)."""
    from io import BytesIO

    from flask import send_file

    from ..services.export import export_discovery
    session = get_session()
    ensure_can_see(session, current_user.account, discovery_id)
    buffer = BytesIO()
    filename = export_discovery(session, discovery_id, buffer)
    buffer.seek(0)
    return send_file(buffer, as_attachment=True, download_name=filename,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.post("/discoveries/<int:discovery_id>/themes/<int:theme_id>/shipped")
@login_required
def shipped(discovery_id: int, theme_id: int):
    """Mark a theme shipped on a date (or clear it): the next round shows whether its pain went."""
    from ..services.rounds import set_shipped
    day = request.form.get("shipped_on", "")
    return _decide(discovery_id, theme_id, lambda session, _svc: set_shipped(session, discovery_id, theme_id, day),
                   f"Marked shipped on {day}." if day else "No longer marked shipped.")


# --- the guided review (issue 22): one question at a time, every answer kept -----------------------

def _review_service():
    from ..services import review
    return review


def _skipped(discovery_id: int) -> list[str]:
    """The questions skipped for now: from the page's own links and forms, and remembered in this
    browser (`_remember_skips`), so that a reload does not bring a skipped question back first (a new owner
    answered it by mistake on a phone); ``?skip=`` (empty) asks them all again."""
    if "skip" in request.values:
        return _remember_skips(discovery_id, [s for s in request.values.get("skip", "").split(",") if s])
    return list(session_cookie.get(f"review_skip:{discovery_id}") or [])[:50]


def _remember_skips(discovery_id: int, skipped: list[str]) -> list[str]:
    """Kept in this browser's cookie for the session's lifetime (PERMANENT_SESSION_LIFETIME), not only
    until the browser closes: a new owner skipped a question, came back the next day, and it was
    asked first again."""
    skipped = list(skipped)[:50]
    session_cookie[f"review_skip:{discovery_id}"] = skipped
    session_cookie.permanent = True
    return skipped


@bp.get("/discoveries/<int:discovery_id>/review")
@login_required
def review_page(discovery_id: int):
    """"Review the grouping": the next question, the stickies in question beside some of the theme's
    others, Yes / No / Skip (Y, N, S), undo, and what is settled so far."""
    session = get_session()
    discovery = ensure_can_see(session, current_user.account, discovery_id)
    review = _review_service()
    skipped = _skipped(discovery_id)
    upcoming = review.suggestions(session, discovery_id, limit=len(skipped) + 1)
    suggestion = next((s for s in upcoming if s.id not in skipped), None)
    progress = review.progress(session, discovery_id)
    return render_template("backlog/review.html", discovery=discovery, suggestion=suggestion, progress=progress,
                           skip=",".join(skipped), skipped=len(skipped))


def _to_review(discovery_id: int, skip: list[str] | None = None):
    _remember_skips(discovery_id, skip or [])
    return redirect(url_for("backlog.review_page", discovery_id=discovery_id,
                            skip=",".join(skip) if skip else None, _anchor="question"))


def _shown() -> list[str]:
    return [s for s in request.form.get("shown", "").split(",") if s]


def _partial_yes_message(ticked: int, shown: int) -> str:
    if ticked >= shown:
        return "Yes: done, and kept."
    left = shown - ticked
    return (f"Yes for {ticked} of {shown}: done, and kept. The other{'s' if left > 1 else ''} "
            f"{'stay where they were' if left > 1 else 'stays where it was'}, and that is kept too.")


def _ideas_along(review, session, discovery_id: int) -> str:
    """" 1 idea went with the pain points it addresses." when a yes took ideas along (not in the question)."""
    n = review.ideas_along(session, discovery_id)
    return f" {n} idea{'s' if n != 1 else ''} went with the pain points {'it addresses' if n == 1 else 'they address'}." if n else ""


@bp.post("/discoveries/<int:discovery_id>/review/answer")
@login_required
def review_answer(discovery_id: int):
    session = get_session()
    ensure_can_see(session, current_user.account, discovery_id)
    review = _review_service()
    choice = request.form.get("answer", "")
    suggestion_id = request.form.get("suggestion", "")
    skipped = _skipped(discovery_id)
    if choice == "skip":
        return _to_review(discovery_id, skipped + [suggestion_id] if suggestion_id else skipped)
    typed = " ".join(request.form.get("title", "").split())
    # a title typed into the field and then answered with Yes or No (a new owner pressed the big Yes
    # after typing, and lost the title): what they typed is their answer
    retyped = choice in ("yes", "no") and typed and typed != " ".join(request.form.get("title_shown", "").split())
    try:
        if (choice == "title" and typed) or retyped:
            review.retitle(session, discovery_id, suggestion_id, request.form["title"])
            flash("Your title is saved, and kept." if retyped else "Title saved.", "success")
        elif choice == "yes" and request.form.get("choosing") == "1":
            # the ticks beside the stickies in question: a yes for the ticked ones only
            ticked = request.form.getlist("sticky")
            review.answer_some(session, discovery_id, suggestion_id, ticked)
            flash(_partial_yes_message(len(set(ticked)), len(_shown())) + _ideas_along(review, session, discovery_id),
                  "success")
        elif choice in ("yes", "no"):
            review.answer(session, discovery_id, suggestion_id, choice == "yes")
            flash("Yes: done, and kept." + _ideas_along(review, session, discovery_id) if choice == "yes"
                  else "No: kept, it will not be asked again.", "success")
        else:
            flash("Answer with Yes, No or Skip.", "error")
    except DomainError as error:
        flash(error.message, "error")
    return _to_review(discovery_id, skipped)


@bp.post("/discoveries/<int:discovery_id>/review/undo")
@login_required
def review_undo(discovery_id: int):
    session = get_session()
    ensure_can_see(session, current_user.account, discovery_id)
    undone = _review_service().undo_last(session, discovery_id)
    flash("The last answer was taken back." if undone else "No answer to take back.",
          "success" if undone else "error")
    return _to_review(discovery_id, _skipped(discovery_id))
