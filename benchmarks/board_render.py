"""How fluid the board stays with many stickies: load time, frame times while panning and zooming,
and time for a remote sticky to appear, with a small board (baseline) and a big one, in one run.

    .venv/bin/python benchmarks/board_render.py --stickies 2000 --baseline 50

Real server (`python app.py`), real headless Chromium (/usr/bin/chromium). Prints a table and a JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
KINDS = ["event", "event", "event", "pain", "system", "time", "team", "opportunity"]

MEASURE_FRAMES = """async ({frames, mode}) => {
  const b = window.__board;
  const deltas = [];
  let last = performance.now();
  for (let i = 0; i < frames; i++) {
    if (mode === 'pan') b.viewport.panBy(i % 40 < 20 ? 12 : -12, i % 60 < 30 ? 6 : -6);
    else b.viewport.zoomBy(i % 40 < 20 ? 1.03 : 1 / 1.03);
    await new Promise(r => requestAnimationFrame(r));
    const now = performance.now();
    deltas.push(now - last);
    last = now;
  }
  return deltas;
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run(count: int, browser) -> dict:
    instance = Path(tempfile.mkdtemp(prefix="board-bench-"))
    port = free_port()
    env = {**os.environ, "PORT": str(port), "INSTANCE_PATH": str(instance), "RATELIMIT_ENABLED": "0",
           "SECRET_KEY": "bench"}
    server = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                requests.get(base + "/login", timeout=1, allow_redirects=False)
                break
            except requests.RequestException:
                time.sleep(0.2)
        http = requests.Session()
        token = lambda path: CSRF.search(http.get(base + path).text).group(1)  # noqa: E731
        http.post(base + "/setup", data={"csrf_token": token("/setup"), "name": "Bench", "email": "b@example.com",
                                         "password": "benchmark1", "role": "facilitator"})
        http.post(base + "/discoveries/new", data={"csrf_token": token("/discoveries/new"), "name": "Bench"})
        http.post(base + "/discoveries/1", data={"csrf_token": token("/discoveries/1"), "team": "Payments"})
        db = sqlite3.connect(instance / "workshop.db")
        rows = []
        for i in range(count):
            kind = KINDS[i % len(KINDS)]
            rows.append((str(uuid.uuid4()), 1, kind, f"{kind} sticky number {i} with a few words", (i * 0.618) % 1,
                         (i * 0.377) % 1, 120.0 if kind == "time" else None, 0, 0, 1, "Bench",
                         "2026-11-26 10:00:00+00:00", "2026-11-26 10:00:00+00:00"))
        db.executemany("insert into sticky (id, workshop_id, kind, text, x, y, duration_minutes, private, deleted,"
                       " version, author_name, created_at, updated_at) values (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        db.commit()
        db.close()
        context = browser.new_context(viewport={"width": 1600, "height": 1000})
        context.add_cookies([{"name": c.name, "value": c.value, "url": base} for c in http.cookies])
        page = context.new_page()
        started = time.perf_counter()
        page.goto(base + "/workshops/1/board")
        page.wait_for_function("() => window.__board && window.__board.state.loaded"
                               " && window.__board.connection.status === 'connected'", timeout=120_000)
        page.wait_for_function(f"() => document.querySelectorAll('.sticky').length >= {count}", timeout=120_000)
        load_ms = (time.perf_counter() - started) * 1000
        pan = page.evaluate(MEASURE_FRAMES, {"frames": 180, "mode": "pan"})
        zoom = page.evaluate(MEASURE_FRAMES, {"frames": 120, "mode": "zoom"})
        # a remote change: a second participant's sticky appears on this page
        page.evaluate("() => window.__board.send({type: 'phase.set', phase: 'deepdive'})")
        guest = browser.new_context()
        join = re.search(r'value="(http[^"]+/w/[^"]+)"', http.get(base + "/discoveries/1").text).group(1)
        guest_page = guest.new_page()
        guest_page.goto(join)
        guest_page.fill("input[name=name]", "Guest")
        guest_page.click("button[type=submit]")
        guest_page.wait_for_function("() => window.__board && window.__board.state.loaded"
                                     " && window.__board.connection.status === 'connected'", timeout=60_000)
        page.evaluate("() => { window.__seen = null; new MutationObserver((m, o) => {"
                      " if ([...document.querySelectorAll('.sticky')].some(e => e.textContent.includes('remote-marker')))"
                      " { window.__seen = performance.now(); o.disconnect(); } })"
                      ".observe(document.body, {childList: true, subtree: true, characterData: true}); }")
        sent = page.evaluate("() => performance.now()")
        guest_page.evaluate("""() => window.__board.send({type: 'sticky.create', sticky: {id: crypto.randomUUID(),
            kind: 'opportunity', text: 'remote-marker', x: 0.5, y: 0.5}})""")
        page.wait_for_function("() => window.__seen !== null", timeout=30_000)
        remote_ms = page.evaluate("() => window.__seen") - sent
        guest.close()
        context.close()
        return {"stickies": count, "load_ms": round(load_ms), "pan_p50_ms": round(statistics.median(pan), 1),
                "pan_p95_ms": round(pct(pan, 95), 1), "zoom_p50_ms": round(statistics.median(zoom), 1),
                "zoom_p95_ms": round(pct(zoom, 95), 1), "remote_sticky_ms": round(remote_ms)}
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stickies", type=int, default=2000)
    parser.add_argument("--baseline", type=int, default=50)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        results = [run(args.baseline, browser), run(args.stickies, browser)]
        browser.close()
    print(f"{'stickies':>8} {'load ms':>8} {'pan p50':>8} {'pan p95':>8} {'zoom p50':>9} {'zoom p95':>9} {'remote ms':>9}")
    for r in results:
        print(f"{r['stickies']:>8} {r['load_ms']:>8} {r['pan_p50_ms']:>8} {r['pan_p95_ms']:>8} {r['zoom_p50_ms']:>9}"
              f" {r['zoom_p95_ms']:>9} {r['remote_sticky_ms']:>9}")
    print(json.dumps({"baseline": results[0], "board": results[1]}))


if __name__ == "__main__":
    main()
