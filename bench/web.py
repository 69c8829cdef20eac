"""Benchmark: the web tier against Django's "hello world", both under gunicorn with identical settings (issue 12).

Starts the baseline (bench/hello_wsgi.py) and holdtrack (``holdtrack.config.wsgi``; optionally a second holdtrack
from another source tree, ``--before SRC``, to compare two versions in the same run) with the same gunicorn
settings (``--worker-class``, by default the one ``holdtrack serve`` runs, ``--workers`` processes × ``--threads``
threads, no access log), then drives them with wrk, interleaved: in each repetition every endpoint is run right
after the baseline. gunicorn keeps each of wrk's connections on the worker that accepted it, so a run whose
connections landed unevenly is restarted (``--tries``) and each run's split is printed; ``--worker-class gthread``
runs gunicorn's own threaded worker, which accepts whatever its threads are doing (ADR 0050). Endpoints: GET
/healthz, API detainer by id, API detainers and bookings pages of 50, POST booking (a new booking each request,
screened), the desk dashboard and a desk detainer page (an officer's session), and a mixed load (writers posting
bookings beside readers of the other endpoints, measured separately). Prints req/s, p50/p95/p99 and the share of the
baseline for each run with the load average, then the medians; for each mixed run, how wrk's connections are spread
over the gunicorn workers (fixed for the run, and what moves its POST rate most). ``--cpu N``: CPU per request in-process (the
process's and its PostgreSQL backend's), then what the connection prepared; ``--plans``: planning and execution time of each query.

Needs wrk (``apt-get install wrk``) and a database with data, e.g. the demo's:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ht_bench HOLDTRACK_VAR_DIR=/tmp/var_bench \\
        .venv/bin/holdtrack demo --no-serve --days 40
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ht_bench HOLDTRACK_VAR_DIR=/tmp/var_bench \\
        REDIS_URL=redis://127.0.0.1:6379/3 .venv/bin/python bench/web.py --workers 1,2 --clients 16

POST runs add bookings to that database. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# HOLDTRACK_SRC: measure another source tree in-process (--cpu), e.g. an older release beside this one.
sys.path.insert(0, os.environ.get("HOLDTRACK_SRC", str(ROOT / "src")))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "holdtrack.config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.urls import reverse  # noqa: E402

from holdtrack.accounts.models import User  # noqa: E402
from holdtrack.api.services import api_client_create  # noqa: E402
from holdtrack.cases.access import detainers_for_user  # noqa: E402
from holdtrack.core.timeutil import now  # noqa: E402
from holdtrack.jurisdictions.models import Facility  # noqa: E402

GUNICORN = str(Path(sys.executable).parent / "gunicorn")
WORKER_CLASS = "holdtrack.core.gworker.BalancedThreadWorker"  # what ``holdtrack serve`` runs
SURNAMES = ["Alvarez", "Brooks", "Castillo", "Dunn", "Estrada", "Foster", "Guerra", "Hale", "Ibarra", "Jensen"]


@dataclass
class Req:
    method: str
    path: str
    headers: dict[str, str]
    body: str | None = None  # a template: {tid} and {n} make each booking unique


@dataclass
class Target:
    name: str
    requests: list[Req]
    expect: int = 200


@dataclass
class Result:
    rps: float
    p50: float
    p95: float
    p99: float
    errors: int
    load: str
    max: float = 0.0


@dataclass
class Server:
    name: str
    port: int
    proc: subprocess.Popen[bytes]


@dataclass
class Stats:
    runs: dict[tuple[str, str], list[Result]] = field(default_factory=dict)
    shares: dict[tuple[str, str], list[float]] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------- fixtures


def desk_session(user: User) -> str:
    """A signed-in session with a verified second factor, as the sign-in pages leave it."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.filter(user=user, confirmed=True).first().persistent_id
    session.create()
    return str(session.session_key)


