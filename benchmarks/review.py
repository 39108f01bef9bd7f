"""The guided review measured with a simulated product owner (issue 22).

    .venv/bin/python benchmarks/review.py [--answers 40] [--fixtures infrastructure_platform,...]   (make bench-review)

For each of the four labelled fixtures (tests/fixtures/discoveries): a fresh database (migrated), every
team but the last imported as ``flask import-stickies`` does (services.importer.import_stickies, one
CSV per team), then a simulated owner answers the review's questions through the interface an outside
evaluation drives (workshop.services.review: pain_stickies, next_suggestion, answer): yes exactly when
the suggested change raises the adjusted Rand index of the pain points against the fixture's labels
(a one-off is its own group), no otherwise (a title question moves nothing: always no). Printed per
fixture: ARI at 0, 10, 20, 30 and 40 answers, the answer at which it first reaches 0.80, the yeses,
ARI after "Group afresh" (services.backlog.regroup) at the end, the slowest next question; then the
last team is imported late and the bench counts the reviewed stickies (pinned by a yes) that changed
theme (the goal: none).

Beside it, in the same run, the merge-first baseline of the issue on the same starting grouping (in
memory): walk the broadest themes first; for each, up to 6 "same problem as this neighbour?" checks
(neighbours by average similarity), then "move it to its nearest theme?" for up to 3 of its stickies
that fit least; each check one answer, answered by the same owner.

Finally the time of next_suggestion on a discovery of 200 pain points (the goal: <= 1 s).
The bench is not part of the test suite.
"""
from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlmodel import select  # noqa: E402

from workshop.aggregation.themes import DEFAULT_CONFIG, vectorise  # noqa: E402
from workshop.db.engine import Database  # noqa: E402
from workshop.db.migrate import upgrade  # noqa: E402
from workshop.db.models import Discovery, Sticky, ThemeAssignment, Workshop  # noqa: E402
from workshop.services import backlog as backlog_service  # noqa: E402
from workshop.services import review  # noqa: E402
from workshop.services.importer import DEFAULT_END_LABEL, DEFAULT_START_LABEL, import_stickies  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "discoveries"
DOMAINS = ["infrastructure_platform", "data_ml_platform", "mobile_delivery", "hospital_patient_journey"]
CHECKPOINTS = (0, 10, 20, 30, 40)


def load(name: str) -> tuple[pd.DataFrame, list[str] | None]:
    df = pd.read_csv(FIXTURES / f"{name}.csv", dtype=str, keep_default_na=False)
    df["truth"] = np.where(df["true_theme"] == "singleton", "one-off:" + df["sticky_id"], df["theme"])
    stage_file = FIXTURES / f"{name}.stages.txt"
    stages = None
    if stage_file.exists():
        stages = [line.strip() for line in stage_file.read_text().splitlines()
                  if line.strip() and not line.startswith("#")]
    return df, stages


def team_csv(rows: pd.DataFrame) -> bytes:
    out = io.StringIO()
    rows.loc[:, ["kind", "text", "stage"]].to_csv(out, index=False)
    return out.getvalue().encode()


def fresh_database(folder: Path, name: str) -> Database:
    url = f"sqlite:///{folder / (name + '.db')}"
    upgrade(url)
    return Database(url)


def import_teams(session, df: pd.DataFrame, teams: list[str], discovery: str, stages: list[str] | None) -> int:
    if stages and session.exec(select(Discovery).where(Discovery.name == discovery)).first() is None:
        session.add(Discovery(name=discovery, stages=stages, start_label=DEFAULT_START_LABEL,
                              end_label=DEFAULT_END_LABEL))
        session.commit()
    result = None
    for team in teams:
        result = import_stickies(session, team_csv(df[df["team"] == team]), discovery, team)
    return result.discovery_id


def labels_of(session, discovery_id: int, df: pd.DataFrame) -> dict[str, str]:
    """database sticky id -> the fixture's label, matched by team and text (the importer keeps both)."""
    truth = {(t, x): label for t, x, label in zip(df["team"], df["text"], df["truth"])}
    rows = session.exec(select(Sticky.id, Workshop.team, Sticky.text).join(Workshop, Workshop.id == Sticky.workshop_id)
                        .where(Workshop.discovery_id == discovery_id)).all()
    return {sid: truth.get((team, text), f"unknown:{sid}") for sid, team, text in rows}


def ari(frame: pd.DataFrame, labels: dict[str, str], themes: pd.Series | None = None) -> float:
    themes = frame["theme_id"] if themes is None else themes
    clusters = [f"t{t}" if pd.notna(t) else f"s{s}" for s, t in zip(frame["sticky_id"], themes)]
    return float(adjusted_rand_score([labels[s] for s in frame["sticky_id"]], clusters))


