"""Point → grid lookup cost: median µs per call over several rounds.

1. GridIndex.locate on the 840-grid demo tiling and on 100,000 grids generated the same way.
2. grid_locate(), the service the API calls (index kept per process, revision checked once a
   second), on the demo district seeded into a temporary SQLite database.
"""
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ROUNDS = 5
POINTS = 20_000


def points_around(bounds, count, seed=1):
    minx, miny, maxx, maxy = bounds
    rng = numpy.random.default_rng(seed)
    # A 10 % margin around the district, so some points fall outside it.
    dx, dy = (maxx - minx) * 0.1, (maxy - miny) * 0.1
    return rng.uniform((minx - dx, miny - dy), (maxx + dx, maxy + dy), size=(count, 2))


def median_us(call, points):
    rounds = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for lng, lat in points:
            call(lat, lng)
        rounds.append((time.perf_counter() - started) / len(points) * 1e6)
    return statistics.median(rounds), min(rounds), max(rounds)


def bench_index(count):
    import shapely

    from grids.demo.geometry import tiling
    from grids.locate import GridIndex

    started = time.perf_counter()
    cells = tiling(count, 81e6, 47.35, 123.95).cells
    generated = time.perf_counter() - started
    started = time.perf_counter()
    index = GridIndex([(f"{i:06d}", cell, i) for i, cell in enumerate(cells)])
    built = time.perf_counter() - started
    bounds = shapely.union_all(numpy.array(cells, dtype=object)).bounds if count <= 1000 else (
        min(c.bounds[0] for c in cells), min(c.bounds[1] for c in cells),
        max(c.bounds[2] for c in cells), max(c.bounds[3] for c in cells))
    points = points_around(bounds, POINTS)
    med, low, high = median_us(index.locate, points)
    hits = sum(index.locate(lat, lng) is not None for lng, lat in points[:2000])
    print(f"GridIndex.locate   {count:>7,} grids: median {med:6.1f} µs/call (min {low:.1f}, max {high:.1f}); "
          f"{POINTS:,} points x {ROUNDS} rounds, {hits / 20:.0f} % inside; "
          f"tiling {generated:.2f} s, index build {built * 1000:.0f} ms")


def bench_service():
    from django.core.management import call_command

    from grids.boundaries import to_shape
    from grids.locate import OutsideDistrict, grid_locate
    from grids.models import District

    call_command("migrate", verbosity=0)
    call_command("seed_demo", password="bench", stdout=open(os.devnull, "w"))
    points = points_around(to_shape(District.objects.get().boundary).bounds, POINTS)

    def call(lat, lng):
        try:
            grid_locate(lat=lat, lng=lng)
        except OutsideDistrict:
            pass

    call(47.35, 123.95)  # build the index once, as the first request of a process does
    med, low, high = median_us(call, points)
    print(f"grid_locate()          840 grids: median {med:6.1f} µs/call (min {low:.1f}, max {high:.1f}); "
          f"{POINTS:,} points x {ROUNDS} rounds, SQLite, revision checked every second")


def setup_django():
    # A scratch SQLite database: the benchmark never touches the project's own.
    os.environ["DATABASE_URL"] = f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jianhua.settings.local")
    import django

    django.setup()


if __name__ == "__main__":
    setup_django()
    bench_index(840)
    bench_index(100_000)
    bench_service()
