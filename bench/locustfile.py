"""The users of the load and fault run (bench/load.py starts locust on this file; see bench/README.md).

Four kinds of people, each with its own pace:

- residents file whistles with a photo (multipart, as the filing page's API call does), each with an
  Idempotency-Key; a filing that fails (connection error or 5xx) is sent once more with the same key, as
  the filing page does, and look at their own whistles;
- officers work their queue: community staff list what waits for them (submitted, accepted, resolved),
  open one and take the step the issue offers them (accept, dispatch to the grid's officer, close); the
  grid officers of the load's grids report for duty and resolve what was dispatched to them;
- leaders load the dashboard's API calls (bench/dashboard.py's list);
- Open311 clients poll requests.json for the last hour and now and then file a request.

The accounts, tokens, points and the Open311 key come from the JSON file $LOAD_CONFIG (written by
bench/load.py). Every answer is recorded – time, kind, milliseconds, status (0: no answer) – and, with
each whistle a client saw created, written to $LOAD_RESULTS when the run stops.
"""
import io
import itertools
import json
import os
import random
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from locust import HttpUser, between, events, task
from PIL import Image, ImageDraw, ImageFilter

CONFIG = json.loads(Path(os.environ["LOAD_CONFIG"]).read_text(encoding="utf-8"))
RESULTS = Path(os.environ["LOAD_RESULTS"])
RECORDS: list = []  # [t, kind, ms, status, error]
CREATED: list = []  # {"via", "key", "number", "status", "t"}
ACTIONS: dict = {}  # officer action -> answers by status
# Production redirects plain HTTP to HTTPS; the bench talks to gunicorn directly, as a TLS proxy would.
PROXY = {"X-Forwarded-Proto": "https"}

FILE = "resident: file with photo"
MINE = "resident: my whistles"
QUEUE = "officer: work queue"
OPEN = "officer: open issue"
ACT = "officer: act"
DASHBOARD = "leader: dashboard API"
POLL = "open311: GET requests"
POST311 = "open311: POST request"
KINDS = [FILE, MINE, QUEUE, OPEN, ACT, DASHBOARD, POLL, POST311]

TITLES = ["楼道垃圾三天未清运", "小区路灯不亮", "楼前占道停车", "深夜噪音扰民", "楼道杂物堆放"]
DESCRIPTION = "负载测试：{title}，请尽快处理。编号 {key}"


def _photo() -> bytes:
    """A phone-photo-like JPEG (1280×960, smooth shapes and sensor noise: about 300 KB)."""
    rng = random.Random(20261204)
    image = Image.new("RGB", (1280, 960), (120, 130, 140))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(1280), rng.randrange(960)
        draw.ellipse((x, y, x + rng.randrange(60, 400), y + rng.randrange(60, 300)),
                     fill=tuple(rng.randrange(256) for _ in range(3)))
    image = image.filter(ImageFilter.GaussianBlur(6))
    noise = Image.effect_noise((1280, 960), 24).convert("RGB")
    image = Image.blend(image, noise, 0.15)
    output = io.BytesIO()
    image.save(output, format="JPEG", quality=88)
    return output.getvalue()


PHOTO = _photo()
_residents = itertools.cycle(CONFIG["residents"])  # gevent runs one user at a time: no lock needed
_communities = itertools.count()


@events.request.add_listener
def _record(request_type, name, response_time, response_length, response=None, exception=None, context=None,
            **kwargs):
    status = getattr(response, "status_code", 0) or 0
    error = "" if status else type(exception).__name__ if exception else "no answer"
    RECORDS.append([time.time(), (context or {}).get("kind", name), round(response_time, 1), status, error])


@events.test_stop.add_listener
def _write(environment, **kwargs):
    RESULTS.write_text(json.dumps({"records": RECORDS, "created": CREATED, "actions": ACTIONS,
                                   "photo_bytes": len(PHOTO)}), encoding="utf-8")


def _ok(response):
    """Mark the answer for locust's own summary: 409 (another officer moved first) and 429 (a limit)
    are answers, not failures; what bench/load.py counts comes from the records, by status."""
    if response.status_code in (409, 429) or response.status_code < 400:
        response.success()
    else:
        response.failure(f"HTTP {response.status_code}")


class Resident(HttpUser):
    weight = 10
    wait_time = between(3, 8)

    @task(5)
    def file_with_photo(self):
        account = next(_residents)
        lat, lng = random.choice(CONFIG["points"])
        key = uuid.uuid4().hex
        title = f"{random.choice(TITLES)} {key[:6]}"
        data = {"title": title, "description": DESCRIPTION.format(title=title, key=key),
                "category": random.choice(CONFIG["categories"]), "lat": f"{lat:.7f}", "lng": f"{lng:.7f}",
                "address": "建华区 负载测试路 1 号"}
        headers = {**PROXY, "Authorization": f"Token {account['token']}", "Idempotency-Key": key}
        for attempt in range(2):  # the filing page sends a failed filing once more, with the same key
            with self.client.post("/api/v1/issues/", data=data, headers=headers, name=FILE, catch_response=True,
                                  files={"photos": ("IMG_0001.jpg", PHOTO, "image/jpeg")}, timeout=60,
                                  context={"kind": FILE}) as response:
                _ok(response)
                if response.status_code in (200, 201):
                    body = response.json()
                    CREATED.append({"via": "api", "key": key, "account": account["username"],
                                    "number": body.get("number"), "id": body.get("id"),
                                    "status": response.status_code, "t": time.time()})
                    return
                if response.status_code and response.status_code < 500:
                    return
            time.sleep(1)

    @task(2)
    def my_whistles(self):
        account = random.choice(CONFIG["residents"])
        with self.client.get("/api/v1/issues/?page_size=10", name=MINE, catch_response=True, timeout=60,
                             headers={**PROXY, "Authorization": f"Token {account['token']}"},
                             context={"kind": MINE}) as response:
            _ok(response)


