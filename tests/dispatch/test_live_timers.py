"""The timers with real processes: Celery beat and a worker on their own redis-server sweep the
deadlines of the test database – an issue nobody reported for duty on is whistled up to the street,
once, and the street's staff get their e-mail from the outbox. Then the worker is stopped while more
deadlines pass, and a fresh one catches up on all of them. Runs in the CI run with services
(DATABASE_URL=postgres://…, REDIS_URL=…); skipped on the embedded default."""
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from dispatch.models import AlertKind, DeadlineAlert
from issues import services
from issues.lifecycle import Action, Status
from issues.models import Issue, IssueEvent, Tier
from notifications.models import OutboxMessage, OutboxStatus
from tests.live_worker import CeleryWorker, broker, live_env, wait_until
from tests.notifications.test_live_delivery import mails

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _live(live_services):
    """Every test here needs the real services."""


def beat_and_worker(redis_server, tmp_path, mailbox, name):
    """Celery beat (sweeping every 2 seconds) with a worker, sharing the test database."""
    env = live_env(redis_server.url(), EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
                   EMAIL_FILE_PATH=str(mailbox), PERIODIC_SECONDS="2")
    return CeleryWorker(env, log_path=tmp_path / f"{name}.log", concurrency=2, beat=True, name=name)


def overdue_dispatch(file_issue, community_staff, grid_officer, *, hours_ago):
    """An issue dispatched to the grid officer ``hours_ago`` hours ago: its two hours to report are up."""
    with time_machine.travel(timezone.now() - timedelta(hours=hours_ago), tick=False):
        issue = services.issue_accept(issue=file_issue(), actor=community_staff)
        return services.issue_dispatch(issue=issue, actor=community_staff, handler=grid_officer)


def escalated(*issues):
    return all(Issue.objects.get(pk=issue.pk).owner_tier == Tier.STREET for issue in issues)


def test_beat_and_a_worker_fire_the_deadlines_and_catch_up_after_an_outage(
        transactional_db, redis_server, tmp_path, file_issue, community_staff, grid_officer, street_staff):
    mailbox = tmp_path / "mail"
    mailbox.mkdir()
    first = overdue_dispatch(file_issue, community_staff, grid_officer, hours_ago=3)
    with broker(redis_server.url()):
        worker = beat_and_worker(redis_server, tmp_path, mailbox, "timers").start()
        try:
            wait_until(lambda: escalated(first), timeout=60, message=f"the sweep (log: {worker.log_path})")
            # Beat goes on sweeping every two seconds: the deadline still fires only once.
            wait_until(lambda: len(worker.finished("dispatch.sweep_deadlines")) >= 2, timeout=60,
                       message="more sweeps")
        finally:
            worker.stop()

        # While nothing runs, two more deadlines pass.
        later = [overdue_dispatch(file_issue, community_staff, grid_officer, hours_ago=h) for h in (5, 26)]
        assert not escalated(*later)
        worker = beat_and_worker(redis_server, tmp_path, mailbox, "timers-again").start()
        try:
            wait_until(lambda: escalated(*later), timeout=60, message=f"the catch-up (log: {worker.log_path})")
            # An escalation and its outbox rows commit together: once both are escalated, nothing pending
            # means every message of theirs went out.
            wait_until(lambda: not OutboxMessage.objects.filter(status=OutboxStatus.PENDING).exists(), timeout=60,
                       message="the outbox to drain")
        finally:
            worker.stop()

    for issue in [first, *later]:
        issue.refresh_from_db()
        assert issue.status == Status.ESCALATED
        assert DeadlineAlert.objects.filter(issue=issue, kind=AlertKind.RESPONSE_OVERDUE).count() == 1
        assert IssueEvent.objects.filter(issue=issue, action=Action.AUTO_ESCALATE).count() == 1
        assert IssueEvent.objects.filter(issue=issue, action=Action.OVERDUE).count() == 1
        # The street's staff were e-mailed about the whistle that reached them.
        assert OutboxMessage.objects.filter(recipient=street_staff, body__contains=issue.number,
                                            status=OutboxStatus.SENT).exists()
    # Every message of the outbox went out exactly once.
    sent = OutboxMessage.objects.filter(status=OutboxStatus.SENT).values_list("pk", flat=True)
    assert mails(mailbox) == {pk: 1 for pk in sent}
