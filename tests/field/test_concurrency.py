"""The phone's outbox sends the same visit or patrol batch twice at once (a retry racing the first try),
on PostgreSQL with real concurrent connections: one visit, one track, no error."""
import datetime
import threading
import time
import uuid

import pytest
from django.db import connection, transaction
from django.utils import timezone

from field import services
from field.models import PatrolPoint, PatrolTrack, Visit
from grids.boundaries import to_shape
from grids.models import BuildingUnit
from issues.models import Channel, Issue

from .places import categories, garbage  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def postgres_only(demo_district):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL: the CI run with DATABASE_URL=postgres://… runs this")


def race(first, second):
    """Run ``first`` (which holds its transaction open a moment) and ``second`` at once; their answers."""
    started = threading.Event()
    results = {}

    def run(name, target):
        try:
            results[name] = target(started)
        except Exception as error:  # noqa: BLE001 - the test reports what a thread raised
            results[name] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=("first", first)), threading.Thread(target=run, args=("second", second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    return results["first"], results["second"]


def test_the_same_visit_sent_twice_at_once_is_recorded_once(grid_officer, garbage):  # noqa: F811
    unit = BuildingUnit.objects.select_related("building").filter(building__grid=grid_officer.grid).first()
    arguments = dict(officer=grid_officer, unit=unit, room="301", visited_at=timezone.now(), idempotency_key="race-1",
                     concerns=[services.Concern("whistle", "楼道灯坏了", garbage)])

    def first(started):
        with transaction.atomic():
            recorded = services.visit_record(**arguments)
            started.set()
            time.sleep(0.5)  # uncommitted: the retry's insert waits on the key's unique index
        return recorded

    def second(started):
        started.wait(5)
        return services.visit_record(**arguments)

    one, two = race(first, second)
    assert not isinstance(one, Exception) and not isinstance(two, Exception), (one, two)
    assert (one.created, two.created) == (True, False) and one.visit.pk == two.visit.pk
    assert Visit.objects.count() == 1 and Issue.objects.filter(channel=Channel.VISIT).count() == 1


def test_the_first_batch_of_a_patrol_sent_twice_at_once_makes_one_track(grid_officer):
    point = to_shape(grid_officer.grid.boundary).representative_point()
    patrol = uuid.uuid4()
    points = [services.PointIn(at=timezone.now() - datetime.timedelta(minutes=3 - i), lat=point.y,
                               lng=point.x + i * 1e-4, accuracy=5.0) for i in range(3)]

    def first(started):
        with transaction.atomic():
            batch = services.patrol_points_add(officer=grid_officer, patrol=patrol, points=points)
            started.set()
            time.sleep(0.5)
        return batch

    def second(started):
        started.wait(5)
        return services.patrol_points_add(officer=grid_officer, patrol=patrol, points=points)

    one, two = race(first, second)
    assert not isinstance(one, Exception) and not isinstance(two, Exception), (one, two)
    assert (one.added, two.added) == (3, 0)
    assert PatrolTrack.objects.count() == 1 and PatrolPoint.objects.count() == 3
