"""The figures' story: six whistles in the grid officer's grid over January and February 2026, moved
through the lifecycle by the services with time stopped, so that every count can be worked out by hand
(the expected numbers are in test_kpis.py)."""
import pytest
import time_machine

from grids.boundaries import to_shape
from grids.models import Department, Grid
from issues import services
from issues.models import Rating, RejectReason
from tests.dispatch.conftest import deadline_rules, local, routing_rules  # noqa: F401
from tests.issues.conftest import advance, categories, file_issue, garbage, spot_in_officers_grid  # noqa: F401


def at(moment, step):
    with time_machine.travel(moment, tick=False):
        return step()


@pytest.fixture
def urban(db):
    return Department.objects.get(code="urban-management")


@pytest.fixture
def story(deadline_rules, routing_rules, file_issue, resident, grid_officer, community_staff, street_staff,  # noqa: F811
          command_centre, department_staff, urban):
    """A: filed 31 Jan, closed 1 Feb, rated 满意 2 Feb (crosses the month boundary).
    B: January; reported for duty late; 不满意 → reopened → closed again, rated 基本满意.
    C: January; whistled up community → street, accepted and closed by the street; never rated.
    D: February; whistled up to the district, dispatched to 城管, rated 满意.
    E: January; rejected.  F: February; accepted and dispatched, still open."""
    s = services
    cs, go, ss, cc, ds = community_staff, grid_officer, street_staff, command_centre, department_staff

    def file(moment):
        return at(moment, lambda: file_issue())

    a = file(local(2026, 1, 31, 20, 0))
    a = at(local(2026, 1, 31, 20, 10), lambda: s.issue_accept(issue=a, actor=cs))
    a = at(local(2026, 1, 31, 20, 20), lambda: s.issue_dispatch(issue=a, actor=cs, handler=go))
    a = at(local(2026, 1, 31, 20, 30), lambda: s.issue_respond(issue=a, actor=go))
    a = at(local(2026, 1, 31, 21, 0), lambda: s.issue_resolve(issue=a, actor=go, result="已清运"))
    a = at(local(2026, 2, 1, 10, 0), lambda: s.issue_close(issue=a, actor=cs))
    a = at(local(2026, 2, 2, 9, 0), lambda: s.issue_rate(issue=a, actor=resident, rating=Rating.SATISFIED))

    b = file(local(2026, 1, 10, 9, 0))
    b = at(local(2026, 1, 10, 9, 30), lambda: s.issue_accept(issue=b, actor=cs))
    b = at(local(2026, 1, 10, 10, 0), lambda: s.issue_dispatch(issue=b, actor=cs, handler=go))
    b = at(local(2026, 1, 10, 13, 0), lambda: s.issue_respond(issue=b, actor=go))  # 180 min: late
    b = at(local(2026, 1, 12, 10, 0), lambda: s.issue_resolve(issue=b, actor=go, result="已清运"))
    b = at(local(2026, 1, 12, 15, 0), lambda: s.issue_close(issue=b, actor=cs))
    b = at(local(2026, 1, 13, 9, 0), lambda: s.issue_rate(issue=b, actor=resident, rating=Rating.DISSATISFIED))
    b = at(local(2026, 1, 13, 9, 20), lambda: s.issue_respond(issue=b, actor=go))  # 20 min: on time
    b = at(local(2026, 1, 14, 10, 0), lambda: s.issue_resolve(issue=b, actor=go, result="再次清运并消毒"))
    b = at(local(2026, 1, 14, 11, 0), lambda: s.issue_close(issue=b, actor=cs))
    b = at(local(2026, 1, 15, 9, 0), lambda: s.issue_rate(issue=b, actor=resident,
                                                         rating=Rating.BASICALLY_SATISFIED))

    c = file(local(2026, 1, 20, 9, 0))
    c = at(local(2026, 1, 20, 9, 10), lambda: s.issue_accept(issue=c, actor=cs))
    c = at(local(2026, 1, 20, 9, 30), lambda: s.issue_escalate(issue=c, actor=cs, reason="需要街道协调"))
    c = at(local(2026, 1, 20, 10, 0), lambda: s.issue_accept(issue=c, actor=ss))
    c = at(local(2026, 1, 20, 10, 10), lambda: s.issue_dispatch(issue=c, actor=ss, handler=go))
    c = at(local(2026, 1, 20, 10, 20), lambda: s.issue_respond(issue=c, actor=go))
    c = at(local(2026, 1, 21, 9, 0), lambda: s.issue_resolve(issue=c, actor=go, result="已处理"))
    c = at(local(2026, 1, 21, 16, 0), lambda: s.issue_close(issue=c, actor=ss))

    d = file(local(2026, 2, 3, 9, 0))
    d = at(local(2026, 2, 3, 9, 5), lambda: s.issue_accept(issue=d, actor=cs))
    d = at(local(2026, 2, 3, 9, 10), lambda: s.issue_escalate(issue=d, actor=cs, reason="需要街道协调"))
    d = at(local(2026, 2, 3, 9, 20), lambda: s.issue_accept(issue=d, actor=ss))
    d = at(local(2026, 2, 3, 9, 30), lambda: s.issue_escalate(issue=d, actor=ss, reason="需要部门报到"))
    d = at(local(2026, 2, 3, 9, 40), lambda: s.issue_accept(issue=d, actor=cc))
    d = at(local(2026, 2, 3, 9, 50), lambda: s.issue_dispatch(issue=d, actor=cc, department=urban))
    d = at(local(2026, 2, 3, 10, 0), lambda: s.issue_respond(issue=d, actor=ds))
    d = at(local(2026, 2, 4, 9, 0), lambda: s.issue_resolve(issue=d, actor=ds, result="已整改"))
    d = at(local(2026, 2, 4, 17, 0), lambda: s.issue_close(issue=d, actor=cc))
    d = at(local(2026, 2, 5, 9, 0), lambda: s.issue_rate(issue=d, actor=resident, rating=Rating.SATISFIED))

    e = file(local(2026, 1, 5, 9, 0))
    e = at(local(2026, 1, 5, 10, 0), lambda: s.issue_reject(issue=e, actor=cs, reason=RejectReason.OUT_OF_SCOPE,
                                                          note="不属于本区"))

    f = file(local(2026, 2, 10, 9, 0))
    f = at(local(2026, 2, 10, 9, 10), lambda: s.issue_accept(issue=f, actor=cs))
    f = at(local(2026, 2, 10, 9, 20), lambda: s.issue_dispatch(issue=f, actor=cs, handler=go))
    return {"A": a, "B": b, "C": c, "D": d, "E": e, "F": f}


@pytest.fixture
def elsewhere(file_issue, grid_officer):  # noqa: F811
    """file_elsewhere(moment) → a whistle filed in a grid of another street than the grid officer's."""
    grid = Grid.objects.exclude(community__street=grid_officer.grid.community.street).order_by("code").first()
    point = to_shape(grid.boundary).representative_point()

    def file(moment):
        return at(moment, lambda: file_issue(lat=point.y, lng=point.x))

    return file
