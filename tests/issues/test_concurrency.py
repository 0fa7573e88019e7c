"""Two people acting on one issue at once, on PostgreSQL with real concurrent connections:
exactly one wins, the other is told someone else got there first."""
import threading
import time

import pytest
from django.db import connection, transaction

from grids.models import Role, User
from issues import services
from issues.models import Issue, SiteCheck

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def postgres_only(demo_district):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL: the CI run with DATABASE_URL=postgres://… runs this")


def in_thread(target, results, *args):
    def run():
        try:
            results.append(target(*args))
        except services.IssueError as error:
            results.append(error)
        finally:
            connection.close()  # each thread had its own connection

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def second_community_staff(community_staff):
    return User.objects.create(username="community_staff_2", role=Role.COMMUNITY_STAFF,
                               community=community_staff.community, full_name="社区干部乙")


def test_two_officers_accept_at_once_the_second_waits_then_gets_a_conflict(file_issue, community_staff):
    issue = file_issue()
    colleague = second_community_staff(community_staff)
    first_holds_lock = threading.Event()
    results = []

    def first():
        with transaction.atomic():
            accepted = services.issue_accept(issue=Issue(pk=issue.pk), actor=community_staff, expected_version=1)
            first_holds_lock.set()
            time.sleep(0.5)  # still uncommitted: the colleague's request must wait on the row lock
        return accepted

    def second():
        first_holds_lock.wait(5)
        started = time.monotonic()
        try:
            return services.issue_accept(issue=Issue(pk=issue.pk), actor=colleague, expected_version=1)
        finally:
            results.append(("waited", time.monotonic() - started))

    threads = [in_thread(first, results), in_thread(second, results)]
    for thread in threads:
        thread.join(10)
    waited = next(seconds for tag, seconds in (r for r in results if isinstance(r, tuple)))
    outcomes = [r for r in results if not isinstance(r, tuple)]
    winners = [r for r in outcomes if isinstance(r, Issue)]
    conflicts = [r for r in outcomes if isinstance(r, services.Conflict)]
    assert len(winners) == 1 and len(conflicts) == 1, outcomes
    assert waited >= 0.3, "the second request should have waited for the first one's lock"
    assert "reload" in conflicts[0].message or "刷新" in conflicts[0].message
    fresh = Issue.objects.get(pk=issue.pk)
    assert fresh.version == 2 and fresh.events.filter(action="accept").count() == 1
    assert fresh.events.get(action="accept").actor == community_staff


def test_eight_clicks_at_once_accept_once(file_issue, community_staff):
    issue = file_issue()
    start = threading.Barrier(8)
    results = []

    def accept():
        start.wait(5)
        return services.issue_accept(issue=Issue(pk=issue.pk), actor=community_staff)

    threads = [in_thread(accept, results) for _ in range(8)]
    for thread in threads:
        thread.join(10)
    assert sum(isinstance(r, Issue) for r in results) == 1
    assert sum(isinstance(r, services.Conflict) for r in results) == 7
    assert Issue.objects.get(pk=issue.pk).events.filter(action="accept").count() == 1


def test_the_same_idempotency_key_at_once_files_one_issue(resident, garbage, spot_in_officers_grid):
    lat, lng = spot_in_officers_grid
    start = threading.Barrier(4)
    results = []

    def submit():
        start.wait(5)
        return services.issue_submit(filed_by=resident, title="同时提交", description="双击了两次", category=garbage,
                                     lat=lat, lng=lng, idempotency_key="double-tap-1")

    threads = [in_thread(submit, results) for _ in range(4)]
    for thread in threads:
        thread.join(10)
    assert len(results) == 4 and all(isinstance(r, services.Submission) for r in results), results
    assert len({r.issue.pk for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert Issue.objects.filter(title="同时提交").count() == 1


def test_an_answer_from_the_phone_sent_four_times_at_once_counts_once(file_issue, community_staff, grid_officer):
    issue = file_issue()
    check = services.issue_check_ask(issue=issue, actor=community_staff, kind="verify", officer=grid_officer)
    start = threading.Barrier(4)
    results = []

    def answer():
        start.wait(5)
        return services.issue_check_report(check=SiteCheck(pk=check.pk, issue_id=issue.pk), actor=grid_officer,
                                           outcome="real", idempotency_key="outbox-1")

    threads = [in_thread(answer, results) for _ in range(4)]
    for thread in threads:
        thread.join(10)
    assert len(results) == 4 and all(isinstance(r, SiteCheck) and r.pk == check.pk for r in results), results
    assert Issue.objects.get(pk=issue.pk).events.filter(action="verify_report").count() == 1


def test_the_owner_accepting_while_the_officer_answers_one_story_wins(file_issue, community_staff, grid_officer):
    """Either the answer lands first and the whistle is accepted after it, or the acceptance cancels the
    check and the answer is refused with why: never both, never neither."""
    issue = file_issue()
    check = services.issue_check_ask(issue=issue, actor=community_staff, kind="verify", officer=grid_officer)
    start = threading.Barrier(2)
    results = []

    def accept():
        start.wait(5)
        return services.issue_accept(issue=Issue(pk=issue.pk), actor=community_staff)

    def answer():
        start.wait(5)
        return services.issue_check_report(check=SiteCheck(pk=check.pk, issue_id=issue.pk), actor=grid_officer,
                                           outcome="real")

    threads = [in_thread(accept, results), in_thread(answer, results)]
    for thread in threads:
        thread.join(10)
    assert any(isinstance(r, Issue) for r in results), results  # the acceptance always goes through
    check.refresh_from_db()
    events = list(Issue.objects.get(pk=issue.pk).events.values_list("action", flat=True))
    if check.state == "answered":
        assert events[-2:] == ["verify_report", "accept"] and not any(isinstance(r, Exception) for r in results)
    else:
        assert check.state == "cancelled" and events[-2:] == ["check_cancel", "accept"]
        assert any(isinstance(r, services.Conflict) for r in results)
