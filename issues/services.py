"""The only writers of issues. Each service is one transaction that locks the issue, checks the
transition (``issues.lifecycle``) and the person (``issues.rules``), changes the issue, records the
event and tells the rest of the system (``issues.signals``) in the same transaction.

Errors a caller must turn into answers: ``InvalidInput`` (400), ``PermissionRefused`` (403),
``Conflict`` (409: the state or the version moved on; ``TooManyFilings``, 429, a resident filing too fast).
Anything else is a fault.
"""
import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from grids.locate import OutsideDistrict, grid_locate
from grids.models import Department, Grid, Role, User
from jianhua.errors import ServiceError

from . import attributes as category_attributes
from . import deadlines, routing, rules, selectors, signals
from .lifecycle import OPEN_STATUSES, Action, Status, TransitionNotAllowed, transition_for
from .models import (
    CHECK_OUTCOMES,
    TIER_ABOVE,
    Category,
    Channel,
    CheckKind,
    CheckOutcome,
    CheckState,
    DailySequence,
    EntryState,
    IntakeClient,
    Issue,
    IssueAssist,
    IssueEvent,
    IssuePhoto,
    IssueSupporter,
    PhotoKind,
    Priority,
    ProblemListEntry,
    Rating,
    RejectReason,
    SiteCheck,
    Tier,
)
from .photos import PreparedPhoto


class IssueError(ServiceError):
    status_code = 400


class InvalidInput(IssueError):
    status_code = 400


class PermissionRefused(IssueError):
    status_code = 403


class Conflict(IssueError):
    status_code = 409


class TooManyFilings(Conflict):
    """A resident is over ``ISSUE_FILINGS_PER_HOUR``; ``retry_after``: seconds until the next whistle fits."""

    status_code = 429

    def __init__(self, message, *, retry_after: int):
        super().__init__(message, retry_after=retry_after)


@dataclass(frozen=True)
class Submission:
    issue: Issue
    created: bool  # False when the Idempotency-Key named an issue filed before


# Filing -------------------------------------------------------------------------------------------

@transaction.atomic
def issue_submit(*, filed_by: User, **whistle) -> Submission:
    """File a whistle. A resident files for themselves on the web; intake staff (hotline operators,
    patrolling officers) file on a caller's behalf with the channel they took it on; an Open311
    client files on the ``open311`` channel through its service account, naming itself as
    ``intake_client`` (required on that channel and only there) and gets an ``intake_token``.
    The issue is located to its grid, numbered, put to the tier ``issues.routing`` names and recorded as
    submitted (the arguments: ``_issue_file``'s).
    ``attributes``, when given, are the answers to the category's questions, checked by
    ``issues.attributes`` (an urgent answer makes the whistle urgent). A repeated
    ``idempotency_key`` from the same account returns the issue filed the first time."""
    filed = _issue_file(filed_by=filed_by, **whistle)
    if filed.created:
        signals.issue_submitted.send(sender=Issue, issue_id=filed.issue.pk, issue=filed.issue)
    return filed


