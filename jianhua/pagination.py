"""Paging long lists without reading them whole.

Two costs grow with a list on PostgreSQL: counting it (``COUNT(*)`` reads every matching row) and
reaching a deep page (``OFFSET n`` reads and throws away n rows, with every joined table). At a million
issues either alone is more than a work queue may take. ``LargeListPaginator``

- counts exactly up to ``EXACT_COUNT_BELOW`` rows (one ``COUNT`` over a ``LIMIT``, on every database),
  and above that gives PostgreSQL's planner estimate (flagged ``count_is_estimate``: pages say "about
  1,000,000");
- fetches a deep page (from ``DEEP_OFFSET`` rows on) in two steps: the ids of the page from an index
  (``ORDER BY … OFFSET … LIMIT`` over the id and the ordering columns only), then those rows with
  whatever the queryset prefetches. Shallower pages are one query, as with Django's Paginator.
"""
import json

from django.core.paginator import Page, Paginator
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination

EXACT_COUNT_BELOW = 5_000
# Below this offset a page is one query; from here on its ids come from the index first.
DEEP_OFFSET = 1_000


class LargeListPaginator(Paginator):
    _estimated = False

    @property
    def count_is_estimate(self) -> bool:
        """Whether ``count`` is the planner's estimate (asking counts the list first)."""
        return self.count is not None and self._estimated

    @cached_property
    def count(self):
        queryset = self.object_list
        if not hasattr(queryset, "query"):
            return super().count
        # One query on every database: count at most EXACT_COUNT_BELOW rows (a LIMIT inside the COUNT).
        counted = queryset.order_by().values("pk")[:EXACT_COUNT_BELOW].count()
        if counted < EXACT_COUNT_BELOW:
            return counted
        connection = connections[queryset.db]
        if connection.vendor == "postgresql":
            estimate = _planner_rows(queryset.order_by(), connection)
            if estimate is not None:
                self._estimated = True
                return max(estimate, EXACT_COUNT_BELOW)
        return queryset.count()

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        queryset = self.object_list
        if (bottom < DEEP_OFFSET or not hasattr(queryset, "query") or not queryset.query.order_by
                or connections[queryset.db].vendor != "postgresql"):
            return self._get_page(queryset[bottom:top], number, self)
        ids = list(queryset.values_list("pk", flat=True)[bottom:top])
        fetched = {row.pk: row for row in queryset.order_by().filter(pk__in=ids)}
        return Page([fetched[pk] for pk in ids if pk in fetched], number, self)


def _planner_rows(queryset, connection) -> int | None:
    try:
        sql, params = queryset.values("pk").query.sql_with_params()
    except EmptyResultSet:
        return 0
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        (plan,) = cursor.fetchone()
    if isinstance(plan, str):
        plan = json.loads(plan)
    try:
        return int(plan[0]["Plan"]["Plan Rows"])
    except (KeyError, IndexError, TypeError, ValueError):
        return None


class StandardPagination(PageNumberPagination):
    """``?page=`` and ``?page_size=`` (up to 200) on every list; long lists count by estimate (see above)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    django_paginator_class = LargeListPaginator

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["count_is_estimate"] = self.page.paginator.count_is_estimate
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count_is_estimate"] = {
            "type": "boolean", "description": "true when count is the planner's estimate of a long list"}
        return schema
