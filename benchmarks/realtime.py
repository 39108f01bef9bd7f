"""Real-time board benchmark: N participants on each of B workshops, our server against a bare relay.

    .venv/bin/python benchmarks/realtime.py --participants 300 --seconds 20
    (or: make bench-realtime PARTICIPANTS=300 SECONDS=20)
    .venv/bin/python benchmarks/realtime.py --boards 20 --participants 25 --seconds 20 \
        [--processes P] [--stacks gevent-websocket,simple-websocket]
    (or: make bench-realtime BOARDS=20 PARTICIPANTS=25 SECONDS=20 [PROCESSES=P] [STACKS=...])

Many boards (issue 25): B workshops, each with its facilitator and N guests; an op counts as
delivered when every other client of ITS board received it, and any receipt by a client of another
board is a leak (`leaked`, must be 0). `p99_ms` is over all boards, `worst_board_p99_ms` the worst
board's own p99. `--processes P` (P >= 1) runs the server as ADR 0007 deploys it: P gunicorn
processes (the production command, one gevent worker each) on ONE address (SO_REUSEPORT: the
kernel spreads the websocket connections; the board client is websocket-only, so no stickiness is
needed), PostgreSQL as the database (a fresh `storming_bench_*` database, dropped afterwards) and
Redis as the message queue (a channel of this run's own). Without it (default 0): `python app.py`
on SQLite, as before. `--stacks` runs our server once per websocket stack (WEBSOCKET_SERVER), in the
same run, before the relay.

For each server, in the same run and on the same machine:
  1. a fresh instance directory (our server only: a SQLite DB with one workshop in the "deepdive"
     phase, a facilitator seat and N guests, created through the services as the tests do);
  2. the server as a subprocess on a free loopback port (`python app.py`, or
     benchmarks/relay_server.py for the baseline);
  3. benchmarks/realtime_load.mjs under Node.js: N + 1 socket.io-client connections split across
     --workers K processes (default 2; 1 = one process, as before, which saturates its event loop at
     300), each guest one durable op per second and its cursor at 10 Hz, the facilitator (worker 0)
     switching between the deepdive and vote phases. The workers start the load together (stdin
     barrier), stamp every send and receive with absolute times (performance.timeOrigin + now(), one
     machine clock) and write raw records that are merged here;
  4. the server's CPU (utime + stime from /proc/<pid>/stat over the load window) and memory
     (VmRSS sampled every 0.25 s, VmHWM from /proc/<pid>/status); then the server is stopped;
  5. what sets the figures besides our code: the CPU model, the steal time over the load, and a
     calibration before and after it (ms one core takes for a fixed piece of work); and what one
     participant's browser downloads (KB/s, messages/s).

Latency of an op = the latest arrival among ALL other clients minus the moment the sender emitted
it. Lost = acknowledged ops that some other client never received (must be 0).
Ends by printing one JSON line (the summary).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
NODE_FLAGS: list[str] = []  # --node-prof adds node's --cpu-prof flags
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- setup (runs in a child process: `realtime.py --setup DIR N`) ------------------------------

def setup_instance(instance: str, participants: int, boards: int = 1) -> dict:
    """B workshops in the "deepdive" phase, each with a facilitator seat and N guests. Returns board
    0's fields at the top (as before) and every board in `boards`. The database is DATABASE_URL's
    if set (PostgreSQL with --processes), else the instance's SQLite."""
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
        out = []
        for b in range(boards):
            workshop = svc.create_workshop(session, account, discovery.id, f"Team {b:02d}", "discovery")
            _, facilitator_secret = svc.facilitator_seat(session, account, user.name, workshop.id)
            row = session.get(Workshop, workshop.id)
            row.phase = "deepdive"  # guests may create notes, opportunities and pain points
            session.add(row)
            session.commit()
            token, workshop_id = workshop.join_token, workshop.id
            secrets = [svc.join_as_guest(session, token, f"Guest {i:03d}")[1] for i in range(participants)]
            out.append({"workshop_id": workshop_id, "token": token, "facilitator_secret": facilitator_secret,
                        "secrets": secrets})
    db.dispose()
    return {**out[0], "boards": out}


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


