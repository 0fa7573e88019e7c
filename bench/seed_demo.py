"""seed_demo wall time: a fresh database (migrate first, not timed) and the idempotent re-run.

Medians of RUNS runs, each in a new process on a new SQLite file; with DATABASE_URL set, that
database is flushed before each run (so point it at a scratch database).
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 3


def manage(*args, env):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def timed(*args, env):
    started = time.perf_counter()
    manage(*args, env=env)
    return time.perf_counter() - started


def main():
    fresh, again = [], []
    for _run in range(RUNS):
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "jianhua.settings.local"}
        if "DATABASE_URL" not in os.environ:
            env["DATABASE_URL"] = f"sqlite:///{Path(tempfile.mkdtemp()) / 'seed.sqlite3'}"
        else:
            manage("flush", "--noinput", env=env)
        manage("migrate", "--noinput", env=env)
        fresh.append(timed("seed_demo", "--password", "bench", env=env))
        again.append(timed("seed_demo", "--password", "bench", env=env))
    where = "SQLite file" if "DATABASE_URL" not in os.environ else os.environ["DATABASE_URL"].split("@")[-1]
    print(f"seed_demo on {where}: 840 grids, 5,050 accounts; fresh median {statistics.median(fresh):.2f} s "
          f"(runs {', '.join(f'{t:.2f}' for t in fresh)}); re-run median {statistics.median(again):.2f} s "
          f"(runs {', '.join(f'{t:.2f}' for t in again)}); wall time of the whole command incl. Django start-up")


if __name__ == "__main__":
    main()
