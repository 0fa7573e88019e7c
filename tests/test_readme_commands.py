"""The README's first command, run as a newcomer would: it must end with the map being served."""
import datetime
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.read()
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def test_bin_demo_loads_the_district_prints_the_logins_and_serves_the_map(tmp_path):
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if key not in ("DJANGO_SETTINGS_MODULE", "REDIS_URL", "DATABASE_URL", "DEBUG")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}", PORT=str(port), DEMO_PASSWORD="readme-demo-1",
               SMS_FILE_PATH=str(tmp_path / "sms"))
    log = tmp_path / "demo.log"
    with open(log, "w") as out:
        server = subprocess.Popen([str(ROOT / "bin" / "demo")], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        status, page = wait_for(f"http://127.0.0.1:{port}/")
        assert status == 200
        assert "网格地图" in page.decode()
        _status, layer = wait_for(f"http://127.0.0.1:{port}/api/v1/grids/geojson/")
        assert len(json.loads(layer)["features"]) == 840
        _status, leaflet = wait_for(f"http://127.0.0.1:{port}/static/leaflet/leaflet.js")
        assert b"Leaflet" in leaflet[:2000]
        # The base map is the site's own (MAP_PROVIDER=local): a tile over the district, no network.
        assert '"url": "/tiles/{z}/{x}/{y}.png"' in page.decode()
        _status, tile = wait_for(f"http://127.0.0.1:{port}/tiles/12/3458/1434.png")
        assert tile.startswith(b"\x89PNG\r\n\x1a\n") and len(tile) > 1000  # drawn lines, not the blank tile
        # A new resident asks for a sign-in code: the text is a file where the demo said it would be.
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/auth/phone/code/", method="POST",
                                         data=json.dumps({"phone": "13800138000", "consent": True}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 202
        # The leader's dashboard is not empty on the first visit: the demo filled months of history.
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/auth/token/", method="POST",
                                         data=json.dumps({"username": "leader", "password": "readme-demo-1"}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            token = json.loads(answer.read())["token"]
        since = (datetime.date.today() - datetime.timedelta(days=130)).isoformat()
        summary = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/stats/summary/?start={since}",
                                         headers={"Authorization": f"Token {token}"})
        with urllib.request.urlopen(summary, timeout=30) as answer:
            figures = json.loads(answer.read())["figures"]
        assert figures["received"] >= 4000 and figures["closed"] > 0 and figures["rated"] > 0
        texts = list((tmp_path / "sms").glob("*.txt"))
        assert len(texts) == 1 and "+8613800138000" in texts[0].read_text(encoding="utf-8")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    printed = log.read_text()
    assert "readme-demo-1" in printed
    assert f"{tmp_path / 'sms'}/" in printed and "/accounts/phone/" in printed
    assert "4,000 issues generated" in printed  # a few months of history for the dashboard and the lists
    assert "dispatch.sweep_deadlines" in printed  # the timers run beside the server, without a broker
    for username in ("admin", "grid_officer", "community_staff", "street_staff", "leader", "resident2"):
        assert username in printed