def tree_pids(roots: list[int]) -> list[int]:
    """The roots and all their descendants (gunicorn: the master and its worker)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], list(roots)
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(parents.get(pid, []))
    return out


def cpu_seconds_of(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            total += cpu_seconds(pid)
        except OSError:
            pass
    return total


def status_kb_of(pids: list[int], key: str) -> int:
    total = 0
    for pid in pids:
        try:
            total += status_kb(pid, key)
        except OSError:
            pass
    return total


def status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def machine_ticks() -> tuple[int, int, int]:
    """(busy, total, steal) jiffies of all CPUs, from /proc/stat: what else runs on the machine shows
    here, and steal is what the hypervisor gave to other machines."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values), values[7]


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def calibrate(rounds: int = 3) -> float:
    """Milliseconds one core of this machine takes for a fixed piece of work like the server's (build
    2,000 board records as dicts and encode them with the stdlib json, 20 times; no GC); the best of
    `rounds`. Machines of this kind differ, and one machine's speed drifts with its neighbours (the
    same work took 120 ms and 210 ms a minute apart, no steal reported): taken before and after each
    load so that a result carries the speed it was measured at."""
    import gc
    import json as stdlib_json
    best = float("inf")
    gc.disable()
    try:
        for _ in range(rounds):
            start = time.perf_counter()
            for _ in range(20):
                records = [{"sticky": {"id": f"{i:08x}-0000-4000-8000-000000000000", "x": i / 2000,
                                       "y": 1 - i / 2000, "version": i % 7},
                            "seq": i, "type": "sticky.update", "by": i % 300} for i in range(2000)]
                stdlib_json.dumps({"ops": records})
            best = min(best, time.perf_counter() - start)
    finally:
        gc.enable()
    return round(best * 1000, 1)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def config_boards(config: dict) -> list[dict]:
    """[{token, secrets, facilitatorSecret}] per board; a config of one board may give them at the top."""
    return config.get("boards") or [{"token": config["token"], "secrets": config["secrets"],
                                     "facilitatorSecret": config["facilitatorSecret"]}]


def split_clients(config: dict, workers: int) -> list[dict]:
    """One config per load-generator worker. Board b's clients have the global indices
    b * (N + 1) ... b * (N + 1) + N (the facilitator last); guest i goes to worker i % K, board b's
    facilitator to worker b % K, which also switches that board's phases (one board: worker 0)."""
    boards = config_boards(config)
    total = len(boards[0]["secrets"]) + 1  # clients of one board
    out = []
    for w in range(workers):
        worker = {k: v for k, v in config.items() if k not in ("secrets", "facilitatorSecret", "boards")}
        guests = [{"idx": b * total + i, "secret": s, "board": b}
                  for b, board in enumerate(boards) for i, s in enumerate(board["secrets"])]
        facilitators = [{"idx": b * total + total - 1, "secret": board["facilitatorSecret"], "board": b}
                        for b, board in enumerate(boards) if b % workers == w]
        worker.update(worker=w, workers=workers, total=total, tokens=[board["token"] for board in boards],
                      guests=[g for g in guests if g["idx"] % workers == w], facilitators=facilitators,
                      facilitator=facilitators[0] if facilitators and len(boards) == 1 else None)
        out.append(worker)
    return out


def _pct(values: list, p: float):
    return values[min(len(values) - 1, math.ceil(len(values) * p) - 1)] if values else None


def _r1(v):
    return None if v is None else round(v * 10) / 10


def board_of(st: list) -> int:
    """The board of a send record (records of one board, before issue 25, have no board: 0)."""
    return int(st[6]) if len(st) > 6 and st[6] is not None else 0


def receipts_by_board(raw: dict) -> dict[int, dict]:
    """A worker's receipts per receiving board: {board: {op id or "seq:N": [n, latest]}}."""
    if "recv_by_board" in raw:
        return {int(b): recv for b, recv in raw["recv_by_board"].items()}
    return {0: raw["recv"]}


def collect_receipts(raws: list[dict], sends: dict[str, list]) -> tuple[dict[str, list], int, int, set]:
    """Every receipt of every worker, matched to the op it carries: (op id -> [receipts at the op's
    own board, latest receive time], unknown receipts, cross-board receipts, ops received at another
    board). Placeholders (private stickies, dots placed while votes are hidden) arrive without the op
    id, keyed "seq:N"; seqs are per board, so the receiving board and the sender's ack say which op
    got seq N (a placeholder cannot be told from one of another board: leaks are checked on full
    records)."""
    by_seq = {(board_of(st), f"seq:{st[5]}"): op_id for op_id, st in sends.items()
              if len(st) > 5 and st[5] is not None}
    received: dict[str, list] = {}
    unknown = leaked = 0
    leaked_ops: set = set()
    for raw in raws:
        for board, recv in receipts_by_board(raw).items():
            for key, (n, latest) in recv.items():
                op_id = by_seq.get((board, key), key)
                if op_id not in sends:
                    unknown += n
                    continue
                if board_of(sends[op_id]) != board:
                    leaked += n
                    leaked_ops.add(op_id)
                    continue
                entry = received.setdefault(op_id, [0, 0.0])
                entry[0] += n
                entry[1] = max(entry[1], latest)
    return received, unknown, leaked, leaked_ops