def owner_says_yes(frame: pd.DataFrame, labels: dict[str, str], changes: dict) -> bool:
    """The simulated owner: yes exactly when the change raises ARI against the labels."""
    if not changes:
        return False
    now = frame["theme_id"].astype(object).where(frame["theme_id"].notna(), None)
    after = [changes.get(s, t) if s in changes else t for s, t in zip(frame["sticky_id"], now)]
    after = pd.Series([f"new:{v}" if isinstance(v, str) else v for v in after], dtype=object)
    return ari(frame, labels, after) > ari(frame, labels) + 1e-12


def run_review(db: Database, df: pd.DataFrame, stages, name: str, answers: int) -> dict:
    teams = list(dict.fromkeys(df["team"]))
    early, late = teams[:-1], teams[-1]
    with db.session() as session:
        discovery_id = import_teams(session, df, early, name, stages)
        labels = labels_of(session, discovery_id, df)
        frame = review.pain_stickies(session, discovery_id)
        history = [ari(frame, labels)]
        yeses, slowest, kinds = 0, 0.0, {}
        while len(history) <= answers:
            start = time.perf_counter()
            suggestion = review.next_suggestion(session, discovery_id)
            slowest = max(slowest, time.perf_counter() - start)
            if suggestion is None:
                break
            accepted = owner_says_yes(frame, labels, suggestion.changes)
            review.answer(session, discovery_id, suggestion.id, accepted)
            yeses += accepted
            kinds[suggestion.kind] = kinds.get(suggestion.kind, 0) + 1
            frame = review.pain_stickies(session, discovery_id)
            history.append(ari(frame, labels))
        reviewed = frame.set_index("sticky_id")["theme_id"]
        pinned = {a.sticky_id for a in session.exec(select(ThemeAssignment).where(ThemeAssignment.pinned.is_(True)))}
        pinned &= set(reviewed.index)  # the pain points (a merge pins its opportunities too)
        backlog_service.regroup(session, discovery_id)
        afresh = review.pain_stickies(session, discovery_id)
        after_afresh = ari(afresh, labels)
        moved_by_afresh = int((afresh.set_index("sticky_id")["theme_id"].loc[sorted(pinned)]
                               != reviewed.loc[sorted(pinned)]).sum()) if pinned else 0
        # a late team: reviewed stickies keep their themes
        before_late = afresh.set_index("sticky_id")["theme_id"]
        import_teams(session, df, [late], name, stages)
        labels = labels_of(session, discovery_id, df)
        late_frame = review.pain_stickies(session, discovery_id)
        after_late = late_frame.set_index("sticky_id")["theme_id"]
        moved_by_late = int((after_late.loc[sorted(pinned)] != before_late.loc[sorted(pinned)]).sum()) if pinned else 0
        changed_any = int((after_late.loc[before_late.index] != before_late).sum())
        late_ari = ari(late_frame, labels)
    first = next((i for i, v in enumerate(history) if v >= 0.80), None)
    return {"history": history, "first_080": first, "yes": yeses, "asked": len(history) - 1, "kinds": kinds,
            "afresh": after_afresh, "afresh_moved_pinned": moved_by_afresh, "pinned": len(pinned),
            "late_moved_pinned": moved_by_late, "late_moved_any": changed_any, "late_ari": late_ari,
            "slowest_next_s": slowest}


def merge_first(frame: pd.DataFrame, labels: dict[str, str], similarity: np.ndarray, budget: int) -> list[float]:
    """The issue's baseline, answered by the same owner, one check = one answer."""
    theme = frame["theme_id"].astype("Int64").fillna(-1).astype("int64").to_numpy().copy()
    solo = theme < 0
    theme[solo] = -np.arange(1, solo.sum() + 1) - 10_000_000
    history = [ari(frame, labels, pd.Series(theme))]
    current = history[0]
    visited: set[int] = set()
    next_new = int(theme.max()) + 1

    def ask(candidate: np.ndarray) -> None:
        nonlocal theme, current
        score = ari(frame, labels, pd.Series(candidate))
        if score > current + 1e-12:
            theme, current = candidate, score
        history.append(current)

    while len(history) <= budget:
        sizes = pd.Series(theme).value_counts()
        order = [int(t) for t in sizes.index if int(t) not in visited]
        if not order:
            break
        t = order[0]
        visited.add(t)
        for _ in range(6):
            if len(history) > budget:
                break
            rows = np.flatnonzero(theme == t)
            others = [int(o) for o in pd.unique(theme) if int(o) != t and int(o) not in visited]
            if not others or not len(rows):
                break
            mean = {o: float(similarity[np.ix_(rows, np.flatnonzero(theme == o))].mean()) for o in others}
            neighbour = max(mean, key=mean.get)
            candidate = theme.copy()
            candidate[theme == neighbour] = t
            visited.add(neighbour)  # asked once
            ask(candidate)
        rows = np.flatnonzero(theme == t)
        if len(rows) > 2:
            fit = [(float(similarity[i, rows[rows != i]].mean()), i) for i in rows]
            for _, i in sorted(fit)[:3]:
                if len(history) > budget:
                    break
                others = [int(o) for o in pd.unique(theme) if int(o) != t]
                mean = {o: float(similarity[i, np.flatnonzero(theme == o)].mean()) for o in others}
                best = max(mean, key=mean.get) if mean else None
                candidate = theme.copy()
                candidate[i] = best if best is not None and mean[best] > 0 else next_new
                next_new += 1
                ask(candidate)
    return history


