"""Read paths at scale: the dashboard and its API, the monthly ranking, the grid map layer, the officer work
queue, the issue list API (first and a deep page) and an issue page, on a PostgreSQL database filled
with ``generate_history``. Prints the median and p90 of warm runs (in-process Django test client against
the real database: the time of Django, the ORM and PostgreSQL, without an HTTP server) and the plan of
the slowest query.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jianhua_hist .venv/bin/python bench/dashboard.py
    .venv/bin/python bench/dashboard.py --database jianhua_hist_100k --runs 9

The database must have been migrated, seeded (``seed_demo``) and filled (``generate_history --issues N``).
"""
import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGETS_MS = {"dashboard": 300, "queue": 30}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="a database on 127.0.0.1:5432 (user postgres); else DATABASE_URL")
    parser.add_argument("--runs", type=int, default=7, help="warm runs per call (default 7)")
    parser.add_argument("--explain", action="store_true", help="print the plan of the slowest query")
    args = parser.parse_args()
    if args.database:
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.database}"
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database filled by generate_history (or --database).")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jianhua.settings.test")
    os.environ.setdefault("CONN_MAX_AGE", "60")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
    import django

    django.setup()
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from grids.models import User
    from issues.models import Issue

    issues = Issue.objects.count()
    people = {name: User.objects.get(username=name) for name in
              ("leader", "command_centre", "street_staff", "community_staff", "grid_officer")}
    grid_officer = people["grid_officer"]
    in_grid = Issue.objects.filter(grid_id=grid_officer.grid_id).order_by("-created_at").first()
    newest = Issue.objects.order_by("-created_at", "-id").first()
    sample = in_grid or newest
    deep_page = max(1, min(2000, issues // 25 // 2))
    from django.utils import timezone

    today = timezone.localdate()
    this_month = today.replace(day=1).isoformat()
    last_30 = (today - datetime.timedelta(days=29)).isoformat()
    month = (today.replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")  # last month

    calls = [
        ("dashboard", "leader", "/dashboard/"),
        ("dashboard", "leader", "/api/v1/stats/summary/"),
        ("dashboard", "leader", f"/api/v1/stats/summary/?start={this_month}"),
        ("dashboard", "leader", f"/api/v1/stats/trend/?interval=day&start={last_30}"),
        ("dashboard", "leader", "/api/v1/stats/trend/?interval=month"),
        ("dashboard", "leader", "/api/v1/stats/trend/?interval=week"),
        ("dashboard", "leader", "/api/v1/stats/breakdown/?by=category"),
        ("dashboard", "leader", "/api/v1/stats/breakdown/?by=street"),
        ("dashboard", "leader", "/api/v1/stats/map/?level=street&measure=per_thousand"),
        ("dashboard", "leader", "/api/v1/stats/map/?level=grid&measure=per_thousand"),
        ("dashboard", "leader", "/api/v1/stats/map/?level=grid&measure=overdue"),
        ("dashboard", "leader", f"/api/v1/stats/ranking/?month={month}&level=street"),
        ("dashboard", "leader", f"/api/v1/stats/ranking/?month={month}&level=community"),
        ("dashboard", "street_staff", "/api/v1/stats/summary/"),
        ("queue", "grid_officer", "/work/"),
        ("queue", "community_staff", "/work/"),
        ("queue", "command_centre", "/work/"),
        ("queue", "community_staff", "/work/?show=all"),  # the finished ones too
        ("queue", "command_centre", "/api/v1/issues/?page_size=25"),
        ("queue", "command_centre", f"/api/v1/issues/?page_size=25&page={deep_page}"),
        ("queue", "grid_officer", "/api/v1/issues/?page_size=25"),
        ("queue", "command_centre", f"/issues/{sample.number}/"),
        ("queue", "grid_officer", f"/issues/{sample.number}/"),
    ]
    clients = {}
    for name, person in people.items():
        clients[name] = Client()
        clients[name].force_login(person)

    print(f"{issues:,} issues on {connection.settings_dict['NAME']}; {args.runs} warm runs per call "
          f"(in-process client, PostgreSQL {connection.pg_version // 10000})\n")
    print(f"{'call':<72} {'median':>8} {'p90':>8} {'queries':>8}  target")
    slowest = (0, None, None)
    for kind, who, url in calls:
        client = clients[who]
        response = client.get(url)  # warm: caches, plans, the page's imports
        if response.status_code != 200:
            print(f"{who + ' ' + url:<72} HTTP {response.status_code}")
            continue
        times = []
        for _ in range(args.runs):
            reset_queries()
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - started) * 1000)
        median = statistics.median(times)
        p90 = sorted(times)[max(0, int(len(times) * 0.9) - 1)]
        target = TARGETS_MS[kind]
        flag = "ok" if median < target else "SLOW"
        print(f"{who + ' ' + url:<72} {median:7.1f}ms {p90:7.1f}ms {len(queries):>8}  <{target} {flag}")
        for query in queries.captured_queries:
            took = float(query["time"]) * 1000
            if took > slowest[0]:
                slowest = (took, query["sql"], url)
    if slowest[1]:
        print(f"\nslowest query: {slowest[0]:.1f} ms in {slowest[2]}\n{slowest[1][:600]}")
        if args.explain:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest[1])
                print("\n".join(row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()
