"""The project's URLs plus two reference views the filing endpoint is compared with.

/bench/bare/ goes through the same gunicorn, WSGI handler and middleware stack, reads the same
JSON body and inserts one row with one raw INSERT (autocommit) into bench_bare_row, which
bench/filing.py creates (the floor view's into bench_floor_row). Deliberately bare: no authentication, no validation, no ORM, no DRF.

/bench/floor/ is the least an API filing can do on this stack: a DRF view that authenticates the
token and checks the body with the filing's own input serializer (IssueCreateSerializer: lengths,
coordinates, the category looked up by code), then makes the same one-row INSERT. No grid lookup,
no routing, no number, no event, no answer beyond the id. The filing endpoint cannot be faster.

/bench/drf/ and /bench/token/ (bench/filing.py --breakdown) take the floor apart: DRF alone, then DRF
with the token checked, each around the same INSERT.
"""
import json

from django.db import connection
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from issues.api.serializers import IssueCreateSerializer
from jianhua.urls import urlpatterns as project_urlpatterns

BARE_TABLE_SQL = "; ".join(
    f"CREATE TABLE IF NOT EXISTS {table} (id bigserial PRIMARY KEY, title text, description text,"
    " lat double precision, lng double precision, created_at timestamptz DEFAULT now())"
    for table in ("bench_bare_row", "bench_floor_row", "bench_drf_row", "bench_token_row")
)


@csrf_exempt
@require_POST
def bare_insert(request):
    data = json.loads(request.body)
    return JsonResponse({"id": _insert("bench_bare_row", data)}, status=201)


def _insert(table, data):
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (title, description, lat, lng) VALUES (%s, %s, %s, %s) RETURNING id",
            [data["title"], data["description"], data["lat"], data["lng"]],
        )
        (row_id,) = cursor.fetchone()
    return row_id


class DrfInsert(APIView):
    """--breakdown: DRF's request, parser and response around the same INSERT; no authentication."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    def post(self, request):
        return Response({"id": _insert("bench_drf_row", request.data)}, status=201)


class TokenInsert(APIView):
    """--breakdown: as DrfInsert, with the API's authentication (the token read from the database)."""

    permission_classes = [permissions.IsAuthenticated]

    def post(self, request):
        return Response({"id": _insert("bench_token_row", request.data)}, status=201)


class FloorInsert(APIView):
    """Authenticated (the API's own classes: session or token) and validated, then one INSERT."""

    permission_classes = [permissions.IsAuthenticated]

    def post(self, request):
        data = IssueCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response({"id": _insert("bench_floor_row", data.validated_data)}, status=201)


urlpatterns = [
    path("bench/bare/", bare_insert, name="bench-bare"),
    path("bench/floor/", FloorInsert.as_view(), name="bench-floor"),
    path("bench/drf/", DrfInsert.as_view(), name="bench-drf"),
    path("bench/token/", TokenInsert.as_view(), name="bench-token"),
    *project_urlpatterns,
]
