"""The project's URLs plus /bench/bare/: the floor the filing endpoint is compared with.

The bare view goes through the same gunicorn, WSGI handler and middleware stack, reads the same
JSON body and inserts one row with one raw INSERT (autocommit) into bench_bare_row, which
bench/filing.py creates. Deliberately bare: no authentication, no validation, no ORM, no DRF.
"""
import json

from django.db import connection
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from jianhua.urls import urlpatterns as project_urlpatterns

BARE_TABLE_SQL = (
    "CREATE TABLE IF NOT EXISTS bench_bare_row (id bigserial PRIMARY KEY, title text, description text,"
    " lat double precision, lng double precision, created_at timestamptz DEFAULT now())"
)


@csrf_exempt
@require_POST
def bare_insert(request):
    data = json.loads(request.body)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_bare_row (title, description, lat, lng) VALUES (%s, %s, %s, %s) RETURNING id",
            [data["title"], data["description"], data["lat"], data["lng"]],
        )
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=201)


urlpatterns = [path("bench/bare/", bare_insert, name="bench-bare"), *project_urlpatterns]
