"""Runs the board's ES modules under Node: the modules and a driver from tests/js/ are copied into a
folder of their own (a package of type "module"), the driver reads JSON on stdin and prints JSON."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = shutil.which("node") or "node"  # a requirement of make test (README): missing, the test fails


def node_driver(folder: Path, driver: str, modules: list[str]):
    """A function that runs tests/js/`driver` beside static/js/board/`modules` on a JSON payload."""
    for name in modules:
        shutil.copy(ROOT / "static/js/board" / name, folder / name)
    shutil.copy(ROOT / "tests/js" / driver, folder / driver)
    (folder / "package.json").write_text('{"type": "module"}')

    def run(payload):
        out = subprocess.run([NODE, str(folder / driver)], input=json.dumps(payload), capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)
    return run
