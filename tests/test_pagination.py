"""Long lists: exact counts up to a bound, the planner's estimate beyond it (PostgreSQL), and deep pages
read ids first – the same rows in the same order as a plain slice."""
import pytest
from django.db import connection

from issues.models import Issue
from jianhua import pagination
from tests.issues.conftest import categories, file_issue, garbage, spot_in_officers_grid  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def twenty_issues(file_issue):  # noqa: F811
    return [file_issue(title=f"第{n}件") for n in range(20)]


def newest_first():
    return Issue.objects.order_by("-created_at", "-id")


def test_a_short_list_is_counted_exactly(twenty_issues, monkeypatch):
    monkeypatch.setattr(pagination, "EXACT_COUNT_BELOW", 50)
    paginator = pagination.LargeListPaginator(newest_first(), 5)
    assert paginator.count == Issue.objects.count() and not paginator.count_is_estimate


def test_a_long_list_is_counted_by_estimate_on_postgresql(twenty_issues, monkeypatch):
    monkeypatch.setattr(pagination, "EXACT_COUNT_BELOW", 10)
    paginator = pagination.LargeListPaginator(newest_first(), 5)
    if connection.vendor == "postgresql":
        assert paginator.count_is_estimate and paginator.count >= 10
    else:
        assert paginator.count == Issue.objects.count() and not paginator.count_is_estimate


def test_a_deep_page_holds_the_rows_of_a_plain_slice(twenty_issues, monkeypatch, django_assert_max_num_queries):
    monkeypatch.setattr(pagination, "DEEP_OFFSET", 5)
    paginator = pagination.LargeListPaginator(newest_first(), 5)
    expected = list(newest_first().values_list("number", flat=True))
    for number in paginator.page_range:
        with django_assert_max_num_queries(2):
            page = paginator.page(number)
            assert [issue.number for issue in page] == expected[(number - 1) * 5:number * 5]


def test_an_empty_list(db):
    paginator = pagination.LargeListPaginator(Issue.objects.none(), 5)
    assert paginator.count == 0 and list(paginator.get_page(1)) == []
