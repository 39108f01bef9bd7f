"""Real-time board benchmark: N participants on one workshop, our server against a bare relay.

    .venv/bin/python benchmarks/realtime.py --participants 300 --seconds 20
    (or: make bench-realtime PARTICIPANTS=300 SECONDS=20)

For each server, in the same run and on the same machine:
  1. a fresh instance directory (our server only: a SQLite DB with one workshop in the "deepdive"
     phase, a facilitator seat and N guests, created through the services as the tests do);
  2. the server as a subprocess on a free loopback port (`python app.py`, or
     benchmarks/relay_server.py for the baseline);
  3. benchmarks/realtime_load.mjs under Node.js: N + 1 socket.io-client connections in one process
     (one clock), each guest one durable op per second and its cursor at 10 Hz, the facilitator
     switching between the deepdive and vote phases; it prints one JSON line of results;
  4. the server's CPU (utime + stime from /proc/<pid>/stat over the load window) and memory
     (VmRSS sampled every 0.25 s, VmHWM from /proc/<pid>/status); then the server is stopped.

Latency of an op = the latest arrival among ALL other clients minus the moment the sender emitted
it. Lost = acknowledged ops that some other client never received (must be 0).
Ends by printing one JSON line (the summary).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- setup (runs in a child process: `realtime.py --setup DIR N`) ------------------------------

def setup_instance(instance: str, participants: int) -> dict:
    os.environ["INSTANCE_PATH"] = instance
    os.environ.setdefault("SECRET_KEY", "bench")
    sys.path.insert(0, str(ROOT))
    from workshop import create_app
    from workshop.database import get_db
    from workshop.db.models import User, Workshop
    from workshop.domain.permissions import Account
    from workshop.services import discoveries as svc

    db = get_db(create_app())
    with db.session() as session:
        user = User(email="bench-facilitator@example.com", name="Fran Facilitator", password_hash="x",
                    role="facilitator", is_admin=False)
        session.add(user)
        session.commit()
        account = Account(user.id, "facilitator", False)
        discovery = svc.create_discovery(session, account, name="Realtime benchmark")
        workshop = svc.create_workshop(session, account, discovery.id, "Payments", "discovery")
        _, facilitator_secret = svc.facilitator_seat(session, account, user.name, workshop.id)
        row = session.get(Workshop, workshop.id)
        row.phase = "deepdive"  # guests may create notes, opportunities and pain points
        session.add(row)
        session.commit()
        token, workshop_id = workshop.join_token, workshop.id
        secrets = [svc.join_as_guest(session, token, f"Guest {i:03d}")[1] for i in range(participants)]
    db.dispose()
    return {"workshop_id": workshop_id, "token": token, "facilitator_secret": facilitator_secret,
            "secrets": secrets}


# --- process helpers -----------------------------------------------------------------------------

NICE = 0


def _niced() -> None:
    """Run in the child: its own session, hence its own scheduler autogroup, and the niceness."""
    os.setsid()
    if NICE:
        os.nice(NICE)  # a negative value needs root


def prioritise(pid: int) -> None:
    """With CONFIG_SCHED_AUTOGROUP (sched_autogroup_enabled=1) CPU is shared between sessions first
    and nice only counts inside one; so the child gets its own session and the niceness is also set
    on its autogroup. Without this, on a machine shared with other work, the server and the load
    generator share one session's slice and the figures measure the neighbours."""
    if NICE:
        try:
            Path(f"/proc/{pid}/autogroup").write_text(str(NICE))
        except OSError:
            pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start listening")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14 and 15)


