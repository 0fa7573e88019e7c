"""Personal data on visits over time, by the rule the whistles follow (``issues.retention``): the name of
the resident met and the phone and ID numbers written into what was raised are kept while someone may call
back, and erased PERSONAL_DATA_RETENTION_DAYS after the visit. The door, the day, the officer and the counts
of households visited stay; a whistle a concern became is erased with its own issue, by ``issues.retention``."""
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from issues.retention import sweep_in_batches
from issues.rules import public_text

from .models import Visit, VisitConcern

BATCH_SIZE = 1000


def erasure_due(*, now=None):
    """The visits whose resident's data is due for erasure: not erased yet, and older than the retention period."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS)
    return Visit.objects.filter(personal_data_erased_at__isnull=True, visited_at__lt=cutoff)


@transaction.atomic
def visits_personal_data_erase(*, visits, now=None) -> int:
    """Erase the resident's name and mask the numbers in the texts of these visits (a queryset) and of their
    concerns; visits erased before are left alone. Answers how many were erased."""
    now = now or timezone.now()
    rows = list(visits.filter(personal_data_erased_at__isnull=True).select_for_update().values_list("pk", "raised"))
    if not rows:
        return 0
    masked = [Visit(pk=pk, raised=public_text(raised)) for pk, raised in rows if public_text(raised) != raised]
    Visit.objects.bulk_update(masked, ["raised"])
    pks = [pk for pk, _raised in rows]
    concerns = [VisitConcern(pk=pk, text=public_text(text))
                for pk, text in VisitConcern.objects.filter(visit__in=pks).values_list("pk", "text")
                if public_text(text) != text]
    VisitConcern.objects.bulk_update(concerns, ["text"])
    Visit.objects.filter(pk__in=pks).update(resident_name="", personal_data_erased_at=now)
    return len(rows)


def personal_data_retention_sweep(*, now=None, batch_size: int = BATCH_SIZE) -> int:
    """Erase every visit due (``erasure_due``), ``batch_size`` visits per transaction; answers how many."""
    now = now or timezone.now()
    return sweep_in_batches(erasure_due(now=now), batch_size=batch_size, erase=lambda batch: visits_personal_data_erase(
        visits=Visit.objects.filter(pk__in=batch), now=now))
