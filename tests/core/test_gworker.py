"""The web worker leaves a new connection to an idle worker (ADR 0050): real gunicorn processes, real sockets."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

GUNICORN = str(Path(sys.executable).parent / "gunicorn")

APP = """
import os, pathlib, time

def application(environ, start_response):
    seconds = float(environ.get("QUERY_STRING") or 0)
    if seconds:
        pathlib.Path("running").touch()  # the test waits for this before it connects again
    time.sleep(seconds)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(os.getpid()).encode()]
"""

# Each booted worker leaves a file named for its pid, so the test starts only once both can accept.
CONFIG = """
import pathlib

def post_worker_init(worker):
    (pathlib.Path({where!r}) / str(worker.pid)).touch()
"""


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    (tmp_path / "slowapp.py").write_text(APP)
    booted = tmp_path / "booted"
    booted.mkdir()
    (tmp_path / "conf.py").write_text(CONFIG.format(where=str(booted)))
    port = _port()
    cmd = [GUNICORN, "slowapp:application", "-c", str(tmp_path / "conf.py"), "--bind", f"127.0.0.1:{port}"]
    cmd += ["--workers", "2", "--threads", "1", "--worker-class", "holdtrack.core.gworker.BalancedThreadWorker"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(tmp_path)})  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while len(list(booted.iterdir())) < 2:
            assert proc.poll() is None, "gunicorn exited while starting"
            assert time.monotonic() < deadline, "the workers did not boot within 60 s"
            time.sleep(0.05)
        yield port, tmp_path
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _pid(port: int, seconds: float) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", f"/?{seconds}")
        return int(conn.getresponse().read())
    finally:
        conn.close()


def _running(where: Path) -> None:
    """Wait until the slow request runs in a worker (a loaded machine may take a while to schedule it)."""
    marker, deadline = where / "running", time.monotonic() + 30
    while not marker.exists():
        assert time.monotonic() < deadline, "the slow request did not start within 30 s"
        time.sleep(0.01)
    marker.unlink()


def test_a_busy_worker_leaves_the_next_connection_to_the_idle_one(server: tuple[int, Path]) -> None:
    # One thread per worker: while the first request holds a worker's thread, the second connection must go to
    # the other worker. gunicorn's own gthread worker keeps listening and takes it half the time. The first
    # request runs long enough that the second is accepted before it ends, even on a loaded machine.
    port, where = server
    with ThreadPoolExecutor(2) as pool:
        for _ in range(6):
            first = pool.submit(_pid, port, 1.0)
            _running(where)  # the first request is accepted and running
            second = pool.submit(_pid, port, 0)
            assert second.result() != first.result()


def test_a_busy_worker_holding_more_connections_waits_longer_before_the_next(monkeypatch: pytest.MonkeyPatch) -> None:
    from holdtrack.core import gworker

    worker = object.__new__(gworker.BalancedThreadWorker)  # the listening rule alone, without a process
    worker.cfg = type("Cfg", (), {"threads": 4})()
    worker.accepted_at, worker.in_flight = 100.0, 3
    clock = 100.0
    monkeypatch.setattr(gworker.time, "monotonic", lambda: clock)
    worker.nr_conns = 12
    assert worker._may_listen()  # a free thread: listen
    worker.in_flight = 4  # every thread busy
    for held, gap in ((4, 0.01), (8, 0.02), (12, 0.03), (400, gworker.MAX_BUSY_ACCEPT_GAP)):
        worker.nr_conns = held
        clock = 100.0 + gap * 0.9
        assert not worker._may_listen(), held
        clock = 100.0 + gap * 1.1
        assert worker._may_listen(), held
