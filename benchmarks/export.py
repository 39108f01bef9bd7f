"""Excel export against openpyxl's write-only floor.

Builds a synthetic discovery report (default: 1,000 workshops, 300 stickies each = 300,000 stickies;
pure numpy/pandas, a second or two), then times in the same run:

(a) ours:  workshop.export.write_backlog_workbook(report, path) - everything: column conversion, text
           policy, styles, widths, table, chart, conditional formats, save;
(b) floor: the same header and rows (the same displayed values, every sheet) written by plain
           write-only openpyxl, no styling: ``ws.append(row)`` over Python row tuples prepared
           beforehand, untimed (so the floor pays for no conversion at all), then save.

    .venv/bin/python benchmarks/export.py                 # 1,000 workshops
    .venv/bin/python benchmarks/export.py --workshops 50 --verify

Prints a table (wall-clock and CPU seconds: on a shared machine the CPU ratio is the steadier one)
and a final JSON line. ``--verify`` reads both workbooks back and checks every sheet
holds the same values (slow for big runs). ``--profile`` prints a cProfile of (a).
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workshop.aggregation.report import BacklogReport  # noqa: E402
from workshop.domain.durations import format_duration  # noqa: E402
from workshop.domain.kinds import KINDS_BY_KEY  # noqa: E402
from workshop.export import write_backlog_workbook  # noqa: E402
from workshop.export.xlsx import (BACKLOG_HEADERS, STICKY_HEADERS, WORKSHOP_HEADERS,  # noqa: E402
                                  ONE_ROUND_SHEETS)

STAGES = ["Request", "Approval", "Provisioning", "Build", "Test", "Release", "Operate", "Retire"]
KIND_KEYS = ["event", "pain", "system", "time", "team", "opportunity", "note"]
KIND_P = [0.34, 0.22, 0.12, 0.06, 0.08, 0.12, 0.06]
WORDS = ("ticket approval waits firewall port request manual handoff security review environment "
         "deploy pipeline flaky tests access rights spreadsheet email chase vendor licence budget "
         "sign-off weekend outage rollback config drift secrets vault onboarding laptop account "
         "jira queue priority sprint demo audit compliance change board capacity cloud costs").split()


def _phrases(rng: np.random.Generator, n: int) -> np.ndarray:
    lengths = rng.choice([3, 5, 8, 12, 20, 35], size=n, p=[0.2, 0.3, 0.25, 0.15, 0.07, 0.03])
    words = rng.choice(WORDS, size=int(lengths.sum()))
    out, i = [], 0
    for k in lengths:
        out.append(" ".join(words[i:i + k]).capitalize())
        i += k
    # a few that a spreadsheet would read as formulas, a few multi-line ones, some non-ASCII
    for j in range(0, n, 97):
        out[j] = "=" + out[j]
    for j in range(5, n, 131):
        out[j] = "-" + out[j]
    for j in range(11, n, 53):
        out[j] = out[j] + "\nsecond line"
    for j in range(17, n, 71):
        out[j] = out[j] + " \U0001f525 d\u00e9j\u00e0 vu \u05e9\u05dc\u05d5\u05dd"
    return np.array(out, dtype=object)


def synthetic_report(n_workshops: int = 1000, stickies_per_workshop: int = 300,
                     seed: int = 7) -> BacklogReport:
    rng = np.random.default_rng(seed)
    n_teams = max(1, min(60, n_workshops // 10 or 1))
    teams = np.array([f"Team {i:02d} \u2013 {w}" for i, w in
                      zip(range(n_teams), rng.choice(WORDS, n_teams))], dtype=object)
    ws_ids = np.arange(1, n_workshops + 1)
    ws_team = teams[rng.integers(0, n_teams, n_workshops)]
    ws_date = pd.Timestamp("2026-01-05") + pd.to_timedelta(rng.integers(0, 300, n_workshops), "D")
    ws_label = np.array([f"{t} ({d:%Y-%m-%d})" for t, d in zip(ws_team, ws_date)], dtype=object)

    n = n_workshops * stickies_per_workshop
    w_idx = np.repeat(np.arange(n_workshops), stickies_per_workshop)
    kinds = rng.choice(KIND_KEYS, size=n, p=KIND_P)
    stage_idx = rng.integers(0, len(STAGES), n)
    position = (stage_idx + rng.random(n)) / len(STAGES)
    votable = np.isin(kinds, ["pain", "opportunity"])
    votes = np.where(votable, rng.poisson(1.2, n), 0)
    n_themes = max(1, min(300, n // 1000))
    themed = votable & (rng.random(n) < 0.6)
    theme_id = pd.array(np.where(themed, rng.integers(1, n_themes + 1, n), 0), dtype="Int64")
    theme_id[~themed] = pd.NA
    theme_titles = _phrases(np.random.default_rng(seed + 1), n_themes)
    theme_title = np.where(themed, theme_titles[np.asarray(theme_id.fillna(1), dtype=int) - 1], None)
    pool = _phrases(rng, 20_000)
    text = pool[rng.integers(0, len(pool), n)]
    authors = np.array([f"author{i}@example.org" for i in range(2_000)], dtype=object)
    duration = np.where(kinds == "time", rng.integers(5, 2_000, n).astype(float), np.nan)
    created = pd.Timestamp("2026-01-05 09:00") + pd.to_timedelta(rng.integers(0, 300 * 86_400, n), "s")

    stickies = pd.DataFrame({
        "sticky_id": pd.Series(np.arange(n)).map("s{:07d}".format),
        "workshop_id": ws_ids[w_idx],
        "workshop": ws_label[w_idx],
        "team": ws_team[w_idx],
        "kind": kinds,
        "text": text,
        "stage": np.array(STAGES, dtype=object)[stage_idx],
        "stage_index": stage_idx,
        "position": position,
        "votes": votes,
        "duration_minutes": duration,
        "author": authors[rng.integers(0, len(authors), n)],
        "created_at": created,
        "theme_id": theme_id,
        "theme": theme_title,
    })
    # a tenth point at the sticky before them (deep-dive notes, pain points on their event)
    linked = (rng.random(n) < 0.1) & (np.arange(n) > 0)
    stickies["link_to"] = np.where(linked, stickies["sticky_id"].shift(1), None)

    kind_counts = pd.crosstab(stickies["workshop_id"], stickies["kind"]).reindex(
        index=ws_ids, columns=KIND_KEYS, fill_value=0)
    workshops = pd.DataFrame({
        "workshop_id": ws_ids, "round": 1, "team": ws_team, "date": ws_date.date,
        "facilitator": rng.choice(["Ana", "Bob", "Chen", "D\u00e9bora"], n_workshops),
        "template": rng.choice(["Path to production", "Onboarding", "Incident"], n_workshops),
        "status": "closed", "participants": rng.integers(3, 15, n_workshops),
        **{("team_stickies" if k == "team" else k): kind_counts[k].to_numpy() for k in KIND_KEYS},
        "votes": stickies.groupby("workshop_id")["votes"].sum().reindex(ws_ids, fill_value=0).to_numpy(),
    })

    th = stickies[themed]
    grouped = th.groupby("theme_id")
    backlog = pd.DataFrame({
        "theme_id": grouped.size().index.astype(int),
        "title": theme_titles[grouped.size().index.astype(int) - 1],
        "teams": grouped["team"].agg(lambda s: sorted(set(s))).to_numpy(),
        "team_count": grouped["team"].nunique().to_numpy(),
        "workshops": grouped["workshop"].agg(lambda s: sorted(set(s))[:20]).to_numpy(),
        "workshop_count": grouped["workshop_id"].nunique().to_numpy(),
        "sticky_count": grouped.size().to_numpy(),
        "pain_count": grouped["kind"].agg(lambda s: int((s == "pain").sum())).to_numpy(),
        "opportunity_count": grouped["kind"].agg(lambda s: int((s == "opportunity").sum())).to_numpy(),
        "votes": grouped["votes"].sum().to_numpy(),
        "stages": grouped["stage_index"].agg(lambda s: [STAGES[i] for i in sorted(set(s))]).to_numpy(),
    })
    k = len(backlog)
    backlog["value"] = pd.array(np.where(rng.random(k) < 0.8, rng.integers(1, 6, k), 0), dtype="Int64")
    backlog.loc[backlog["value"] == 0, "value"] = pd.NA
    backlog["effort"] = pd.array(rng.integers(1, 6, k), dtype="Int64")
    backlog["priority"] = (backlog["votes"] * backlog["team_count"] / backlog["effort"].astype(float)).round(3)
    backlog["quick_win"] = (backlog["effort"] <= 2) & (backlog["value"].fillna(0) >= 4)
    backlog["status"] = rng.choice(["proposed", "accepted", "in progress"], k)
    backlog = backlog.sort_values("priority", ascending=False, kind="stable").reset_index(drop=True)
    backlog.insert(0, "rank", np.arange(1, k + 1))

    pains = stickies[stickies["kind"] == "pain"]
    heatmap = pd.crosstab(pains["team"], pains["stage"]).reindex(columns=STAGES, fill_value=0)

    totals = {
        "workshops": n_workshops, "teams": n_teams,
        "participants": int(workshops["participants"].sum()), "votes": int(votes.sum()),
        "stickies_by_kind": stickies["kind"].value_counts().to_dict(),
    }
    return BacklogReport(
        discovery={"name": "Path to production", "problem": "Getting a change live takes 6 weeks.",
                   "goal": "One day from merge to production.", "stages": STAGES,
                   "start_label": "Idea", "end_label": "In production"},
        generated_at=datetime(2026, 11, 26, 9, 30), backlog=backlog, heatmap=heatmap,
        workshops=workshops, stickies=stickies, totals=totals)


# ---- the floor --------------------------------------------------------------------------------------

def floor_frames(report: BacklogReport) -> dict[str, pd.DataFrame]:
    """Per data sheet, a frame holding exactly the values our export displays (prepared untimed)."""
    join = lambda v: ", ".join(v) if isinstance(v, (list, tuple, np.ndarray)) else v  # noqa: E731
    b = report.backlog
    backlog_source = dict(zip(
        ["Rank", "Theme ID", "Theme", "Teams", "Workshops", "Stickies", "Votes", "Stages", "Value", "Effort",
         "Priority", "Quick win", "Status", "Pain points", "Ideas", "Team names", "Workshop names"],
        ["rank", "theme_id", "title", "team_count", "workshop_count", "sticky_count", "votes", "stages",
         "value", "effort", "priority", "quick_win", "status", "pain_count", "opportunity_count", "teams",
         "workshops"]))
    reviewed = b["reviewed"] if "reviewed" in b.columns else pd.Series(False, index=b.index)
    backlog = pd.DataFrame({h: reviewed.map(lambda v: True if v is True else None) if h == "Reviewed"
                            else b[backlog_source[h]].map(join)
                            if backlog_source[h] in ("stages", "teams", "workshops") else b[backlog_source[h]]
                            for h in BACKLOG_HEADERS})
    heat = report.heatmap.reset_index().rename(columns={report.heatmap.index.name or "index": "Team"})
    heat.columns = ["Team", *map(str, report.heatmap.columns)]
    heat["Total"] = report.heatmap.sum(axis=1).to_numpy()
    w = report.workshops
    kind_cols = ["event", "pain", "system", "time", "team_stickies", "opportunity", "note"]
    workshop_source = {
        "Workshop ID": w["workshop_id"], "Round": w["round"], "Team": w["team"], "Date": w["date"], "Facilitator": w["facilitator"],
        "Template": w["template"], "Status": w["status"], "Participants": w["participants"],
        **{h: w[c] for h, c in zip(WORKSHOP_HEADERS[WORKSHOP_HEADERS.index("Events"):], kind_cols)},
        "Stickies": w[kind_cols].sum(axis=1), "Votes": w["votes"]}
    workshops = pd.DataFrame({h: workshop_source[h] for h in WORKSHOP_HEADERS})
    s = report.stickies
    labels = {k: v.label for k, v in KINDS_BY_KEY.items()}
    sticky_source = {
        "Round": s["workshop_id"].map(dict(zip(w["workshop_id"], w["round"]))).fillna(1).astype("int64"),
        "Sticky ID": s["sticky_id"], "Workshop": s["workshop"], "Team": s["team"],
        "Kind": s["kind"].map(labels), "Text": s["text"], "Stage": s["stage"], "Position": s["position"],
        "Votes": s["votes"], "Theme ID": s["theme_id"], "Theme": s["theme"], "Created": s["created_at"],
        "Author": s["author"], "Duration (min)": s["duration_minutes"],
        "Duration": s["duration_minutes"].map(format_duration),
        "Linked to": s["link_to"].map(dict(zip(s["sticky_id"], s["text"])))}
    stickies = pd.DataFrame({h: sticky_source[h] for h in STICKY_HEADERS})
    return {"Backlog": backlog, "Heatmap": heat, "Workshops": workshops, "Stickies": stickies}


def floor_rows(frames: dict[str, pd.DataFrame]) -> dict[str, list[tuple]]:
    """The frames as Python row tuples (NaN/NA -> None, Timestamp -> datetime); prepared untimed."""
    out = {}
    for name, df in frames.items():
        obj = df.astype(object)
        obj = obj.where(obj.notna(), None)
        for col in obj.columns:
            if any(isinstance(v, pd.Timestamp) for v in obj[col].head(50)):
                obj[col] = [None if v is None else v.to_pydatetime() for v in obj[col]]
        out[name] = [tuple(df.columns), *obj.itertuples(index=False, name=None)]
    return out


def write_floor(rows: dict[str, list[tuple]], summary_rows: list[list], path: str) -> None:
    """The floor: plain write-only openpyxl, no styling, rows appended as they are."""
    from openpyxl import Workbook
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Summary")
    for row in summary_rows:
        ws.append(row)
    for name, sheet_rows in rows.items():
        ws = wb.create_sheet(name)
        for row in sheet_rows:
            ws.append(row)
    wb.save(path)


def _read_back(path: str) -> dict[str, list[tuple]]:
    from openpyxl import load_workbook
    wb = load_workbook(path, read_only=True)
    out = {name: [tuple(r) for r in wb[name].iter_rows(values_only=True)] for name in wb.sheetnames}
    wb.close()
    return out


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workshops", type=int, default=1000)
    ap.add_argument("--stickies-per-workshop", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=1, help="runs of each; the best is reported")
    ap.add_argument("--verify", action="store_true", help="read both back and compare values")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    report = synthetic_report(args.workshops, args.stickies_per_workshop)
    frames = floor_frames(report)
    rows = floor_rows(frames)
    t_build = time.perf_counter() - t0
    summary_rows = [["Discovery", report.discovery["name"]], ["Problem statement", report.discovery["problem"]]]

    tmp = tempfile.mkdtemp(prefix="export-bench-")
    ours_path, floor_path = os.path.join(tmp, "ours.xlsx"), os.path.join(tmp, "floor.xlsx")
    ours_t, floor_t, ours_cpu, floor_cpu = [], [], [], []
    for _ in range(args.repeat):
        t, c = time.perf_counter(), time.process_time()
        write_floor(rows, summary_rows, floor_path)
        floor_t.append(time.perf_counter() - t)
        floor_cpu.append(time.process_time() - c)
        t, c = time.perf_counter(), time.process_time()
        if args.profile:
            prof = cProfile.Profile()
            prof.runcall(write_backlog_workbook, report, ours_path)
        else:
            write_backlog_workbook(report, ours_path)
        ours_t.append(time.perf_counter() - t)
        ours_cpu.append(time.process_time() - c)
    if args.profile:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)

    verified = None
    if args.verify:
        ours, floor = _read_back(ours_path), _read_back(floor_path)
        assert list(ours) == list(ONE_ROUND_SHEETS), list(ours)
        for name in ONE_ROUND_SHEETS[1:]:
            a, b = ours[name], floor[name]
            if name == "Backlog":  # the table keeps a blank row when empty; none here
                pass
            assert len(a) == len(b), (name, len(a), len(b))
            for ra, rb in zip(a, b):
                ra, rb = list(ra), list(rb)
                # the floor stores formula-like text as formulas: compare the text
                for i, (x, y) in enumerate(zip(ra, rb)):
                    if isinstance(x, float) or isinstance(y, float):
                        assert x is not None and y is not None and abs(x - y) < 1e-9, (name, ra, rb)
                    else:
                        assert x == y, (name, i, x, y)
        verified = True

    n_rows = sum(len(f) + 1 for f in frames.values())
    result = {
        "benchmark": "excel_export", "workshops": args.workshops,
        "stickies": len(report.stickies), "rows": n_rows, "build_report_s": round(t_build, 2),
        "ours_s": round(min(ours_t), 2), "floor_s": round(min(floor_t), 2),
        "ratio": round(min(ours_t) / min(floor_t), 3),
        "ours_cpu_s": round(min(ours_cpu), 2), "floor_cpu_s": round(min(floor_cpu), 2),
        "cpu_ratio": round(min(ours_cpu) / min(floor_cpu), 3),
        "ours_mb": round(os.path.getsize(ours_path) / 1e6, 1),
        "floor_mb": round(os.path.getsize(floor_path) / 1e6, 1), "verified": verified,
    }
    print(f"{'':30}{'wall s':>9}{'CPU s':>9}{'MB':>7}")
    print(f"{'report + floor rows (untimed)':30}{t_build:>9.2f}")
    print(f"{'floor: plain write-only':30}{min(floor_t):>9.2f}{min(floor_cpu):>9.2f}{result['floor_mb']:>7}")
    print(f"{'ours: write_backlog_workbook':30}{min(ours_t):>9.2f}{min(ours_cpu):>9.2f}{result['ours_mb']:>7}")
    print(f"{'ratio ours / floor':30}{result['ratio']:>9.3f}{result['cpu_ratio']:>9.3f}")
    print(json.dumps(result))
    for p in (ours_path, floor_path):
        os.unlink(p)
    os.rmdir(tmp)
    return result


if __name__ == "__main__":
    main()