def status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs, from /proc/stat: what else runs on the machine shows here."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_load(server: subprocess.Popen, config: dict, workdir: Path, profile: str | None = None) -> dict:
    """Run the Node load generator against a started server; add the server's CPU and memory."""
    config_path = workdir / f"load-{config['mode']}.json"
    config_path.write_text(json.dumps(config))
    node = subprocess.Popen(["node", str(ROOT / "benchmarks" / "realtime_load.mjs"), str(config_path)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True, preexec_fn=_niced)
    prioritise(node.pid)
    pid = server.pid
    marks: dict[str, tuple[float, float]] = {}
    rss_peak = [0]
    sampling = threading.Event()
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            if sampling.is_set():
                try:
                    rss_peak[0] = max(rss_peak[0], status_kb(pid, "VmRSS"))
                except OSError:
                    pass
            time.sleep(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    result, spy = None, None
    rss_before = status_kb(pid, "VmRSS")
    for line in node.stdout:
        line = line.strip()
        if line.startswith("#MARK "):
            name = line.split()[1]
            marks[name] = (time.monotonic(), cpu_seconds(pid), machine_ticks(), cpu_seconds(node.pid))
            if name == "load_start" and profile:
                spy = subprocess.Popen([str(Path(PY).parent / "py-spy"), "record", "-p", str(pid), "-r", "50",
                                        "-d", str(config["seconds"]), "-f", "raw", "-o", profile],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if name == "load_start":
                rss_before = status_kb(pid, "VmRSS")
                sampling.set()
            elif name == "load_end":
                sampling.clear()
        elif line.startswith("{"):
            result = json.loads(line)
    node.wait()
    done.set()
    if spy is not None:
        try:
            spy.wait(30)
        except subprocess.TimeoutExpired:
            spy.kill()
    if result is None or "load_start" not in marks or "load_end" not in marks:
        raise RuntimeError(f"load generator failed (exit {node.returncode})")
    (t0, c0, m0, n0), (t1, c1, m1, n1) = marks["load_start"], marks["load_end"]
    result["server_cpu_percent"] = round(100 * (c1 - c0) / (t1 - t0), 1)  # 100 = one core busy
    # all CPUs of the machine, 100 = every core busy; anything beyond server + load generator is
    # other work on the machine (the benchmark shares it)
    result["machine_busy_percent"] = round(100 * (m1[0] - m0[0]) / max(1, m1[1] - m0[1]), 1)
    result["others_cpu_percent"] = round(
        100 * (m1[0] - m0[0]) / CLK_TCK / (t1 - t0) - 100 * (c1 - c0 + n1 - n0) / (t1 - t0), 1)
    result["loadavg_1m"] = float(Path("/proc/loadavg").read_text().split()[0])
    result["server_rss_mb_before"] = round(rss_before / 1024, 1)
    result["server_rss_mb_peak"] = round(max(rss_peak[0], rss_before) / 1024, 1)
    result["server_hwm_mb"] = round(status_kb(pid, "VmHWM") / 1024, 1)
    return result


def bench_ours(args, workdir: Path) -> dict:
    instance = workdir / "instance"
    instance.mkdir()
    setup = subprocess.run([PY, __file__, "--setup", str(instance), str(args.participants)],
                           cwd=ROOT, capture_output=True, text=True, check=True)
    info = json.loads(setup.stdout.strip().splitlines()[-1])
    port = free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "INSTANCE_PATH": str(instance),
           "RATELIMIT_ENABLED": "0", "SECRET_KEY": "bench", "BOARD_TICK_MS": str(args.tick_ms)}
    log = open(workdir / "server.log", "w")
    server = subprocess.Popen([PY, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                              preexec_fn=_niced)
    prioritise(server.pid)
    try:
        wait_for_port(port, server)
        return run_load(server, {
            "mode": "app", "url": f"http://127.0.0.1:{port}", "token": info["token"],
            "secrets": info["secrets"], "facilitatorSecret": info["facilitator_secret"],
            "seconds": args.seconds, "cursorHz": args.cursor_hz}, workdir, args.py_spy)
    finally:
        stop(server)
        log.close()


def bench_relay(args, workdir: Path) -> dict:
    port = free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port)}
    log = open(workdir / "relay.log", "w")
    server = subprocess.Popen([PY, str(ROOT / "benchmarks" / "relay_server.py"), "--cursors", args.relay_cursors],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                              preexec_fn=_niced)
    prioritise(server.pid)
    try:
        wait_for_port(port, server)
        secrets = [f"relay-secret-{i:04d}-xxxxxxxx" for i in range(args.participants)]
        return run_load(server, {
            "mode": "relay", "url": f"http://127.0.0.1:{port}", "token": "relay", "secrets": secrets,
            "facilitatorSecret": "relay-facilitator-xxxxxxxx", "seconds": args.seconds, "cursorHz": args.cursor_hz}, workdir)
    finally:
        stop(server)
        log.close()


def fmt(value) -> str:
    return "-" if value is None else str(value)


def print_table(rows: list[tuple[str, dict]]) -> None:
    cols = [("server", None), ("N", "participants"), ("sent", "ops_sent"), ("acked", "ops_acked"),
            ("refused", "ops_refused"), ("lost", "ops_lost"), ("p50 ms", "p50_ms"), ("p99 ms", "p99_ms"),
            ("max ms", "max_ms"), ("ack p99", "ack_p99_ms"), ("cursor p50", "cursor_p50_ms"),
            ("cursor p99", "cursor_p99_ms"), ("cursor dlv", "cursor_delivery"),
            ("CPU %", "server_cpu_percent"), ("RSS MB", "server_rss_mb_peak"),
            ("loadgen CPU %", "loadgen_cpu_percent"), ("others CPU %", "others_cpu_percent"),
            ("load1", "loadavg_1m")]
    table = [[h for h, _ in cols]]
    for name, result in rows:
        table.append([name] + [fmt(result.get(key)) for _, key in cols[1:]])
    widths = [max(len(row[i]) for row in table) for i in range(len(cols))]
    for row in table:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths)))


