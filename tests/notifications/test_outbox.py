"""notify() and the outbox: one record per fact, delivered once, retried with backoff, never lost."""
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from kombu.exceptions import OperationalError

from notifications import services, tasks
from notifications.channels import Channel, SmsChannel, channel_for
from notifications.models import Notification, OutboxMessage, OutboxStatus
from notifications.sms import read_sent_sms

pytestmark = pytest.mark.django_db

EMAIL = "notifications.channels.EmailChannel"


class BrokenGateway(Channel):
    """A gateway that is down."""

    def send(self, message):
        raise ConnectionRefusedError("gateway unreachable")


@pytest.fixture
def broken_email(settings):
    settings.NOTIFICATION_CHANNELS = {**settings.NOTIFICATION_CHANNELS, "email": f"{__name__}.BrokenGateway"}


def tell(people, key="fact:1", **extra):
    return services.notify(people, kind="test", text="东市场社区有新的吹哨", link="/issues/JH-1/", dedupe_key=key,
                           **extra)


def test_notify_writes_one_notification_per_person_and_an_email_for_those_with_an_address(community_staff, resident):
    assert resident.email == ""
    tell([community_staff, resident, community_staff])  # a repeat in the list is told once
    assert {n.recipient for n in Notification.objects.all()} == {community_staff, resident}
    message = OutboxMessage.objects.get()
    assert (message.recipient, message.channel, message.address, message.status, message.attempts) == (
        community_staff, "email", community_staff.email, OutboxStatus.PENDING, 0)
    assert message.body.startswith("东市场社区有新的吹哨") and message.body.endswith("http://127.0.0.1:8000/issues/JH-1/")


def test_the_same_fact_is_never_queued_twice(community_staff):
    assert len(tell([community_staff])) == 1
    assert tell([community_staff]) == []
    assert Notification.objects.count() == 1 and OutboxMessage.objects.count() == 1
    tell([community_staff], key="fact:2")
    assert Notification.objects.count() == 2 and OutboxMessage.objects.count() == 2


def test_sms_and_wechat_only_when_enabled_and_the_person_has_a_phone(settings, community_staff, grid_officer):
    community_staff.phone = "13900001111"
    community_staff.save()
    tell([community_staff])
    assert set(OutboxMessage.objects.values_list("channel", flat=True)) == {"email"}
    settings.NOTIFICATION_OUTBOX_CHANNELS = ["email", "sms", "wechat"]
    tell([community_staff, grid_officer], key="fact:2")
    queued = set(OutboxMessage.objects.filter(dedupe_key__startswith="fact:2").values_list("channel", "address"))
    assert queued == {("email", community_staff.email), ("sms", "13900001111"), ("wechat", "13900001111"),
                      ("email", grid_officer.email)} | ({("sms", grid_officer.phone), ("wechat", grid_officer.phone)}
                                                        if grid_officer.phone else set())


def test_delivery_is_enqueued_on_commit_and_sends_the_mail(community_staff, committed, eager_delivery):
    with committed():
        tell([community_staff])
        assert len(mail.outbox) == 0  # nothing leaves before the transaction commits
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts, message.last_error) == (OutboxStatus.SENT, 1, "")
    assert message.sent_at is not None
    [sent] = mail.outbox
    assert sent.to == [community_staff.email] and sent.extra_headers["X-Jianhua-Outbox"] == str(message.pk)
    assert sent.from_email.endswith("<noreply@jianhua.qiqihar.gov.cn>")


def test_a_broker_that_is_down_delays_the_message_and_never_fails_the_caller(community_staff, committed, monkeypatch,
                                                                             caplog):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.deliver_message, "apply_async", broker_down)
    with committed():
        tell([community_staff])
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 0)
    assert "the sweep will deliver them" in caplog.text
    monkeypatch.undo()
    assert services.outbox_deliver_due() == 1  # the sweep, when it runs
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboxStatus.SENT, 1)
    assert len(mail.outbox) == 1


