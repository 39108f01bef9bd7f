"""Aggregation at scale: a synthetic discovery, timed and measured at 10, 100, 1000... workshops.

    .venv/bin/python benchmarks/backlog.py --workshops 1000     (make bench-backlog WORKSHOPS=1000)

Each workshop has 300 stickies (about 80 of them pain points and opportunities). Themed texts are
paraphrases of 40 platform pains (synonym swaps, typos, extra words, a team name), plus one-off
complaints (~15%), so most texts are distinct, as on real boards.

Sentence embeddings first: the model's load time, then the first embedding of 1,500 distinct texts
(a 20-workshop discovery's worth, nothing cached), then every distinct text of each size is embedded
into an in-process cache (the database's text_embedding table plays that part in the app), so the
aggregation is timed as it runs once embeddings are cached. Measures the pure aggregation
(workshop.aggregation.backlog.aggregate: propose, reconcile, backlog, heatmap): wall time of one run,
then peak traced memory (tracemalloc) of a second run, plus the process's peak RSS; then the same for
the Excel export of the resulting report (workshop.export.write_backlog_workbook). Prints a table and a final JSON line.
"""
from __future__ import annotations

import argparse
from datetime import datetime, timezone
import json
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workshop.aggregation.backlog import aggregate  # noqa: E402
from workshop.aggregation.embedding import get_embedder  # noqa: E402
from workshop.aggregation.report import STICKY_COLUMNS, WORKSHOP_COLUMNS, BacklogReport  # noqa: E402
from workshop.export import write_backlog_workbook  # noqa: E402

STAGES = ["Idea", "Plan", "Build", "Test", "Release", "Operate"]
SUBJECTS = ["test environment", "staging env", "firewall change", "opening a port", "CAB approval",
            "change request", "flaky e2e tests", "CI pipeline", "build agents", "access request",
            "IAM permissions", "secrets rotation", "db password", "prod logs", "alerting", "dashboards",
            "manual deployment", "release runbook", "wiki docs", "API documentation", "test data",
            "anonymised prod data", "schema migration", "DBA review", "TLS certificate", "cert renewal",
            "CVE scan", "dependency upgrades", "docker base image", "k8s namespace", "DNS entry",
            "load balancer config", "service account", "VPN access", "on-call handover", "rollback",
            "feature flags", "API gateway", "message queue", "cost reports"]
PROBLEMS = ["takes {n} weeks", "needs a ticket and {n} days", "is manual and slow", "blocks us every sprint",
            "is never ready when we need it", "waits for another team", "breaks randomly",
            "needs 3 approvals", "takes ages", "is unclear who owns it"]
EXTRA = ["", "", "", " again", " (every time)", " !!", " - urgent", " for our team", " since Q1"]
ONE_OFF = ["coffee", "parking", "meeting rooms", "laptop", "travel budget", "hiring", "offsite",
           "badge", "printer", "standups", "retro", "timesheets", "licences", "roadmap", "OKRs"]


def typo(text: str, rng: random.Random) -> str:
    if len(text) < 6 or rng.random() > 0.3:
        return text
    i = rng.randrange(1, len(text) - 2)
    return text[:i] + text[i + 1] + text[i] + text[i + 2:]


def synthetic(workshops: int, per_workshop: int = 300, seed: int = 1) -> pd.DataFrame:
    rng = random.Random(seed)
    rows = []
    kinds = ["event"] * 120 + ["pain"] * 60 + ["opportunity"] * 20 + ["system"] * 50 + ["time"] * 25 \
        + ["team"] * 15 + ["note"] * 10
    start = pd.Timestamp("2026-10-01")
    for w in range(workshops):
        team = f"Team {w % max(1, workshops // 2):04d}"
        for i in range(per_workshop):
            kind = kinds[i % len(kinds)]
            if kind in ("pain", "opportunity"):
                if rng.random() < 0.15:
                    text = f"{rng.choice(ONE_OFF)} problem #{rng.randrange(10_000)} in {team}"
                else:
                    subject = SUBJECTS[min(int(rng.paretovariate(1.2)) - 1, len(SUBJECTS) - 1)]
                    text = typo(f"{subject} {rng.choice(PROBLEMS).format(n=rng.randrange(2, 6))}"
                                f"{rng.choice(EXTRA)}", rng)
            else:
                text = f"{kind} {i} of {team}"
            stage = rng.randrange(len(STAGES))
            rows.append((f"w{w}-s{i}", w, f"{team} (2026-10-02)", team, kind, text, STAGES[stage], stage,
                         (stage + rng.random()) / len(STAGES), rng.choice([0, 0, 0, 1, 2]), np.nan, "",
                         start + pd.Timedelta(seconds=i), pd.NA, None, None))
    frame = pd.DataFrame(rows, columns=STICKY_COLUMNS)
    frame["theme_id"] = frame["theme_id"].astype("Int64")
    return frame