def timing_200(folder: Path) -> float:
    """next_suggestion on a discovery of 200 pain points (two fixtures' teams together), computed afresh
    each time as after an answer (the review's kept state cleared first: asked again unchanged, it is
    a read of the database and the stamp)."""
    frames = []
    for name in DOMAINS[:2]:
        df, _ = load(name)
        frames.append(df.assign(team=name[:5] + " " + df["team"]))
    df = pd.concat(frames, ignore_index=True)
    pains = df[df["kind"] == "pain"]
    keep = pains.groupby("team").head(1_000).head(200)
    df = keep.assign(stage="Build")
    db = fresh_database(folder, "timing")
    with db.session() as session:
        discovery_id = import_teams(session, df, list(dict.fromkeys(df["team"])), "timing", None)
        review.next_suggestion(session, discovery_id)  # aggregated and embedded once
        times = []
        for _ in range(3):
            review._STATES.clear()  # as after an answer: the questions ranked and scored afresh, not kept
            start = time.perf_counter()
            suggestion = review.next_suggestion(session, discovery_id)
            times.append(time.perf_counter() - start)
        n = len(review.pain_stickies(session, discovery_id))
    db.dispose()
    return float(np.median(times)), n, suggestion is not None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, default=40)
    parser.add_argument("--baseline-budget", type=int, default=150)
    parser.add_argument("--fixtures", default=",".join(DOMAINS))
    args = parser.parse_args()
    results, baselines = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in args.fixtures.split(","):
            df, stages = load(name)
            db = fresh_database(folder, name)
            started = time.perf_counter()
            results[name] = run_review(db, df, stages, name, args.answers)
            results[name]["seconds"] = time.perf_counter() - started
            # the baseline from the same starting grouping (a fresh database again, no answers)
            db2 = fresh_database(folder, name + "-baseline")
            with db2.session() as session:
                teams = list(dict.fromkeys(df["team"]))[:-1]
                discovery_id = import_teams(session, df, teams, name, stages)
                labels = labels_of(session, discovery_id, df)
                frame = review.pain_stickies(session, discovery_id)
                embed = backlog_service.cached_embed(session, store=False)
                similarity = vectorise(list(frame["text"]), None, DEFAULT_CONFIG, embed).gram()
            baselines[name] = merge_first(frame, labels, similarity, args.baseline_budget)
            db.dispose()
            db2.dispose()
            r = results[name]
            print(f"{name}: ours {[round(r['history'][min(c, len(r['history']) - 1)], 3) for c in CHECKPOINTS]} "
                  f"first 0.80 at {r['first_080']}, yes {r['yes']}/{r['asked']}, afresh {r['afresh']:.3f}, "
                  f"late moved {r['late_moved_pinned']}/{r['pinned']}, slowest {r['slowest_next_s']:.2f} s; "
                  f"baseline {[round(baselines[name][min(c, len(baselines[name]) - 1)], 3) for c in CHECKPOINTS]}",
                  flush=True)
        seconds, n, _ = timing_200(folder)

    def at(history, c):
        return f"{history[min(c, len(history) - 1)]:.3f}"

    def first(history):
        hit = next((i for i, v in enumerate(history) if v >= 0.80), None)
        return str(hit) if hit is not None else f"> {len(history) - 1}"

    print("\n| fixture | review: ARI at 0 / 10 / 20 / 30 / 40 answers | first >= 0.80 | yes | after Group afresh "
          "(change) | merge-first baseline at 0 / 10 / 20 / 30 / 40 | baseline first >= 0.80 |")
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        h, b = r["history"], baselines[name]
        print(f"| {name} | {' / '.join(at(h, c) for c in CHECKPOINTS)} | {first(h)} | {r['yes']} of {r['asked']} | "
              f"{r['afresh']:.3f} ({r['afresh'] - h[-1]:+.3f}) | {' / '.join(at(b, c) for c in CHECKPOINTS)} | "
              f"{first(b)} |")
    print("\n| fixture | questions by kind | reviewed (pinned) stickies moved by Group afresh / by a late team | "
          "earlier stickies moved by the late team | slowest next question |")
    print("|---|---|---|---|---|")
    for name, r in results.items():
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(r["kinds"].items()))
        print(f"| {name} | {kinds} | {r['afresh_moved_pinned']} / {r['late_moved_pinned']} of {r['pinned']} | "
              f"{r['late_moved_any']} | {r['slowest_next_s']:.2f} s |")
    print(f"\nnext_suggestion on a discovery of {n} pain points: {seconds:.2f} s (median of 3)")
    print(json.dumps({"review": {k: {**v, "history": [round(x, 4) for x in v["history"]]} for k, v in results.items()},
                      "baseline": {k: [round(x, 4) for x in v] for k, v in baselines.items()},
                      "next_200_s": seconds}, default=str))


if __name__ == "__main__":
    main()