class Officer(HttpUser):
    """Community staff of one community and the officers of its load grids, working one queue."""

    weight = 8
    wait_time = between(1, 3)
    # What an officer does first when an issue offers several steps: finish work before taking more.
    PREFERENCE = ["close", "resolve", "respond", "dispatch", "accept"]

    def on_start(self):
        communities = CONFIG["communities"]
        self.community = communities[next(_communities) % len(communities)]

    @task
    def work(self):
        if random.random() < 0.6:
            account, statuses = self.community["staff"], "submitted,accepted,resolved"
        else:
            account, statuses = random.choice(self.community["officers"]), "dispatched,responded"
        auth = {**PROXY, "Authorization": f"Token {account['token']}"}
        with self.client.get(f"/api/v1/issues/?status={statuses}&page_size=25", headers=auth, name=QUEUE,
                             catch_response=True, timeout=60, context={"kind": QUEUE}) as response:
            _ok(response)
            issues = response.json().get("results", []) if response.status_code == 200 else []
        if not issues:
            return
        issue = random.choice(issues[:10])
        with self.client.get(f"/api/v1/issues/{issue['id']}/", headers=auth, name=OPEN, catch_response=True,
                             timeout=60, context={"kind": OPEN}) as response:
            _ok(response)
            if response.status_code != 200:
                return
            detail = response.json()
        offered = [action for action in self.PREFERENCE if action in detail.get("actions", [])]
        if not offered:
            return
        action = offered[0]
        body = {"version": detail["version"]}
        if action == "dispatch":
            body["handler"] = f"g{detail['grid']['code']}-1"  # the grid's first information officer
        elif action == "resolve":
            body["result"] = "已到现场处理完毕，居民确认。"
        with self.client.post(f"/api/v1/issues/{issue['id']}/{action}/", json=body, headers=auth, name=ACT,
                              catch_response=True, timeout=60, context={"kind": ACT}) as response:
            _ok(response)
            counts = ACTIONS.setdefault(action, {})
            counts[str(response.status_code)] = counts.get(str(response.status_code), 0) + 1


class Leader(HttpUser):
    """A district leader with the dashboard open: every call of the page, then a while reading it."""

    weight = 4
    wait_time = between(5, 15)

    @task
    def dashboard(self):
        auth = {**PROXY, "Authorization": f"Token {CONFIG['leader']['token']}"}
        for path in CONFIG["dashboard_calls"]:
            with self.client.get(path, headers=auth, name=DASHBOARD, catch_response=True, timeout=60,
                                 context={"kind": DASHBOARD}) as response:
                _ok(response)


class Open311Client(HttpUser):
    """A third-party client (the 12345 hotline's system): polls the last hour's requests, files some."""

    weight = 4
    wait_time = between(2, 6)

    def on_start(self):
        self.device = f"load-device-{uuid.uuid4().hex[:8]}"

    @task(4)
    def poll(self):
        since = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self.client.get("/open311/v2/requests.json", name=POLL, catch_response=True, timeout=60,
                             params={"api_key": CONFIG["open311_key"], "start_date": since}, headers=PROXY,
                             context={"kind": POLL}) as response:
            _ok(response)

    @task(1)
    def file_request(self):
        lat, lng = random.choice(CONFIG["points"])
        key = uuid.uuid4().hex
        data = {"api_key": CONFIG["open311_key"], "service_code": random.choice(CONFIG["categories"]),
                "lat": f"{lat:.7f}", "long": f"{lng:.7f}", "device_id": self.device,
                "description": f"12345 热线转来：楼下垃圾桶满溢，负载测试 {key}", "first_name": "测试",
                "last_name": "王"}
        for attempt in range(2):
            with self.client.post("/open311/v2/requests.json", data=data, name=POST311, catch_response=True,
                                  headers={**PROXY, "Idempotency-Key": key}, timeout=60,
                                  context={"kind": POST311}) as response:
                _ok(response)
                if response.status_code in (200, 201):
                    answer = response.json()
                    first = answer[0] if isinstance(answer, list) and answer else {}
                    CREATED.append({"via": "open311", "key": f"{self.device}:{key}"[-80:],
                                    "account": CONFIG["open311_account"], "number": first.get("service_request_id"),
                                    "status": response.status_code, "t": time.time()})
                    return
                if response.status_code and response.status_code < 500:
                    return
            time.sleep(1)