def main() -> None:
    parser = argparse.ArgumentParser(description="Real-time board benchmark (ours vs a bare relay).")
    parser.add_argument("--participants", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--cursor-hz", type=float, default=10, help="cursor moves per participant per second")
    parser.add_argument("--tick-ms", type=int, default=25, help="BOARD_TICK_MS for our server")
    parser.add_argument("--relay-cursors", choices=("tick", "naive"), default="tick",
                        help="tick: the relay batches cursors per 25 ms like ours; naive: one emit per cursor")
    parser.add_argument("--skip-relay", action="store_true")
    parser.add_argument("--py-spy", metavar="FILE", help="profile our server during the load (collapsed stacks)")
    parser.add_argument("--nice", type=int, default=0,
                        help="niceness of the servers and the load generator (e.g. -10 on a shared machine; needs root)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, DB)")
    parser.add_argument("--setup", nargs=2, metavar=("INSTANCE", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        print(json.dumps(setup_instance(args.setup[0], int(args.setup[1]))))
        return
    global NICE
    NICE = args.nice
    if shutil.which("node") is None:
        sys.exit("Node.js is required (node not on PATH)")

    workdir = Path(tempfile.mkdtemp(prefix="bench-realtime-"))
    try:
        ours = bench_ours(args, workdir)
        relay = None if args.skip_relay else bench_relay(args, workdir)
    finally:
        if args.keep:
            print(f"work directory kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    rows = [("ours", ours)] + ([("relay", relay)] if relay else [])
    print(f"\nReal-time board: {args.participants} participants x 1 op/s + cursor {args.cursor_hz:g} Hz, {args.seconds} s, "
          f"tick {args.tick_ms} ms, relay cursors {args.relay_cursors}, nice {args.nice}")
    print_table(rows)
    for name, result in rows:
        extra = {k: result.get(k) for k in ("refusals", "ops_unanswered", "ops_skipped", "disconnects",
                                            "connected", "clients", "connect_ms",
                                            "loadgen_loop_delay_p99_ms", "machine_busy_percent")}
        print(f"  {name}: {json.dumps(extra)}")
    relay_p99 = relay.get("p99_ms") if relay else None
    summary = {
        "participants": args.participants, "seconds": args.seconds, "tick_ms": args.tick_ms, "nice": args.nice,
        "cursor_hz": args.cursor_hz,
        "ops_sent": ours["ops_sent"], "ops_acked": ours["ops_acked"], "ops_refused": ours["ops_refused"],
        "ops_lost": ours["ops_lost"], "p50_ms": ours["p50_ms"], "p99_ms": ours["p99_ms"], "max_ms": ours["max_ms"],
        "ack_p99_ms": ours["ack_p99_ms"],
        "cursor_p50_ms": ours["cursor_p50_ms"], "cursor_p99_ms": ours["cursor_p99_ms"],
        "cursor_delivery": ours["cursor_delivery"],
        "server_cpu_percent": ours["server_cpu_percent"], "server_rss_mb_peak": ours["server_rss_mb_peak"],
        "loadgen_cpu_percent": ours["loadgen_cpu_percent"], "others_cpu_percent": ours["others_cpu_percent"],
        "relay_ops_sent": relay and relay["ops_sent"], "relay_ops_lost": relay and relay["ops_lost"],
        "relay_p50_ms": relay and relay["p50_ms"], "relay_p99_ms": relay_p99,
        "relay_max_ms": relay and relay["max_ms"], "relay_cursor_p99_ms": relay and relay["cursor_p99_ms"],
        "relay_server_cpu_percent": relay and relay["server_cpu_percent"],
        "relay_server_rss_mb_peak": relay and relay["server_rss_mb_peak"],
        "relay_others_cpu_percent": relay and relay["others_cpu_percent"],
        "ratio": round(ours["p99_ms"] / relay_p99, 2) if relay_p99 and ours["p99_ms"] is not None else None,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
