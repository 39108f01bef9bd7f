"""workshop/heap.py's settle(): what a serving process loads before it freezes its objects (ADR 0009)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import sys
from workshop import heap
heap.settle()
import gc
print(" ".join(name for name in ("workshop.services.backlog_view", "workshop.export.xlsx", "sklearn")
               if name in sys.modules), gc.get_freeze_count() > 0)
"""


def _settle_in_a_new_process(**settings: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "STORMING_PRELOAD_MODEL": "0", **settings}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


@pytest.mark.parametrize("setting, loaded", [
    ("1", "workshop.services.backlog_view workshop.export.xlsx sklearn True"),
    ("0", "True"),
])
def test_the_backlog_modules_are_loaded_before_the_freeze_unless_left_to_the_first_backlog(setting, loaded):
    assert _settle_in_a_new_process(STORMING_PRELOAD_BACKLOG=setting) == loaded