def _issue_file(
    *,
    filed_by: User,
    title: str,
    description: str,
    category: Category,
    lat: float,
    lng: float,
    address: str = "",
    channel: str = Channel.WEB,
    priority: str = Priority.NORMAL,
    reporter_name: str = "",
    reporter_phone: str = "",
    photos: Sequence[PreparedPhoto] = (),
    idempotency_key: str | None = None,
    intake_client: IntakeClient | None = None,
    attributes: Mapping[str, object] | None = None,
    reporter_contact: Mapping[str, str] | None = None,
    media_url: str = "",
) -> Submission:
    """The filing itself, without telling anyone: ``issue_submit`` tells the owner a new whistle waits;
    ``issue_fix_on_spot`` tells them it was fixed on the spot instead."""
    if idempotency_key:
        earlier = _filed_with_key(filed_by, idempotency_key)
        if earlier is not None:
            return Submission(earlier, created=False)
    on_behalf = filed_by.role != Role.RESIDENT
    if on_behalf and not rules.may_file_for_others(filed_by):
        raise PermissionRefused(_("Your role cannot file issues."))
    if not on_behalf and channel != Channel.WEB:
        raise InvalidInput(_("Residents file on the web channel."), field="channel")
    if not on_behalf:
        _check_filing_pace(filed_by)
    if channel not in Channel.values:
        raise InvalidInput(_("Unknown channel: %(channel)s.") % {"channel": channel}, field="channel")
    if (channel == Channel.OPEN311) != (intake_client is not None):
        raise InvalidInput(_("Whistles on the Open311 channel, and only they, name their intake client."),
                           field="channel")
    if (filed_by.role == Role.INTAKE_CLIENT) != (channel == Channel.OPEN311) or (
            intake_client is not None and intake_client.account_id != filed_by.pk):
        raise PermissionRefused(_("Only an intake client's own service account files on the Open311 channel."))
    if intake_client is not None and not intake_client.is_active:
        raise PermissionRefused(_("This intake client is switched off."))
    if priority not in Priority.values:
        raise InvalidInput(_("Unknown priority: %(priority)s.") % {"priority": priority}, field="priority")
    if not category.is_active:
        raise InvalidInput(_("This category is no longer in use."), field="category")
    if on_behalf and channel in (Channel.HOTLINE, Channel.CITY_HOTLINE) and not reporter_phone:
        raise InvalidInput(_("A caller's phone number is needed to call them back."), field="reporter_phone")
    if len(photos) > settings.ISSUE_MAX_PHOTOS:
        raise InvalidInput(_("At most %(count)s photos.") % {"count": settings.ISSUE_MAX_PHOTOS}, field="photos")
    answers = {}
    if attributes is not None:
        questions = list(category.attributes.all())
        try:
            answers = category_attributes.attributes_clean(questions, attributes)
        except category_attributes.AnswerError as wrong:
            raise InvalidInput(str(wrong), field=f"attribute[{wrong.code}]") from None
        if category_attributes.urgent(questions, answers):
            priority = Priority.URGENT
    try:
        place = grid_locate(lat=lat, lng=lng)
    except OutsideDistrict as outside:
        raise InvalidInput(str(outside), field="location") from None
    # Loaded with its community and street, so that whoever answers the filer needs no second read.
    grid = Grid.objects.select_related("community__street").defer(
        "boundary", "community__boundary", "community__street__boundary").get(pk=place.grid_id)

    now = timezone.now()
    issue = Issue(
        # A placeholder until the end of the transaction: the day's counter row is locked from the moment
        # it is counted up until commit, so it is counted up last (see _give_number).
        number=f"~{uuid.uuid4().hex[:19]}",
        title=title.strip(),
        description=description.strip(),
        category=category,
        channel=channel,
        priority=priority,
        lat=lat,
        lng=lng,
        address=address.strip(),
        grid=grid,
        community=grid.community,
        street=grid.community.street,
        reporter=None if on_behalf else filed_by,
        reporter_name=reporter_name.strip(),
        reporter_phone=reporter_phone.strip(),
        reporter_contact={key: value for key, value in (reporter_contact or {}).items() if value},
        filed_by=filed_by,
        intake_client=intake_client,
        intake_token=uuid.uuid4() if intake_client is not None else None,
        attributes=answers,
        media_url=media_url.strip(),
        created_at=now,
        idempotency_key=idempotency_key or None,
    )
    route = routing.route(issue=issue)
    issue.owner_tier = route.owner_tier
    issue.default_handler = route.default_handler
    issue.default_department_id = route.default_department_id
    # The owning tier must take the whistle (接哨) within its response time, or it is overdue.
    issue.response_due = deadlines.response_due(issue=issue, start=now)
    if idempotency_key:
        try:
            with transaction.atomic():  # a savepoint, so that a lost race can still answer
                issue.save()
        except IntegrityError:
            # The same key raced in from a second request: that request's issue is the answer.
            earlier = _filed_with_key(filed_by, idempotency_key)
            if earlier is None:
                raise
            return Submission(earlier, created=False)
    else:
        issue.save()
    data = {"channel": channel, "grid": place.grid_code, "owner_tier": str(route.owner_tier),
            "default_handler": str(route.default_handler), "rule": route.rule_id}
    if intake_client is not None:
        data["intake_client"] = intake_client.code
    event = _record(issue, Action.SUBMIT, filed_by, from_status="", to_status=Status.SUBMITTED, data=data)
    # Whoever answers the filer finds the photos just saved and no assisting departments, without a read.
    _as_prefetched(issue, photos=_save_photos(issue, photos, kind=PhotoKind.REPORT, event=event, by=filed_by),
                   assists=[])
    issue.number = _give_number(issue, now)
    return Submission(issue, created=True)


# Intake clients -----------------------------------------------------------------------------------

@transaction.atomic
def intake_client_create(
    *, name: str, code: str, api_key: str | None = None, rate_limit_per_minute: int = 60, is_active: bool = True,
) -> IntakeClient:
    """Register an Open311 client with its service account (username ``open311-<code>``, role
    "intake client", no password: it never signs in). The key is generated unless given."""
    account = User(username=f"open311-{code}"[:150], role=Role.INTAKE_CLIENT, full_name=name[:64])
    account.set_unusable_password()
    account.save()
    client = IntakeClient(name=name, code=code, account=account, rate_limit_per_minute=rate_limit_per_minute,
                          is_active=is_active)
    if api_key:
        client.api_key = api_key
    client.save()
    return client


def _filed_with_key(filed_by: User, key: str) -> Issue | None:
    return (
        Issue.objects.select_related("category__parent", "grid", "community", "street", "reporter")
        .defer("grid__boundary", "community__boundary", "street__boundary")
        .filter(filed_by=filed_by, idempotency_key=key).first()
    )


def _check_filing_pace(resident: User) -> None:
    """TooManyFilings when the resident filed ``ISSUE_FILINGS_PER_HOUR`` whistles within the last hour
    (one query, on the filer index); it says when the oldest of them leaves the hour."""
    limit = settings.ISSUE_FILINGS_PER_HOUR
    if not limit:
        return
    now = timezone.now()
    # The limit-th most recent whistle within the hour, if there are that many.
    oldest = (Issue.objects.filter(filed_by=resident, created_at__gt=now - timedelta(hours=1))
              .order_by("-created_at").values_list("created_at", flat=True)[limit - 1:limit].first())
    if oldest is None:
        return
    wait = max(math.ceil((oldest + timedelta(hours=1) - now).total_seconds()), 1)
    raise TooManyFilings(
        ngettext("You have filed %(count)s whistle within the hour.", "You have filed %(count)s whistles within "
                 "the hour.", limit) % {"count": limit} + " "
        + _("Please try again in %(minutes)s minutes, or add your voice to an open whistle nearby.")
        % {"minutes": math.ceil(wait / 60)},
        retry_after=wait)


