"""Reads of areas, with their query counts decided here once."""
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from .models import Community, Department, Grid, GridDuty, Street, User


def street_list() -> QuerySet[Street]:
    return Street.objects.select_related("district").annotate(community_count=Count("communities")).order_by("code")


def community_list() -> QuerySet[Community]:
    return Community.objects.select_related("street").annotate(grid_count=Count("grids")).order_by("code")


def grid_list() -> QuerySet[Grid]:
    return Grid.objects.select_related("community__street").annotate(
        officer_count=Count("staff", filter=Q(staff__is_active=True)),
        leader_name=_leader_name(),
    ).order_by("code")


def _leader_name():
    return Subquery(
        User.objects.filter(grid=OuterRef("pk"), grid_duty=GridDuty.LEADER, is_active=True)
        .order_by("pk")
        .values("full_name")[:1]
    )


def department_list() -> QuerySet[Department]:
    return Department.objects.all()


def grids_geojson_rows():
    """(code, name, community name, street name, boundary) of every grid, ordered by code."""
    return Grid.objects.order_by("code").values_list(
        "code", "name", "community__name", "community__street__name", "boundary"
    )
