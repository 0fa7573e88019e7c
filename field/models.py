"""Visits door to door (走访) and patrol tracks (巡查轨迹).

Rows are written only through ``field.services``. A visit is to one household (a door of a building
unit); what the household raised becomes concerns: a whistle, filed through ``issues.services`` and
linked, or a suggestion (issue #14's livelihood work takes those up). A patrol is the track of
positions the phone sampled while the patrol page was open, with the grids it walked each day.
"""
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import BuildingUnit, Grid
from issues.models import Category, Issue


class Visit(models.Model):
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="visits",
                                verbose_name=_("visited by"))
    unit = models.ForeignKey(BuildingUnit, models.PROTECT, related_name="visits", verbose_name=_("building unit"))
    # The unit's grid when visited, for the counts per grid without a join through the building.
    grid = models.ForeignKey(Grid, models.PROTECT, related_name="visits", verbose_name=_("grid"))
    room = models.CharField(_("door"), max_length=16, help_text=_("The room or door number, e.g. 301."))
    visited_at = models.DateTimeField(_("visited at"))
    resident_name = models.CharField(_("resident"), max_length=40, blank=True)
    raised = models.TextField(_("what was raised"), max_length=2000, blank=True)
    idempotency_key = models.CharField(max_length=80, null=True, blank=True)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    # When the resident's name was erased and the numbers in the texts masked (field.retention), as for the
    # whistles: PERSONAL_DATA_RETENTION_DAYS after the visit. The door, the day and the count stay.
    personal_data_erased_at = models.DateTimeField(_("personal data erased at"), null=True, blank=True)

    class Meta:
        ordering = ["-visited_at", "-id"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        constraints = [models.UniqueConstraint(fields=["officer", "idempotency_key"], name="visit_key_per_officer")]
        indexes = [models.Index(fields=["grid", "visited_at"]), models.Index(fields=["unit", "visited_at"])]

    def __str__(self):
        return f"{self.unit} {self.room}"


def _photo_path(photo, filename):
    return f"visits/{timezone.now():%Y/%m}/{filename}"


class VisitPhoto(models.Model):
    """A photo of a visit, stripped and re-encoded like an issue's (``issues.photos``)."""

    visit = models.ForeignKey(Visit, models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to=_photo_path)
    thumbnail = models.ImageField(_("thumbnail"), upload_to=_photo_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    original_name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("visit photo")
        verbose_name_plural = _("visit photos")


class ConcernKind(models.TextChoices):
    WHISTLE = "whistle", _("Whistle")
    SUGGESTION = "suggestion", _("Suggestion")


class VisitConcern(models.Model):
    visit = models.ForeignKey(Visit, models.CASCADE, related_name="concerns")
    kind = models.CharField(_("kind"), max_length=12, choices=ConcernKind.choices)
    text = models.TextField(_("text"), max_length=2000)
    category = models.ForeignKey(Category, models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("category"))
    issue = models.OneToOneField(Issue, models.PROTECT, null=True, blank=True, related_name="visit_concern",
                                 verbose_name=_("whistle filed"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("concern raised on a visit")
        verbose_name_plural = _("concerns raised on visits")


class PatrolTrack(models.Model):
    """One patrol: ``uuid`` is made by the phone when the patrol page opens, so batches sent again
    (offline, retried) land on the same track."""

    uuid = models.UUIDField(unique=True)
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="patrols")
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"))
    distance_m = models.FloatField(_("distance (m)"), default=0)
    grids = models.ManyToManyField(Grid, through="PatrolGrid", related_name="+")

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("patrol track")
        verbose_name_plural = _("patrol tracks")


class PatrolPoint(models.Model):
    track = models.ForeignKey(PatrolTrack, models.CASCADE, related_name="points")
    at = models.DateTimeField()
    lat = models.FloatField(help_text=_("WGS-84"))
    lng = models.FloatField(help_text=_("WGS-84"))
    accuracy = models.FloatField(null=True, blank=True, help_text=_("metres, as the phone reports it"))
    grid = models.ForeignKey(Grid, models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["at"]
        constraints = [models.UniqueConstraint(fields=["track", "at"], name="one_point_per_moment")]


class PatrolGrid(models.Model):
    """A grid a track walked on a local day: what the community's coverage map shows."""

    track = models.ForeignKey(PatrolTrack, models.CASCADE, related_name="walked")
    grid = models.ForeignKey(Grid, models.PROTECT, related_name="+")
    day = models.DateField()
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()
    points = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["track", "grid", "day"], name="grid_walked_once_a_day")]
        indexes = [models.Index(fields=["day", "grid"])]