def _give_number(issue: Issue, now) -> str:
    """Give the issue its tracking number, JH-YYYYMMDD-NNNN: numbered per day in the district's time
    zone, gap-free within a day.

    One upsert both creates the day's row and counts up (SQLite ≥ 3.35 and PostgreSQL). It holds the
    row lock until commit, so two filings never get the same number – and filings of a day queue on
    it for the rest of the transaction, which is why issue_submit counts up last, after everything
    else it writes but the news of the whistle, which needs the number (in the bench, filings then
    wait on the lock 15 % of the time instead of 2 %, and the rate drops by 3.5 %: the price of news
    that commits with the whistle). Two plain statements: this runs on every filing, and the ORM's
    would cost more Python than the rest of the step."""
    day = timezone.localdate(now)
    sequence = connection.ops.quote_name(DailySequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {sequence} (day, last) VALUES (%s, 1) "
            f"ON CONFLICT (day) DO UPDATE SET last = {sequence}.last + 1 RETURNING last",
            [day],
        )
        (last,) = cursor.fetchone()
        number = f"{settings.ISSUE_NUMBER_PREFIX}-{day:%Y%m%d}-{last:04d}"
        cursor.execute(f"UPDATE {connection.ops.quote_name(Issue._meta.db_table)} SET number = %s WHERE id = %s",
                       [number, issue.pk])
    return number


def _save_photos(issue: Issue, photos: Iterable[PreparedPhoto], *, kind: str, event: IssueEvent,
                 by: User) -> list[IssuePhoto]:
    saved = []
    for photo in photos:
        # Named by the issue's id: a new whistle's tracking number is given last (see issue_submit).
        stem = f"issue{issue.pk}-{get_random_string(8).lower()}"
        # Where the phone says it was taken (issues.photos reads it before stripping the metadata).
        taken = photo.position or (None, None)
        row = IssuePhoto(issue=issue, event=event, kind=kind, original_name=photo.original_name, uploaded_by=by,
                         width=photo.width, height=photo.height, taken_lat=taken[0], taken_lng=taken[1])
        row.image.save(f"{stem}.jpg", ContentFile(photo.content), save=False)
        row.thumbnail.save(f"{stem}-thumb.jpg", ContentFile(photo.thumbnail), save=False)
        row.save()
        saved.append(row)
    return saved


def _as_prefetched(issue: Issue, **related: list) -> None:
    """Hand the issue its related rows as a prefetch would (``issue.photos.all()`` then reads no
    rows): for a whistle just filed they are known without asking."""
    cache = issue.__dict__.setdefault("_prefetched_objects_cache", {})
    for name, rows in related.items():
        queryset = getattr(issue, name).all()
        queryset._result_cache, queryset._prefetch_done = list(rows), True
        cache[name] = queryset


# The lifecycle -----------------------------------------------------------------------------------

@transaction.atomic
def issue_accept(*, issue: Issue, actor: User, note: str = "", expected_version: int | None = None) -> Issue:
    """The owning tier takes the issue onto its problem list and its resolution clock starts – a new
    whistle, or one whistled up from the tier below (接哨), which starts the upper tier's own clock."""
    issue, transition = _begin(issue, Action.ACCEPT, actor, expected_version)
    now = timezone.now()
    issue.accepted_at = issue.accepted_at or now  # the first acceptance; each tier's is on its list entry
    issue.resolution_due = deadlines.resolution_due(issue=issue, start=now)
    issue.response_due = None
    _list_enter(issue, actor, now)
    return _finish(issue, transition, actor, note=note,
                   data={"tier": issue.owner_tier, "resolution_due": _iso(issue.resolution_due)})


@transaction.atomic
def issue_reject(
    *, issue: Issue, actor: User, reason: str, note: str = "", duplicate_of: Issue | None = None,
    expected_version: int | None = None,
) -> Issue:
    """The owning tier refuses the issue with a reason; a duplicate is merged into its original,
    whose count of residents who met it grows by one."""
    if reason not in RejectReason.values:
        raise InvalidInput(_("Choose a reason for the rejection."), field="reason")
    if reason == RejectReason.DUPLICATE and duplicate_of is None:
        raise InvalidInput(_("Name the issue this one duplicates."), field="duplicate_of")
    if reason != RejectReason.DUPLICATE and not note.strip():
        raise InvalidInput(_("Say why the issue is rejected."), field="note")
    issue, transition = _begin(issue, Action.REJECT, actor, expected_version)
    issue.reject_reason = reason
    data = {"reason": reason}
    if reason == RejectReason.DUPLICATE:
        original = Issue.objects.select_for_update().get(pk=duplicate_of.pk)
        if original.pk == issue.pk or original.status not in OPEN_STATUSES | {Status.CLOSED}:
            raise InvalidInput(_("An issue can only be merged into another open or closed issue."), field="duplicate_of")
        if not rules.can_view(actor, original):
            raise InvalidInput(_("The original issue is not in your area."), field="duplicate_of")
        issue.merged_into = original
        data["merged_into"] = original.number
        _merge_into(original, duplicate=issue, actor=actor)
    return _finish(issue, transition, actor, note=note, data=data)


def _merge_into(original: Issue, *, duplicate: Issue, actor: User) -> None:
    if duplicate.reporter_id and not IssueSupporter.objects.filter(issue=original, user_id=duplicate.reporter_id).exists():
        IssueSupporter.objects.create(issue=original, user_id=duplicate.reporter_id)
    Issue.objects.filter(pk=original.pk).update(supporter_count=F("supporter_count") + 1)
    _record(original, Action.SUPPORT, actor, from_status=original.status, to_status=original.status,
            data={"merged": duplicate.number})


@transaction.atomic
def issue_withdraw(*, issue: Issue, actor: User, note: str = "", expected_version: int | None = None) -> Issue:
    """The resident takes their whistle back before the tier accepts it."""
    issue, transition = _begin(issue, Action.WITHDRAW, actor, expected_version)
    return _finish(issue, transition, actor, note=note)


