"""The load and fault run: a mixed workload against gunicorn on PostgreSQL while the Redis broker is
stopped for a minute and a Celery worker is killed, then a check that every whistle and every
notification of the run exists exactly once.

    .venv/bin/pip install -r requirements-bench.txt      # locust (bin/test does not install it)
    .venv/bin/python bench/load.py                         # 10 minutes, 30 users, faults on
    .venv/bin/python bench/load.py --duration 120 --users 20 --no-faults --keep

What it starts, all its own and all stopped at the end (also on Ctrl-C): a scratch PostgreSQL database
(--database-url, DROPPED and recreated; migrated, seed_demo, generate_history --issues --history), a
redis-server on --redis-port without persistence (the machine's Redis on 6379 is never touched),
gunicorn (jianhua.wsgi, jianhua.settings.production, DEBUG=0), two Celery workers and beat on that
Redis, and locust headless on bench/locustfile.py (residents filing with a photo, officers working the
queue, leaders on the dashboard's API, Open311 clients). E-mail goes to files (Django's file backend) and
text messages to files (SMS_BACKEND=file), so that deliveries can be counted.

Faults (unless --no-faults): at a third of the run redis-server is killed (SIGKILL) and started again
on the same port --outage seconds later; at half the run one Celery worker is killed with SIGKILL and a
new one started.

It prints, per kind of request: requests, 2xx, 5xx, connection errors, 429 and other 4xx apart, p50 and
p99; the faults' timing and what the filings during the outage got; then waits for the outbox to drain
and checks that each whistle a client saw created exists once (by its Idempotency-Key and its client
id), that every event of the run told its people, that no (event, recipient, channel) is queued twice,
that every outbox message is sent and was delivered exactly once (the e-mail files by the outbox id
header, the SMS files by number and text). Exit status 1 if a check fails or any request got a 5xx or
no answer.
"""
import argparse
import importlib.util
import datetime
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORES = os.cpu_count() or 1
PASSWORD = "bench-load-pw"
RESIDENTS = 300  # accounts the residents file from, round robin: below ISSUE_FILINGS_PER_HOUR each
GRIDS_PER_COMMUNITY = 2
CATEGORIES = ["garbage", "littering", "streetlight", "noise", "parking"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--duration", type=int, default=600, help="seconds of load (default 600)")
    parser.add_argument("--users", type=int, default=30, help="locust users (default 30)")
    parser.add_argument("--spawn-rate", type=float, default=5.0, help="users started per second (default 5)")
    parser.add_argument("--no-faults", action="store_true", help="no Redis outage, no killed worker")
    parser.add_argument("--outage", type=int, default=60, help="seconds Redis stays down (default 60)")
    parser.add_argument("--keep", action="store_true", help="keep the database (and the run's files) afterwards")
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/jianhua_load",
                        help="the scratch database, DROPPED and recreated (default %(default)s)")
    parser.add_argument("--redis-port", type=int, default=6391, help="port of the run's own redis-server (6391)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers (default 3)")
    parser.add_argument("--history", type=int, default=20000, help="issues of generate_history before the run "
                                                                   "(default 20000; 0: none)")
    parser.add_argument("--drain-timeout", type=int, default=300, help="seconds to wait for the outbox (300)")
    return parser.parse_args()


# Processes -----------------------------------------------------------------------------------------

class Processes:
    """Every process the run starts, each in its own session, so that stopping one stops its children."""

    def __init__(self, logdir: Path):
        self.logdir, self.running = logdir, {}

    def start(self, name, command, env):
        log = open(self.logdir / f"{name}.log", "ab")
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        log.close()
        self.running[name] = process
        return process

    def kill(self, name, sig=signal.SIGKILL):
        process = self.running.pop(name)
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        process.wait()

    def stop(self, name, timeout=20):
        process = self.running.pop(name, None)
        if process is None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=timeout)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def stop_all(self):
        for name in reversed(list(self.running)):
            self.stop(name)


