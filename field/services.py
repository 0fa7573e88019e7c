"""The only writers of visits and patrol tracks, each one transaction.

A whistle raised on a visit is filed through ``issues.services.issue_submit`` (channel "visit", at the
building's point) inside the visit's transaction, so routing, deadlines and the problem lists apply
as to any whistle, and a visit never exists without the whistles it raised (nor they without it).
Refusals are ``issues.services``' errors: InvalidInput (400), PermissionRefused (403).
"""
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from grids.boundaries import distance_m
from grids.locate import grid_locate
from grids.models import BuildingUnit, Grid, User
from issues.models import Category, Channel
from issues.photos import PreparedPhoto
from issues.services import InvalidInput, PermissionRefused, issue_submit

from . import rules
from .models import ConcernKind, PatrolGrid, PatrolPoint, PatrolTrack, Visit, VisitConcern, VisitPhoto

# A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=10)
MAX_CONCERNS = 10
MAX_POINTS_PER_BATCH = 2000
TITLE_CHARS = 40


@dataclass(frozen=True)
class Concern:
    kind: str  # ConcernKind
    text: str
    category: Category | None = None


@dataclass(frozen=True)
class RecordedVisit:
    visit: Visit
    created: bool  # False when the Idempotency-Key named a visit recorded before


@transaction.atomic
def visit_record(
    *,
    officer: User,
    unit: BuildingUnit,
    room: str,
    visited_at: datetime,
    resident_name: str = "",
    raised: str = "",
    concerns: Sequence[Concern] = (),
    photos: Sequence[PreparedPhoto] = (),
    idempotency_key: str | None = None,
) -> RecordedVisit:
    """Record a visit to a household (a door of ``unit``) by the grid's officer or its community's staff.
    Each whistle concern is filed as a whistle on the "visit" channel at the building's point, with the
    visit's photos, the resident as the reporter, and linked; suggestions stay concerns. A repeated
    ``idempotency_key`` from the same person returns the visit recorded the first time, changing nothing."""
    if idempotency_key:
        earlier = _visit_with_key(officer, idempotency_key)
        if earlier is not None:
            return RecordedVisit(earlier, created=False)
    building = unit.building
    grid = Grid.objects.defer("boundary").get(pk=building.grid_id)
    if not rules.may_visit(officer, grid):
        raise PermissionRefused(_("Only the grid's officers and its community's staff record visits in %(grid)s.")
                                % {"grid": grid.name})
    room = room.strip()
    if not room or len(room) > 16:
        raise InvalidInput(_("Give the door number (at most 16 characters)."), field="room")
    if visited_at > timezone.now() + CLOCK_SKEW:
        raise InvalidInput(_("A visit cannot be in the future."), field="visited_at")
    if len(resident_name.strip()) > 40:
        raise InvalidInput(_("At most %(count)s characters.") % {"count": 40}, field="resident_name")
    if len(raised) > 2000:
        raise InvalidInput(_("At most %(count)s characters.") % {"count": 2000}, field="raised")
    if len(photos) > settings.ISSUE_MAX_PHOTOS:
        raise InvalidInput(_("At most %(count)s photos.") % {"count": settings.ISSUE_MAX_PHOTOS}, field="photos")
    _check_concerns(concerns)

    visit = Visit(officer=officer, unit=unit, grid=grid, room=room, visited_at=visited_at,
                  resident_name=resident_name.strip(), raised=raised.strip(), idempotency_key=idempotency_key or None)
    try:
        with transaction.atomic():  # a savepoint: a lost race with the same key answers with the winner
            visit.save()
    except IntegrityError:
        earlier = _visit_with_key(officer, idempotency_key) if idempotency_key else None
        if earlier is None:
            raise
        return RecordedVisit(earlier, created=False)
    _save_photos(visit, photos)
    address = f"{building.address or building.number}{unit.number}{room}"
    rows = []
    for concern in concerns:
        row = VisitConcern(visit=visit, kind=concern.kind, text=concern.text.strip(), category=concern.category)
        if concern.kind == ConcernKind.WHISTLE:
            row.issue = issue_submit(
                filed_by=officer, title=_title(row.text), description=row.text, category=concern.category,
                lat=building.lat, lng=building.lng, address=address, channel=Channel.VISIT,
                reporter_name=visit.resident_name, photos=photos,
            ).issue
        rows.append(row)
    VisitConcern.objects.bulk_create(rows)
    return RecordedVisit(visit, created=True)


def _visit_with_key(officer: User, key: str) -> Visit | None:
    return Visit.objects.filter(officer=officer, idempotency_key=key).first()


