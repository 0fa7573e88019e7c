"""Pre-aggregated facts behind the dashboard figures (README, "Dashboard figures (KPIs)").

``DailyFact`` is the atom: one row per local day × owning tier × grid × category × channel × department,
with additive counters. ``MonthlyFact`` is the same counters rolled up to month × tier × grid ×
department (no category, no channel): long periods, the map and the ranking read a few thousand rows
instead of hundreds of thousands. Both are written only by ``stats.aggregates`` – in the transaction of
the event they count, or by ``facts_rebuild``. What each counter counts is ``stats.kpis``'s to say.

Keys are plain integers, not foreign keys: ``department`` 0 means "no department", which keeps the
upsert's unique key free of NULLs (NULL is distinct from NULL in a unique index).
"""
from django.db import models
from django.utils.translation import gettext_lazy as _

# The additive counters, in the order of the table's columns (their meaning: stats.kpis.COUNTERS).
COUNTERS = (
    "received", "accepted", "accepted_first", "dispatched", "responded", "responded_on_time", "resolved",
    "closed", "closed_solved", "closed_on_time", "unrated", "rated", "satisfied", "basically_satisfied",
    "dissatisfied", "reopened", "escalated", "overdue_marks", "response_seconds", "resolution_seconds",
)
# Histograms for the medians: upper bounds of each bucket (the last bucket is open-ended).
RESPONSE_BUCKET_MINUTES = (5, 10, 15, 30, 60, 120, 240, 480, 1440, 2880, 10080)
RESOLUTION_BUCKET_HOURS = (2, 4, 8, 24, 48, 72, 120, 168, 240, 360, 720)
RESPONSE_BUCKETS = tuple(f"response_b{i:02d}" for i in range(len(RESPONSE_BUCKET_MINUTES) + 1))
RESOLUTION_BUCKETS = tuple(f"resolution_b{i:02d}" for i in range(len(RESOLUTION_BUCKET_HOURS) + 1))
MEASURES = COUNTERS + RESPONSE_BUCKETS + RESOLUTION_BUCKETS


def _counter_fields():
    fields = {}
    for name in MEASURES:
        big = name.endswith("_seconds")
        fields[name] = (models.BigIntegerField if big else models.IntegerField)(default=0)
    return fields


class FactBase(models.Model):
    tier = models.CharField(_("tier"), max_length=10)
    street = models.IntegerField(_("street id"))
    community = models.IntegerField(_("community id"))
    grid = models.IntegerField(_("grid id"))
    department = models.IntegerField(_("department id"), default=0, help_text="0: no department")

    class Meta:
        abstract = True


for _name, _field in _counter_fields().items():
    FactBase.add_to_class(_name, _field)


class DailyFact(FactBase):
    day = models.DateField(_("day"))
    top_category = models.IntegerField(_("top category id"))
    category = models.IntegerField(_("category id"))
    channel = models.CharField(_("channel"), max_length=20)

    class Meta:
        verbose_name = _("daily fact")
        verbose_name_plural = _("daily facts")
        constraints = [models.UniqueConstraint(fields=["day", "tier", "grid", "category", "channel", "department"],
                                               name="daily_fact_key")]
        indexes = [models.Index(fields=["community", "day"], name="daily_fact_community"),
                   models.Index(fields=["grid", "day"], name="daily_fact_grid"),
                   models.Index(fields=["department", "day"], name="daily_fact_department")]


class MonthlyFact(FactBase):
    month = models.DateField(_("month"), help_text="the first day of the month")

    class Meta:
        verbose_name = _("monthly fact")
        verbose_name_plural = _("monthly facts")
        constraints = [models.UniqueConstraint(fields=["month", "tier", "grid", "department"],
                                               name="monthly_fact_key")]
        indexes = [models.Index(fields=["street", "month"], name="monthly_fact_street"),
                   models.Index(fields=["department", "month"], name="monthly_fact_department")]


# Roll-ups for wide scopes. DailyFact has a row per grid × category × channel of each day – a few thousand
# rows a day at a million issues a year – which is right for a grid or a community and too many for the
# district over a month. These tables keep the same counters with fewer keys, so that what the district
# and a street read grows with days and areas, not with issues. Each is kept by the same upsert as
# DailyFact (stats.aggregates) and rebuilt from it by a GROUP BY.

class RollupBase(models.Model):
    tier = models.CharField(_("tier"), max_length=10)
    department = models.IntegerField(_("department id"), default=0, help_text="0: no department")
    street = models.IntegerField(_("street id"))

    class Meta:
        abstract = True


for _name, _field in _counter_fields().items():
    RollupBase.add_to_class(_name, _field)


class GridDayFact(RollupBase):
    """Day × tier × grid × department: the map's grids and a grid's or community's days."""

    day = models.DateField(_("day"))
    community = models.IntegerField(_("community id"))
    grid = models.IntegerField(_("grid id"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "tier", "grid", "department"], name="grid_day_key")]
        indexes = [models.Index(fields=["day"], name="grid_day_day")]


class CommunityDayFact(RollupBase):
    """Day × tier × community × department: the district's and a street's days."""

    day = models.DateField(_("day"))
    community = models.IntegerField(_("community id"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "tier", "community", "department"],
                                               name="community_day_key")]
        indexes = [models.Index(fields=["day"], name="community_day_day")]


class CategoryDayFact(RollupBase):
    """Day × tier × street × category × channel × department: the breakdowns by category and channel."""

    day = models.DateField(_("day"))
    top_category = models.IntegerField(_("top category id"))
    category = models.IntegerField(_("category id"))
    channel = models.CharField(_("channel"), max_length=20)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "tier", "street", "category", "channel", "department"],
                                               name="category_day_key")]
        indexes = [models.Index(fields=["day"], name="category_day_day")]


class CategoryMonthFact(RollupBase):
    """Month × tier × street × category × channel × department: the same for whole months."""

    month = models.DateField(_("month"), help_text="the first day of the month")
    top_category = models.IntegerField(_("top category id"))
    category = models.IntegerField(_("category id"))
    channel = models.CharField(_("channel"), max_length=20)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "tier", "street", "category", "channel",
                                                       "department"], name="category_month_key")]
        indexes = [models.Index(fields=["month"], name="category_month_month")]


# (model, its time column, its key columns besides time) – what the upsert and the rebuild write, from
# one place. MonthlyFact is a roll-up of DailyFact too.
ROLLUPS = (
    (MonthlyFact, "month", ("tier", "street", "community", "grid", "department")),
    (GridDayFact, "day", ("tier", "street", "community", "grid", "department")),
    (CommunityDayFact, "day", ("tier", "street", "community", "department")),
    (CategoryDayFact, "day", ("tier", "street", "top_category", "category", "channel", "department")),
    (CategoryMonthFact, "month", ("tier", "street", "top_category", "category", "channel", "department")),
)
