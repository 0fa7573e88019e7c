"""Filing throughput through the real HTTP stack, as a ratio to a bare Django view that inserts one row.

The stack is the production one: gunicorn (sync workers) serving jianhua.settings.production on
PostgreSQL, with Redis as broker and cache, and an access log as the image writes. A scratch
database (dropped and created on every run) is migrated and seeded with the demo district; wrk
then alternates, round by round, between

  real  POST /api/v1/issues/ as the demo resident (Token auth), JSON body with a point inside one
        of --points random grids (so filings spread over grids and share the day's number sequence);
  floor POST /bench/floor/ (bench/filing_urls.py) as the same resident: the least an API filing can
        do here – DRF, the token checked, the body checked by the filing's own input serializer –
        then the same one-row INSERT as bare. The filing endpoint cannot be faster than this;
  bare  POST /bench/bare/ (bench/filing_urls.py), the same JSON body through the same gunicorn and
        middleware stack, one raw INSERT, no auth, no validation, no ORM, no DRF.

With --breakdown it also measures the floor's parts: /bench/drf/ (DRF's request, parser and response
around the same INSERT, no authentication) and /bench/token/ (the same with the token checked).

It prints the median requests/s of each over the rounds, the ratio real/bare (target >= 0.5) and
floor/bare (what the target would leave for the filing's own work),
latency percentiles, where the CPU went, checks that every response was a 201, that no 5xx was
logged and that the database holds exactly the rows the server answered 201 for, and finally
counts the SQL queries of one filing and one bare insert in-process. Exit status 1 if any request
failed or a count is off, 2 if the filing endpoint does not exist (the bare figures still print).

    .venv/bin/python bench/filing.py [--rounds 5] [--seconds 10] [--workers N] [--connections N]

Needs wrk (apt-get install wrk) and PostgreSQL as user postgres at --pg (trust auth).
"""
import argparse
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "bench-filing-pw"
RESIDENT = "resident"
CLK_TCK = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds per endpoint (default 5)")
    parser.add_argument("--seconds", type=int, default=10, help="length of each round (default 10)")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up seconds per endpoint (default 5)")
    parser.add_argument("--workers", type=int, default=2 * CORES + 1, help="gunicorn sync workers (default 2*cores+1)")
    parser.add_argument("--connections", type=int, default=0, help="wrk connections (default 2 x workers)")
    parser.add_argument("--threads", type=int, default=CORES, help="wrk threads (default: cores)")
    parser.add_argument("--points", type=int, default=200, help="grids whose representative points are filed at")
    parser.add_argument("--category", default="garbage")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432", help="PostgreSQL server (no db name)")
    parser.add_argument("--database", default="jianhua_bench_filing", help="scratch database, DROPPED and recreated")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13",
                        help="REDIS_URL of the app (production sets one); '' runs without Redis")
    parser.add_argument("--conn-max-age", default=os.environ.get("CONN_MAX_AGE", "60"),
                        help="CONN_MAX_AGE for the app (production default 60: persistent connections; 0 opens "
                             "one per request)")
    parser.add_argument("--show-queries", action="store_true", help="print the SQL of one filing")
    parser.add_argument("--breakdown", action="store_true",
                        help="also measure /bench/drf/ (DRF, no auth) and /bench/token/ (DRF + token): the floor's parts")
    args = parser.parse_args()
    args.connections = args.connections or 2 * args.workers
    return args


# Set-up --------------------------------------------------------------------------------------------

def bench_env(args):
    env = {
        "DJANGO_SETTINGS_MODULE": "bench.filing_settings",
        "SECRET_KEY": "bench-only-not-a-secret-" + "x" * 30,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"{args.pg}/{args.database}",
        "REDIS_URL": args.redis_url,
        "CONN_MAX_AGE": str(args.conn_max_age),
        "SECURE_COOKIES": "0",
        "STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "LOG_LEVEL": "WARNING",
    }
    if not args.redis_url:
        del env["REDIS_URL"]
        os.environ.pop("REDIS_URL", None)
    return env


def recreate_database(args):
    import psycopg

    with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.database}"')
        return conn.execute("SHOW server_version").fetchone()[0].split()[0]


