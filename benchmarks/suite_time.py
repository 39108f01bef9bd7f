"""Where the test suite's time goes, by area: runs pytest as `make test` does (or as told) with a JUnit
report, then sums each test's time (set-up, call and tear-down) per area and prints a table with the
wall-clock time of the run.

    .venv/bin/python benchmarks/suite_time.py                    # as make test: -n 3 --dist loadfile
    .venv/bin/python benchmarks/suite_time.py -- -p no:xdist     # one process, as before issue 24
    .venv/bin/python benchmarks/suite_time.py --report old.xml   # only read an existing JUnit report
    .venv/bin/python benchmarks/suite_time.py --write-order      # and write tests/module_seconds.json

`make test` hands the test modules to its workers longest first (tests/conftest.py reads
tests/module_seconds.json; the longest-processing-time rule keeps one long module from running alone at
the end): `--write-order` refreshes that file from the run's report.

Areas, by test file: browser (tests/browser), live server (a real `python app.py` or several: the
files in LIVE), aggregation (grouping, backlog frames, rounds, export), and HTTP and services (the
rest). With several workers the areas' sums exceed the wall-clock time: they are process time.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LIVE = {"test_heartbeat", "test_reliability_live", "test_security_live", "test_rights_live", "test_scaleout",
        "test_websocket_server", "test_websocket_exit", "test_account_sockets", "test_poisoned_tick",
        "test_presence", "test_backlog_concurrency", "test_reliability_durability"}
AGGREGATION = {"test_aggregation_fixture", "test_aggregation_pipeline", "test_backlog_frame", "test_reconcile",
               "test_grouping_bridge", "test_grouping_signals", "test_grouping_stability", "test_priority",
               "test_context", "test_rounds", "test_export_xlsx", "test_export_print", "test_export_text",
               "test_blind_backlog"}


def area(classname: str) -> str:
    parts = classname.split(".")
    if "browser" in parts:
        return "browser"
    module = parts[-1] if parts[-1].startswith("test_") else next((p for p in parts if p.startswith("test_")), "")
    if module in LIVE:
        return "live server"
    if module in AGGREGATION:
        return "aggregation and export"
    return "HTTP, services, domain"


def read(report: Path) -> tuple[dict[str, float], dict[str, int]]:
    seconds: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    for case in ET.parse(report).iter("testcase"):
        name = area(case.get("classname", ""))
        seconds[name] += float(case.get("time", 0) or 0)
        counts[name] += 1
    return seconds, counts


def module_seconds(report: Path) -> dict[str, float]:
    """Each test module's time (set-up, call and tear-down of its tests), by its path from the root."""
    seconds: dict[str, float] = defaultdict(float)
    for case in ET.parse(report).iter("testcase"):
        module = case.get("classname", "").split(".")
        while module and not module[-1].startswith("test_"):
            module.pop()
        if module:
            seconds["/".join(module) + ".py"] += float(case.get("time", 0) or 0)
    return dict(sorted(((name, round(value, 1)) for name, value in seconds.items()), key=lambda kv: -kv[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--report", type=Path, help="read this JUnit report instead of running pytest")
    parser.add_argument("--workers", default="3")
    parser.add_argument("--write-order", action="store_true",
                        help="write each module's time to tests/module_seconds.json (make test's order)")
    parser.add_argument("pytest_args", nargs="*", help="after --: arguments for pytest instead of -n/--dist")
    args = parser.parse_args()
    wall = None
    report = args.report
    if report is None:
        report = Path(tempfile.mkdtemp(prefix="suite-time-")) / "junit.xml"
        extra = args.pytest_args or ["-n", args.workers, "--dist", "loadfile", "--no-loadscope-reorder"]
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", *extra]
        print("$", " ".join(command), flush=True)
        started = time.monotonic()
        result = subprocess.run(command, cwd=ROOT)
        wall = time.monotonic() - started
        if result.returncode not in (0, 1):
            return result.returncode
    seconds, counts = read(report)
    print("\n| area | tests | test time (s) | share |\n|---|---:|---:|---:|")
    total = sum(seconds.values())
    for name in sorted(seconds, key=seconds.get, reverse=True):
        print(f"| {name} | {counts[name]} | {seconds[name]:.0f} | {seconds[name] / total:.0%} |")
    print(f"| all | {sum(counts.values())} | {total:.0f} | 100% |")
    if wall is not None:
        print(f"\nwall-clock time of the run: {wall:.0f} s ({wall / 60:.1f} min)")
    if args.write_order:
        target = ROOT / "tests" / "module_seconds.json"
        target.write_text(json.dumps(module_seconds(report), indent=1) + "\n")
        print(f"wrote {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
