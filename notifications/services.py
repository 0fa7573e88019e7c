"""The only writers of notifications and of the outbox.

``notify`` is the one entry point for everything that needs someone's attention: in the caller's
transaction it writes the in-app notifications and the outbox messages, and on commit it asks the
broker to deliver them. The outbox row, not the broker's queue, is the record: if the broker is
down the row stays pending and ``outbox_deliver_due`` (every minute, from Celery beat) sends it.
"""
import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from jianhua.logs import request_id_bound, request_id_current

from .channels import channel_for
from .models import Medium, Notification, OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)


def _addresses(person) -> list[tuple[str, str]]:
    """(channel, address) for each channel this person can be reached on and the settings enable."""
    enabled = settings.NOTIFICATION_OUTBOX_CHANNELS
    found = []
    if Medium.EMAIL in enabled and person.email:
        found.append((Medium.EMAIL, person.email))
    for medium in (Medium.SMS, Medium.WECHAT):
        if medium in enabled and person.phone:
            found.append((medium, person.phone))
    return found


def _absolute(link: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{link}" if link.startswith("/") else link


def notify(recipients: Iterable, *, kind: str, text: str, issue=None, link: str = "", dedupe_key: str,
           subject: str = "") -> list[Notification]:
    """Tell each recipient ``text``: one in-app notification each, plus one outbox message per channel
    they can be reached on (e-mail when they have an address; SMS and WeChat when enabled and they
    have a phone). Inactive accounts and repeats are skipped.

    ``dedupe_key`` names the fact (``event:<id>``): a second call with the same key adds nothing, so
    callers that may run twice (timers, retried tasks) are safe. Writes join the caller's transaction;
    delivery is enqueued after it commits and a broker that is down is logged, never raised: the
    messages stay pending for the sweep. Each outbox row keeps the id of the request (or task) this runs
    for (``jianhua.logs``), and its delivery logs under it. Returns the notifications created by this call."""
    people = {}
    for person in recipients:
        if person is not None and person.is_active:
            people.setdefault(person.pk, person)
    if not people:
        return []
    now = timezone.now()
    subject = (subject or text)[:200]
    body = f"{text}\n\n{_absolute(link)}" if link else text
    request_id = request_id_current()  # the delivery logs under it too
    notifications = [
        Notification(recipient=person, issue=issue, kind=kind, text=text[:500], link=link, created_at=now,
                     dedupe_key=f"{dedupe_key}:{person.pk}:app")
        for person in people.values()
    ]
    messages = [
        OutboxMessage(channel=medium, recipient=person, address=address, subject=subject, body=body,
                      created_at=now, next_attempt_at=now, dedupe_key=f"{dedupe_key}:{person.pk}:{medium}",
                      request_id=request_id)
        for person in people.values() for medium, address in _addresses(person)
    ]
    with transaction.atomic(savepoint=False):  # the caller's transaction when there is one
        # Only what is new is written and returned: a repeat of the fact (or a concurrent call with the same
        # key) meets the unique key and is skipped by the database.
        notifications = _insert_new(Notification, notifications)
        messages = _insert_new(OutboxMessage, messages)
        if messages:
            message_ids = [m.pk for m in messages]
            transaction.on_commit(lambda: _enqueue(message_ids, request_id=request_id))
    return notifications


def _insert_new(model, rows: list) -> list:
    """Insert ``rows`` (unsaved instances with a unique ``dedupe_key``) in one ``INSERT … ON CONFLICT DO
    NOTHING RETURNING`` (PostgreSQL; SQLite ≥ 3.35) and return those that were new, with their ids.
    ``bulk_create(ignore_conflicts=True)`` cannot say which rows those were, which cost two reads before
    and one after."""
    if not rows:
        return []
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    values = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(rows))
    params = [field.get_db_prep_save(field.pre_save(row, add=True), connection) for row in rows for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "
            f"VALUES {values} ON CONFLICT DO NOTHING RETURNING {quote(model._meta.pk.column)}, {quote('dedupe_key')}",
            params,
        )
        inserted = {key: pk for pk, key in cursor.fetchall()}
    new = [row for row in rows if row.dedupe_key in inserted]
    for row in new:
        row.pk = inserted[row.dedupe_key]
        row._state.adding, row._state.db = False, connection.alias
    return new


