"""The field app on a phone: time to first render of /field/ online and from the service worker's cache, and
the size of the app shell (the files ``field.shell`` names) and of what the service worker keeps.

    .venv/bin/python bench/field.py              # 7 runs per case on a scratch SQLite database
    .venv/bin/python bench/field.py --runs 15 --keep

It migrates a scratch database (``--database-url``, default a new SQLite file), loads the demo district, serves
it with gunicorn under ``bench/field_settings.py`` (the production settings on plain HTTP, static files from the
apps, the site's own map tiles) and signs the demo grid officer in with Chromium (Playwright, a 412 × 915 phone).
Then, each case ``--runs`` times, it opens /field/ and reads the browser's first contentful paint:

- **online, first visit**: a new browser profile each run (no HTTP cache, no service worker);
- **online, service worker in control**: the same profile again and again once the worker has installed
  (pages network first, the shell from the worker's cache);
- **from the cache, offline**: the network cut (``set_offline``) and the server stopped, so nothing can reach
  it even from the worker, whose fetches Chromium's offline emulation does not always cover: every byte of the
  page comes from the worker's cache.

It prints the median, min and max of each case with the bytes the page itself fetched over the network (the
worker's precaching is not counted), what the worker's caches hold (entries, bytes, map tiles), then the shell:
every page and file ``field.shell`` names with its bytes and gzip bytes (what a compressing server or
WhiteNoise's precompressed files send; pictures as they are), the service worker and the manifest. It exits 2
while /field/ or ``field.shell`` does not exist yet, 1 if a case did not render.
"""
import argparse
import gzip
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CHROMIUM = "/usr/bin/chromium"
IMAGES = (".png", ".jpg", ".jpeg", ".webp", ".gif")
# What the service worker keeps, per cache: entries, bytes, and how many are map tiles.
CACHED = """async () => {
  const answer = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    let bytes = 0, tiles = 0;
    const requests = await cache.keys();
    for (const request of requests) {
      const response = await cache.match(request);
      bytes += (await response.clone().arrayBuffer()).byteLength;
      if (new URL(request.url).pathname.startsWith("/tiles/")) tiles += 1;
    }
    answer.push([name, requests.length, bytes, tiles]);
  }
  return answer;
}"""
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage"]
PHONE = {"viewport": {"width": 412, "height": 915}, "device_scale_factor": 2.625, "is_mobile": True,
         "has_touch": True, "locale": "zh-CN"}
PASSWORD = "bench-field-1"
OFFICER = "grid_officer"
# The page's first contentful paint, once the browser has one (ms from the navigation's start).
FCP = "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime"
# Bytes fetched over the network for the page and what it loaded (0 for what a cache answered).
TRANSFERRED = ("() => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
               ".reduce((sum, entry) => sum + (entry.transferSize || 0), 0)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(*args, env):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def serve(env, port, log):
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "jianhua.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--threads", "4", "--worker-class", "gthread", "--access-logfile", "-"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return server
        except OSError:
            time.sleep(0.3)
    stop(server)
    sys.exit(f"gunicorn did not answer on port {port} within 60 s")


def stop(server):
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def first_render(page, url) -> tuple[float, int, bool]:
    """(first contentful paint in ms, bytes over the network, answered by the service worker) of one visit.

    The page is brought to the front first: a page in the background is not painted, so it has no first paint."""
    page.goto("about:blank")
    page.bring_to_front()
    response = page.goto(url, wait_until="load")
    # Polled from here: wait_for_function evaluates a string, which the page's Content-Security-Policy refuses.
    deadline = time.monotonic() + 15
    while page.evaluate(FCP) is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} had no first contentful paint within 15 s")
        time.sleep(0.02)
    if page.evaluate("document.body.dataset.page") != "today":
        raise RuntimeError(f"{url} did not render the Today page (status {response.status if response else '—'})")
    return page.evaluate(FCP), page.evaluate(TRANSFERRED), bool(response and response.from_service_worker)


def worker_ready(page, url):
    """Open the page until the service worker has installed (precached the shell) and controls it."""
    page.goto(url, wait_until="load")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    for _attempt in range(5):
        if page.evaluate("!!navigator.serviceWorker.controller"):
            return
        page.reload(wait_until="load")
    raise RuntimeError("the service worker never took control of /field/")


def summary(name, runs) -> str:
    paints = [paint for paint, _bytes, _sw in runs]
    transferred = statistics.median(size for _paint, size, _sw in runs)
    by_worker = sum(1 for *_rest, sw in runs if sw)
    return (f"{name:<40} {statistics.median(paints):8.0f} {min(paints):6.0f} {max(paints):6.0f}"
            f" {transferred / 1024:10.1f} {by_worker:>4}/{len(runs)}")