def port_open(port):
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis(processes, port, logdir):
    processes.start("redis", ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--dir", str(logdir)], os.environ)
    wait_for(lambda: port_open(port), 15, "redis-server did not start")


def wait_for(check, seconds, failure):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise SystemExit(failure)


def start_worker(processes, name):
    return processes.start(name, [sys.executable, "-m", "celery", "-A", "jianhua", "worker", "-n", f"{name}@%h",
                                  "--concurrency", "2", "--loglevel", "WARNING", "--without-gossip",
                                  "--without-mingle"], os.environ)


def healthy(base):
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


# Set-up --------------------------------------------------------------------------------------------

def run_env(args, files: Path):
    return {
        "DJANGO_SETTINGS_MODULE": "jianhua.settings.production",
        "SECRET_KEY": "bench-load-only-not-a-secret-" + "x" * 30,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": f"redis://127.0.0.1:{args.redis_port}/0",
        "SECURE_SSL_REDIRECT": "0",  # gunicorn is reached directly; locust also sends X-Forwarded-Proto
        "SECURE_COOKIES": "0",
        "STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "MEDIA_ROOT": str(files / "media"),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(files / "mail"),
        "SMS_BACKEND": "file",
        "SMS_FILE_PATH": str(files / "sms"),
        "NOTIFICATION_OUTBOX_CHANNELS": "email,sms",
        "LOG_LEVEL": "WARNING",
    }


def recreate_database(url):
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
        return conn.execute("SHOW server_version").fetchone()[0].split()[0]


def drop_database(url):
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(*command):
    done = subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=os.environ, capture_output=True,
                          text=True)
    if done.returncode:  # its output only when it failed (generate_history draws progress bars)
        sys.exit(f"manage.py {' '.join(command)} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")