def prepare(args):
    """Migrate, seed, create the bare table; return the points to file at and the data size."""
    started = time.perf_counter()
    for command in (["migrate", "--noinput"], ["seed_demo", "--password", PASSWORD]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=os.environ, check=True,
                       stdout=subprocess.DEVNULL)
    import django

    django.setup()
    from django.db import connection

    from bench.filing_urls import BARE_TABLE_SQL
    from grids.boundaries import to_shape
    from grids.models import Grid, User

    with connection.cursor() as cursor:
        cursor.execute(BARE_TABLE_SQL)
    grids = list(Grid.objects.order_by("code").values_list("code", "boundary"))
    chosen = random.Random(20261125).sample(grids, min(args.points, len(grids)))
    points = []
    for _code, boundary in chosen:
        point = to_shape(boundary).representative_point()
        points.append((point.y, point.x))  # lat, lng
    size = {"grids": len(grids), "accounts": User.objects.count()}
    connection.close()
    print(f"set-up: database {args.database} recreated, migrated and seeded in {time.perf_counter() - started:.1f} s "
          f"({size['grids']} grids, {size['accounts']:,} accounts); filing at {len(points)} grids' points", flush=True)
    return points, size


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(args, logdir):
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "jianhua.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers), "--worker-class", "sync",
        "--access-logfile", str(logdir / "access.log"), "--error-logfile", str(logdir / "error.log"),
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=os.environ, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode}; see {logdir / 'error.log'}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return server, base
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit("gunicorn did not answer /healthz within 60 s")