def merge_workers(raws: list[dict], participants: int) -> dict:
    """Merge the workers' raw records (absolute times, one machine clock) into one result: an op's
    latency = the latest receipt among ALL other clients of its board, in any worker, minus its send
    time; lost = acknowledged ops that some other client of its board (in any worker) never
    received; leaked = receipts of an op by a client of another board."""
    total = raws[0]["total"]  # clients of one board
    sends: dict[str, list] = {}
    for raw in raws:
        sends.update(raw["sends"])
    received, unknown, leaked, leaked_ops = collect_receipts(raws, sends)
    acked = [op_id for op_id, st in sends.items() if st[2] == "acked"]
    lost = [op_id for op_id in acked if received.get(op_id, [0])[0] < total - 1]  # every other client
    latency = {op_id: received[op_id][1] - sends[op_id][0] for op_id in acked
               if received.get(op_id, [0])[0] >= total - 1}
    complete = sorted(latency.values())
    per_board: dict[int, list] = {}
    for op_id, ms in latency.items():
        per_board.setdefault(board_of(sends[op_id]), []).append(ms)
    board_p99 = {b: _pct(sorted(v), 0.99) for b, v in sorted(per_board.items())}
    boards = len({board_of(st) for st in sends.values()} | set(per_board)) or 1
    acks = sorted(st[3] for st in sends.values() if st[3] is not None)
    by_type: dict[str, int] = {}
    refusals: dict[str, int] = {}
    for st in sends.values():
        by_type[st[4]] = by_type.get(st[4], 0) + 1
    for raw in raws:
        for code, n in raw["refusals"].items():
            refusals[code] = refusals.get(code, 0) + n

    # cursors: every receipt of a batch, minus the send time of each cursor in it not the receiver's own;
    # 0.1 ms bins up to 60 s as before
    cursor_sent = {x: (t, sender) for raw in raws for x, t, sender in raw["cursor_sends"]}
    bins = np.zeros(600001, dtype=np.int64)
    cursor_max = 0.0
    received_cursors = 0
    for raw in raws:
        for batch in raw["cursor_batches"]:
            known = [cursor_sent[x] for x in batch["xs"] if x in cursor_sent]
            if not known or not batch["times"]:
                continue
            sent_t = np.array([k[0] for k in known])
            sent_by = np.array([k[1] for k in known])
            times = np.array(batch["times"])
            delay = times[:, :1] - sent_t[None, :]
            delay = delay[times[:, 1:2].astype(np.int64) != sent_by[None, :]]
            if delay.size:
                received_cursors += delay.size
                cursor_max = max(cursor_max, float(delay.max()))
                bins += np.bincount(np.clip(np.floor(delay * 10 + 0.5), 0, 600000).astype(np.int64),
                                    minlength=600001)
    cum = np.cumsum(bins)

    def cursor_pct(p: float):
        if not received_cursors:
            return None
        return int(np.searchsorted(cum, math.ceil(received_cursors * p))) / 10

    cursors_sent = sum(raw["cursors_sent"] for raw in raws)
    cursor_moves = sum(raw.get("cursor_moves", raw["cursors_sent"]) for raw in raws)
    cursor_expected = cursors_sent * (total - 1)
    load_seconds = max(raw["load_seconds"] for raw in raws)
    cpu_by_worker = [_r1(100 * raw["cpu_seconds"] / raw["load_seconds"]) for raw in raws]
    return {
        "mode": raws[0]["mode"], "participants": participants, "boards": boards,
        "participants_per_board": participants, "clients": total * boards,
        "connected": sum(raw["connected"] for raw in raws), "connect_ms": max(raw["connect_ms"] for raw in raws),
        "load_seconds": _r1(load_seconds),
        "ops_sent": len(sends), "ops_acked": len(acked),
        "ops_refused": sum(1 for st in sends.values() if st[2] == "refused"),
        "ops_unanswered": sum(1 for st in sends.values() if st[2] not in ("acked", "refused")),
        "ops_skipped": sum(raw["ops_skipped"] for raw in raws),
        "refusals": refusals, "ops_by_type": by_type,
        "ops_lost": len(lost), "lost": len(lost), "leaked": leaked, "ops_leaked": len(leaked_ops),
        "deliveries": sum(entry[0] for entry in received.values()),
        "duplicate_deliveries": sum(raw["duplicate_deliveries"] for raw in raws), "unknown_ops_received": unknown,
        "ops_per_second": _r1(len(sends) / load_seconds),
        "p50_ms": _r1(_pct(complete, 0.5)), "p90_ms": _r1(_pct(complete, 0.9)), "p99_ms": _r1(_pct(complete, 0.99)),
        "max_ms": _r1(complete[-1] if complete else None),
        "worst_board_p99_ms": _r1(max(board_p99.values())) if board_p99 else None,
        "p99_ms_by_board": [_r1(v) for v in board_p99.values()],
        "ack_p50_ms": _r1(_pct(acks, 0.5)), "ack_p99_ms": _r1(_pct(acks, 0.99)),
        "cursor_moves": cursor_moves, "cursors_sent": cursors_sent, "cursors_received": received_cursors,
        "cursor_delivery": round(received_cursors / cursor_expected, 3) if cursor_expected else None,
        "cursor_p50_ms": cursor_pct(0.5), "cursor_p99_ms": cursor_pct(0.99), "cursor_max_ms": _r1(cursor_max),
        "disconnects": sum(raw["disconnects"] for raw in raws),
        "reconnects": sum(raw.get("reconnects", 0) for raw in raws),
        # what one participant's browser receives (worker 0's first client, over the load)
        "participant_download_kb_per_s": _r1(raws[0].get("download_bytes", 0) / 1024 / raws[0]["load_seconds"]),
        "participant_messages_per_s": _r1(raws[0].get("download_messages", 0) / raws[0]["load_seconds"]),
        "loadgen_workers": len(raws),
        "loadgen_cpu_percent": _r1(sum(100 * raw["cpu_seconds"] / raw["load_seconds"] for raw in raws)),
        "loadgen_cpu_percent_by_worker": cpu_by_worker,
        "loadgen_loop_delay_p99_ms": max(raw["loop_delay_p99_ms"] for raw in raws),
        "loadgen_loop_delay_p99_ms_by_worker": [raw["loop_delay_p99_ms"] for raw in raws],
        "loadgen_loop_delay_max_ms": max(raw["loop_delay_max_ms"] for raw in raws),
    }


