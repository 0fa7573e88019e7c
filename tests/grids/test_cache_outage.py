"""The grid layer while Redis (the cache) is down: built afresh, never a 500 (bench/load.py's outage)."""
import json

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db

# A real Redis client against a port nobody listens on: every cache call is refused, as in an outage.
REDIS_DOWN = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": "redis://127.0.0.1:1/0"}}


@override_settings(CACHES=REDIS_DOWN)
def test_with_redis_down_the_geojson_layer_is_still_served():
    response = Client().get("/api/v1/grids/geojson/")

    assert response.status_code == 200
    assert len(json.loads(response.content)["features"]) == 840