@transaction.atomic
def issue_dispatch(
    *, issue: Issue, actor: User, handler: User | None = None, department: Department | None = None,
    assisting: Sequence[Department] = (), note: str = "", expected_version: int | None = None,
) -> Issue:
    """The owning tier hands the issue to one handler – an officer or staff member serving its place,
    or (from the district) a lead department, optionally with assisting departments – and the
    response clock of each starts: every one of them must report for duty (报到) in time."""
    if (handler is None) == (department is None):
        raise InvalidInput(_("Choose one handler: a person or a department."), field="handler")
    assisting = list(dict.fromkeys(assisting))
    if assisting and department is None:
        raise InvalidInput(_("Assisting departments join a lead department."), field="assisting")
    if department is not None and department in assisting:
        raise InvalidInput(_("The lead department cannot also assist."), field="assisting")
    issue, transition = _begin(issue, Action.DISPATCH, actor, expected_version)
    if handler is not None and not rules.may_handle(handler, issue):
        raise InvalidInput(_("%(name)s cannot handle issues in this place.") % {"name": handler}, field="handler")
    if department is not None and not rules.may_dispatch_to_department(issue):
        raise InvalidInput(_("Only the district command centre dispatches to departments."), field="department")
    now = timezone.now()
    issue.handler = handler
    issue.handler_department = department
    issue.dispatched_at = now
    issue.response_due = deadlines.response_due(issue=issue, start=now)
    for helper in assisting:
        IssueAssist.objects.update_or_create(issue=issue, department=helper, defaults={
            "dispatched_at": now, "response_due": issue.response_due, "responded_at": None, "report": "",
            "reported_at": None, "released_at": None, "release_reason": ""})
    data = {"handler": handler.username if handler else None, "department": department.code if department else None,
            "assisting": [helper.code for helper in assisting], "response_due": _iso(issue.response_due)}
    return _finish(issue, transition, actor, note=note, data=data)


@transaction.atomic
def issue_respond(*, issue: Issue, actor: User, note: str = "", expected_version: int | None = None) -> Issue:
    """The handler reports for duty (报到)."""
    issue, transition = _begin(issue, Action.RESPOND, actor, expected_version)
    issue.responded_at = timezone.now()
    data = {"on_time": bool(issue.response_due is None or issue.responded_at <= issue.response_due)}
    return _finish(issue, transition, actor, note=note, data=data)


@transaction.atomic
def issue_resolve(
    *, issue: Issue, actor: User, result: str, photos: Sequence[PreparedPhoto] = (),
    expected_version: int | None = None,
) -> Issue:
    """The handler reports what was done, with evidence photos; the owner verifies next."""
    if not result.strip():
        raise InvalidInput(_("Describe what was done."), field="result")
    if len(photos) > settings.ISSUE_MAX_PHOTOS:
        raise InvalidInput(_("At most %(count)s photos.") % {"count": settings.ISSUE_MAX_PHOTOS}, field="photos")
    issue, transition = _begin(issue, Action.RESOLVE, actor, expected_version)
    waiting = [assist.department.short_name for assist in issue.assists.owing_part().select_related("department")]
    if waiting:
        raise Conflict(_("Waiting for the assisting departments to report their part: %(names)s.")
                       % {"names": "、".join(waiting)})
    issue.result = result.strip()
    issue.resolved_at = timezone.now()
    issue = _finish(issue, transition, actor, note=result.strip())
    _save_photos(issue, photos, kind=PhotoKind.EVIDENCE, event=issue.last_event, by=actor)
    return issue


@transaction.atomic
def issue_close(*, issue: Issue, actor: User, note: str = "", expected_version: int | None = None) -> Issue:
    """The owning tier has verified the result and crosses the issue off (销号); the resident may rate."""
    issue, transition = _begin(issue, Action.CLOSE, actor, expected_version)
    if issue.checker_id is not None:
        raise Conflict(_("A grid officer is checking the result on site: close the issue when they have answered."))
    issue.closed_at = timezone.now()
    _list_leave(issue, issue.owner_tier, EntryState.CROSSED_OFF, issue.closed_at)
    return _finish(issue, transition, actor, note=note)


@transaction.atomic
def issue_return(*, issue: Issue, actor: User, note: str, expected_version: int | None = None) -> Issue:
    """Verification failed: the issue goes back to its handler, who must report for duty again."""
    if not note.strip():
        raise InvalidInput(_("Say what is still wrong."), field="note")
    issue, transition = _begin(issue, Action.RETURN, actor, expected_version)
    now = timezone.now()
    issue.dispatched_at = now
    issue.response_due = deadlines.response_due(issue=issue, start=now)
    issue.responded_at = issue.resolved_at = None
    return _finish(issue, transition, actor, note=note)


@transaction.atomic
def issue_rate(*, issue: Issue, actor: User, rating: str, comment: str = "", expected_version: int | None = None) -> Issue:
    """The resident rates a closed issue. 不满意 reopens it: back to the same handler, on a new clock."""
    if rating not in Rating.values:
        raise InvalidInput(_("Choose 满意, 基本满意 or 不满意."), field="rating")
    issue, transition = _begin(issue, Action.RATE, actor, expected_version)
    if issue.rated_since_closed:
        raise Conflict(_("This issue has already been rated."))
    now = timezone.now()
    issue.rating, issue.rating_comment, issue.rated_at = rating, comment.strip(), now
    issue = _finish(issue, transition, actor, note=comment, data={"rating": rating})
    if rating == Rating.DISSATISFIED:
        issue = _reopen(issue)
    return issue