def test_a_message_is_sent_once_however_often_it_is_delivered(community_staff):
    tell([community_staff])
    message = OutboxMessage.objects.get()
    assert services.outbox_deliver(message_id=message.pk) == OutboxStatus.SENT
    assert services.outbox_deliver(message_id=message.pk) is None
    tasks.deliver_message(message.pk)
    tasks.deliver_pending()
    assert services.outbox_deliver_due() == 0
    assert len(mail.outbox) == 1
    assert services.outbox_deliver(message_id=10**9) is None  # gone (a rolled-back test's task, say)


def test_failures_are_retried_with_exponential_backoff_and_given_up_after_the_last_attempt(settings, broken_email,
                                                                                          community_staff, caplog):
    settings.NOTIFICATION_MAX_ATTEMPTS = 4
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 60
    tell([community_staff])
    message = OutboxMessage.objects.get()
    delays = []
    for _attempt in range(3):
        before = timezone.now()
        assert services.outbox_deliver(message_id=message.pk) == OutboxStatus.PENDING
        message.refresh_from_db()
        delays.append(round((message.next_attempt_at - before).total_seconds() / 60))
        assert services.outbox_deliver(message_id=message.pk) is None  # not due yet: nothing happens
        assert services.outbox_deliver_due() == 0
        OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())  # time passes
    assert delays == [1, 2, 4]
    assert message.attempts == 3 and message.last_error == "ConnectionRefusedError: gateway unreachable"
    assert services.outbox_deliver(message_id=message.pk) == OutboxStatus.FAILED
    message.refresh_from_db()
    assert (message.status, message.attempts, message.sent_at) == (OutboxStatus.FAILED, 4, None)
    assert "Gave up on outbox message" in caplog.text
    assert services.outbox_deliver_due() == 0 and len(mail.outbox) == 0


def test_the_backoff_has_a_ceiling(settings):
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 60
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 3600
    assert [services._retry_delay(n) for n in (1, 2, 6, 7, 30)] == [
        timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=32), timedelta(hours=1), timedelta(hours=1)]


def test_the_sweep_sends_what_is_due_oldest_first_and_leaves_the_rest(community_staff, street_staff):
    tell([community_staff], key="fact:1")
    tell([street_staff], key="fact:2")
    later = OutboxMessage.objects.get(recipient=street_staff)
    OutboxMessage.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=5))
    assert services.outbox_deliver_due() == 1
    assert [m.to for m in mail.outbox] == [[community_staff.email]]
    later.refresh_from_db()
    assert later.status == OutboxStatus.PENDING


def test_sms_notifications_leave_through_the_sms_gateway(settings, community_staff):
    settings.NOTIFICATION_OUTBOX_CHANNELS = ["sms"]
    community_staff.phone = "13900001111"
    community_staff.save()
    assert isinstance(channel_for("sms"), SmsChannel)
    tell([community_staff])
    message = OutboxMessage.objects.get()
    assert services.outbox_deliver(message_id=message.pk) == OutboxStatus.SENT
    [sent] = read_sent_sms(number="13900001111")
    assert "东市场社区有新的吹哨" in sent.text
    assert len(mail.outbox) == 0


def test_the_console_sms_backend_prints_the_message(settings, capsys):
    from notifications.sms import send_sms

    settings.SMS_BACKEND = "console"
    send_sms(number="+8613800138000", text="验证码 123456")
    assert "SMS to +8613800138000:\n验证码 123456" in capsys.readouterr().out
    assert read_sent_sms() == []


def test_the_sweep_runs_every_minute(settings):
    sweep = "notifications.tasks.deliver_pending"
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == sweep)
    assert entry["schedule"] == 60.0
    assert tasks.deliver_pending.name == "notifications.tasks.deliver_pending"


def test_an_unreachable_broker_fails_fast_and_leaves_the_message_pending(community_staff, committed, caplog):
    """No retries and one connection attempt: the request that wrote the message does not wait for the broker."""
    import time

    from tests.live_worker import broker, free_port

    with broker(f"redis://127.0.0.1:{free_port()}/0"):  # nobody listens there
        started = time.monotonic()
        with committed():
            tell([community_staff])
        assert time.monotonic() - started < 2
    assert OutboxMessage.objects.get().status == OutboxStatus.PENDING
    assert "Connection refused" in caplog.text
