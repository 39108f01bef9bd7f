"""Soak: a client offline for 30 s (the issue's figure) while others edit, then back.

Runs the same scenario as tests/test_reliability_live.py::test_offline_client_converges_and_its_queued_ops_apply_once
(which runs SOAK_SECONDS=3 in `make test`) against a real `python app.py` process:

    .venv/bin/python benchmarks/soak_offline.py                 # 30 s offline, 3 editors at 5 ops/s
    .venv/bin/python benchmarks/soak_offline.py --seconds 120 --editors 10

Prints a JSON line; exits non-zero if the client did not converge or a queued op applied twice.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live_server import LiveServer, run_offline_scenario  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--editors", type=int, default=3)
    parser.add_argument("--rate", type=float, default=5.0, help="ops per second per editor")
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="storming-soak-"))
    server = LiveServer(directory)
    try:
        server.start()
        started = time.monotonic()
        summary = run_offline_scenario(server, args.seconds, editors=args.editors, rate_hz=args.rate)
        summary["wall_seconds"] = round(time.monotonic() - started, 1)
        summary["result"] = "converged"
        print(json.dumps(summary))
        return 0
    except AssertionError as error:
        print(json.dumps({"result": "diverged", "error": str(error)[:500]}))
        return 1
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