def report_of(result, stickies: pd.DataFrame) -> BacklogReport:
    """The report the export writes, from an aggregation (workshops frame derived from the stickies)."""
    counts = stickies.pivot_table(index="workshop_id", columns="kind", values="sticky_id", aggfunc="count",
                                  fill_value=0)
    first = stickies.drop_duplicates("workshop_id").set_index("workshop_id")
    workshops = pd.DataFrame({
        "workshop_id": counts.index, "team": first.loc[counts.index, "team"].to_numpy(),
        "date": pd.Timestamp("2026-10-02").date(), "facilitator": "Priya Raman", "template": "discovery",
        "status": "closed", "participants": 6, "round": 1,
        **{k: counts.get(k, 0).to_numpy() for k in ("event", "pain", "system", "time", "opportunity", "note")},
        "team_stickies": counts.get("team", 0).to_numpy(),
        "votes": stickies.groupby("workshop_id")["votes"].sum().loc[counts.index].to_numpy()})
    by_kind = stickies["kind"].value_counts()
    return BacklogReport(
        discovery={"name": "Synthetic discovery", "problem": "Benchmark", "goal": "Seconds, not minutes",
                   "stages": STAGES, "start_label": "Project starts", "end_label": "Live in production with users"},
        generated_at=datetime.now(timezone.utc), backlog=result.backlog, heatmap=result.heatmap,
        workshops=workshops[WORKSHOP_COLUMNS], stickies=result.stickies,
        totals={"workshops": len(workshops), "teams": int(stickies["team"].nunique()), "participants": 6 * len(workshops),
                "votes": int(stickies["votes"].sum()), "stickies_by_kind": {k: int(v) for k, v in by_kind.items()}})


def measure_export(report: BacklogReport, trace: bool) -> tuple[float, float]:
    """Seconds to write the workbook, and the peak traced MiB of a second (traced) write."""
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        write_backlog_workbook(report, Path(folder) / "backlog.xlsx")
        seconds = time.perf_counter() - start
        peak = 0
        if trace:
            tracemalloc.start()
            write_backlog_workbook(report, Path(folder) / "again.xlsx")
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    return seconds, peak / 2**20


class CachedEmbed:
    """Every distinct text embedded once, kept in a dict (the app keeps them in the database)."""

    def __init__(self, embedder):
        self.embedder, self.cache, self.parts = embedder, {}, embedder.parts

    def fill(self, texts: list[str]) -> float:
        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        start = time.perf_counter()
        for i in range(0, len(missing), 2048):
            self.cache.update(zip(missing[i:i + 2048], self.embedder.embed(missing[i:i + 2048])))
        return time.perf_counter() - start

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.fill(texts)
        return np.vstack([self.cache[t] for t in texts])


def measure_first_embedding(texts: int = 1500) -> dict:
    """Model load, then the first embedding of ``texts`` distinct texts (nothing cached)."""
    start = time.perf_counter()
    embedder = get_embedder()
    load = time.perf_counter() - start
    frame = synthetic(60, seed=7)
    distinct = list(dict.fromkeys(frame.loc[frame["kind"].isin(["pain", "opportunity"]), "text"]))[:texts]
    start, cpu = time.perf_counter(), time.process_time()
    embedder.embed(distinct)
    return {"model": embedder.model_id, "load_seconds": round(load, 2), "texts": len(distinct),
            "first_embedding_seconds": round(time.perf_counter() - start, 2),
            "first_embedding_cpu_seconds": round(time.process_time() - cpu, 2)}


def measure(workshops: int, trace: bool = True, export: bool = True, embed: CachedEmbed | None = None) -> dict:
    stickies = synthetic(workshops)
    themed = int(stickies["kind"].isin(["pain", "opportunity"]).sum())
    texts = stickies.loc[stickies["kind"].isin(["pain", "opportunity"]), "text"]
    distinct = int(texts.nunique())
    embed = embed or CachedEmbed(get_embedder())
    embed_seconds = embed.fill(list(texts))  # not part of the aggregation's time: cached from then on
    start, cpu = time.perf_counter(), time.process_time()
    result = aggregate(stickies, STAGES, embed=embed)  # timed without tracemalloc (it slows Python down several-fold)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    peak = 0
    if trace:
        tracemalloc.start()
        aggregate(stickies, STAGES, embed=embed)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    export_seconds, export_peak = measure_export(report_of(result, stickies), trace) if export else (float("nan"), 0.0)
    return {"workshops": workshops, "stickies": len(stickies), "themed": themed, "distinct_texts": distinct,
            "embedding_seconds_uncached": round(embed_seconds, 2),
            "themes": len(result.backlog), "seconds": round(seconds, 2), "cpu_seconds": round(cpu_seconds, 2), "peak_traced_mib": round(peak / 2**20, 1),
            "export_seconds": round(export_seconds, 2), "export_peak_traced_mib": round(export_peak, 1),
            "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workshops", type=int, default=1000, help="largest size (default 1000)")
    parser.add_argument("--no-trace", action="store_true", help="skip the second, tracemalloc run")
    parser.add_argument("--no-export", action="store_true", help="measure the aggregation only")
    args = parser.parse_args()
    sizes = [n for n in (10, 100, 1000, 10_000) if n < args.workshops] + [args.workshops]
    results = []
    first = measure_first_embedding()
    print(f"embedding model {first['model']}: load {first['load_seconds']} s; first embedding of "
          f"{first['texts']} distinct texts {first['first_embedding_seconds']} s "
          f"({first['first_embedding_cpu_seconds']} s CPU)", flush=True)
    embed = CachedEmbed(get_embedder())
    print("| workshops | stickies | themed | distinct themed texts | embedding s (uncached, once) | themes "
          "| aggregation s (embeddings cached) | aggregation CPU s | aggregation peak traced MiB"
          " | export s | export peak traced MiB | max RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n in sizes:
        r = measure(n, trace=not args.no_trace, export=not args.no_export, embed=embed)
        results.append(r)
        print(f"| {r['workshops']} | {r['stickies']} | {r['themed']} | {r['distinct_texts']} | "
              f"{r['embedding_seconds_uncached']} | {r['themes']} | "
              f"{r['seconds']} | {r['cpu_seconds']} | {r['peak_traced_mib']} | {r['export_seconds']} | {r['export_peak_traced_mib']} | "
              f"{r['max_rss_mib']} |", flush=True)
    print(json.dumps({"benchmark": "backlog_aggregation", "first_embedding": first, "results": results}))


if __name__ == "__main__":
    main()
