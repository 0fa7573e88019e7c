"""The fuzzer's world: the demo district, whistles in every state, a supervision item, a dispatch meeting,
an accountability record and notifications – so that generated requests find real objects to hit – and
the people it knocks on the door as, each with a DRF token.

The world is built once for the module, inside a transaction rolled back when the module ends (each
test's own transaction nests in it as a savepoint): building it for each of the ~280 tests would cost
more than the fuzzing."""
import importlib
import time
from collections import Counter, defaultdict

import pytest
from django.apps import apps
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from dispatch import accountability, supervision
from dispatch.models import DeadlineRule, RecordKind, RoutingRule
from grids.boundaries import to_shape
from grids.demo.seed import demo_district_seed
from grids.models import Grid, User
from issues import services
from issues.models import Category
from notifications.services import notify
from tests.conftest import DEMO_PASSWORD

# Who the fuzzer is: nobody, a resident and two staff roles at both ends of the ladder – the district
# command centre (sees everything, dispatches, supervises) and a grid officer (one grid, handles).
# The names are the demo accounts' usernames (tests/conftest.py).
ROLES = ["anonymous", "resident", "command_centre", "grid_officer"]


def _seeded():
    """What the suite's fixtures make sure of (a flushing test may have emptied the tables)."""
    if not Grid.objects.exists():
        demo_district_seed(password=DEMO_PASSWORD)
    for model, migration in [(Category, "issues.migrations.0003_categories"),
                             (DeadlineRule, "dispatch.migrations.0002_seed_deadline_rules"),
                             (RoutingRule, "dispatch.migrations.0004_seed_routing_rules")]:
        if not model.objects.exists():
            importlib.import_module(migration).seed(apps, None)


def _build_world():
    _seeded()
    resident, officer, community, centre = (User.objects.get(username=name) for name in
                                            ("resident", "grid_officer", "community_staff", "command_centre"))
    people = {"resident": resident, "grid_officer": officer, "command_centre": centre}  # the roles' accounts
    spot = to_shape(officer.grid.boundary).representative_point()
    garbage = Category.objects.get(code="garbage")

    def filed():
        return services.issue_submit(filed_by=resident, title="垃圾堆了三天没人清", description="小区东门垃圾桶满了。",
                                     category=garbage, lat=spot.y, lng=spot.x, address="东市场社区东门").issue

    # One whistle at each step of the lifecycle, moved on by the people whose step it is.
    steps = [lambda i: services.issue_accept(issue=i, actor=community),
             lambda i: services.issue_dispatch(issue=i, actor=community, handler=officer),
             lambda i: services.issue_respond(issue=i, actor=officer),
             lambda i: services.issue_resolve(issue=i, actor=officer, result="已清运。"),
             lambda i: services.issue_close(issue=i, actor=community)]
    issues = []
    for reached in range(len(steps) + 1):
        issue = filed()
        for step in steps[:reached]:
            issue = step(issue)
        issues.append(issue)
    item = supervision.supervision_open(issue=issues[2], actor=centre, instruction="三日内清运完毕")
    meeting = supervision.meeting_record(actor=centre, held_on=timezone.localdate(), title="听哨调度会")
    record = accountability.record_manual(issue=issues[1], actor=centre, kind=RecordKind.INACTION,
                                          facts="受理后两日未派单", tier="community")
    notes = notify(people.values(), kind="submit", text="新的吹哨", issue=issues[0], dedupe_key="fuzz")
    grid = officer.grid
    return {
        "ids": {"issue": [issue.pk for issue in issues], "supervision": [item.pk], "meeting": [meeting.pk],
                "accountability": [record.pk], "notification": [note.pk for note in notes]},
        "codes": {"grid": grid.code, "community": grid.community.code, "street": grid.community.street.code,
                  "department": "urban-management", "category": garbage.code, "district": "district"},
        "tokens": {name: Token.objects.get_or_create(user=person)[0].key for name, person in people.items()},
    }


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """{"ids": {kind: [ids]}, "codes": {kind: code}, "tokens": {role: DRF token}} of real objects and people,
    rolled back with the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build_world()
        transaction.set_rollback(True)


@pytest.fixture(params=ROLES)
def role(request):
    return request.param


@pytest.fixture
def credentials(role, world, db):
    """The Authorization header of the role's account (none for anonymous)."""
    token = world["tokens"].get(role)
    return {"Authorization": f"Token {token}"} if token else {}


@pytest.fixture
def wsgi_in_test_transaction():
    """Requests go through Django's real WSGI handler (as gunicorn calls it), which closes the database
    connection at the end of every request – and with it the test's transaction. Django's own test
    client unhooks that for the same reason; so do we, for the length of the test."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


class Tally:
    """Per role: the operations run, the cases sent, the answers by status, the server errors met and the
    time spent fuzzing – printed at the end of the run (the figures of issue #12's closing note)."""

    def __init__(self):
        self.roles = defaultdict(lambda: {"operations": set(), "cases": 0, "statuses": Counter(),
                                          "server_errors": Counter(), "seconds": 0.0})

    def record(self, role, case, response):
        entry = self.roles[role]
        entry["operations"].add(case.operation.label)
        entry["cases"] += 1
        entry["statuses"][response.status_code // 100 * 100] += 1
        if response.status_code >= 500:
            entry["server_errors"][f"{response.status_code} {case.operation.label}"] += 1

    def lines(self):
        for role, entry in self.roles.items():
            statuses = ", ".join(f"{status // 100}xx {count}" for status, count in sorted(entry["statuses"].items()))
            yield (f"{role}: {len(entry['operations'])} operations, {entry['cases']} cases ({statuses}), "
                   f"{sum(entry['server_errors'].values())} server errors, {entry['seconds']:.0f} s")
            for failure, count in sorted(entry["server_errors"].items()):
                yield f"    {failure} ×{count}"


TALLY = Tally()


@pytest.fixture
def fuzz_tally(role):
    started = time.monotonic()
    yield TALLY
    TALLY.roles[role]["seconds"] += time.monotonic() - started


def pytest_terminal_summary(terminalreporter):
    if TALLY.roles:
        terminalreporter.section("API fuzzing (Schemathesis)")
        for line in TALLY.lines():
            terminalreporter.write_line(line)