def targets(officer_name: str, lea_name: str) -> list[Target]:
    officer = User.objects.get(username=officer_name)
    lea_user = User.objects.get(username=lea_name)
    office, lea = officer.organization, lea_user.organization
    assert office is not None and lea is not None, "the demo's officer and LEA users belong to organisations"
    stamp = int(time.time())
    office_token = api_client_create(
        actor=None, organization=office, name=f"bench web {stamp}", scopes=["detainers:read", "bookings:read"]
    ).token
    lea_token = api_client_create(
        actor=None, organization=lea, name=f"bench web {stamp}", scopes=["bookings:write", "bookings:read"]
    ).token
    ids = list(detainers_for_user(officer).order_by("-pk").values_list("pk", flat=True)[:200])
    assert ids, "no detainers in the officer's scope: build the demo data first"
    agency = lea.lea
    facility = Facility.objects.filter(operator=agency).order_by("code").first()
    assert agency is not None and facility is not None, "the LEA user's organisation is an agency with a jail"
    office_api = {"Authorization": f"Bearer {office_token}"}
    lea_api = {"Authorization": f"Bearer {lea_token}", "Content-Type": "application/json"}
    desk = {"Cookie": f"sessionid={desk_session(officer)}"}
    booked = (now() - timedelta(hours=1)).isoformat()
    body = json.dumps(
        {
            "agency_ori": agency.ori,
            "booking_number": f"BW{stamp}-{{tid}}-{{n}}",
            "booked_at": booked,
            "facility_code": facility.code,
            "first_name": "Synthetic",
            "last_name": "{surname}",
            "date_of_birth": "1990-04-05",
            "sex": "M",
            "birth_country": "Guatemala",
            "charge_level": "FELONY",
            "charges": [{"code": "PC-1", "description": "benchmark charge", "type": "property"}],
        }
    )
    return [
        Target("GET /healthz", [Req("GET", "/healthz", {})]),
        Target("API detainer by id", [Req("GET", f"/api/v1/detainers/{i}", office_api) for i in ids]),
        Target("API detainers, page of 50", [Req("GET", "/api/v1/detainers?limit=50", office_api)]),
        Target("API bookings, page of 50", [Req("GET", "/api/v1/bookings?limit=50", office_api)]),
        Target("POST booking", [Req("POST", "/api/v1/bookings", lea_api, body)], expect=201),
        Target("desk dashboard", [Req("GET", reverse("desks:dashboard"), desk)]),
        Target("desk detainer page", [Req("GET", reverse("desks:detainer", args=[i]), desk) for i in ids[:50]]),
    ]


# ----------------------------------------------------------------------------------------------- wrk


def _lua_str(s: str) -> str:
    return json.dumps(s)  # a JSON string is a valid Lua string literal for our ASCII content


def lua_script(reqs: list[Req]) -> str:
    entries = []
    for r in reqs:
        headers = "{" + ", ".join(f"[{_lua_str(k)}] = {_lua_str(v)}" for k, v in r.headers.items()) + "}"
        body = _lua_str(r.body) if r.body else "nil"
        entries.append(f"{{{_lua_str(r.method)}, {_lua_str(r.path)}, {headers}, {body}}}")
    surnames = ", ".join(_lua_str(s) for s in SURNAMES)
    return f"""
local entries = {{{", ".join(entries)}}}
local surnames = {{{surnames}}}
local threads, nthreads = {{}}, 0
function setup(thread) nthreads = nthreads + 1; thread:set("tid", nthreads); table.insert(threads, thread) end
local n, i = 0, 0
function init(args) math.randomseed(os.time() + (tid or 0)) end
function request()
  n = n + 1
  local e = entries[math.random(#entries)]
  local body = e[4]
  if body then
    body = body:gsub("{{tid}}", tostring(tid)):gsub("{{n}}", tostring(n)):gsub("{{surname}}", surnames[n % #surnames + 1])
  end
  return wrk.format(e[1], e[2], e[3], body)
end
function done(summary, latency, requests)
  local err = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    err.connect + err.read + err.write + err.status + err.timeout, latency.max))
end
"""


