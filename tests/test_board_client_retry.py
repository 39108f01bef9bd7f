"""Issue 12, item 2: the board client never retries an op forever. A refusal is final (sent once,
undone, shown); `server_error` / `server_busy` are retried a bounded number of times with growing
waits, then the op is undone and the person told. Runs static/js/board/connection.js under Node
with a fake Socket.IO client (tests/js/)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NODE = shutil.which("node") or "node"  # a requirement of make test (README): missing, the test fails


def _run(tmp_path: Path, scenario: str) -> dict:
    source = (ROOT / "static/js/board/connection.js").read_text()
    source, count = re.subn(r'from "/vendor/socket\.io\.esm\.min\.js"', 'from "./fake_io.mjs"', source)
    assert count == 1, "connection.js no longer imports the vendored Socket.IO client the way this test expects"
    (tmp_path / "connection.mjs").write_text(source)
    for name in ("fake_io.mjs", "connection_driver.mjs"):
        shutil.copy(ROOT / "tests/js" / name, tmp_path / name)
    out = subprocess.run([NODE, str(tmp_path / "connection_driver.mjs"), scenario], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("scenario", ["server_error_result", "server_error_message"])
def test_server_errors_are_retried_a_bounded_number_of_times_then_shown(tmp_path, scenario):
    result = _run(tmp_path, scenario)
    assert result["sends"] == 5, result  # the first try and 4 retries, never more
    assert result["rejected"] == [result["id"]] and result["unsent"] == 0, result
    assert result["waits"][:4] == [1000, 2000, 4000, 8000], result
    assert "could not be saved after 5 tries" in result["errors"][-1]["message"], result


def test_a_refusal_is_final_never_sent_again(tmp_path):
    result = _run(tmp_path, "refusal")
    assert result["sends"] == 1, result
    assert result["rejected"] == [result["id"]] and result["unsent"] == 0
    assert result["errors"][-1]["code"] == "invalid_unicode"


def test_a_transient_server_failure_is_retried_until_it_succeeds(tmp_path):
    result = _run(tmp_path, "transient")
    assert result["sends"] == 3 and result["acked"] == [result["id"]] and result["rejected"] == [], result


@pytest.mark.parametrize("scenario, code", [("board_deleted", "board_deleted"), ("ended_event", "rights_ended")])
def test_a_board_that_ended_is_said_once_and_never_retried(tmp_path, scenario, code):
    """Issue 23, item 3: ops to a deleted board used to be answered `server_error` and retried for
    ever. Now the server tells the socket (`ended`) or refuses the op `board_deleted`: the board says
    so once on its page (onFatal), drops its socket (no reconnect) and sends nothing again."""
    result = _run(tmp_path, scenario)
    assert result["sends"] == 1, result
    assert [f["code"] for f in result["fatal"]] == [code], result
    assert result["disconnects"] == 1 and result["unsent"] == 0, result
    assert result["waits"] == [], result
