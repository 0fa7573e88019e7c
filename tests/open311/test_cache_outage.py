"""Open311 while Redis is down: the rate limit's shared count is out of reach, and the hotline's system
must still be served (the load and fault run, bench/load.py, found every call answering 500 then)."""
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import override_settings

from issues.models import Issue

from .spec import errors_of

pytestmark = pytest.mark.django_db

# A real Redis client against a port nobody listens on: every cache call is refused, as in an outage.
REDIS_DOWN = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": "redis://127.0.0.1:1/0"}}


@override_settings(CACHES=REDIS_DOWN)
def test_with_redis_down_a_client_still_files_and_polls(open311, whistle, hotline):
    filed = open311.post(whistle())
    polled = open311.get("requests", api_key=hotline.api_key)

    assert filed.status_code == 201, filed.content
    (answer,) = filed.json()
    assert Issue.objects.get().number == answer["service_request_id"]
    assert polled.status_code == 200, polled.content
    assert [r["service_request_id"] for r in polled.json()] == [answer["service_request_id"]]


@override_settings(CACHES=REDIS_DOWN)
def test_with_redis_down_the_limit_still_holds_within_a_process(open311, whistle, hotline):
    hotline.rate_limit_per_minute = 2
    hotline.save()
    with time_machine.travel(datetime(2026, 12, 4, 10, 0, 5, tzinfo=UTC), tick=False):
        assert open311.post(whistle()).status_code == 201
        assert open311.get("requests", api_key=hotline.api_key).status_code == 200
        refused = open311.post(whistle())

    assert refused.status_code == 429
    (error,) = errors_of(refused, "json")
    assert "2" in error["description"]
    assert Issue.objects.count() == 1