def _reopen(issue: Issue) -> Issue:
    transition = transition_for(Action.REOPEN, issue.status)
    now = timezone.now()
    issue.reopen_count += 1
    issue.dispatched_at = now
    issue.response_due = deadlines.response_due(issue=issue, start=now)
    issue.responded_at = issue.resolved_at = issue.closed_at = None
    ProblemListEntry.objects.filter(issue=issue, tier=issue.owner_tier).update(state=EntryState.OPEN, left_at=None)
    return _finish(issue, transition, None, note=_("Reopened: the resident is not satisfied."),
                   data={"reopen_count": issue.reopen_count})


# Whistling upward (吹哨) and reporting for duty (报到) ----------------------------------------------

@transaction.atomic
def issue_escalate(*, issue: Issue, actor: User, reason: str, expected_version: int | None = None) -> Issue:
    """The owning tier cannot solve the issue and whistles to the tier above (community → street →
    district command centre), with its reason. The issue leaves the lower problem list (marked as
    whistled up) and waits for the upper tier, whose response clock starts now."""
    if not reason.strip():
        raise InvalidInput(_("Say why the tier above is needed."), field="note")
    issue, transition = _begin(issue, Action.ESCALATE, actor, expected_version)
    if issue.owner_tier not in TIER_ABOVE:
        raise Conflict(_("The district command centre is the top tier: dispatch to the departments instead."))
    return _hand_up(issue, transition, actor, note=reason)


@transaction.atomic
def issue_auto_escalate(*, issue: Issue, reason: str) -> Issue | None:
    """The timers' whistle: nobody reported for duty (or the tier above did not take the issue) before
    the response deadline (接哨不报到). None when the district already owns it: there is no tier
    above, and the overdue mark and the accountability list answer instead."""
    issue = Issue.objects.select_for_update().get(pk=issue.pk)
    transition = _transition(Action.AUTO_ESCALATE, issue)
    if issue.owner_tier not in TIER_ABOVE:
        return None
    return _hand_up(issue, transition, None, note=reason)


def _hand_up(issue: Issue, transition, actor: User | None, *, note: str) -> Issue:
    now = timezone.now()
    lower, upper = issue.owner_tier, TIER_ABOVE[issue.owner_tier]
    held = {"handler": issue.handler.username if issue.handler_id else None,
            "department": issue.handler_department.code if issue.handler_department_id else None}
    _list_leave(issue, lower, EntryState.ESCALATED, now)
    issue.owner_tier, issue.escalated_from_tier, issue.escalated_at = upper, lower, now
    issue.handler = issue.handler_department = None
    issue.responded_at = issue.resolved_at = None
    issue.resolution_due = None  # the upper tier's clock starts when it accepts
    issue.response_due = deadlines.response_due(issue=issue, start=now)
    data = {"from_tier": lower, "to_tier": upper, "response_due": _iso(issue.response_due), "held_by": held}
    return _finish(issue, transition, actor, note=note, data=data)


@transaction.atomic
def issue_send_back(
    *, issue: Issue, actor: User, reason: str, unjustified: bool = True, expected_version: int | None = None,
) -> Issue:
    """The tier above does not take a whistled-up issue: it goes back onto the lower tier's problem list,
    on that tier's own resolution clock. ``unjustified`` records the finding of 乱吹哨 (the
    accountability list picks it up from the event)."""
    if not reason.strip():
        raise InvalidInput(_("Say why the issue goes back down."), field="note")
    issue, transition = _begin(issue, Action.SEND_BACK, actor, expected_version)
    upper, lower = issue.owner_tier, issue.escalated_from_tier or Tier.COMMUNITY
    now = timezone.now()
    issue.owner_tier, issue.escalated_from_tier = lower, ""
    issue.handler = issue.handler_department = None
    issue.response_due = None
    entry = _list_enter(issue, None, now)
    issue.resolution_due = deadlines.resolution_due(issue=issue, start=entry.accepted_at)
    data = {"from_tier": upper, "to_tier": lower, "unjustified": bool(unjustified),
            "resolution_due": _iso(issue.resolution_due)}
    return _finish(issue, transition, actor, note=reason, data=data)


@transaction.atomic
def issue_assist_respond(*, issue: Issue, actor: User, note: str = "", expected_version: int | None = None) -> Issue:
    """An assisting department reports for duty (协办报到) on its own response clock."""
    issue, transition = _begin(issue, Action.ASSIST_RESPOND, actor, expected_version)
    assist = _assist_of(issue, actor)
    if assist.responded_at is not None:
        raise Conflict(_("Your department has already reported for duty on this issue."))
    assist.responded_at = timezone.now()
    assist.save(update_fields=["responded_at"])
    on_time = assist.response_due is None or assist.responded_at <= assist.response_due
    return _finish(issue, transition, actor, note=note,
                   data={"department": assist.department.code, "on_time": on_time})


@transaction.atomic
def issue_assist_report(*, issue: Issue, actor: User, report: str, expected_version: int | None = None) -> Issue:
    """An assisting department reports what it has done for its part; the lead resolves once every
    assisting department has."""
    if not report.strip():
        raise InvalidInput(_("Describe what your department has done."), field="note")
    issue, transition = _begin(issue, Action.ASSIST_REPORT, actor, expected_version)
    assist = _assist_of(issue, actor)
    if assist.responded_at is None:
        raise Conflict(_("Report for duty before reporting your part."))
    if assist.reported_at is not None:
        raise Conflict(_("Your department has already reported its part."))
    assist.report, assist.reported_at = report.strip(), timezone.now()
    assist.save(update_fields=["report", "reported_at"])
    return _finish(issue, transition, actor, note=report, data={"department": assist.department.code})