def run_load(server: subprocess.Popen | list, config: dict, workdir: Path, workers: int = 1,
             profile: str | None = None) -> dict:
    """Run the Node load generator (K worker processes) against a started server (or several: a
    list, with --processes); merge their raw records; add the server's CPU and memory (all its
    processes, their children included)."""
    servers = server if isinstance(server, list) else [server]
    lines: queue.Queue = queue.Queue()
    nodes = []
    for w, worker in enumerate(split_clients(config, workers)):
        worker["out"] = str(workdir / f"raw-{config['mode']}-{w}.json")
        config_path = workdir / f"load-{config['mode']}-{w}.json"
        config_path.write_text(json.dumps(worker))
        node = subprocess.Popen(["node", *NODE_FLAGS, str(ROOT / "benchmarks" / "realtime_load.mjs"), str(config_path)],
                                cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                preexec_fn=_niced)
        prioritise(node.pid)
        nodes.append((node, worker["out"]))

        def read(w=w, node=node) -> None:
            for line in node.stdout:
                lines.put((w, line.strip()))
            lines.put((w, None))

        threading.Thread(target=read, daemon=True).start()

    def node_cpu() -> float:
        total = 0.0
        for node, _ in nodes:
            try:
                total += cpu_seconds(node.pid)
            except OSError:
                pass
        return total

    def barrier(word: str, timeout: float = 300.0) -> None:
        """Wait until every worker printed `word`."""
        waiting = set(range(workers))
        deadline = time.monotonic() + timeout
        while waiting:
            try:
                w, line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise RuntimeError(f"load generator: no {word} from workers {sorted(waiting)}") from None
            if line is None:
                if word == "#DONE" and nodes[w][0].wait() == 0 and Path(nodes[w][1]).exists():
                    waiting.discard(w)  # its records are written; the last line was lost with the exit
                    continue
                raise RuntimeError(f"load generator worker {w} exited ({nodes[w][0].wait()}) before {word}")
            if line == word:
                waiting.discard(w)

    def tell(word: str) -> None:
        for node, _ in nodes:
            node.stdin.write(word + "\n")
            node.stdin.flush()

    pids = [servers[0].pid]
    marks: dict[str, tuple] = {}
    rss_peak = [0]
    sampling = threading.Event()
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            if sampling.is_set():
                try:
                    rss_peak[0] = max(rss_peak[0], status_kb_of(pids, "VmRSS"))
                except OSError:
                    pass
            time.sleep(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    spy = None
    try:
        barrier("#READY")
        pids[:] = tree_pids([s.pid for s in servers])  # gunicorn: each master and its worker
        calibration_before = calibrate()
        rss_before = status_kb_of(pids, "VmRSS")
        cpu_before = {pid: cpu_seconds_of([pid]) for pid in pids}
        marks["load_start"] = (time.monotonic(), cpu_seconds_of(pids), machine_ticks(), node_cpu())
        if profile:
            spy = subprocess.Popen([str(Path(PY).parent / "py-spy"), "record", "-p", str(pids[-1]), "-r", "50",
                                    "-d", str(config["seconds"]), "-f", "raw", "-o", profile],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sampling.set()
        tell("GO")
        barrier("#MARK load_end", config["seconds"] + 60)
        marks["load_end"] = (time.monotonic(), cpu_seconds_of(pids), machine_ticks(), node_cpu())
        cpu_after = {pid: cpu_seconds_of([pid]) for pid in pids}
        sampling.clear()
        barrier("#DRAINED", 60)
        calibration_after = calibrate()
        tell("STOP")
        barrier("#DONE", 120)
        for node, _ in nodes:
            node.wait(60)
    finally:
        done.set()
        for node, _ in nodes:
            if node.poll() is None:
                node.kill()
                node.wait()
        if spy is not None:
            try:
                spy.wait(30)
            except subprocess.TimeoutExpired:
                spy.kill()
    result = merge_workers([json.loads(Path(out).read_text()) for _, out in nodes], len(config_boards(config)[0]["secrets"]))
    (t0, c0, m0, n0), (t1, c1, m1, n1) = marks["load_start"], marks["load_end"]
    result["server_cpu_percent"] = round(100 * (c1 - c0) / (t1 - t0), 1)  # 100 = one core busy
    # per process (gunicorn: masters idle, workers busy): the busiest is what must stay below a core
    result["server_cpu_percent_by_process"] = sorted(
        (round(100 * (cpu_after[p] - cpu_before[p]) / (t1 - t0), 1) for p in pids), reverse=True)[:max(1, len(servers))]
    # all CPUs of the machine, 100 = every core busy; anything beyond server + load generator is
    # other work on the machine (the benchmark shares it)
    result["machine_busy_percent"] = round(100 * (m1[0] - m0[0]) / max(1, m1[1] - m0[1]), 1)
    result["steal_percent"] = round(100 * (m1[2] - m0[2]) / max(1, m1[1] - m0[1]), 1)
    result["others_cpu_percent"] = round(
        100 * (m1[0] - m0[0]) / CLK_TCK / (t1 - t0) - 100 * (c1 - c0 + n1 - n0) / (t1 - t0), 1)
    result["calibration_ms"] = [calibration_before, calibration_after]
    result["loadavg_1m"] = float(Path("/proc/loadavg").read_text().split()[0])
    result["server_rss_mb_before"] = round(rss_before / 1024, 1)
    result["server_rss_mb_peak"] = round(max(rss_peak[0], rss_before) / 1024, 1)
    result["server_hwm_mb"] = round(status_kb_of(pids, "VmHWM") / 1024, 1)
    return result


PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def create_pg_database() -> tuple[str, str]:
    """A fresh PostgreSQL database for one run (--processes): (name, URL)."""
    import uuid

    import psycopg
    name = f"storming_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def drop_pg_database(name: str) -> None:
    import psycopg
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def wait_for_workers(logs: list[Path], procs: list[subprocess.Popen], timeout: float = 120.0) -> None:
    """Every gunicorn process has loaded the app in its worker (post_worker_init logs "storming:")."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}")
        if all("storming: " in log.read_text(errors="replace") for log in logs):
            return
        time.sleep(0.2)
    raise RuntimeError("gunicorn workers did not start")


def stop_group(proc: subprocess.Popen) -> None:
    """A gunicorn master (its own session, see _niced) and its worker."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(5)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()


def bench_ours(args, workdir: Path, extra_config: dict | None = None, on_start=None,
               stack: str | None = None, extra_env: dict | None = None) -> dict:
    """Our server under the load. `extra_config` goes to the load generator (benchmarks/soak.py:
    reconnect, recordCursors); `on_start(server)` is called once the server answers. `stack` sets
    WEBSOCKET_SERVER (gevent-websocket, simple-websocket); `args.processes` >= 1 runs gunicorn
    processes on PostgreSQL and Redis (ADR 0007) instead of `python app.py` on SQLite."""
    boards = getattr(args, "boards", 1)
    processes = getattr(args, "processes", 0)
    stack = stack or os.environ.get("WEBSOCKET_SERVER", "gevent-websocket")
    label = "-".join([stack, *(f"{k}={v}" for k, v in (extra_env or {}).items())])
    instance = workdir / f"instance-{label}"
    instance.mkdir()
    port = free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "INSTANCE_PATH": str(instance),
           "RATELIMIT_ENABLED": "0", "SECRET_KEY": "bench", "BOARD_TICK_MS": str(args.tick_ms),
           "WEBSOCKET_SERVER": stack, **(extra_env or {})}
    database = None
    if processes:
        import uuid
        database, url = create_pg_database()
        # a channel of this run's own: other runs and tests on the same Redis never hear these rooms
        env.update(DATABASE_URL=url, SOCKETIO_MESSAGE_QUEUE=REDIS_URL, SOCKETIO_CHANNEL=f"bench-{uuid.uuid4().hex[:8]}",
                   EXPORT_DIR=str(workdir / "exports"), PYTHONUNBUFFERED="1")
        env = {k: v for k, v in env.items() if not k.startswith(("GUNICORN", "FLASK"))}
    servers: list[subprocess.Popen] = []
    logs = []
    try:
        setup = subprocess.run([PY, __file__, "--setup", str(instance), str(args.participants), str(boards)],
                               cwd=ROOT, env=env, capture_output=True, text=True)
        if setup.returncode:
            raise RuntimeError(f"setup failed:\n{setup.stderr[-3000:]}")
        info = json.loads(setup.stdout.strip().splitlines()[-1])
        if processes:
            command = [PY, "-m", "gunicorn", "-w", "1", "--bind", f"127.0.0.1:{port}", "--reuse-port",
                       "--no-control-socket", "--graceful-timeout", "2", "app:app"]
            for i in range(processes):
                logs.append(open(workdir / f"server-{label}-{i}.log", "w"))
                servers.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=logs[-1], stderr=subprocess.STDOUT,
                                                preexec_fn=_niced))
                prioritise(servers[-1].pid)
            wait_for_workers([Path(log.name) for log in logs], servers)
        else:
            logs.append(open(workdir / f"server-{label}.log", "w"))
            servers.append(subprocess.Popen([PY, "app.py"], cwd=ROOT, env=env, stdout=logs[-1],
                                            stderr=subprocess.STDOUT, preexec_fn=_niced))
            prioritise(servers[0].pid)
        wait_for_port(port, servers[0])
        if on_start is not None:
            on_start(servers[0])
        result = run_load(servers if processes else servers[0], {
            "mode": "app", "url": f"http://127.0.0.1:{port}", "token": info["token"],
            "boards": [{"token": b["token"], "secrets": b["secrets"], "facilitatorSecret": b["facilitator_secret"]}
                       for b in info["boards"]],
            "seconds": args.seconds, "cursorHz": args.cursor_hz, "adaptiveCursors": not args.fixed_cursor_rate,
            **(extra_config or {})},
            workdir, args.workers, args.py_spy)
        result.update(stack=stack, processes=processes, env=extra_env or {})
        return result
    finally:
        for server in servers:
            stop_group(server) if processes else stop(server)
        for log in logs:
            log.close()
        if database:
            drop_pg_database(database)


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
        boards = [{"token": f"relay-{b}", "secrets": [f"relay-secret-{b:02d}-{i:04d}-xxxxxxxx" for i in range(args.participants)],
                   "facilitatorSecret": f"relay-facilitator-{b:02d}-xxxxxxxx"} for b in range(args.boards)]
        return run_load(server, {
            "mode": "relay", "url": f"http://127.0.0.1:{port}", "token": "relay-0", "boards": boards,
            "seconds": args.seconds, "cursorHz": args.cursor_hz},
            workdir, args.workers)
    finally:
        stop(server)
        log.close()