def wrk(port: int, reqs: list[Req], clients: int, seconds: int, workdir: Path) -> subprocess.Popen[str]:
    script = workdir / f"s{time.monotonic_ns()}.lua"
    script.write_text(lua_script(reqs))
    cmd = ["wrk", "-t1", f"-c{clients}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script)]
    return subprocess.Popen([*cmd, f"http://127.0.0.1:{port}"], stdout=subprocess.PIPE, text=True)  # noqa: S603


def wrk_result(proc: subprocess.Popen[str], load: str) -> Result:
    out, _ = proc.communicate()
    line = next((x for x in out.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    n, dur, p50, p95, p99, errors, top = (int(x) for x in line.split()[1:])
    return Result(n / (dur / 1e6), p50 / 1000, p95 / 1000, p99 / 1000, errors, load, top / 1000)


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            link = os.readlink(fd)
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    return inodes


def connection_counts(server: Server, clients: dict[str, subprocess.Popen[str]]) -> list[dict[str, int]] | None:
    """How many of each wrk's connections each gunicorn worker holds (Linux, from /proc), or None. wrk keeps its
    connections for the whole run and a worker keeps what it accepted, so the split is fixed per run: a writer
    sharing its process (GIL, 4 threads) with CPU-bound readers serves far fewer requests than one alone, and a
    run whose connections all landed on one of two workers measures one worker (hello world: ~1,900 req/s
    instead of ~6,000 on this machine)."""
    try:
        workers = [int(p) for p in Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children").read_text().split()]
        ports: dict[str, str] = {}  # inode → local port, remote port of each TCP socket
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            f = line.split()
            ports[f[9]] = f"{f[1].split(':')[1]}>{f[2].split(':')[1]}"
        owner = {ports[i]: n for n, w in enumerate(workers) for i in _socket_inodes(w) if i in ports}
        counts = [dict.fromkeys(clients, 0) for _ in workers]
        for name, proc in clients.items():
            for i in _socket_inodes(proc.pid):
                local, _, remote = ports.get(i, ">").partition(">")
                if f"{remote}>{local}" in owner:
                    counts[owner[f"{remote}>{local}"]][name] += 1
    except OSError:
        return None
    return counts


def connection_split(server: Server, clients: dict[str, subprocess.Popen[str]]) -> str:
    """``connection_counts`` as text, e.g. "4 POST + 1 reads | 11 reads"."""
    counts = connection_counts(server, clients)
    if counts is None:
        return "—"
    return " | ".join(" + ".join(f"{n} {name}" for name, n in c.items() if n) or "0" for c in counts)


def balanced(server: Server, reqs: list[Req], clients: int, seconds: int, tmp: Path, tries: int) -> tuple[Result, str]:
    """One wrk run whose connections are spread over the workers (no worker holds more than its even share plus a
    quarter of the clients), restarted up to ``tries`` times until they are: the kernel hands each connection to
    whichever worker accepts first, and a lopsided run measures the race, not the code. Returns the result and
    the split ("8 | 8"; marked "unbalanced" when no try was)."""
    for attempt in range(1, tries + 1):
        load = loadavg()
        proc = wrk(server.port, reqs, clients, seconds, tmp)
        time.sleep(min(0.5, seconds / 4))
        counts = connection_counts(server, {"c": proc})
        held = [c["c"] for c in counts] if counts else []
        even = not held or max(held) <= clients / len(held) + clients / 4
        if even or attempt == tries:
            split = " | ".join(str(n) for n in held) or "—"
            return wrk_result(proc, load), split if even else f"{split} unbalanced"
        proc.terminate()
        proc.communicate()
    raise AssertionError("unreachable")


# -------------------------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(
    name: str, app: str, workers: int, threads: int, src: Path | None, ready: str, worker_class: str = WORKER_CLASS
) -> Server:
    port = free_port()
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)  # before the editable install's path: that tree's holdtrack is imported
    if app.startswith("hello_wsgi"):
        env["PYTHONPATH"] = str(ROOT / "bench")
    cmd = [GUNICORN, app, "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads)]
    cmd += ["--worker-class", worker_class, "--timeout", "120", "--log-level", "warning"]
    proc = subprocess.Popen(cmd, env=env)  # noqa: S603
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if fetch(port, Req("GET", ready, {}))[0] == 200:
                return Server(name, port, proc)
        except OSError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited while starting")
        time.sleep(0.3)
    proc.terminate()
    raise RuntimeError(f"{name} did not answer {ready} within 120 s")


def stop(server: Server) -> None:
    server.proc.send_signal(signal.SIGTERM)
    server.proc.wait(timeout=60)


def fetch(port: int, r: Req) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = None
    if r.body:
        body = r.body.replace("{tid}", "0").replace("{n}", str(time.monotonic_ns())).replace("{surname}", "Check")
    conn.request(r.method, r.path, body=body, headers=r.headers)
    resp = conn.getresponse()
    return resp.status, resp.read()


def check(server: Server, target: Target) -> None:
    status, content = fetch(server.port, target.requests[0])
    if status != target.expect:
        raise RuntimeError(f"{server.name} {target.name}: HTTP {status}, expected {target.expect}: {content[:300]!r}")


# ---------------------------------------------------------------------------------------------- runs


def record(stats: Stats, config: str, name: str, r: Result, base: float | None, split: str = "") -> None:
    stats.runs.setdefault((config, name), []).append(r)
    share = f"{100 * r.rps / base:6.1f} %" if base else "   —   "
    if base:
        stats.shares.setdefault((config, name), []).append(100 * r.rps / base)
    print(
        f"  {config:<14} {name:<32} {r.rps:8.1f} req/s  p50 {r.p50:7.1f}  p95 {r.p95:7.1f}  p99 {r.p99:7.1f}"
        f"  max {r.max:7.1f} ms"
        f"  {share}  err {r.errors}  load {r.load}" + (f"  connections {split}" if split else ""),
        flush=True,
    )


def run_config(
    args: argparse.Namespace, workers: int, tlist: list[Target], every: list[Target], stats: Stats, tmp: Path
) -> None:
    """``tlist``: the endpoints run one by one; ``every``: all of them, which the mixed load draws on."""
    apps: list[Server] = []
    kind = args.worker_class
    hello = start("hello", "hello_wsgi:application", workers, args.threads, None, "/", kind)
    try:
        if args.before:
            apps.append(
                start(
                    "before", "holdtrack.config.wsgi:application", workers, args.threads, args.before, "/healthz", kind
                )
            )
        apps.append(start("after", "holdtrack.config.wsgi:application", workers, args.threads, None, "/healthz", kind))
        for app in apps:
            for t in every:
                check(app, t)
        reads = [r for t in every if t.name not in {"GET /healthz", "POST booking"} for r in t.requests[:20]]
        post = next(t for t in every if t.name == "POST booking")
        for rep in range(1, args.reps + 1):
            print(
                f"-- {workers} worker(s) × {args.threads} threads, {args.clients} clients, repetition {rep}", flush=True
            )
            for t in tlist:
                base, split = balanced(hello, [Req("GET", "/", {})], args.clients, args.seconds, tmp, args.tries)
                record(stats, f"hello/{workers}w", "hello world", base, None, split)
                for app in apps:
                    r, split = balanced(app, t.requests, args.clients, args.seconds, tmp, args.tries)
                    record(stats, f"{app.name}/{workers}w", t.name, r, base.rps, split)
            for app in apps:  # mixed: writers and readers at once, each measured on its own
                writers = max(1, args.clients // 4)
                load = loadavg()
                w = wrk(app.port, post.requests, writers, args.seconds, tmp)
                rd = wrk(app.port, reads, args.clients - writers, args.seconds, tmp)
                time.sleep(min(2, args.seconds / 2))  # every connection open
                print(
                    f"  {app.name}/{workers}w mixed, connections per worker: {connection_split(app, {'POST': w, 'reads': rd})}"
                )
                record(
                    stats, f"{app.name}/{workers}w", f"mixed: POST booking ({writers} cl.)", wrk_result(w, load), None
                )
                record(
                    stats,
                    f"{app.name}/{workers}w",
                    f"mixed: reads ({args.clients - writers} cl.)",
                    wrk_result(rd, load),
                    None,
                )
    finally:
        for s in [hello, *apps]:
            stop(s)


def cpu_per_request(tlist: list[Target], n: int) -> None:
    """In-process: CPU milliseconds and queries per request through the WSGI application gunicorn serves
    (``holdtrack.config.wsgi``, its middleware lists included; no HTTP server, no load generator), a figure the
    machine's load barely moves. Each endpoint: 3 requests to warm up, then ``n``."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    from holdtrack.config.wsgi import application

    # One connection (and backend) for the whole run, whose CPU is read before and after: the age limit must not
    # close it in between (Django's test client detaches the same receivers).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    factory = RequestFactory()
    print(f"\nin-process, {n} requests each (load {loadavg()})\n")
    print(
        "| endpoint | CPU ms / request | database backend CPU ms / request | queries / request | bytes / answer |\n"
        "|---|---:|---:|---:|---:|"
    )
    for t in tlist:
        sizes: list[int] = []

        def one(i: int, t: Target = t, sizes: list[int] = sizes) -> int:
            r = t.requests[i % len(t.requests)]
            meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in r.headers.items() if k != "Content-Type"}
            if r.method == "GET":
                env = factory.get(r.path, **meta).environ  # type: ignore[arg-type]
            else:
                body = (r.body or "").replace("{tid}", "cpu").replace("{n}", str(time.monotonic_ns()))
                body = body.replace("{surname}", SURNAMES[i % len(SURNAMES)])
                env = factory.generic(r.method, r.path, body, content_type="application/json", **meta).environ  # type: ignore[arg-type]
            if not env.get("HTTP_COOKIE"):
                env.pop("HTTP_COOKIE", None)  # RequestFactory sends an empty one; an API client sends none
            started: list[str] = []
            sizes.append(len(b"".join(application(env, lambda status, headers, *exc: started.append(status)))))
            return int(started[0].split()[0])

        for i in range(3):
            assert one(i) == t.expect, t.name
        with CaptureQueriesContext(connection) as ctx:
            one(3)
        queries = len(ctx.captured_queries)  # now: the next request clears the log
        backend = backend_cpu()
        started = time.process_time()
        for i in range(n):
            one(4 + i)
        ms = 1000 * (time.process_time() - started) / n
        after = backend_cpu()
        db = f"{1000 * (after - backend) / n:.1f}" if backend is not None and after is not None else "—"
        print(f"| {t.name} | {ms:.1f} | {db} | {queries} | {statistics.median(sizes):,.0f} |", flush=True)
    prepared_statements()


def prepared_statements() -> None:
    """PostgreSQL only: what this connection prepared over the run (ADR 0043) — how many statements, how many ran
    their executions on a generic plan and how many kept custom plans, and the server memory their plans hold."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*), count(*) FILTER (WHERE generic_plans > custom_plans), coalesce(sum(generic_plans), 0), "
            "coalesce(sum(custom_plans), 0) FROM pg_prepared_statements"
        )
        n, mostly_generic, generic, custom = cur.fetchone()
        cur.execute(
            "SELECT coalesce(sum(total_bytes), 0) FROM pg_backend_memory_contexts "
            "WHERE name IN ('CachedPlan', 'CachedPlanSource', 'CachedPlanQuery')"
        )
        plans = float(cur.fetchone()[0])
        cur.execute("SELECT sum(total_bytes) FROM pg_backend_memory_contexts")
        backend = float(cur.fetchone()[0])
    print(
        f"\nprepared statements on this connection: {n} ({mostly_generic} mostly on a generic plan); executions on a "
        f"generic plan {generic:,}, on a custom plan {custom:,}; their plans hold {plans / 1e6:.1f} MB of the "
        f"backend's {backend / 1e6:.1f} MB"
    )


def query_plans(tlist: list[Target]) -> None:
    """PostgreSQL only: each SELECT of one GET request per endpoint, EXPLAIN (ANALYZE)d three times, the planning
    and execution time of the last — what a join costs the planner against what running it costs."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        print("--plans needs PostgreSQL")
        return
    print("\n| endpoint | planning ms | execution ms | statement |\n|---|---:|---:|---|")
    for t in tlist:
        r = t.requests[0]
        if r.method != "GET":
            continue
        client = Client()
        meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in r.headers.items() if k != "Cookie"}
        if "Cookie" in r.headers:
            client.cookies["sessionid"] = r.headers["Cookie"].split("=", 1)[1]
        client.get(r.path, **meta)  # type: ignore[arg-type]
        with CaptureQueriesContext(connection) as ctx:
            client.get(r.path, **meta)  # type: ignore[arg-type]
        with connection.cursor() as cur:
            for q in ctx.captured_queries:
                if not q["sql"].startswith("SELECT"):
                    continue
                for _ in range(3):
                    cur.execute("EXPLAIN (ANALYZE, SUMMARY) " + q["sql"])
                    lines = [row[0] for row in cur.fetchall()]
                times = {line.split(":")[0]: line.split()[2] for line in lines if line.endswith(" ms")}
                print(f"| {t.name} | {times['Planning Time']} | {times['Execution Time']} | {q['sql'][:70]}… |")


def backend_cpu() -> float | None:
    """CPU seconds of this process's PostgreSQL backend (a local server's /proc), or None elsewhere: the
    database's share of a request, which the process's own CPU does not count (planning, above all)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # a server on another host
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def summary(stats: Stats) -> None:
    print("\n| config | endpoint | req/s | p50 ms | p95 ms | p99 ms | max ms | share of hello world | errors |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for (config, name), rs in stats.runs.items():
        med = statistics.median
        shares = stats.shares.get((config, name))
        share = f"{med(shares):.1f} %" if shares else "—"
        print(
            f"| {config} | {name} | {med(r.rps for r in rs):,.0f} | {med(r.p50 for r in rs):.0f} | "
            f"{med(r.p95 for r in rs):.0f} | {med(r.p99 for r in rs):.0f} | {max(r.max for r in rs):.0f} | {share} | "
            f"{sum(r.errors for r in rs)} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,2", help="gunicorn worker counts to run, comma-separated")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--worker-class",
        default=WORKER_CLASS,
        help="gunicorn's worker class for every server of the run (gthread: gunicorn's own; a --before tree "
        "that predates ADR 0050 needs it)",
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--before", type=Path, help="a holdtrack src/ tree to run beside this one (same database)")
    parser.add_argument(
        "--tries",
        type=int,
        default=5,
        help="restart a run whose connections are unevenly spread, up to N times (1: never)",
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated endpoint names to run, whole names (default: all; none: the mixed load only)",
    )
    parser.add_argument("--cpu", type=int, default=0, help="only measure CPU and queries per request in-process")
    parser.add_argument(
        "--plans", action="store_true", help="only EXPLAIN (ANALYZE) each read query of one request per endpoint"
    )
    parser.add_argument("--officer", default="officer")
    parser.add_argument("--lea-user", default="lea-booking")
    args = parser.parse_args()
    every = targets(args.officer, args.lea_user)
    # An endpoint's name may hold a comma ("API detainers, page of 50"): match whole names between commas.
    keep = (
        {t.name for t in every if re.search(rf"(^|,)\s*{re.escape(t.name)}\s*(,|$)", args.only)}
        if args.only
        else {t.name for t in every}
    )
    tlist = [t for t in every if t.name in keep]
    from django.db import connection

    print(f"database {connection.vendor} {connection.settings_dict['NAME']}, cores {os.cpu_count()}, load {loadavg()}")
    if args.cpu:
        cpu_per_request(tlist, args.cpu)
        return
    if args.plans:
        query_plans(tlist)
        return
    stats = Stats()
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (int(w) for w in args.workers.split(",")):
            run_config(args, workers, tlist, every, stats, Path(tmp))
    summary(stats)


if __name__ == "__main__":
    main()
