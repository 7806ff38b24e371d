"""Real processes racing on the same ledger: run locks and idempotency keys, on both backends."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

LOCK_WORKER = r"""
import json, os, sys, time
from datetime import UTC, datetime
from praho_cli.ledger.engine import open_database
from praho_cli.ledger.locks import acquire
from praho_cli.result import PrahoFailure

url, log, wait, hold, ttl = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
db = open_database(url)
try:
    lock = acquire(db, "cron", holder=f"w{os.getpid()}", ttl_seconds=ttl, wait_seconds=wait,
                   clock=lambda: datetime.now(UTC))
except PrahoFailure as failure:
    sys.stderr.write(failure.error.message + "\n")
    sys.exit(failure.error.exit_code)
start = time.time()
if hold < 0:  # hold the lease and wait to be killed
    with open(log, "a") as fh:
        fh.write(json.dumps({"pid": os.getpid(), "start": start, "end": None}) + "\n")
    time.sleep(600)
time.sleep(hold)
end = time.time()
lock.release()
with open(log, "a") as fh:
    fh.write(json.dumps({"pid": os.getpid(), "start": start, "end": end}) + "\n")
"""


def spawn(url, log, wait, hold, ttl=30):
    return subprocess.Popen([sys.executable, "-c", LOCK_WORKER, url, str(log), str(wait), str(hold), str(ttl)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def intervals(log: Path):
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_eight_processes_one_lock_without_waiting(ledger_url, tmp_path):
    log = tmp_path / "runs.jsonl"
    procs = [spawn(ledger_url, log, 0, 1.0) for _ in range(8)]
    codes = [p.wait(timeout=120) for p in procs]
    assert sorted(set(codes)) <= [0, 75], [p.stderr.read() for p in procs]
    assert codes.count(0) >= 1 and codes.count(75) >= 1
    runs = intervals(log)
    assert len(runs) == codes.count(0)
    _assert_no_overlap(runs)


def test_eight_processes_wait_their_turn(ledger_url, tmp_path):
    log = tmp_path / "runs.jsonl"
    procs = [spawn(ledger_url, log, 60, 0.3) for _ in range(8)]
    codes = [p.wait(timeout=180) for p in procs]
    assert codes == [0] * 8, [p.stderr.read() for p in procs]
    runs = intervals(log)
    assert len(runs) == 8
    _assert_no_overlap(runs)


def _assert_no_overlap(runs):
    ordered = sorted(runs, key=lambda r: r["start"])
    for a, b in itertools.pairwise(ordered):
        assert a["end"] <= b["start"], f"runs overlap: {a} and {b}"


def test_a_lease_left_by_a_killed_process_is_taken_over(ledger_url, tmp_path):
    log = tmp_path / "runs.jsonl"
    holder = spawn(ledger_url, log, 0, -1, ttl=3)
    deadline = time.time() + 60
    while not intervals(log) and time.time() < deadline:
        time.sleep(0.1)
    assert intervals(log), holder.stderr.read() if holder.poll() is not None else "holder never started"
    blocked = spawn(ledger_url, tmp_path / "blocked.jsonl", 0, 0)
    assert blocked.wait(timeout=60) == 75
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=30)
    taker = spawn(ledger_url, tmp_path / "taker.jsonl", 30, 0)
    assert taker.wait(timeout=120) == 0, taker.stderr.read()
    assert len(intervals(tmp_path / "taker.jsonl")) == 1


def test_an_expired_lease_on_another_host_is_taken_over_only_after_expiry(sqlite_url, tmp_path):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import create_engine, text

    engine = create_engine(sqlite_url)
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO run_locks (name, holder, pid, host, acquired_at, expires_at) VALUES "
                          "('cron', 'elsewhere', 1, 'other-host', :a, :e)"),
                     {"a": now, "e": now + timedelta(seconds=10)})
    engine.dispose()
    early = spawn(sqlite_url, tmp_path / "early.jsonl", 0, 0)
    assert early.wait(timeout=60) == 75
    assert "held by run elsewhere (pid 1 on other-host" in early.stderr.read()
    time.sleep(max(0.0, 10.5 - (datetime.now(UTC).replace(tzinfo=None) - now).total_seconds()))
    late = spawn(sqlite_url, tmp_path / "late.jsonl", 0, 0)
    assert late.wait(timeout=60) == 0, late.stderr.read()


IDEMPOTENT_ADD = ["customers", "add", "--name", "Acme", "--email", "a@acme.ro", "--idempotency-key", "same-key",
                  "-o", "json"]


def test_concurrent_replays_of_one_key_create_exactly_one_customer(ledger_url, tmp_path):
    env = {"PRAHO_DATABASE_URL": ledger_url, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "c")}
    procs = [subprocess.Popen([sys.executable, "-m", "praho_cli", *IDEMPOTENT_ADD], env={**os.environ, **env},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(8)]
    outs = [p.communicate(timeout=120) for p in procs]
    codes = [p.returncode for p in procs]
    assert codes == [0] * 8, [o[1] for o in outs]
    ids = {json.loads(o[0])["id"] for o in outs}
    assert len(ids) == 1
    listed = subprocess.run([sys.executable, "-m", "praho_cli", "customers", "list", "-o", "json"],
                            env={**os.environ, **env}, capture_output=True, text=True, timeout=60, check=False)
    assert len(json.loads(listed.stdout)) == 1