@transaction.atomic
def issue_assist_release(*, issue: Issue, actor: User, department: Department, reason: str,
                         expected_version: int | None = None) -> Issue:
    """The owning tier lets an assisting department go – it cannot help, or it never reported – so that
    the lead department may resolve without its part. Its clock stops; the assignment stays on record,
    with the reason, and what the department did or missed until then still counts."""
    if not reason.strip():
        raise InvalidInput(_("Say why the department is released."), field="reason")
    issue, transition = _begin(issue, Action.ASSIST_RELEASE, actor, expected_version)
    assist = issue.assists.select_related("department").filter(department=department).first()
    if assist is None or not assist.still_assisting:
        raise InvalidInput(_("%(name)s is not assisting on this issue.") % {"name": department.short_name},
                           field="department")
    if assist.reported_at is not None:
        raise Conflict(_("%(name)s has already reported its part.") % {"name": department.short_name})
    assist.released_at, assist.release_reason = timezone.now(), reason.strip()
    assist.save(update_fields=["released_at", "release_reason"])
    return _finish(issue, transition, actor, note=reason,
                   data={"department": department.code, "responded": assist.responded_at is not None})


def _assist_of(issue: Issue, actor: User) -> IssueAssist:
    assist = (issue.assists.still_assisting().select_related("department")
              .filter(department_id=actor.department_id).first())
    if assist is None:  # rules.may let them in: the assignment went away under the lock
        raise Conflict(_("Your department no longer assists on this issue."))
    return assist


# On-site checks (核实 / 核查) and problems fixed on the spot (当场处置) ------------------------------

CHECK_ASKS = {CheckKind.VERIFY: Action.VERIFY_ASK, CheckKind.INSPECT: Action.INSPECT_ASK}
# The actions that answer a pending check: every other move of the issue cancels it (see _finish).
CHECK_ANSWERS = frozenset({Action.VERIFY_REPORT, Action.INSPECT_PASS, Action.INSPECT_FAIL})


@transaction.atomic
def issue_check_ask(
    *, issue: Issue, actor: User, kind: str, officer: User | None = None, note: str = "",
    expected_version: int | None = None,
) -> SiteCheck:
    """The owning tier sends a grid officer of the issue's grid to look on site: 核实 (verify) whether a
    whistle it has not taken yet is real, before accepting it, or 核查 (inspect) whether a resolved one is
    really fixed, before crossing it off. The officer has ``FIELD_CHECK_HOURS`` to answer. One check at a
    time is pending per issue; it is cancelled (and that recorded) when the issue moves on first.
    ``officer`` by default: the first grid officer of the grid who may check it (``rules.may_check``)."""
    if kind not in CheckKind.values:
        raise InvalidInput(_("Choose what to check: the whistle before accepting it, or the result before "
                             "closing it."), field="kind")
    issue, transition = _begin(issue, CHECK_ASKS[kind], actor, expected_version)
    if issue.checker_id is not None:
        raise Conflict(_("An on-site check of this issue is pending already."))
    if officer is None:
        officer = next((candidate for candidate in selectors.check_officer_candidates(issue)
                        if rules.may_check(candidate, issue, kind)), None)
        if officer is None:
            raise InvalidInput(_("No grid officer of this grid can check it."), field="officer")
    elif not rules.may_check(officer, issue, kind):
        raise InvalidInput(_("%(name)s is not a grid officer of this grid who may check it.") % {"name": officer},
                           field="officer")
    now = timezone.now()
    check = SiteCheck(issue=issue, kind=kind, officer=officer, asked_by=actor, asked_at=now, ask_note=note.strip(),
                      due_at=now + timedelta(hours=settings.FIELD_CHECK_HOURS))
    issue.checker = officer

    def keep(event):
        check.ask_event = event
        check.save()

    _finish(issue, transition, actor, note=note, then=keep,
            data={"kind": kind, "officer": officer.username, "due_at": _iso(check.due_at)})
    return check