def _check_concerns(concerns: Sequence[Concern]) -> None:
    if len(concerns) > MAX_CONCERNS:
        raise InvalidInput(_("At most %(count)s concerns a visit.") % {"count": MAX_CONCERNS}, field="concerns")
    for concern in concerns:
        if concern.kind not in ConcernKind.values:
            raise InvalidInput(_("A concern is a whistle or a suggestion, not %(kind)r.") % {"kind": concern.kind},
                               field="concerns")
        text = concern.text.strip()
        if not text or len(text) > 2000:
            raise InvalidInput(_("Say what was raised (at most 2,000 characters)."), field="concerns")
        if concern.kind == ConcernKind.WHISTLE and concern.category is None:
            raise InvalidInput(_("A whistle needs its category."), field="concerns")
        if concern.category is not None and not concern.category.is_active:
            raise InvalidInput(_("This category is no longer in use."), field="concerns")


def _title(text: str) -> str:
    line = text.strip().splitlines()[0]
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1] + "…"


def _save_photos(visit: Visit, photos: Sequence[PreparedPhoto]) -> None:
    for photo in photos:
        stem = f"visit{visit.pk}-{get_random_string(8).lower()}"
        row = VisitPhoto(visit=visit, width=photo.width, height=photo.height, original_name=photo.original_name)
        row.image.save(f"{stem}.jpg", ContentFile(photo.content), save=False)
        row.thumbnail.save(f"{stem}-thumb.jpg", ContentFile(photo.thumbnail), save=False)
        row.save()


# Patrols -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PointIn:
    at: datetime
    lat: float  # WGS-84
    lng: float
    accuracy: float | None = None


@dataclass(frozen=True)
class PatrolBatch:
    track: PatrolTrack
    added: int  # points new to the track (a batch sent again adds none)
    grids: list[str]  # codes of the grids the track has walked, all days


@transaction.atomic
def patrol_points_add(*, officer: User, patrol: uuid.UUID, points: Sequence[PointIn]) -> PatrolBatch:
    """Add positions to the officer's patrol ``patrol`` (created with the first batch). Idempotent: a
    point at a moment the track already has is ignored, so a batch sent twice changes nothing. The
    track's span, distance and the grids it walked each local day follow the points; positions less
    accurate than FIELD_PATROL_ACCURACY_METRES are kept but walk no grid and add no distance."""
    if not rules.may_patrol(officer):
        raise PermissionRefused(_("Patrol tracks are recorded by grid officers."))
    if not points:
        raise InvalidInput(_("Send at least one position."), field="points")
    if len(points) > MAX_POINTS_PER_BATCH:
        raise InvalidInput(_("At most %(count)s positions a batch.") % {"count": MAX_POINTS_PER_BATCH},
                           field="points")
    if max(point.at for point in points) > timezone.now() + CLOCK_SKEW:
        raise InvalidInput(_("A position cannot be in the future."), field="points")
    first, last = min(point.at for point in points), max(point.at for point in points)
    track, _created = PatrolTrack.objects.select_for_update().get_or_create(
        uuid=patrol, defaults={"officer": officer, "started_at": first, "ended_at": last})
    if track.officer_id != officer.pk:
        raise PermissionRefused(_("This patrol is another officer's."), field="patrol")
    before = track.points.count()
    PatrolPoint.objects.bulk_create([
        PatrolPoint(track=track, at=point.at, lat=point.lat, lng=point.lng, accuracy=point.accuracy,
                    grid_id=_grid_of(point.lat, point.lng))
        for point in {point.at: point for point in points}.values()
    ], ignore_conflicts=True)
    added = track.points.count() - before
    if added:
        _track_update(track)
    walked = sorted(set(PatrolGrid.objects.filter(track=track).values_list("grid__code", flat=True)))
    return PatrolBatch(track=track, added=added, grids=walked)


def _grid_of(lat: float, lng: float) -> int | None:
    try:
        return grid_locate(lat=lat, lng=lng).grid_id
    except LookupError:  # outside the district: kept on the track, walks no grid
        return None


def _track_update(track: PatrolTrack) -> None:
    """The span, the distance and the grids walked per local day, from all the track's points."""
    span = track.points.aggregate(first=Min("at"), last=Max("at"))
    track.started_at, track.ended_at = span["first"], span["last"]
    limit = settings.FIELD_PATROL_ACCURACY_METRES
    walked: dict[tuple[int, object], list] = defaultdict(list)
    distance, previous = 0.0, None
    for at, lat, lng, accuracy, grid_id in track.points.order_by("at").values_list(
            "at", "lat", "lng", "accuracy", "grid_id"):
        if accuracy is not None and accuracy > limit:
            continue
        if previous is not None:
            distance += distance_m(*previous, lat, lng)
        previous = (lat, lng)
        if grid_id is not None:
            walked[(grid_id, timezone.localdate(at))].append(at)
    track.distance_m = round(distance, 1)
    track.save(update_fields=["started_at", "ended_at", "distance_m"])
    PatrolGrid.objects.bulk_create([
        PatrolGrid(track=track, grid_id=grid_id, day=day, first_at=min(moments), last_at=max(moments),
                   points=len(moments))
        for (grid_id, day), moments in walked.items()
    ], update_conflicts=True, unique_fields=["track", "grid", "day"], update_fields=["first_at", "last_at", "points"])