def prepare(args, config_path: Path):
    """Migrate, seed, add history and the run's accounts; write locust's configuration."""
    started = time.perf_counter()
    manage("migrate", "--noinput")
    manage("seed_demo", "--password", PASSWORD)
    if args.history:
        manage("generate_history", "--issues", str(args.history), "--days", "120")
    import django

    django.setup()
    import random

    from django.db import connection, transaction
    from rest_framework.authtoken.models import Token

    from grids.boundaries import to_shape
    from grids.models import Community, Grid, Role, User
    from issues.models import Issue
    from issues.services import intake_client_create

    rng = random.Random(20261204)
    with transaction.atomic():
        residents = User.objects.bulk_create([
            User(username=f"load-resident-{n:03d}", role=Role.RESIDENT, full_name=f"居民{n:03d}",
                 email=f"load-resident-{n:03d}@example.org", phone=f"139{n:08d}", password="!")
            for n in range(RESIDENTS)])
        communities, points = [], []
        for community in Community.objects.order_by("code"):
            staff = User.objects.create(username=f"load-community-{community.code}", role=Role.COMMUNITY_STAFF,
                                        community=community, full_name=f"{community.name}值班",
                                        email=f"load-community-{community.code}@example.org", password="!")
            grids = rng.sample(list(Grid.objects.filter(community=community).order_by("code")), GRIDS_PER_COMMUNITY)
            officers = [User.objects.get(username=f"g{grid.code}-1") for grid in grids]
            for grid in grids:
                point = to_shape(grid.boundary).representative_point()
                points.append((point.y, point.x))
            communities.append((staff, officers))
        leader = User.objects.get(username="leader")
        everyone = [*residents, leader, *(p for staff, officers in communities for p in (staff, *officers))]
        tokens = {t.user_id: t.key for t in Token.objects.bulk_create([Token(user=u, key=Token.generate_key()) for u in everyone])}
        api_key = secrets.token_urlsafe(24)
        client = intake_client_create(name="负载测试客户端 load run", code="load-run", api_key=api_key,
                                      rate_limit_per_minute=600)

    def account(user):
        return {"username": user.username, "token": tokens[user.pk]}

    today = datetime.date.today()
    last_month = (today.replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")
    config = {
        "residents": [account(u) for u in residents],
        "communities": [{"staff": account(s), "officers": [account(o) for o in officers]} for s, officers in communities],
        "leader": account(leader),
        "points": points,
        "categories": CATEGORIES,
        "open311_key": api_key,
        "open311_account": client.account.username,
        "dashboard_calls": [  # the leader's calls of bench/dashboard.py
            "/api/v1/stats/summary/",
            f"/api/v1/stats/summary/?start={today.replace(day=1).isoformat()}",
            f"/api/v1/stats/trend/?interval=day&start={(today - datetime.timedelta(days=29)).isoformat()}",
            "/api/v1/stats/trend/?interval=month",
            "/api/v1/stats/trend/?interval=week",
            "/api/v1/stats/breakdown/?by=category",
            "/api/v1/stats/breakdown/?by=street",
            "/api/v1/stats/map/?level=street&measure=per_thousand",
            "/api/v1/stats/map/?level=grid&measure=per_thousand",
            "/api/v1/stats/map/?level=grid&measure=overdue",
            f"/api/v1/stats/ranking/?month={last_month}&level=street",
            f"/api/v1/stats/ranking/?month={last_month}&level=community",
        ],
    }
    config_path.write_text(json.dumps(config), encoding="utf-8")
    size = {"grids": Grid.objects.count(), "accounts": User.objects.count(), "issues": Issue.objects.count(),
            "load_grids": len(points)}
    connection.close()
    print(f"set-up in {time.perf_counter() - started:.0f} s: {size['grids']} grids, {size['accounts']:,} accounts, "
          f"{size['issues']:,} issues (generate_history); the run files at {len(points)} grids of "
          f"{len(communities)} communities from {RESIDENTS} resident accounts", flush=True)
    return config, size


# Faults --------------------------------------------------------------------------------------------

class Faults(threading.Thread):
    """On the run's clock: Redis down at a third for --outage seconds, a worker killed at half."""

    def __init__(self, args, processes, logdir, started):
        super().__init__(daemon=True)
        self.args, self.processes, self.logdir, self.started = args, processes, logdir, started
        self.timeline = {}  # name -> seconds into the run
        self.stop_event = threading.Event()
        self.errors = []

    def at(self, seconds):
        return self.stop_event.wait(max(0.0, self.started + seconds - time.monotonic()))

    def mark(self, name):
        self.timeline[name] = time.monotonic() - self.started
        print(f"  [{self.timeline[name]:6.1f} s] {name}", flush=True)

    def run(self):
        try:
            third, half = self.args.duration / 3, self.args.duration / 2
            events = sorted([(third, "redis down"), (third + self.args.outage, "redis up"), (half, "worker killed")])
            for when, name in events:
                if self.at(when):
                    return
                if name == "redis down":
                    self.processes.kill("redis")
                elif name == "redis up":
                    start_redis(self.processes, self.args.redis_port, self.logdir)
                else:
                    self.processes.kill("worker1")
                    start_worker(self.processes, "worker3")
                self.mark(name if name != "worker killed" else "worker1 killed (SIGKILL), worker3 started")
        except BaseException as error:  # noqa: BLE001 - reported with the results
            self.errors.append(repr(error))


# Results -------------------------------------------------------------------------------------------

def machine_ticks():
    """Busy ticks of the whole machine (all but idle and iowait), as a one-element list."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return [sum(values[:8]) - values[3] - values[4]]


def percentile(values, share):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def table(records, kinds):
    rows = []
    header = f"{'kind':<28} {'requests':>8} {'2xx':>7} {'5xx':>5} {'no answer':>9} {'429':>5} {'other 4xx':>9} " \
             f"{'p50 ms':>8} {'p99 ms':>8}"
    rows.append(header)
    rows.append("-" * len(header))
    totals = Counter()
    for kind in kinds + sorted({r[1] for r in records} - set(kinds)):
        mine = [r for r in records if r[1] == kind]
        if not mine:
            continue
        statuses = Counter(r[3] for r in mine)
        counts = {"requests": len(mine), "2xx": sum(n for s, n in statuses.items() if 200 <= s < 300),
                  "5xx": sum(n for s, n in statuses.items() if s >= 500), "none": statuses.get(0, 0),
                  "429": statuses.get(429, 0),
                  "4xx": sum(n for s, n in statuses.items() if 400 <= s < 500 and s != 429)}
        totals.update(counts)
        answered = [r[2] for r in mine if r[3]]
        rows.append(f"{kind:<28} {counts['requests']:>8,} {counts['2xx']:>7,} {counts['5xx']:>5} {counts['none']:>9} "
                    f"{counts['429']:>5} {counts['4xx']:>9} {percentile(answered, 0.5):>8.0f} "
                    f"{percentile(answered, 0.99):>8.0f}")
    answered = [r[2] for r in records if r[3]]
    rows.append("-" * len(header))
    rows.append(f"{'all':<28} {totals['requests']:>8,} {totals['2xx']:>7,} {totals['5xx']:>5} {totals['none']:>9} "
                f"{totals['429']:>5} {totals['4xx']:>9} {percentile(answered, 0.5):>8.0f} "
                f"{percentile(answered, 0.99):>8.0f}")
    return rows, totals


def outbox_pending():
    from notifications.models import OutboxMessage, OutboxStatus

    return OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count()


def delivered_mail(folder: Path) -> Counter:
    """Outbox ids of the e-mails Django's file backend wrote (several messages to a file)."""
    ids = Counter()
    for path in folder.glob("*.log"):
        # By the header, not by splitting at the dashes: two processes may append to one file (its name is a
        # timestamp and an object id), and each message is one write() of its own.
        text = path.read_text(encoding="utf-8", errors="replace")
        ids.update(int(found) for found in re.findall(r"^X-Jianhua-Outbox: (\d+)$", text, re.MULTILINE))
    return ids


def delivered_sms(folder: Path) -> Counter:
    return Counter(path.read_text(encoding="utf-8") for path in folder.glob("*.txt"))


def check_database(results, run_started_at, files: Path):
    """The exactly-once checks; a list of (ok, line)."""
    from django.db.models import Count

    from notifications.models import Notification, OutboxMessage, OutboxStatus
    from notifications.receivers import TOLD
    from issues.models import Issue, IssueEvent

    checks = []
    created = results["created"]
    keys = Counter(c["key"] for c in created)
    repeats = {k: n for k, n in keys.items() if n > 1}
    load = Issue.objects.filter(created_at__gte=run_started_at)
    by_key = Counter(load.exclude(idempotency_key=None).values_list("idempotency_key", flat=True))
    missing = [c for c in created if by_key.get(c["key"], 0) == 0]
    twice = {k: n for k, n in by_key.items() if n > 1}
    numbers = dict(load.exclude(idempotency_key=None).values_list("idempotency_key", "number"))
    wrong_number = [c for c in created if c.get("number") and numbers.get(c["key"]) not in (None, c["number"])]
    checks.append((not missing and not twice and not wrong_number,
                   f"whistles: {len(keys):,} seen created by the clients ({len(created):,} 2xx answers, "
                   f"{len(repeats)} keys answered twice), {load.count():,} filed in the run; missing in the "
                   f"database {len(missing)}, a key filed twice {len(twice)}, a number not the one answered "
                   f"{len(wrong_number)}"))
    # The client id (the key) is also in each description: no whistle of the run was filed twice.
    ids = Counter()
    for description in load.values_list("description", flat=True):
        match = re.search(r"[0-9a-f]{32}", description)
        if match:
            ids[match.group(0)] += 1
    checks.append((all(n == 1 for n in ids.values()) and len(ids) >= len(keys),
                   f"whistles by client id in the text: {len(ids):,} distinct, "
                   f"{sum(1 for n in ids.values() if n > 1)} filed more than once; "
                   f"{len(set(ids) - {k[-32:] for k in keys})} filed but never seen answered"))
    submits = Counter(IssueEvent.objects.filter(issue__in=load, action="submit").values_list("issue_id", flat=True))
    checks.append((len(submits) == load.count() and all(n == 1 for n in submits.values()),
                   f"submit events: {sum(submits.values()):,} for {load.count():,} whistles of the run"))

    events = IssueEvent.objects.filter(at__gte=run_started_at, action__in=list(TOLD))
    by_action = Counter(events.values_list("action", flat=True))
    told = set(Notification.objects.filter(created_at__gte=run_started_at).values_list("issue_id", "kind"))
    untold, nobody = Counter(), Counter()
    for event in events.select_related("issue"):
        if (event.issue_id, event.action) in told:
            continue
        # No notification: right only if the event's audience (asked now) is nobody but the actor – an
        # Open311 caller has no account, a tier may have no staff in the demo district.
        people = [person for tell in TOLD[event.action] for audience in tell.audience
                  for person in audience(event.issue) if person.pk != event.actor_id]
        (untold if people else nobody)[event.action] += 1
    checks.append((not untold, "events of the run: " + ", ".join(f"{a} {n:,}" for a, n in sorted(by_action.items()))
                   + f"; with nobody to tell {dict(nobody) or 0}; that told nobody though they should have "
                   f"{dict(untold) or 0}"))
    notifications = Notification.objects.filter(created_at__gte=run_started_at)
    doubled = (notifications.values("issue_id", "kind", "recipient_id").annotate(n=Count("id"))
               .filter(n__gt=1).count())
    checks.append((doubled == 0, f"notifications (the bell): {notifications.count():,}; the same (issue, kind, "
                                 f"recipient) twice: {doubled}"))

    outbox = OutboxMessage.objects.filter(created_at__gte=run_started_at)
    statuses = Counter(outbox.values_list("status", flat=True))
    facts = Counter((key.rsplit(":", 2)[0], recipient, channel) for key, recipient, channel in
                    outbox.values_list("dedupe_key", "recipient_id", "channel"))
    queued_twice = sum(1 for n in facts.values() if n > 1)
    sent = set(outbox.filter(status=OutboxStatus.SENT, channel="email").values_list("pk", flat=True))
    mail = delivered_mail(files / "mail")
    mail_twice = {pk: n for pk, n in mail.items() if n > 1}
    mail_missing = sent - set(mail)
    mail_unknown = set(mail) - set(OutboxMessage.objects.values_list("pk", flat=True))
    sms_rows = Counter(outbox.filter(status=OutboxStatus.SENT, channel="sms").values_list("address", "body"))
    sms = delivered_sms(files / "sms")
    sms_expected = Counter(f"To: {address}\n\n{body}\n" for (address, body), n in sms_rows.items() for _ in range(n))
    sms_twice = sum(n - sms_expected.get(text, 0) for text, n in sms.items() if n > sms_expected.get(text, 0))
    sms_missing = sum(n - sms.get(text, 0) for text, n in sms_expected.items() if n > sms.get(text, 0))
    attempts = Counter(outbox.values_list("attempts", flat=True))
    lags = sorted((sent_at - created).total_seconds() for created, sent_at in
                  outbox.filter(status=OutboxStatus.SENT).values_list("created_at", "sent_at"))
    if lags:
        checks.append((True, f"outbox lag, written → sent: p50 {percentile(lags, 0.5):.1f} s, p99 "
                             f"{percentile(lags, 0.99):.1f} s, max {lags[-1]:.0f} s (the messages of the outage "
                             f"wait for Redis and the next sweep)"))
    checks.append((queued_twice == 0 and statuses.get("pending", 0) == 0 and statuses.get("failed", 0) == 0,
                   f"outbox: {outbox.count():,} messages ({', '.join(f'{s} {n:,}' for s, n in sorted(statuses.items()))}); "
                   f"the same (event, recipient, channel) queued twice: {queued_twice}; attempts "
                   f"{dict(sorted(attempts.items()))}"))
    checks.append((not mail_twice and not mail_missing and not mail_unknown,
                   f"e-mail delivered: {sum(mail.values()):,} for {len(sent):,} sent e-mail messages; delivered twice "
                   f"{len(mail_twice)}, sent but not delivered {len(mail_missing)}, not from the outbox "
                   f"{len(mail_unknown)}"))
    checks.append((not sms_twice and not sms_missing,
                   f"SMS delivered: {sum(sms.values()):,} for {sum(sms_rows.values()):,} sent SMS messages; delivered "
                   f"twice {sms_twice}, sent but not delivered {sms_missing}"))
    return checks


def outage_report(records, timeline, started_wall):
    if "redis down" not in timeline:
        return []
    down = started_wall + timeline["redis down"]
    up = started_wall + timeline.get("redis up", timeline["redis down"] + 1e9)
    lines = []
    during = [r for r in records if down <= r[0] <= up]
    for kind in sorted({r[1] for r in during}):
        statuses = Counter(r[3] for r in during if r[1] == kind)
        lines.append(f"  during the outage {kind:<28} " + ", ".join(f"{s or 'no answer'}: {n}"
                                                                    for s, n in sorted(statuses.items())))
    return lines


# Main ----------------------------------------------------------------------------------------------

def _interrupt(signum, frame):
    raise KeyboardInterrupt

def main():
    args = parse_args()
    # Looked up, not imported: importing locust monkey-patches this process with gevent.
    if importlib.util.find_spec("locust") is None:
        sys.exit("locust is not installed: .venv/bin/pip install -r requirements-bench.txt")
    if shutil.which("redis-server") is None:
        sys.exit("redis-server is not installed (apt-get install -y redis-server)")
    if args.redis_port == 6379 or port_open(args.redis_port):
        sys.exit(f"port {args.redis_port} is taken: the run starts its own redis-server there (--redis-port)")
    files = Path(tempfile.mkdtemp(prefix="bench-load-"))
    logdir = files / "logs"
    logdir.mkdir()
    os.environ.update(run_env(args, files))
    processes = Processes(logdir)
    # Ctrl-C and SIGTERM both end in the finally below, which stops everything the run started.
    signal.signal(signal.SIGTERM, _interrupt)
    status = 1
    try:
        pg_version = recreate_database(args.database_url)
        start_redis(processes, args.redis_port, logdir)
        config_path, results_path = files / "locust-config.json", files / "locust-results.json"
        config, size = prepare(args, config_path)

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        processes.start("gunicorn", [sys.executable, "-m", "gunicorn", "jianhua.wsgi:application", "--bind",
                                     f"127.0.0.1:{port}", "--workers", str(args.workers), "--timeout", "60",
                                     "--access-logfile", str(logdir / "access.log")], os.environ)
        start_worker(processes, "worker1")
        start_worker(processes, "worker2")
        processes.start("beat", [sys.executable, "-m", "celery", "-A", "jianhua", "beat", "--loglevel", "WARNING",
                                 "--schedule", str(files / "celerybeat-schedule")], os.environ)
        wait_for(lambda: healthy(base), 60, f"gunicorn did not answer /healthz; see {logdir / 'gunicorn.log'}")

        from django.utils import timezone

        run_started_at = timezone.now()
        print(f"load: {args.users} locust users for {args.duration} s against gunicorn ({args.workers} sync workers) "
              f"on PostgreSQL {pg_version}, 2 Celery workers + beat on redis-server :{args.redis_port}; "
              f"faults {'off' if args.no_faults else 'on'}; files and logs in {files}", flush=True)
        started, started_wall, busy_before = time.monotonic(), time.time(), machine_ticks()
        locust_run = processes.start("locust", [
            sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
            "--host", base, "--users", str(args.users), "--spawn-rate", str(args.spawn_rate),
            "--run-time", f"{args.duration}s", "--stop-timeout", "30", "--only-summary", "--loglevel", "WARNING",
            "--csv", str(logdir / "locust"),
        ], {**os.environ, "LOAD_CONFIG": str(config_path), "LOAD_RESULTS": str(results_path)})
        faults = None
        if not args.no_faults:
            faults = Faults(args, processes, logdir, started)
            faults.start()
        locust_run.wait(timeout=args.duration + 120)
        processes.running.pop("locust", None)
        if faults:
            faults.stop_event.set()
            faults.join()
            if "redis" not in processes.running:  # the run ended inside the outage
                start_redis(processes, args.redis_port, logdir)
        elapsed = time.monotonic() - started
        busy = [(after - before) / os.sysconf("SC_CLK_TCK") / elapsed for before, after in
                zip(busy_before, machine_ticks())]
        if not results_path.exists():
            raise SystemExit(f"locust wrote no results; see {logdir / 'locust.log'}")
        results = json.loads(results_path.read_text(encoding="utf-8"))

        print(f"\nload ended after {elapsed:.0f} s; waiting for the outbox to drain", flush=True)
        drain_started = time.monotonic()
        pending = outbox_pending()
        while pending and time.monotonic() - drain_started < args.drain_timeout:
            time.sleep(2)
            pending = outbox_pending()
        print(f"outbox drained in {time.monotonic() - drain_started:.0f} s ({pending} pending)" if not pending else
              f"outbox NOT drained after {args.drain_timeout} s: {pending} pending", flush=True)

        records = results["records"]
        rows, totals = table(records, ["resident: file with photo", "resident: my whistles", "officer: work queue",
                                       "officer: open issue", "officer: act", "leader: dashboard API",
                                       "open311: GET requests", "open311: POST request"])
        print()
        print("\n".join(rows))
        print("\nofficers' steps (status: count): " + "; ".join(
            f"{a} {dict(sorted(c.items()))}" for a, c in sorted(results["actions"].items())))
        timeline = faults.timeline if faults else {}
        if faults:
            print("faults: " + "; ".join(f"{name} at {at:.0f} s" for name, at in timeline.items())
                  + (f"; errors: {faults.errors}" if faults.errors else ""))
            print("\n".join(outage_report(records, timeline, started_wall)))
        access = (logdir / "access.log").read_text(errors="replace") if (logdir / "access.log").exists() else ""
        server_errors = len(re.findall(r'" 5\d\d ', access))
        tracebacks = {name: (logdir / f"{name}.log").read_text(errors="replace").count("Traceback")
                      for name in ("gunicorn", "worker1", "worker2", "worker3", "beat") if (logdir / f"{name}.log").exists()}
        print(f"gunicorn access log: {server_errors} answers 5xx; tracebacks in the logs: {tracebacks}")
        print(f"machine during the load: {busy[0]:.2f} of {CORES} cores busy (everything on it: this run and the "
              f"others' work), load average at the end {os.getloadavg()[0]:.1f}")

        checks = check_database(results, run_started_at, files)
        print()
        for ok, line in checks:
            print(f"{'ok    ' if ok else 'FAILED'} {line}")

        from django.db import connection

        from issues.models import Issue, IssueEvent, IssuePhoto

        print(f"\ndata: {size['grids']} grids, {size['accounts']:,} accounts, {size['issues']:,} issues before the "
              f"run and {Issue.objects.count():,} after, {IssueEvent.objects.count():,} events, "
              f"{IssuePhoto.objects.count():,} photos (each upload {results['photo_bytes'] // 1024} KB, 1280×960 JPEG); "
              f"{args.users} users, {args.duration} s, {CORES} cores shared with the other work on the machine")
        connection.close()
        failed = [line for ok, line in checks if not ok]
        if totals["5xx"] or totals["none"] or pending:
            failed.append(f"{totals['5xx']} answers 5xx, {totals['none']} without an answer, {pending} pending")
        status = 1 if failed else 0
    except KeyboardInterrupt:
        print("\ninterrupted: stopping what the run started", file=sys.stderr)
        status = 130
    finally:
        processes.stop_all()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001 - Django may not be set up yet
            pass
        if not args.keep:
            drop_database(args.database_url)
            shutil.rmtree(files, ignore_errors=True)
        else:
            print(f"kept: database {args.database_url}, files and logs in {files}")
    return status


if __name__ == "__main__":
    sys.exit(main())