@transaction.atomic
def issue_check_report(
    *, check: SiteCheck, actor: User, outcome: str, note: str = "", duplicate_of: Issue | None = None,
    photos: Sequence[PreparedPhoto] = (), idempotency_key: str | None = None,
) -> SiteCheck:
    """The grid officer asked answers the check from the site, with photos: real / not found / a duplicate
    of another whistle (核实), or fixed / not fixed (核查; not fixed returns the issue to its handler, who
    must report for duty again). The owner decides next. An answer sent again with the same
    ``idempotency_key`` (a phone's outbox) returns the answered check and records nothing; an answer to a
    check that is no longer pending is a Conflict that says why."""
    if idempotency_key:
        earlier = SiteCheck.objects.filter(officer=actor, answer_key=idempotency_key).first()
        if earlier is not None:
            if earlier.pk != check.pk:
                raise Conflict(_("This answer's key was used for another check."))
            return earlier
    if outcome not in CheckOutcome.values:
        raise InvalidInput(_("Choose an outcome of this check."), field="outcome")
    if outcome != CheckOutcome.DUPLICATE:
        duplicate_of = None
    elif duplicate_of is None:
        raise InvalidInput(_("Name the whistle this one duplicates."), field="duplicate_of")
    if outcome in (CheckOutcome.NOT_FOUND, CheckOutcome.NOT_FIXED) and not note.strip():
        raise InvalidInput(_("Say what you found on site."), field="note")
    if len(photos) > settings.ISSUE_MAX_PHOTOS:
        raise InvalidInput(_("At most %(count)s photos.") % {"count": settings.ISSUE_MAX_PHOTOS}, field="photos")
    issue = Issue.objects.select_for_update().get(pk=check.issue_id)
    check = SiteCheck.objects.select_for_update().get(pk=check.pk)
    if check.officer_id != actor.pk:
        raise PermissionRefused(_("Only the grid officer asked may answer this check."))
    if idempotency_key and check.answer_key == idempotency_key:
        return check  # the same answer raced in twice: the first one is the answer
    if not check.is_pending:
        raise Conflict(_check_gone(check))
    if outcome not in CHECK_OUTCOMES[check.kind]:
        raise InvalidInput(_("Choose an outcome of this check."), field="outcome")
    if outcome == CheckOutcome.DUPLICATE:
        if duplicate_of.pk == issue.pk or not rules.can_view(actor, duplicate_of):
            raise InvalidInput(_("Name another whistle of your area."), field="duplicate_of")
    action = {CheckOutcome.FIXED: Action.INSPECT_PASS, CheckOutcome.NOT_FIXED: Action.INSPECT_FAIL}.get(
        outcome, Action.VERIFY_REPORT)
    issue, transition = _begin(issue, action, actor, None)
    now = timezone.now()
    check.state, check.outcome, check.answered_at, check.answer_note = CheckState.ANSWERED, outcome, now, note.strip()
    check.duplicate_of, check.answer_key = duplicate_of, idempotency_key or None
    issue.checker = None
    if action == Action.INSPECT_FAIL:  # back to the handler, as a return by the owner would send it
        issue.dispatched_at = now
        issue.response_due = deadlines.response_due(issue=issue, start=now)
        issue.responded_at = issue.resolved_at = None

    def keep(event):
        check.end_event = event
        check.save()
        _save_photos(issue, photos, kind=PhotoKind.CHECK, event=event, by=actor)

    data = {"kind": check.kind, "outcome": outcome, "on_time": now <= check.due_at}
    if duplicate_of is not None:
        data["duplicate_of"] = duplicate_of.number
    _finish(issue, transition, actor, note=note, data=data, then=keep)
    return check


def _check_gone(check: SiteCheck) -> str:
    """Why a check can no longer be answered, for the officer whose answer arrives late."""
    if check.state == CheckState.ANSWERED:
        return _("This check was answered already.")
    moved_on = {
        Action.ACCEPT: _("The owning tier accepted the whistle meanwhile."),
        Action.REJECT: _("The owning tier rejected the whistle meanwhile."),
        Action.WITHDRAW: _("The resident withdrew the whistle meanwhile."),
        Action.RETURN: _("The owning tier returned the issue to its handler meanwhile."),
    }
    because = (check.end_event.data or {}).get("because") if check.end_event_id else None
    return moved_on.get(because, _("The issue moved on meanwhile: the check was cancelled."))


def _check_cancel(issue: Issue, actor: User | None, *, status: str, because: str) -> None:
    """Cancel the pending check of an issue that moves on from ``status`` (called by _finish, under the
    issue's lock)."""
    check = SiteCheck.objects.select_for_update().select_related("officer").get(issue=issue, state=CheckState.ASKED)
    transition_for(Action.CHECK_CANCEL, status)
    event = _record(issue, Action.CHECK_CANCEL, actor, from_status=status, to_status=status,
                    data={"kind": check.kind, "officer": check.officer.username, "because": str(because)})
    check.state, check.cancelled_at, check.end_event = CheckState.CANCELLED, event.at, event
    check.save(update_fields=["state", "cancelled_at", "end_event"])
    issue.checker = None


@transaction.atomic
def issue_fix_on_spot(
    *, filed_by: User, result: str, evidence_photos: Sequence[PreparedPhoto] = (), **submission,
) -> Submission:
    """当场处置: a grid officer on patrol found a problem in their own grid and fixed it there. It is filed
    (``issue_submit``'s arguments, channel grid_patrol, the photos the before) and resolved in the same
    step by that officer, with what was done and the after photos: it stands on the owning tier's
    problem list and waits for the owner to cross it off (or return it to the officer) like any resolved
    whistle. A repeated ``idempotency_key`` returns the issue filed the first time."""
    if filed_by.role != Role.GRID_OFFICER:
        raise PermissionRefused(_("Only grid officers report problems fixed on the spot."))
    if not result.strip():
        raise InvalidInput(_("Describe what was done."), field="result")
    if len(evidence_photos) > settings.ISSUE_MAX_PHOTOS:
        raise InvalidInput(_("At most %(count)s photos.") % {"count": settings.ISSUE_MAX_PHOTOS},
                           field="evidence_photos")
    submission["channel"] = Channel.GRID_PATROL
    filed = _issue_file(filed_by=filed_by, **submission)
    if not filed.created:
        return filed
    issue = filed.issue
    if issue.grid_id != filed_by.grid_id:
        raise InvalidInput(_("Fixed on the spot is for problems in your own grid."), field="location")
    transition = _transition(Action.FIX_ON_SPOT, issue)
    if not rules.may(filed_by, issue, transition):
        raise PermissionRefused(_("Only %(who)s may %(action)s this issue.")
                                % {"who": transition.actor.label, "action": transition.action.label})
    now = timezone.now()
    issue.handler = filed_by
    issue.accepted_at = issue.dispatched_at = issue.responded_at = issue.resolved_at = now
    issue.response_due = None
    issue.resolution_due = deadlines.resolution_due(issue=issue, start=now)
    issue.result = result.strip()
    _list_enter(issue, None, now)
    photos = list(issue.photos.all())

    def keep(event):
        photos.extend(_save_photos(issue, evidence_photos, kind=PhotoKind.EVIDENCE, event=event, by=filed_by))

    issue = _finish(issue, transition, filed_by, note=result, then=keep,
                    data={"tier": issue.owner_tier, "resolution_due": _iso(issue.resolution_due)})
    _as_prefetched(issue, photos=photos, assists=[])
    return Submission(issue, created=True)


