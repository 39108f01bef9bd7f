"""The wrap-up summary's figures (static/js/board/summary.js, summarise), run under Node."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE = shutil.which("node") or "node"  # a requirement of make test (README)


def summarise(stickies: list[dict], facilitators: list[int]) -> dict:
    script = (f"import {{ summarise }} from '{(ROOT / 'static/js/board/summary.js').as_uri()}';\n"
              f"const kinds = new Map([['event', {{}}], ['pain', {{}}], ['time', {{}}]]);\n"
              f"const s = summarise({json.dumps(stickies)}, {{ kinds, stages: ['A', 'B'], stageAt: (x) => x < 0.5 ? 0 : 1,"
              f" facilitatorIds: new Set({json.dumps(facilitators)}) }});\n"
              "console.log(JSON.stringify({total: s.total, authors: s.authors, facilitatorAuthors: s.facilitatorAuthors,"
              " votes: s.votes}));")
    out = subprocess.run([NODE, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_people_are_counted_as_the_backlog_counts_them_participants_apart_from_facilitators():
    """A walkthrough: the wrap-up said "3 people" where the backlog said "2 participants" (it leaves the
    facilitator out): the summary now counts the facilitator apart."""
    stickies = [{"id": "a", "kind": "event", "x": 0.1, "author_id": 1, "votes": 2},
                {"id": "b", "kind": "pain", "x": 0.6, "author_id": 2, "votes": 1},
                {"id": "c", "kind": "pain", "x": 0.7, "author_id": 3},
                {"id": "d", "kind": "pain", "x": 0.7, "author_id": 4, "private": True},
                {"id": "e", "kind": "time", "x": 0.2, "author_id": 1, "deleted": True}]
    assert summarise(stickies, [1]) == {"total": 3, "authors": 3, "facilitatorAuthors": 1, "votes": 3}
    assert summarise(stickies, [])["facilitatorAuthors"] == 0