def _enqueue(message_ids: Iterable[int], *, request_id: str = "") -> None:
    """Ask the broker to deliver each message now, the tasks carrying ``request_id`` (that of the request
    which queued them, wherever the commit runs this). A broker that cannot be reached delays the messages
    until the sweep; it never fails (nor keeps waiting) the request that wrote them: one attempt to
    connect, no retries of the publish."""
    message_ids = list(message_ids)
    if not message_ids:
        return
    with request_id_bound(request_id or request_id_current()):
        _publish(message_ids)


def _publish(message_ids: list[int]) -> None:
    from .tasks import deliver_message

    app = deliver_message.app
    try:
        if app.conf.task_always_eager:  # no broker: delivered here and now
            for message_id in message_ids:
                deliver_message.apply_async((message_id,))
            return
        with app.pool.acquire(block=True, timeout=5) as broker:
            broker.ensure_connection(max_retries=0)
            for message_id in message_ids:
                deliver_message.apply_async((message_id,), connection=broker, retry=False)
    except Exception as error:  # kombu/redis connection errors above all; nothing here may reach the caller
        logger.warning("Could not enqueue outbox messages %s (%s: %s); the sweep will deliver them.",
                       message_ids, type(error).__name__, error)


# Delivery ------------------------------------------------------------------------------------------

def _retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: the base delay after the first failure, doubling, up to the ceiling."""
    seconds = settings.NOTIFICATION_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.NOTIFICATION_RETRY_MAX_SECONDS))


def outbox_deliver(*, message_id: int) -> str | None:
    """Send one outbox message if it is pending and due; the status it ends in, or None when there was
    nothing to do (already sent, given up, not due yet, or being sent by another worker right now).

    The row stays locked from the check to the status change, and the change commits with the lock,
    so the task enqueued on commit and the sweep never both send a message. A failed send counts an
    attempt and sets the next one after an exponential backoff; after ``NOTIFICATION_MAX_ATTEMPTS``
    the message is marked failed."""
    with transaction.atomic():
        rows = OutboxMessage.objects.filter(pk=message_id, status=OutboxStatus.PENDING,
                                            next_attempt_at__lte=timezone.now())
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        else:
            rows = rows.select_for_update()
        message = next(iter(rows), None)
        if message is None:
            return None
        with request_id_bound(message.request_id or request_id_current()):
            return _send(message)


def _send(message: OutboxMessage) -> str:
    """One attempt at the locked, due message; its status afterwards (saved)."""
    message.attempts += 1
    try:
        channel_for(message.channel).send(message)
    except Exception as error:  # any failure of the gateway: count it, try again later
        message.last_error = f"{type(error).__name__}: {error}"[:2000]
        if message.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
            message.status = OutboxStatus.FAILED
            # No address in the line: logs (and Sentry, which gets ERROR records) carry no phone or e-mail.
            logger.error("Gave up on outbox message %s (%s) after %s attempts: %s", message.pk,
                         message.channel, message.attempts, message.last_error)
        else:
            message.next_attempt_at = timezone.now() + _retry_delay(message.attempts)
            logger.warning("Outbox message %s failed (attempt %s), next attempt at %s: %s", message.pk,
                           message.attempts, message.next_attempt_at, message.last_error)
    else:
        message.status = OutboxStatus.SENT
        message.sent_at = timezone.now()
        message.last_error = ""
        logger.info("Outbox message %s sent (%s, attempt %s)", message.pk, message.channel, message.attempts,
                    extra={"outbox_id": message.pk, "channel": message.channel})
    message.save(update_fields=["attempts", "status", "sent_at", "next_attempt_at", "last_error"])
    return message.status


def outbox_deliver_due(*, limit: int | None = None) -> int:
    """Send every pending message whose next attempt is due, oldest first; the number sent. This is the
    catch-up for messages whose on-commit enqueue did not reach the broker, and the retry loop."""
    limit = limit or settings.NOTIFICATION_SWEEP_BATCH
    due = (OutboxMessage.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=timezone.now())
           .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    return sum(outbox_deliver(message_id=message_id) == OutboxStatus.SENT for message_id in list(due))


# Reading -------------------------------------------------------------------------------------------

def notification_mark_read(*, user, notification_id: int) -> Notification:
    """Mark one of the user's notifications read (again is harmless); Notification.DoesNotExist when it
    is not theirs."""
    notification = Notification.objects.get(pk=notification_id, recipient=user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at=None).update(read_at=notification.read_at)
    return notification


def notification_mark_all_read(*, user) -> int:
    """Mark every unread notification of the user read; how many there were."""
    return Notification.objects.filter(recipient=user, read_at=None).update(read_at=timezone.now())
