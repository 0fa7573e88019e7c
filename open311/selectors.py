"""Open311's reads. Every request list is one query whatever its length (the relations an answer
shows are joined, the boundaries left in the database)."""
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet

from issues.models import Category, CategoryAttribute, Issue

from .answers import statuses_for

REQUEST_RELATED = ("category", "grid", "community", "street__district", "handler_department", "merged_into")
BOUNDARIES = ("grid__boundary", "community__boundary", "street__boundary", "street__district__boundary")


def service_list() -> QuerySet[Category]:
    """The services: every active sub-category under an active top category, in the tree's order,
    with ``has_attributes``."""
    return (
        Category.objects.filter(is_active=True, parent__isnull=False, parent__is_active=True)
        .select_related("parent")
        .annotate(has_attributes=Exists(CategoryAttribute.objects.filter(category=OuterRef("pk"))))
        .order_by("parent__order", "parent__code", "order", "code")
    )


def service_get(code: str) -> Category | None:
    return service_list().filter(code=code).first()


def service_attributes(category: Category) -> list[CategoryAttribute]:
    return list(category.attributes.order_by("order", "code"))


@dataclass(frozen=True)
class RequestFilters:
    numbers: tuple[str, ...] = ()  # when given, the other filters do not apply (the spec's rule)
    service_codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()  # open / closed
    start: datetime | None = None
    end: datetime | None = None


def request_list(filters: RequestFilters) -> list[Issue]:
    """Newest first, at most ``OPEN311_MAX_REQUESTS``."""
    issues = _requests()
    if filters.numbers:
        issues = issues.filter(number__in=filters.numbers)
    else:
        if filters.service_codes:
            issues = issues.filter(category__code__in=filters.service_codes)
        if filters.statuses:
            issues = issues.filter(status__in=[s for status in filters.statuses for s in statuses_for(status)])
        if filters.start is not None:
            issues = issues.filter(created_at__gte=filters.start)
        if filters.end is not None:
            issues = issues.filter(created_at__lte=filters.end)
    return list(issues.order_by("-created_at", "-id")[: settings.OPEN311_MAX_REQUESTS])


def request_get(number: str) -> Issue | None:
    return _requests().filter(number=number).first()


def token_get(token) -> Issue | None:
    return Issue.objects.filter(intake_token=token).only("number", "intake_token").first()


def _requests() -> QuerySet[Issue]:
    return Issue.objects.select_related(*REQUEST_RELATED).defer(*BOUNDARIES)
