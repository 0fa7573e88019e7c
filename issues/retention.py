"""Personal data over time (PIPL: kept no longer than its purpose needs). The officers need a reporter's
name and number to call them back while the whistle is handled, and the rating after; two years after an
issue ended (PERSONAL_DATA_RETENTION_DAYS) nobody calls back. Then the reporter's name, phone and other
contacts are erased and the phone and ID numbers written into its texts masked; the case, its place
(coordinates, address, grid) and its timeline stay for the ledger and the statistics.

- ``issues_personal_data_erase`` – the one way of erasing: also what ``accounts.services.account_delete``
  does to a resident's whistles when they close their account;
- ``personal_data_retention_sweep`` – the daily task's work: every issue due, in batches.

An erased issue says so (``Issue.personal_data_erased_at``, an event on its timeline by the system).
"""
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .lifecycle import FINAL_STATUSES, Action, Status, transition_for
from .models import Issue, IssueEvent
from .rules import public_text

# What an issue keeps about the person who filed it, as it is once erased.
ERASED = {"reporter_name": "", "reporter_phone": "", "reporter_contact": {}}
# Texts a resident or an operator may have written a call-back number into (“请联系我 138…”).
FREE_TEXTS = ("title", "description", "result", "rating_comment")
BATCH_SIZE = 1000


class ErasureReason(models.TextChoices):
    RETENTION = "retention", _("the retention period after closing passed")
    ACCOUNT_CLOSED = "account_closed", _("the resident closed their account")


def erasure_due(*, now=None):
    """The issues whose reporter's data is due for erasure: not erased yet, and closed – or rejected or
    withdrawn, which are never changed again after – more than PERSONAL_DATA_RETENTION_DAYS ago."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS)
    return Issue.objects.filter(personal_data_erased_at__isnull=True).filter(
        Q(status=Status.CLOSED, closed_at__lt=cutoff) | Q(status__in=FINAL_STATUSES, updated_at__lt=cutoff))


@transaction.atomic
def issues_personal_data_erase(*, issues, reason: str, now=None) -> int:
    """Erase the reporter's personal data of these issues (a queryset) that still have it; answers how many.
    Each gets ``personal_data_erased_at`` and one event on its timeline (by the system, with the reason);
    issues erased before are left alone, so a second run changes nothing. A bounded number of queries,
    however many issues: give it a batch at a time (``personal_data_retention_sweep`` does)."""
    now = now or timezone.now()
    rows = list(issues.filter(personal_data_erased_at__isnull=True).select_for_update()
                .values_list("pk", "status", *FREE_TEXTS))
    if not rows:
        return 0
    masked = []
    for pk, status, *texts in rows:
        transition_for(Action.ERASE_PERSONAL_DATA, status)
        cleaned = [public_text(text) for text in texts]
        if cleaned != texts:
            masked.append(Issue(pk=pk, **dict(zip(FREE_TEXTS, cleaned))))
    if masked:
        Issue.objects.bulk_update(masked, FREE_TEXTS)
    pks = [row[0] for row in rows]
    Issue.objects.filter(pk__in=pks).update(**ERASED, personal_data_erased_at=now, updated_at=now,
                                            version=F("version") + 1)
    data = {"erasure": str(reason)}
    if reason == ErasureReason.RETENTION:
        data["retention_days"] = settings.PERSONAL_DATA_RETENTION_DAYS
    # Written together, past issues.signals: an erasure is counted by no statistic and notifies nobody.
    IssueEvent.objects.bulk_create([
        IssueEvent(issue_id=pk, action=Action.ERASE_PERSONAL_DATA, actor=None, actor_role="", at=now,
                   from_status=status, to_status=status, data=data)
        for pk, status, *_texts in rows
    ])
    return len(rows)


def personal_data_retention_sweep(*, now=None, batch_size: int = BATCH_SIZE) -> int:
    """Erase the personal data of every issue due (``erasure_due``), ``batch_size`` issues per
    transaction; answers how many were erased."""
    now = now or timezone.now()
    return sweep_in_batches(erasure_due(now=now), batch_size=batch_size, erase=lambda batch: issues_personal_data_erase(
        issues=Issue.objects.filter(pk__in=batch), reason=ErasureReason.RETENTION, now=now))


def sweep_in_batches(due, *, batch_size: int, erase) -> int:
    """``erase(ids)`` for the rows of ``due`` (a queryset of what is still to erase, which each erasure
    shrinks), ``batch_size`` ids at a time, one transaction each, until none is left; answers how many."""
    erased = 0
    while True:
        batch = list(due.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not batch:
            return erased
        erased += erase(batch)


def erasure_notice(issue) -> str:
    """What an officer's page says in place of the reporter's contact once it is erased ("" before): when,
    and why. Reads the issue's timeline (prefetched on the issue page)."""
    if not issue.personal_data_erased_at:
        return ""
    erasures = [event for event in issue.events.all() if event.action == Action.ERASE_PERSONAL_DATA]
    data = erasures[-1].data if erasures else {}
    day = timezone.localtime(issue.personal_data_erased_at).date().isoformat()
    if data.get("erasure") == ErasureReason.ACCOUNT_CLOSED:
        return gettext("Personal data erased on %(date)s: the resident closed their account.") % {"date": day}
    return gettext("Personal data erased on %(date)s, %(days)s days after the issue ended (retention period).") % {
        "date": day, "days": data.get("retention_days", settings.PERSONAL_DATA_RETENTION_DAYS)}