def shell_sizes(request, base):
    """(group, name, bytes, gzip bytes) of the shell: its pages as the officer gets them, its static files, the
    service worker, the manifest and the API reads it keeps."""
    from field import shell

    rows = []

    def fetched(group, path):
        answer = request.get(base + path)
        if answer.status != 200:
            rows.append((group, f"{path} (HTTP {answer.status})", 0, 0))
            return
        body = answer.body()
        rows.append((group, path, len(body), len(gzip.compress(body, 9))))

    for path in shell.shell_page_urls():
        fetched("pages", path)
    for name, path in zip(shell.STATIC_FILES, shell.shell_file_paths(), strict=True):
        if path is None:
            rows.append(("static", f"{name} (missing)", 0, 0))
            continue
        content = Path(path).read_bytes()
        # Pictures are compressed already: servers send them as they are.
        packed = len(content) if name.endswith(IMAGES) else len(gzip.compress(content, 9))
        rows.append(("static", name, len(content), packed))
    for path in ("/field/sw.js", "/field/manifest.webmanifest"):
        fetched("worker", path)
    for path in getattr(shell, "API_READS", ()):
        fetched("API reads", path)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="visits per case (default 7)")
    parser.add_argument("--database-url", help="a scratch database (default: a new SQLite file)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (database, server log)")
    args = parser.parse_args()
    if not os.path.exists(CHROMIUM):
        sys.exit(f"{CHROMIUM} is missing: bin/test installs Debian's Chromium")
    work = Path(tempfile.mkdtemp(prefix="jianhua-bench-field-"))
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.field_settings",
           "DATABASE_URL": args.database_url or f"sqlite:///{work / 'field.sqlite3'}", "MEDIA_ROOT": str(work / "media"),
           "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)  # one process's cache per worker: the bench measures the browser, not Redis
    os.environ.update(env)
    import django

    django.setup()
    from django.urls import NoReverseMatch, reverse

    try:
        from field import shell  # noqa: F401
        url_path = reverse("field:today")
    except (ImportError, NoReverseMatch) as missing:
        print(f"The field app is not there yet ({missing}).")
        sys.exit(2)

    print(f"Migrating and seeding the demo district into {env['DATABASE_URL']} …", flush=True)
    manage("migrate", "--noinput", env=env)
    manage("seed_demo", "--password", PASSWORD, env=env)
    log = open(work / "gunicorn.log", "w")
    server = serve(env, port, log)
    base = f"http://127.0.0.1:{port}"
    url = base + url_path
    failed = False
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            signing_in = browser.new_context(**PHONE)
            page = signing_in.new_page()
            page.goto(f"{base}{reverse('login')}?next={url_path}")
            page.fill("#id_username", OFFICER)
            page.fill("#id_password", PASSWORD)
            page.click("#login-form button[type=submit]")
            page.wait_for_url(url)
            state = signing_in.storage_state()
            sizes = shell_sizes(signing_in.request, base)
            signing_in.close()

            cases = []
            first = []
            for _run in range(args.runs):
                context = browser.new_context(**PHONE, storage_state=state)
                first.append(first_render(context.new_page(), url))
                context.close()
            cases.append(("online, first visit", first))

            context = browser.new_context(**PHONE, storage_state=state)
            page = context.new_page()
            worker_ready(page, url)
            warm = [first_render(page, url) for _run in range(args.runs)]
            cases.append(("online, service worker in control", warm))
            cached = page.evaluate(CACHED)

            stop(server)  # nothing answers now, whatever reaches the network
            context.set_offline(True)
            offline = []
            for _run in range(args.runs):
                try:
                    offline.append(first_render(page, url))
                except Exception as error:  # noqa: BLE001 - reported in the table, not a traceback
                    print(f"offline visit failed: {type(error).__name__}: {str(error)[:200]}")
                    failed = True
            if offline:
                cases.append(("from the cache, offline (server stopped)", offline))
            browser.close()
    finally:
        stop(server)
        log.close()

    print(f"\n/field/ as {OFFICER} on a 412 px phone (Chromium {CHROMIUM}), {args.runs} visits per case\n")
    print(f"{'first contentful paint (ms)':<40} {'median':>8} {'min':>6} {'max':>6} {'network KB':>10} {'by SW':>6}")
    for name, runs in cases:
        print(summary(name, runs))

    print(f"\n{'what the service worker keeps (cache)':<52} {'entries':>10} {'bytes':>10} {'tiles':>6}")
    for name, entries, size, tiles in cached:
        print(f"{name:<52} {entries:>10} {size:>10,} {tiles:>6}")

    print(f"\n{'app shell (field.shell)':<52} {'bytes':>10} {'gzip':>10}")
    totals = {}
    for group, name, size, packed in sizes:
        print(f"{group + ': ' + name:<52} {size:>10,} {packed:>10,}")
        total = totals.setdefault(group, [0, 0])
        total[0] += size
        total[1] += packed
    for group, (size, packed) in totals.items():
        print(f"{'total ' + group:<52} {size:>10,} {packed:>10,}")
    print(f"{'total':<52} {sum(t[0] for t in totals.values()):>10,} {sum(t[1] for t in totals.values()):>10,}")
    if args.keep:
        print(f"\nkept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    missing = [name for _group, name, size, _packed in sizes if size == 0]
    if missing:
        print(f"\nnot found: {', '.join(missing)}")
    sys.exit(1 if failed or len(cases) < 3 else 0)


if __name__ == "__main__":
    main()