def fmt(value) -> str:
    return "-" if value is None else str(value)


def print_table(rows: list[tuple[str, dict]]) -> None:
    cols = [("server", None), ("B", "boards"), ("N", "participants"), ("sent", "ops_sent"), ("acked", "ops_acked"),
            ("refused", "ops_refused"), ("lost", "ops_lost"), ("leaked", "leaked"), ("disc", "disconnects"),
            ("p50 ms", "p50_ms"), ("p99 ms", "p99_ms"), ("worst board p99", "worst_board_p99_ms"),
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
    parser.add_argument("--participants", type=int, default=300, help="participants (guests) per board")
    parser.add_argument("--boards", type=int, default=1, help="workshops at once, each with its participants")
    parser.add_argument("--processes", type=int, default=0,
                        help="0: python app.py on SQLite (as before); P >= 1: P gunicorn processes on one "
                             "address, PostgreSQL and Redis (ADR 0007)")
    parser.add_argument("--stacks", default=os.environ.get("WEBSOCKET_SERVER", "gevent-websocket"),
                        help="comma-separated WEBSOCKET_SERVER values: our server once per stack, in the same run")
    parser.add_argument("--variants", default="-",
                        help="comma-separated server environments to compare in the same run, each '-' (as is) or "
                             "KEY=VALUE[+KEY=VALUE]; e.g. '-,BOARD_COMMIT_PER_ROOM=1' (before/after of ADR 0020)")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--cursor-hz", type=float, default=10, help="cursor moves per participant per second")
    parser.add_argument("--fixed-cursor-rate", action="store_true",
                        help="send every cursor move, ignoring the room's cursor_ms (as a client that does not adapt)")
    parser.add_argument("--tick-ms", type=int, default=25, help="BOARD_TICK_MS for our server")
    parser.add_argument("--relay-cursors", choices=("tick", "naive"), default="tick",
                        help="tick: the relay batches cursors per 25 ms like ours; naive: one emit per cursor")
    parser.add_argument("--skip-relay", action="store_true")
    parser.add_argument("--workers", type=int, default=2,
                        help="Node processes of the load generator, the participants split across them "
                             "(1 = one process driving every connection, as before)")
    parser.add_argument("--py-spy", metavar="FILE", help="profile our server during the load (collapsed stacks)")
    parser.add_argument("--node-prof", metavar="DIR",
                        help="profile the load generator too (node --cpu-prof, one .cpuprofile per worker in DIR)")
    parser.add_argument("--nice", type=int, default=0,
                        help="niceness of the servers and the load generator (e.g. -10 on a shared machine; needs root)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, DB)")
    parser.add_argument("--setup", nargs="+", metavar="INSTANCE N [B]", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.node_prof:
        NODE_FLAGS.extend(["--cpu-prof", "--cpu-prof-dir", str(Path(args.node_prof).resolve())])
    if args.setup:
        print(json.dumps(setup_instance(args.setup[0], int(args.setup[1]), int(args.setup[2]) if len(args.setup) > 2 else 1)))
        return
    if args.workers < 1 or args.workers > (args.participants + 1) * args.boards:
        parser.error("--workers must be between 1 and (participants + 1) x boards")
    stacks = [stack.strip() for stack in args.stacks.split(",") if stack.strip()]
    if not stacks or any(stack not in ("gevent-websocket", "simple-websocket") for stack in stacks):
        parser.error("--stacks: gevent-websocket and/or simple-websocket")
    global NICE
    NICE = args.nice
    if shutil.which("node") is None:
        sys.exit("Node.js is required (node not on PATH)")

    machine = {"cpu_model": cpu_model(), "cpus": os.cpu_count()}
    workdir = Path(tempfile.mkdtemp(prefix="bench-realtime-"))
    try:
        variants = [item.strip() for item in args.variants.split(",") if item.strip()]
        by_stack = []
        for variant in variants:
            env = dict(pair.split("=", 1) for pair in variant.split("+")) if variant != "-" else {}
            for stack in stacks:
                name = stack if variant == "-" else f"{stack} {variant}"
                by_stack.append((name, bench_ours(args, workdir, stack=stack, extra_env=env)))
        ours = by_stack[0][1]
        relay = None if args.skip_relay else bench_relay(args, workdir)
    finally:
        if args.keep:
            print(f"work directory kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    rows = [(f"ours {stack}" if len(by_stack) > 1 else "ours", result) for stack, result in by_stack] + \
        ([("relay", relay)] if relay else [])
    print(f"\nReal-time board: {args.boards} board(s) x {args.participants} participants x 1 op/s + cursor {args.cursor_hz:g} Hz, {args.seconds} s, "
          f"tick {args.tick_ms} ms, relay cursors {args.relay_cursors}, nice {args.nice}, "
          f"load generator {args.workers} process(es), server "
          + (f"{args.processes} gunicorn process(es) on PostgreSQL + Redis" if args.processes else "python app.py on SQLite"))
    print(f"Machine: {machine['cpu_model']}, {machine['cpus']} CPUs; calibration before / after each load "
          f"(ms of one core for a fixed piece of work, lower is faster): "
          + ", ".join(f"{name} {result['calibration_ms']}" for name, result in rows))
    print_table(rows)
    for name, result in rows:
        extra = {k: result.get(k) for k in ("refusals", "ops_unanswered", "ops_skipped", "disconnects",
                                            "participant_download_kb_per_s", "participant_messages_per_s",
                                            "cursor_moves", "cursors_sent",
                                            "connected", "clients", "connect_ms",
                                            "loadgen_loop_delay_p99_ms", "loadgen_cpu_percent_by_worker",
                                            "loadgen_loop_delay_p99_ms_by_worker", "machine_busy_percent",
                                            "steal_percent", "server_cpu_percent_by_process", "p99_ms_by_board",
                                            "ops_leaked", "stack")}
        print(f"  {name}: {json.dumps(extra)}")
    relay_p99 = relay.get("p99_ms") if relay else None
    summary = {
        "boards": args.boards, "participants_per_board": args.participants, "processes": args.processes,
        "stack": ours["stack"], "env": ours["env"],
        "participants": args.participants, "seconds": args.seconds, "tick_ms": args.tick_ms, "nice": args.nice,
        "cursor_hz": args.cursor_hz, "cursor_rate": "fixed" if args.fixed_cursor_rate else "adaptive",
        "ops_sent": ours["ops_sent"], "ops_acked": ours["ops_acked"], "ops_refused": ours["ops_refused"],
        "ops_lost": ours["ops_lost"], "lost": ours["lost"], "leaked": ours["leaked"], "disconnects": ours["disconnects"],
        "p50_ms": ours["p50_ms"], "p99_ms": ours["p99_ms"], "worst_board_p99_ms": ours["worst_board_p99_ms"],
        "max_ms": ours["max_ms"],
        "ack_p99_ms": ours["ack_p99_ms"],
        "cursor_p50_ms": ours["cursor_p50_ms"], "cursor_p99_ms": ours["cursor_p99_ms"],
        "cursor_delivery": ours["cursor_delivery"],
        "server_cpu_percent": ours["server_cpu_percent"], "server_cpu_pct": ours["server_cpu_percent"],
        "server_cpu_pct_by_process": ours["server_cpu_percent_by_process"],
        "server_rss_mb_peak": ours["server_rss_mb_peak"],
        "participant_download_kb_per_s": ours["participant_download_kb_per_s"],
        "loadgen_cpu_percent": ours["loadgen_cpu_percent"], "others_cpu_percent": ours["others_cpu_percent"],
        "relay_ops_sent": relay and relay["ops_sent"], "relay_ops_lost": relay and relay["ops_lost"],
        "relay_p50_ms": relay and relay["p50_ms"], "relay_p99_ms": relay_p99,
        "relay_max_ms": relay and relay["max_ms"], "relay_cursor_p99_ms": relay and relay["cursor_p99_ms"],
        "relay_server_cpu_percent": relay and relay["server_cpu_percent"],
        "relay_server_rss_mb_peak": relay and relay["server_rss_mb_peak"],
        "relay_others_cpu_percent": relay and relay["others_cpu_percent"],
        "ratio": round(ours["p99_ms"] / relay_p99, 2) if relay_p99 and ours["p99_ms"] is not None else None,
        "loadgen_workers": args.workers,
        "cpu_model": machine["cpu_model"], "calibration_ms": ours["calibration_ms"],
        "steal_percent": ours["steal_percent"], "loadavg_1m": ours["loadavg_1m"],
    }
    if len(by_stack) > 1:
        summary["by_stack"] = {stack: {k: result.get(k) for k in (
            "p50_ms", "p99_ms", "worst_board_p99_ms", "max_ms", "ops_sent", "lost", "leaked", "disconnects",
            "server_cpu_percent", "server_cpu_percent_by_process", "server_rss_mb_peak", "cursor_p99_ms",
            "others_cpu_percent", "loadavg_1m", "calibration_ms")} for stack, result in by_stack}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