def stop_gunicorn(server):
    if server.poll() is None:
        os.kill(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def post_json(url, data, headers=None):
    request = urllib.request.Request(url, data=json.dumps(data).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            return error.code, json.loads(body)
        except ValueError:
            return error.code, body[:200].decode(errors="replace")


def body_for(args, lat, lng, title="Bench filing probe"):
    return {"title": title, "description": DESCRIPTION, "category": args.category, "lat": lat, "lng": lng,
            "address": ADDRESS}


DESCRIPTION = "楼道口垃圾堆放三天未清运，气味很大，请尽快处理。"
ADDRESS = "建华区 中华路 12 号"


# Load ----------------------------------------------------------------------------------------------

LUA = r"""
local points = { %(points)s }
local path = "%(path)s"
local headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json" %(auth)s }
local template = '{"title":"Bench filing %%d-%%d","description":"%(description)s","category":"%(category)s",'
              .. '"lat":%%.7f,"lng":%%.7f,"address":"%(address)s"}'
local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  statuses = {}
end

function request()
  counter = counter + 1
  local p = points[((id * 7919 + counter) %% #points) + 1]
  return wrk.format("POST", path, headers, string.format(template, id, counter, p[1], p[2]))
end

function response(status, hdrs, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local agg = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do agg[k] = (agg[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(agg) do table.insert(parts, string.format('"%%d":%%d', k, v)) end
  local e = summary.errors
  io.write(string.format('BENCH {"requests":%%d,"duration_us":%%d,"p50_us":%%d,"p90_us":%%d,"p99_us":%%d,'
    .. '"max_us":%%d,"errors":{"connect":%%d,"read":%%d,"write":%%d,"status":%%d,"timeout":%%d},"statuses":{%%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout, table.concat(parts, ",")))
end
"""


def write_lua(path, args, points, endpoint, token=None):
    script = LUA % {
        "points": ", ".join(f"{{{lat!r}, {lng!r}}}" for lat, lng in points),
        "path": endpoint,
        "auth": f', ["Authorization"] = "Token {token}"' if token else "",
        "description": DESCRIPTION, "category": args.category, "address": ADDRESS,
    }
    path.write_text(script, encoding="utf-8")
    return path


def cpu_ticks(pid):
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except (OSError, IndexError):
        return 0


def postgres_ticks():
    """CPU ticks of every PostgreSQL server process, including backends that came and went (their
    time is added to the postmaster's children's time when it reaps them)."""
    procs = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, fields = text[text.index("(") + 1:text.rindex(")")], text.rsplit(")", 1)[1].split()
        procs[int(stat.parent.name)] = (name, int(fields[1]), [int(v) for v in fields[11:15]])
    total = 0
    for name, ppid, (utime, stime, cutime, cstime) in procs.values():
        if name not in ("postgres", "postmaster") and not name.startswith("postgres"):
            continue
        parent_is_postgres = procs.get(ppid, ("",))[0].startswith("postgres")
        total += utime + stime + (0 if parent_is_postgres else cutime + cstime)
    return total


def gunicorn_pids(server):
    children = set()
    for task in Path(f"/proc/{server.pid}/task").glob("*"):
        try:
            children.update(int(pid) for pid in (task / "children").read_text().split())
        except OSError:
            pass
    return [server.pid, *sorted(children)]


def machine_ticks():
    """(busy, steal) ticks of the whole machine; busy excludes idle, iowait and steal."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return sum(values[:8]) - values[3] - values[4] - values[7], values[7]


class SessionSampler(threading.Thread):
    """Samples pg_stat_activity of the bench database every 20 ms while wrk runs: what the app's
    PostgreSQL sessions are doing (running a query, waiting for a lock, idle inside a transaction
    while Python works, idle between requests)."""

    def __init__(self, args):
        super().__init__(daemon=True)
        self.dsn, self.database = f"{args.pg}/postgres", args.database
        self.stop = threading.Event()
        self.counts = {}

    def run(self):
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self.stop.wait(0.02):
                rows = conn.execute(
                    "SELECT state, wait_event_type, wait_event FROM pg_stat_activity"
                    " WHERE datname = %s AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
                    [self.database]).fetchall()
                for state, wait_type, wait in rows:
                    if state == "active":
                        key = f"lock wait ({wait})" if wait_type == "Lock" else (
                            "running" if wait_type is None else f"waiting ({wait_type})")
                    else:
                        key = state or "connecting"
                    self.counts[key] = self.counts.get(key, 0) + 1

    def shares(self):
        total = sum(self.counts.values()) or 1
        return {key: n / total for key, n in self.counts.items()}


def run_wrk(args, base, script, seconds, server):
    sampler = SessionSampler(args)
    sampler.start()
    pids = gunicorn_pids(server)
    before_server = sum(cpu_ticks(pid) for pid in pids)
    before_machine, before_postgres = machine_ticks(), postgres_ticks()
    before_client = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    output = subprocess.run(
        ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{seconds}s", "--timeout", "10s",
         "-s", str(script), f"{base}/"],
        check=True, capture_output=True, text=True,
    ).stdout
    wall = time.monotonic() - started
    sampler.stop.set()
    sampler.join()
    after_client = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((line for line in output.splitlines() if line.startswith("BENCH ")), None)
    if line is None:
        sys.exit(f"wrk printed no result:\n{output}")
    result = json.loads(line[len("BENCH "):])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    client = (after_client.ru_utime + after_client.ru_stime) - (before_client.ru_utime + before_client.ru_stime)
    server_cpu = (sum(cpu_ticks(pid) for pid in pids) - before_server) / CLK_TCK
    after_machine, postgres = machine_ticks(), (postgres_ticks() - before_postgres) / CLK_TCK
    machine = (after_machine[0] - before_machine[0]) / CLK_TCK
    result["cores"] = {"wrk": client / wall, "gunicorn": server_cpu / wall, "postgres": postgres / wall,
                       "other": max(0.0, machine - client - server_cpu - postgres) / wall, "busy": machine / wall,
                       "steal": (after_machine[1] - before_machine[1]) / CLK_TCK / wall}
    result["ok"] = result["statuses"].get("201", 0)
    result["sessions"] = sampler.shares()
    return result


# Checks --------------------------------------------------------------------------------------------

def access_log_counts(logdir):
    """(path, status) -> count from gunicorn's access log (its default format)."""
    counts = {}
    pattern = re.compile(r'"(?:[A-Z]+) (\S+) HTTP/[\d.]+" (\d{3}) ')
    for line in (logdir / "access.log").read_text(errors="replace").splitlines():
        match = pattern.search(line)
        if match:
            key = (match.group(1).split("?")[0], int(match.group(2)))
            counts[key] = counts.get(key, 0) + 1
    return counts


def db_count(table):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        return cursor.fetchone()[0]


def count_queries(args, token, points):
    """One filing and one bare insert in-process (test client, same settings): queries and their time."""
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {token}")
    captured = []

    def timed(execute, sql, params, many, context):  # BEGIN/COMMIT are not queries here; their time is
        started = time.perf_counter()              # outside the SQL total
        try:
            return execute(sql, params, many, context)
        finally:
            captured.append((time.perf_counter() - started, sql))

    results = {}
    for name, path in (("filing", "/api/v1/issues/"), ("floor", "/bench/floor/"), ("bare", "/bench/bare/")):
        timings = []
        for attempt in range(21):  # the first warms the process (grid index, caches); the median of 20 after
            body = body_for(args, *points[attempt % len(points)], title=f"Bench query count {attempt}")
            captured.clear()
            with connection.execute_wrapper(timed):
                started = time.perf_counter()
                answer = client.post(path, data=json.dumps(body), content_type="application/json")
                elapsed = time.perf_counter() - started
            if answer.status_code != 201:
                return None
            if attempt:
                timings.append((elapsed, list(captured)))
        queries = [(statistics.median(t[1][k][0] for t in timings), sql) for k, (_, sql) in enumerate(timings[0][1])]
        results[name] = (len(queries), statistics.median(t[0] for t in timings),
                         statistics.median(sum(q[0] for q in t[1]) for t in timings), queries)
    timings = []
    for _attempt in range(20):
        connection.close()
        started = time.perf_counter()
        connection.ensure_connection()
        timings.append(time.perf_counter() - started)
    results["connect"] = statistics.median(timings)
    return results


# Main ----------------------------------------------------------------------------------------------

def summarise(runs):
    return {
        "rps": statistics.median(r["rps"] for r in runs),
        "p50": statistics.median(r["p50_us"] for r in runs) / 1000,
        "p99": statistics.median(r["p99_us"] for r in runs) / 1000,
        "max": max(r["max_us"] for r in runs) / 1000,
        "rounds": ", ".join(f"{r['rps']:.0f}" for r in runs),
        "cores": {k: statistics.median(r["cores"][k] for r in runs) for k in runs[0]["cores"]},
        "sessions": {k: statistics.median(r["sessions"].get(k, 0) for r in runs)
                     for k in {k for r in runs for k in r["sessions"]}},
    }


def describe(name, s):
    c = s["cores"]
    per = {k: c[k] / s["rps"] * 1000 for k in ("gunicorn", "postgres")}
    return (f"{name:7} median {s['rps']:7.1f} req/s (rounds {s['rounds']}); latency p50 {s['p50']:.1f} ms, "
            f"p99 {s['p99']:.1f} ms, max {s['max']:.0f} ms\n"
            f"{'':9}CPU cores busy {c['busy']:.2f}/{CORES} (steal {c['steal']:.2f}): gunicorn {c['gunicorn']:.2f}, "
            f"PostgreSQL {c['postgres']:.2f}, wrk {c['wrk']:.2f}, other processes {c['other']:.2f}; "
            f"CPU per request: gunicorn {per['gunicorn']:.1f} ms, PostgreSQL {per['postgres']:.1f} ms\n"
            f"{'':9}its PostgreSQL sessions: "
            + ", ".join(f"{k} {v:.0%}" for k, v in sorted(s["sessions"].items(), key=lambda kv: -kv[1]) if v >= 0.005))


def failures_of(name, runs):
    problems = []
    for number, r in enumerate(runs):
        bad = {k: v for k, v in r["statuses"].items() if k != "201"}
        errors = {k: v for k, v in r["errors"].items() if v and k != "status"}
        if bad or errors:
            problems.append(f"{name} run {number}: statuses {bad or '-'}, socket errors {errors or '-'}")
    return problems


def main():
    args = parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    os.environ.update(bench_env(args))
    pg_version = recreate_database(args)
    points, size = prepare(args)
    logdir = Path(tempfile.mkdtemp(prefix="bench-filing-"))
    server, base = start_gunicorn(args, logdir)
    problems = []
    try:
        bare_script = write_lua(logdir / "bare.lua", args, points, "/bench/bare/")
        status, answer = post_json(f"{base}/api/v1/auth/token/", {"username": RESIDENT, "password": PASSWORD})
        token = answer.get("token") if status == 200 and isinstance(answer, dict) else None
        probe = None
        if token:
            status, probe = post_json(f"{base}/api/v1/issues/", body_for(args, *points[0]),
                                      {"Authorization": f"Token {token}"})
        if not token or status != 201:
            print(f"filing endpoint not usable yet: POST /api/v1/{'issues' if token else 'auth/token'}/ "
                  f"-> {status} {str(answer if not token else probe)[:200]}; measuring the bare view only", flush=True)
            token = None
        else:
            print(f"probe: POST /api/v1/issues/ -> 201, number {probe.get('number')}", flush=True)
        endpoints = {"bare": bare_script}
        if token:
            endpoints["floor"] = write_lua(logdir / "floor.lua", args, points, "/bench/floor/", token)
            if args.breakdown:
                endpoints["drf"] = write_lua(logdir / "drf.lua", args, points, "/bench/drf/")
                endpoints["token"] = write_lua(logdir / "token.lua", args, points, "/bench/token/", token)
            endpoints["filing"] = write_lua(logdir / "filing.lua", args, points, "/api/v1/issues/", token)

        print(f"load: wrk -t {args.threads} -c {args.connections}, warm-up {args.warmup} s per endpoint, "
              f"{args.rounds} rounds x {args.seconds} s alternating; gunicorn {args.workers} sync workers", flush=True)
        runs = {name: [] for name in endpoints}
        warm = {name: run_wrk(args, base, script, args.warmup, server) for name, script in endpoints.items()}
        for number in range(args.rounds):
            order = list(endpoints) if number % 2 == 0 else list(reversed(endpoints))  # no endpoint always first
            for name in order:
                result = run_wrk(args, base, endpoints[name], args.seconds, server)
                runs[name].append(result)
                print(f"  round {number + 1} {name:6} {result['rps']:7.1f} req/s  p50 {result['p50_us'] / 1000:5.1f} ms  "
                      f"p99 {result['p99_us'] / 1000:6.1f} ms  statuses {result['statuses']}", flush=True)
        for name in endpoints:
            problems += failures_of(name, [warm[name], *runs[name]])

        # rows >= 201s in gunicorn's access log >= 201s wrk saw: the differences are requests still in
        # flight when a run's time was up (at most one per connection and run); gunicorn does not log
        # a response it could not write to the connection wrk had dropped.
        log = access_log_counts(logdir)
        server_errors = {key: n for key, n in log.items() if key[1] >= 500}
        if server_errors:
            problems.append(f"5xx in the access log: {server_errors}")
        tables = {"bare": ("bench_bare_row", "/bench/bare/"), "floor": ("bench_floor_row", "/bench/floor/"),
                  "drf": ("bench_drf_row", "/bench/drf/"), "token": ("bench_token_row", "/bench/token/"),
                  "filing": ("issues_issue", "/api/v1/issues/")}
        rows = {}
        for name in endpoints:
            table, path = tables[name]
            rows[name] = db_count(table)
            logged = log.get((path, 201), 0)
            seen = sum(r["ok"] for r in [warm[name], *runs[name]]) + (1 if name == "filing" else 0)
            line = f"check {name:6}: {rows[name]:,} rows in {table}, {logged:,} 201s logged, {seen:,} seen by wrk"
            # A response wrk gave up on may also fail to be written, and then goes unlogged.
            if not seen <= logged <= rows[name] <= seen + args.connections * (args.rounds + 1):
                problems.append(line)
            print(f"{line} ({rows[name] - seen} in flight when a run stopped)")

        print()
        summaries = {name: summarise(runs[name]) for name in endpoints}
        for name in endpoints:
            print(describe(name, summaries[name]))
        busy_elsewhere = max(summaries[name]["cores"]["other"] for name in endpoints)
        if busy_elsewhere > 0.25:
            print(f"note: other processes on the machine used {busy_elsewhere:.2f} cores during the runs; the "
                  f"rates are disturbed, the CPU per request is not (much)")
        print(f"stack: gunicorn {args.workers} sync workers, jianhua.settings.production (DEBUG=0) + /bench/bare/, "
              f"PostgreSQL {pg_version}, CONN_MAX_AGE={args.conn_max_age}, "
              f"Redis {'at ' + args.redis_url if args.redis_url else 'off (Celery eager)'}, access log on; "
              f"wrk -t {args.threads} -c {args.connections} (gunicorn sync closes each connection); {CORES} cores")
        print(f"data: {size['grids']} grids, {size['accounts']:,} accounts, "
              f"{rows.get('filing', 0):,} issues at the end; filings at {len(points)} grids' representative points")

        if token:
            counted = count_queries(args, token, points)
            if counted:
                connect = counted.pop("connect")
                for name, (queries, elapsed, in_sql, _captured) in counted.items():
                    print(f"in-process {name:6}: {queries} SQL queries, median {elapsed * 1000:.2f} ms per request, "
                          f"{in_sql * 1000:.2f} ms of it waiting on SQL (Django test client, no HTTP)")
                print(f"in-process: opening a PostgreSQL connection (each request when CONN_MAX_AGE=0) "
                      f"takes {connect * 1000:.2f} ms (median of 20)")
                if args.show_queries:
                    for seconds, sql in counted["filing"][3]:
                        print(f"  {seconds * 1000:6.2f} ms  {sql[:150]}")
            else:
                problems.append("the in-process query count failed (a non-201 answer)")
        print()
        bare = summaries["bare"]
        if token:
            real, floor = summaries["filing"], summaries["floor"]
            ratio = real["rps"] / bare["rps"]
            print(f"filing: {real['rps']:.0f} req/s (p50 {real['p50']:.0f} ms, p99 {real['p99']:.0f} ms) vs bare insert: "
                  f"{bare['rps']:.0f} req/s (p50 {bare['p50']:.0f} ms, p99 {bare['p99']:.0f} ms) → ratio {ratio:.2f} "
                  f"(target ≥ 0.5); {args.rounds} rounds × {args.seconds} s, {args.workers} gunicorn workers, "
                  f"PostgreSQL {pg_version.split('.')[0]}, {size['grids']} grids")
            print(f"floor:  {floor['rps']:.0f} req/s (p50 {floor['p50']:.0f} ms) → floor/bare {floor['rps'] / bare['rps']:.2f}, "
                  f"filing/floor {real['rps'] / floor['rps']:.2f} (token + input serializer + one INSERT, nothing else)")
            for name, what in (("drf", "DRF, no authentication"), ("token", "DRF + token")):
                if name in summaries:
                    part = summaries[name]
                    print(f"{name + ':':7} {part['rps']:.0f} req/s (p50 {part['p50']:.0f} ms) → {name}/bare "
                          f"{part['rps'] / bare['rps']:.2f} ({what}, one INSERT)")
        else:
            print(f"filing: n/a (endpoint missing) vs bare insert: {bare['rps']:.0f} req/s (p50 {bare['p50']:.0f} ms, "
                  f"p99 {bare['p99']:.0f} ms); {args.rounds} rounds × {args.seconds} s, {args.workers} gunicorn workers, "
                  f"PostgreSQL {pg_version.split('.')[0]}, {size['grids']} grids")
    finally:
        stop_gunicorn(server)
        from django.db import connection

        connection.close()
        if args.redis_url:
            _drop_queued_tasks(args.redis_url)
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    if problems:
        return 1
    return 0 if token else 2


def _drop_queued_tasks(redis_url):
    """Tasks the filings queued for a Celery worker that does not run here: drop our queue only."""
    try:
        import redis

        client = redis.Redis.from_url(redis_url)
        client.delete("celery")
        client.close()
    except Exception:  # noqa: BLE001 - cleaning up is best effort
        pass


if __name__ == "__main__":
    sys.exit(main())