# What the timers record --------------------------------------------------------------------------

@transaction.atomic
def issue_mark_overdue(*, issue: Issue, deadline: str, due, department: Department | None = None) -> Issue:
    """A deadline passed: the response (接哨不报到) or the resolution (慢作为) one, of the handler or
    of an assisting department. Recorded on the timeline by the system; the state does not change."""
    issue = Issue.objects.select_for_update().get(pk=issue.pk)
    transition = _transition(Action.OVERDUE, issue)
    data = {"deadline": deadline, "due": _iso(due), "tier": issue.owner_tier,
            "department": department.code if department else None}
    return _finish(issue, transition, None, data=data)


def issue_record_supervision(*, issue: Issue, actor: User | None, note: str, data: dict | None = None) -> IssueEvent:
    """Put a supervision step (督办: put on the list, an instruction, closed) on the issue's timeline.
    Who may supervise is decided by ``dispatch.supervision``, which calls this in its transaction."""
    _transition(Action.SUPERVISE, issue)
    return _record(issue, Action.SUPERVISE, actor, from_status=issue.status, to_status=issue.status,
                   note=note, data=data or {})


# The problem lists (问题清单) ---------------------------------------------------------------------

def _list_unit(issue: Issue, tier: str) -> dict:
    if tier == Tier.COMMUNITY:
        return {"community_id": issue.community_id, "street_id": None}
    if tier == Tier.STREET:
        return {"community_id": None, "street_id": issue.street_id}
    return {"community_id": None, "street_id": None}


def _list_enter(issue: Issue, actor: User | None, now) -> ProblemListEntry:
    """The owning tier has the issue on its list (again): accepted, or sent back down to it."""
    entry = ProblemListEntry.objects.filter(issue=issue, tier=issue.owner_tier).first()
    if entry is None:
        return ProblemListEntry.objects.create(issue=issue, tier=issue.owner_tier, accepted_at=now, accepted_by=actor,
                                               **_list_unit(issue, issue.owner_tier))
    entry.state, entry.left_at = EntryState.OPEN, None
    entry.save(update_fields=["state", "left_at"])
    return entry


def _list_leave(issue: Issue, tier: str, state: str, now) -> None:
    ProblemListEntry.objects.filter(issue=issue, tier=tier).update(state=state, left_at=now)


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


@transaction.atomic
def issue_support(*, issue: Issue, actor: User) -> Issue:
    """Another resident met the same problem (我也遇到了): their voice is added instead of a new issue."""
    issue = Issue.objects.select_for_update().get(pk=issue.pk)
    transition = _transition(Action.SUPPORT, issue)
    if not rules.may(actor, issue, transition):
        raise PermissionRefused(_("Only other residents can add their voice."))
    if IssueSupporter.objects.filter(issue=issue, user=actor).exists():
        raise Conflict(_("You have already added your voice to this issue."))
    IssueSupporter.objects.create(issue=issue, user=actor)
    Issue.objects.filter(pk=issue.pk).update(supporter_count=F("supporter_count") + 1)
    issue.supporter_count += 1
    _record(issue, Action.SUPPORT, actor, from_status=issue.status, to_status=issue.status)
    return issue


# Shared steps -------------------------------------------------------------------------------------

def _transition(action, issue):
    try:
        return transition_for(action, issue.status)
    except TransitionNotAllowed as refused:
        raise Conflict(str(refused)) from None


def _begin(issue: Issue, action: str, actor: User, expected_version: int | None):
    """Lock the issue, and refuse if it moved on since the caller saw it, if the state does not allow
    the action, or if the actor is not the person the action needs."""
    issue = Issue.objects.select_for_update().get(pk=issue.pk)
    if expected_version is not None and issue.version != expected_version:
        raise Conflict(_("Someone else changed this issue just now; reload it and try again."))
    transition = _transition(action, issue)
    if not rules.may(actor, issue, transition):
        raise PermissionRefused(
            _("Only %(who)s may %(action)s this issue.") % {"who": transition.actor.label, "action": transition.action.label}
        )
    return issue, transition


def _finish(issue: Issue, transition, actor: User | None, *, note: str = "", data: dict | None = None,
            then=None) -> Issue:
    """Move the issue, record the event and tell the rest of the system. ``then(event)``: writes that need
    the event (an on-site check names the event that asked it), made before anyone is told."""
    from_status = issue.status
    if transition.target is not None:
        issue.status = transition.target
        if issue.checker_id is not None and transition.action not in CHECK_ANSWERS:
            # The issue moved on under a pending check (accepted, rejected, returned, whistled up…): the
            # check no longer applies.
            _check_cancel(issue, actor, status=from_status, because=transition.action)
    issue.version += 1
    issue.save()
    issue.last_event = _record(issue, transition.action, actor, from_status=from_status, to_status=issue.status,
                               note=note, data=data or {})
    if then is not None:
        then(issue.last_event)
    signals.issue_changed.send(sender=Issue, issue_id=issue.pk, action=transition.action,
                               event_id=issue.last_event.pk, issue=issue, event=issue.last_event)
    return issue


def _record(issue, action, actor, *, from_status, to_status, note="", data=None) -> IssueEvent:
    event = IssueEvent.objects.create(
        issue=issue, action=action, actor=actor, actor_role=actor.role if actor else "", from_status=from_status,
        to_status=to_status, note=note.strip(), data=data or {},
    )
    signals.event_recorded.send(sender=Issue, issue=issue, event=event)
    return event
