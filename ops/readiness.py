"""Readiness (/readyz): can this deployment do its work now? Built on django-health-check.

/healthz (grids.views.health) is liveness: the process answers, nothing else is asked. /readyz asks
every part the product needs and answers 503 naming the parts that are down:

- ``database``: PostgreSQL (or SQLite) answers ``SELECT 1``;
- ``cache``: the cache (Redis when REDIS_URL is set) stores and returns a value;
- ``broker``: the Celery broker (Redis) answers PING;
- ``worker``: a Celery worker answers a ping and consumes the default queue;
- ``beat``: every sweep of READINESS_SWEEP_TASKS ran within 2 × PERIODIC_SECONDS (ops.sweeps).

On the embedded default (no REDIS_URL: Celery runs tasks eagerly inside the web process, the cache
is per process) there is no broker, worker or beat to ask: those parts say so and pass.
"""
import asyncio
import dataclasses
import datetime
import functools
import time

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from health_check.base import HealthCheck
from health_check.checks import Cache, Database
from health_check.contrib.celery import Ping
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView, MediaType
from redis.asyncio import Redis as RedisClient

from jianhua.celery import app as celery_app

from . import sweeps


def _eager() -> bool:
    # The app's configuration, not the setting: a live test points the app at a broker of its own.
    return bool(celery_app.conf.task_always_eager)


def _not_used() -> str:
    return _("not used: Celery runs tasks eagerly in the web process (no REDIS_URL)")


class _Part:
    """The name a check answers under in /readyz, and what it says when it passed."""

    part = ""
    note = ""

    def pretty_status(self) -> str:
        return self.note or "OK"

    def __repr__(self):
        return self.part


@dataclasses.dataclass(repr=False)
class DatabasePart(_Part, Database):
    part = "database"


@dataclasses.dataclass(repr=False)
class CachePart(_Part, Cache):
    part = "cache"


@dataclasses.dataclass(repr=False)
class BrokerPart(_Part, Redis):
    part = "broker"
    client_factory: object = dataclasses.field(
        default=lambda: RedisClient.from_url(celery_app.conf.broker_url, socket_timeout=2, socket_connect_timeout=2),
        repr=False)

    @property
    def labels(self):
        return {"check": self.part}

    async def run(self):
        if _eager():
            self.note = _not_used()
            return
        await super().run()


@dataclasses.dataclass(repr=False)
class WorkerPart(_Part, Ping):
    part = "worker"
    app: object = dataclasses.field(default_factory=lambda: celery_app, repr=False)
    timeout: datetime.timedelta = dataclasses.field(default=datetime.timedelta(seconds=2), repr=False)

    async def run(self):
        # Async, so the messages are made in the request's context (its language); the ping blocks: a thread.
        if _eager():
            self.note = _not_used()
            return
        await asyncio.get_running_loop().run_in_executor(None, functools.partial(Ping.run, self))


@dataclasses.dataclass(repr=False)
class BeatPart(_Part, HealthCheck):
    """Every sweep ran (``moment="ran"``; /readyz) or was sent by beat (``moment="sent"``; beat's own
    container health check) within two periods."""

    part = "beat"
    moment: str = sweeps.RAN

    async def run(self):
        # Async, so the messages are made in the request's context (its language).
        if _eager():
            self.note = _("not checked: on the embedded default `manage.py run_timers` sweeps in its own process")
            return
        allowed = 2 * settings.PERIODIC_SECONDS
        now = time.time()
        stale = []
        for name in sweeps.sweep_tasks():
            last = await sweeps.sweep_last_async(task_name=name, moment=self.moment)
            if last is None:
                stale.append(_("%(task)s: none recorded") % {"task": name})
            elif now - last > allowed:
                stale.append(_("%(task)s: last %(seconds)d s ago") % {"task": name, "seconds": now - last})
        values = {"allowed": allowed, "stale": "; ".join(stale)}
        if stale and self.moment == sweeps.RAN:
            raise ServiceUnavailable(_("no sweep ran within %(allowed)g s (2 × PERIODIC_SECONDS): %(stale)s") % values)
        if stale:
            raise ServiceUnavailable(
                _("beat sent no sweep within %(allowed)g s (2 × PERIODIC_SECONDS): %(stale)s") % values)
        self.note = (_("every sweep ran within %(allowed)g s") if self.moment == sweeps.RAN
                     else _("beat sent every sweep within %(allowed)g s")) % values


class ReadinessView(HealthCheckView):
    """django-health-check's view with the product's parts, 503 (not 500) when one is down, and JSON
    keyed by part: ``{"status": "ok"|"down", "parts": {"database": {"ok": true, "detail": "OK"}, …}}``."""

    checks = (DatabasePart, CachePart, BrokerPart, WorkerPart, BeatPart)

    async def get(self, request, *args, **kwargs):
        if not request.GET.get("format"):
            try:
                list(MediaType.parse_header(request.headers.get("accept", "*/*")))
            except ValueError:  # the library would answer a malformed Accept header with a 500
                return HttpResponse(_("Not Acceptable: the Accept header is malformed; ask for application/json, "
                                      "text/plain or text/html"), status=406, content_type="text/plain; charset=utf-8")
        response = await super().get(request, *args, **kwargs)
        if response.status_code == 500:
            response.status_code = 503  # Service Unavailable: what load balancers and probes expect
        return response

    def render_to_response_json(self, status):
        down = any(result.error for result in self.results)
        parts = {
            repr(result.check): {"ok": result.error is None,
                                 "detail": str(result.error) if result.error else result.check.pretty_status()}
            for result in self.results
        }
        return JsonResponse({"status": "down" if down else "ok", "parts": parts}, status=status,
                            json_dumps_params={"ensure_ascii": False})
