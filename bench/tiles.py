"""The local base map (MAP_PROVIDER=local, grids/tiles.py): what a tile costs to draw, and to serve once drawn.

    .venv/bin/python bench/tiles.py              # the demo district on a scratch SQLite file
    .venv/bin/python bench/tiles.py --sample 400

Per zoom level: how many tiles cover the district, the median and p90 milliseconds to draw one (the STRtree
query, clipping, Pillow at twice the size, shrinking, the palette PNG), its median size, and the median time
of ``GET /tiles/z/x/y.png`` through Django's test client once the tile is in the cache (middleware included).
Up to ``--sample`` tiles per level, chosen at random among those over the district; the load of the boundaries
into the tree (once per process and boundary revision) is timed apart.
"""
import argparse
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def covering(bounds, z):
    """Every tile z/x/y over the bounding box (west, south, east, north)."""
    n = 2 ** z

    def column(lng):
        return int((lng + 180) / 360 * n)

    def row(lat):
        return int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)

    west, south, east, north = bounds
    return [(z, x, y) for x in range(column(west), column(east) + 1) for y in range(row(north), row(south) + 1)]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sample", type=int, default=200, help="tiles per zoom level at most (default 200)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="jianhua-bench-tiles-"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "jianhua.settings.test", "ALLOWED_HOSTS": "testserver",
           "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{work / 'tiles.sqlite3'}", "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)  # the process's own memory cache: the drawing is measured, not Redis
    for command in (["migrate", "--noinput"], ["seed_demo", "--password", "bench-tiles-1"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
    os.environ.update(env)
    import django

    django.setup()
    from django.test import Client

    from grids import tiles

    started = time.perf_counter()
    source = tiles.tile_source()
    loaded = (time.perf_counter() - started) * 1000
    print(f"{len(source.grids)} grids; boundaries into the STRtree (once per process and revision): {loaded:.0f} ms\n")
    print(f"{'zoom':>4} {'tiles':>8} {'draw median':>12} {'p90':>8} {'size':>8} {'served (cached)':>16}")
    client = Client()
    rng = random.Random(13)
    for z in range(10, tiles.MAX_ZOOM + 1):
        over = [tile for tile in covering(source.bounds, z) if tiles.tile_draw(source, *tile) is not None] \
            if z <= 14 else covering(source.bounds, z)
        sample = rng.sample(over, min(args.sample, len(over)))
        drawn, sizes = [], []
        for tile in sample:
            began = time.perf_counter()
            png = tiles.tile_draw(source, *tile)
            drawn.append((time.perf_counter() - began) * 1000)
            sizes.append(len(png) if png else len(tiles.blank_tile()))
        served = []
        for z_, x, y in sample[:50]:
            client.get(f"/tiles/{z_}/{x}/{y}.png")  # drawn and kept
            began = time.perf_counter()
            client.get(f"/tiles/{z_}/{x}/{y}.png")
            served.append((time.perf_counter() - began) * 1000)
        p90 = sorted(drawn)[max(0, int(len(drawn) * 0.9) - 1)]
        count = f"{len(over):,}" if z <= 14 else f"≤{len(over):,}"
        print(f"{z:>4} {count:>8} {statistics.median(drawn):10.1f}ms {p90:6.1f}ms {statistics.median(sizes):7.0f}B"
              f" {statistics.median(served):14.2f}ms")


if __name__ == "__main__":
    main()
