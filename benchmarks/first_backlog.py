"""How long a product owner waits for the demo's first backlog after the server started, with the
embedding model loaded at start (heap.settle, the default) and without (STORMING_PRELOAD_MODEL=0),
alternating in one run:

    PYTHONPATH=. .venv/bin/python benchmarks/first_backlog.py [--rounds 3]

Each round starts a fresh process per variant (a new instance directory, the app as `python app.py`
loads it, heap.settle() included), signs up, loads the demo and times the first and second GET of
its backlog through Flask's test client (no network). Prints one line per process and the medians.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one() -> dict:
    os.environ["INSTANCE_PATH"] = tempfile.mkdtemp()
    from workshop import create_app, heap
    app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "SECRET_KEY": "bench"})
    start = time.perf_counter()
    heap.settle()
    settle = time.perf_counter() - start
    client = app.test_client()
    client.post("/setup", data={"email": "po@example.com", "name": "Po", "password": "correct horse",
                                "role": "facilitator"})
    assert client.post("/demo").status_code == 302
    times = []
    for _ in range(2):
        start = time.perf_counter()
        assert client.get("/discoveries/1/backlog").status_code == 200
        times.append(time.perf_counter() - start)
    return {"settle_s": round(settle, 2), "first_s": round(times[0], 2), "second_s": round(times[1], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one()))
        return
    results: dict[str, list[dict]] = {"preload": [], "no preload": []}
    for round_ in range(args.rounds):
        for name, flag in (("preload", "1"), ("no preload", "0")) if round_ % 2 == 0 else \
                (("no preload", "0"), ("preload", "1")):
            env = {**os.environ, "STORMING_PRELOAD_MODEL": flag, "PYTHONPATH": str(ROOT)}
            out = subprocess.run([sys.executable, __file__, "--one"], cwd=ROOT, env=env, capture_output=True,
                                 text=True, check=True)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            results[name].append(result)
            print(f"round {round_ + 1} {name:10} {result}  load {os.getloadavg()[0]:.2f}", flush=True)
    for name, rows in results.items():
        print(f"{name:10} median: start-up (settle) {statistics.median(r['settle_s'] for r in rows):.2f} s, "
              f"first backlog {statistics.median(r['first_s'] for r in rows):.2f} s, "
              f"second {statistics.median(r['second_s'] for r in rows):.2f} s")


if __name__ == "__main__":
    main()
