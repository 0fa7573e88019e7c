"""The outbox with real processes: a Celery worker on its own redis-server delivers every message,
and a broker outage delays messages but neither loses nor doubles one. Runs in the CI run with
services (DATABASE_URL=postgres://…, REDIS_URL=…); skipped on the embedded default."""
import re
from collections import Counter

import pytest

from issues import services as issue_services
from issues.lifecycle import Status
from notifications.models import Notification, OutboxMessage, OutboxStatus
from notifications.tasks import deliver_message, deliver_pending
from tests.live_worker import CeleryWorker, broker, live_env, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _live(live_services):
    """Every test here needs the real services."""


@pytest.fixture
def mailbox(tmp_path):
    path = tmp_path / "mail"
    path.mkdir()
    return path


@pytest.fixture
def worker(transactional_db, redis_server, mailbox, tmp_path):
    """A real worker sharing the test database, sending e-mail into files in ``mailbox``; this process
    enqueues on the same redis-server."""
    env = live_env(redis_server.url(), EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
                   EMAIL_FILE_PATH=str(mailbox))
    with broker(redis_server.url()):
        process = CeleryWorker(env, log_path=tmp_path / "worker.log", concurrency=2).start()
        yield process
        process.stop()


def mails(mailbox) -> Counter:
    """How many e-mails were written for each outbox row (by the header EmailChannel sets)."""
    found = Counter()
    for path in mailbox.iterdir():
        found.update(int(pk) for pk in re.findall(r"^X-Jianhua-Outbox: (\d+)\r?$", path.read_text(), re.MULTILINE))
    return found


def all_sent():
    return not OutboxMessage.objects.filter(status=OutboxStatus.PENDING).exists()


def test_a_real_worker_delivers_the_outbox(worker, mailbox, file_issue, community_staff):
    issue = file_issue()  # committed: the receivers write the outbox and enqueue on commit
    message = OutboxMessage.objects.get()
    assert (message.recipient, message.channel) == (community_staff, "email")
    wait_until(all_sent, timeout=60, message=f"the worker to deliver (log: {worker.log_path})")
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (OutboxStatus.SENT, 1, "")
    assert mails(mailbox) == {message.pk: 1}
    assert issue.number in "".join(path.read_text() for path in mailbox.iterdir())
    assert "deliver_message" in worker.log()


def escalate(issue, community_staff):
    """Whistle the issue up to the street, where the escalation service exists."""
    if hasattr(issue_services, "issue_escalate"):
        return issue_services.issue_escalate(issue=issue, actor=community_staff, reason="需要街道协调")
    return issue


def test_a_broker_outage_delays_every_message_and_loses_or_doubles_none(worker, redis_server, mailbox, file_issue,
                                                                         advance, community_staff, caplog):
    redis_server.stop()
    for n in range(3):
        issue = advance(file_issue(title=f"第{n}号：垃圾没人清"), Status.DISPATCHED)
        escalate(issue, community_staff)
    rows = list(OutboxMessage.objects.order_by("pk"))
    # Per issue, e-mail to: the community (filed), the grid officer (dispatched), the street (escalated);
    # the resident, told in the app that it was accepted, has no address.
    per_issue = 3 if hasattr(issue_services, "issue_escalate") else 2
    assert len(rows) == 3 * per_issue
    assert {(row.status, row.attempts) for row in rows} == {(OutboxStatus.PENDING, 0)}
    assert Notification.objects.filter(recipient__username="resident", kind="accept").count() == 3
    assert "the sweep will deliver them" in caplog.text

    redis_server.start()
    # The sweep and a task per message at once, twice over: each message must still go out once.
    deliver_pending.apply_async()
    for row in rows:
        deliver_message.apply_async((row.pk,))
    deliver_pending.apply_async()
    wait_until(all_sent, timeout=90, message=f"the worker to deliver after the outage (log: {worker.log_path})")
    # Every task of the first test's kind plus these 2 + len(rows) have run, the duplicates included.
    wait_until(lambda: worker.log().count("succeeded") >= 2 + len(rows), timeout=30,
               message="the duplicate tasks to finish")
    assert mails(mailbox) == {row.pk: 1 for row in rows}
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {(OutboxStatus.SENT, 1)}
