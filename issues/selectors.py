"""Reads of issues, scoped to who is asking. The query count of every list is decided here, once:
a page of issues is one query for the rows (plus one for the count), whatever the page size."""
import math
from dataclasses import dataclass

from django.db.models import Case, Exists, F, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from grids.boundaries import EARTH_RADIUS_M, distance_m
from grids.models import PLACE_LEVELS, Community, Grid, GridDuty, Role, Street, User

from . import rules
from .lifecycle import OPEN_STATUSES, Action, Actor, Status, Transition, actions_from
from .models import (
    RESPONSE_CLOCK_STATUSES,
    Category,
    CheckState,
    Issue,
    IssueAssist,
    IssueEvent,
    IssuePhoto,
    SiteCheck,
    Tier,
)

# The related rows a list shows come by prefetch (one small query each), not by joins: a seven-table join
# costs PostgreSQL more to plan (~10 ms) than the page costs to read.
LIST_PREFETCH = ("category__parent", "grid", "community", "street", "handler", "handler_department")
# Lists leave the long texts in the database.
LIST_DEFERRED = ("description", "attributes", "reporter_contact", "media_url", "result", "rating_comment")
# Lists name the places; their boundaries (kilobytes each) stay in the database.
BOUNDARIES = ("grid__boundary", "community__boundary", "street__boundary")


def issue_scope(user) -> QuerySet[Issue]:
    """The issues this account may see at all (see ``issues.rules``)."""
    issues = Issue.objects.all()
    if user.is_authenticated and user.role == Role.RESIDENT:
        return issues.filter(reporter=user)
    visible = staff_visibility_q(user)
    return issues.none() if visible is None else issues.filter(visible)


def staff_visibility_q(user, prefix: str = "", *, handed_to_them: bool = True) -> Q | None:
    """The staff rule of who sees which issues, as a condition – on Issue, or with ``prefix="issue__"`` on
    anything that belongs to an issue (supervision items, accountability records, list entries): the
    district roles everything; grid, community and street staff the issues of their place (and, with
    ``handed_to_them``, issues dispatched to them personally); department staff the issues dispatched
    to their department or that it assists. None: this account sees no issues as staff."""
    if not user.is_authenticated:
        return None
    role = user.role
    if role in rules.DISTRICT_WIDE:
        return Q()
    if role == Role.DEPARTMENT_STAFF:
        if user.department_id is None:
            return None
        issue_ref = OuterRef(f"{prefix.removesuffix('__')}_id" if prefix else "pk")
        assisting = IssueAssist.objects.filter(issue=issue_ref, department_id=user.department_id)
        return Q(**{f"{prefix}handler_department_id": user.department_id}) | Exists(assisting)
    field = user.level
    if field not in PLACE_LEVELS:
        return None
    place = Q(**{f"{prefix}{field}_id": getattr(user, f"{field}_id")})
    return place | Q(**{f"{prefix}handler": user}) if handed_to_them else place


@dataclass(frozen=True)
class IssueFilters:
    status: tuple[str, ...] = ()
    category: str = ""  # a code; a top category includes its sub-categories
    grid: str = ""  # a grid code
    overdue: bool | None = None
    channel: str = ""
    q: str = ""  # tracking number or words of the title


def overdue_q(now=None) -> Q:
    """Issue.is_overdue as a filter: keep the two in step."""
    now = now or timezone.now()
    return Q(status__in=RESPONSE_CLOCK_STATUSES, response_due__lt=now) | Q(status__in=OPEN_STATUSES,
                                                                           resolution_due__lt=now)


def issue_list_for(user, *, filters: IssueFilters | None = None) -> QuerySet[Issue]:
    filters = filters or IssueFilters()
    issues = issue_scope(user).defer(*LIST_DEFERRED).prefetch_related(*_list_prefetches())
    if filters.status:
        issues = issues.filter(status__in=filters.status)
    if filters.category:
        issues = issues.filter(Q(category__code=filters.category) | Q(category__parent__code=filters.category))
    if filters.grid:
        issues = issues.filter(grid__code=filters.grid)
    if filters.channel:
        issues = issues.filter(channel=filters.channel)
    if filters.overdue is not None:
        issues = issues.filter(overdue_q()) if filters.overdue else issues.exclude(overdue_q())
    if filters.q:
        issues = issues.filter(Q(number__iexact=filters.q.strip()) | Q(title__icontains=filters.q.strip()))
    return issues.order_by("-created_at", "-id")


def _list_prefetches():
    return [
        Prefetch("category", queryset=Category.objects.select_related("parent")),
        Prefetch("grid", queryset=Grid.objects.defer("boundary")),
        Prefetch("community", queryset=Community.objects.defer("boundary")),
        Prefetch("street", queryset=Street.objects.defer("boundary")),
        "handler", "handler_department",
    ]


def issue_detail_for(user, *, pk=None, number=None, timeline: bool = True) -> Issue:
    """One issue with its photos (and its timeline unless ``timeline=False``); Http404 if it does not
    exist or is not the user's to see. Rarely set relations (handler, department, the issue it was
    merged into) load only when set: a wide join costs PostgreSQL more to plan than to run."""
    lookup = {"pk": pk} if pk is not None else {"number": number}
    prefetch = [Prefetch("photos", queryset=IssuePhoto.objects.order_by("created_at", "id")),
                Prefetch("assists", queryset=IssueAssist.objects.select_related("department"))]
    if timeline:
        prefetch.append(Prefetch("events", queryset=IssueEvent.objects.select_related("actor").order_by("at", "id")))
    try:
        return (
            issue_scope(user).select_related("category__parent", "grid", "community", "street", "reporter")
            .defer(*BOUNDARIES).prefetch_related(*prefetch).get(**lookup)
        )
    except Issue.DoesNotExist:
        raise Http404("No such issue in your area.") from None


SUMMARY_RELATED = ("category__parent", "grid", "community", "street")


def issue_filed_by(user, *, number: str) -> Issue | None:
    """The issue with this tracking number if ``user`` filed it: an operator or a patrolling officer
    may file for a place outside the area they serve and must still see the confirmation."""
    if not user.is_authenticated:
        return None
    return _summary().filter(number=number, filed_by=user).first()


def issue_followed_by(user, *, number: str) -> Issue | None:
    """The issue with this tracking number if ``user`` added their voice to it (我也遇到了): they follow
    its progress – status, category, place – never the reporter, the description, photos or timeline."""
    if not user.is_authenticated:
        return None
    return _summary().filter(number=number, supporters__user=user).first()


def issue_by_number(number: str) -> Issue | None:
    """Any issue by tracking number, unscoped: only for actions whose service checks the person
    (adding one's voice to an issue nearby)."""
    return Issue.objects.filter(number=number).first()


def issue_photo_for(user, *, photo_id: int, issue_id: int | None = None, number: str | None = None):
    """A photo of an issue, only for someone who may see that issue (photos show people and homes)."""
    photos = IssuePhoto.objects.select_related("issue").filter(pk=photo_id)
    photos = photos.filter(issue_id=issue_id) if issue_id is not None else photos.filter(issue__number=number)
    photo = photos.first()
    if photo is None or not rules.can_view(user, photo.issue):
        return None
    return photo


def _summary() -> QuerySet[Issue]:
    return Issue.objects.select_related(*SUMMARY_RELATED).defer(*BOUNDARIES)


def available_actions(user, issue: Issue) -> list[Transition]:
    """Exactly the actions this user may take on the issue now, in lifecycle order."""
    return [t for t in actions_from(issue.status) if t.actor != Actor.SYSTEM and rules.may(user, issue, t)
            and _step_due(user, issue, t)]


def _step_due(user, issue: Issue, transition: Transition) -> bool:
    """The services refuse what is not due yet or done already; the page does not offer it."""
    if transition.action == Action.ESCALATE:
        return issue.owner_tier != Tier.DISTRICT
    if transition.action == Action.ASSIST_RELEASE:
        return bool(releasable_assists(issue))
    if transition.action == Action.RATE:
        return not issue.rated_since_closed
    if transition.action in (Action.VERIFY_ASK, Action.INSPECT_ASK):
        return issue.checker_id is None  # one check at a time
    if transition.action == Action.CLOSE:
        return issue.checker_id is None  # not while the result is being checked on site
    if transition.action == Action.FIX_ON_SPOT:
        return False  # taken only while filing, by issue_fix_on_spot
    if transition.actor == Actor.ASSISTANT:
        assist = rules.assist_of(user, issue)
        if transition.action == Action.ASSIST_RESPOND:
            return assist is not None and assist.responded_at is None
        return assist is not None and assist.responded_at is not None and assist.reported_at is None
    return True


def releasable_assists(issue: Issue) -> list[IssueAssist]:
    """The assisting departments the owner may still release (from the prefetched assists): neither released
    already nor done with their part (``issue_assist_release`` refuses the others)."""
    return [assist for assist in issue.assists.all() if assist.owes_part]


def handler_candidates(issue: Issue) -> QuerySet[User]:
    """The accounts the owning tier may dispatch the issue to (the rule is ``rules.may_handle``)."""
    roles = sorted(rules.HANDLER_ROLES[Tier(issue.owner_tier)])
    place = Q(grid_id=issue.grid_id) | Q(community_id=issue.community_id) | Q(street_id=issue.street_id)
    if issue.owner_tier == Tier.DISTRICT:
        place |= Q(role=Role.COMMAND_CENTRE)
    candidates = User.objects.filter(place, role__in=roles, is_active=True).select_related("grid")
    # Grid leaders and full-time officers first; the information officers of the grid after them.
    return candidates.order_by("role", "grid_duty", "full_name")




def nearby_open_issues(*, category: Category, lat: float, lng: float, metres: float = 100, limit: int = 10):
    """Open issues of the same category within ``metres`` of the point, nearest first: what a resident
    sees before filing, to add their voice instead (我也遇到了). Returns (issue, distance in metres)."""
    dlat = math.degrees(metres / EARTH_RADIUS_M)
    dlng = dlat / max(math.cos(math.radians(lat)), 0.01)
    candidates = Issue.objects.filter(
        category=category, status__in=OPEN_STATUSES,
        lat__range=(lat - dlat, lat + dlat), lng__range=(lng - dlng, lng + dlng),
    ).only("id", "number", "title", "lat", "lng", "status", "created_at", "supporter_count", "reporter_id")[:200]
    found = [(issue, distance_m(lat, lng, issue.lat, issue.lng)) for issue in candidates]
    return sorted([(i, d) for i, d in found if d <= metres], key=lambda pair: pair[1])[:limit]



# On-site checks and the officer's own work ---------------------------------------------------------

def check_officer_candidates(issue: Issue) -> QuerySet[User]:
    """The grid officers of the issue's grid the owner may send to check it (``rules.may_check`` has the
    last word): the full-time and information officers by seniority of their account, the grid leader last."""
    leader_last = Case(When(grid_duty=GridDuty.LEADER, then=Value(1)), default=Value(0))
    return (User.objects.filter(role=Role.GRID_OFFICER, grid_id=issue.grid_id, is_active=True)
            .order_by(leader_last, "pk"))


def pending_check(issue: Issue) -> SiteCheck | None:
    """The check the issue waits for, with who asked and who is asked: None, without a query, when there is
    none; read once per issue object (the page and its forms all ask)."""
    if issue.checker_id is None:
        return None
    if "_pending_check" not in issue.__dict__:
        issue.__dict__["_pending_check"] = (SiteCheck.objects.select_related("officer", "asked_by")
                                            .filter(issue_id=issue.pk, state=CheckState.ASKED).first())
    return issue.__dict__["_pending_check"]


def photo_offset_metres(photo: IssuePhoto, issue: Issue) -> float | None:
    """How far from the issue's point the phone says the photo was taken (None: it does not say)."""
    if photo.taken_lat is None or photo.taken_lng is None:
        return None
    return distance_m(photo.taken_lat, photo.taken_lng, issue.lat, issue.lng)


def _check_issue_prefetch():
    return Prefetch("issue", queryset=Issue.objects.defer(*LIST_DEFERRED).prefetch_related(
        Prefetch("category", queryset=Category.objects.select_related("parent")),
        Prefetch("grid", queryset=Grid.objects.defer("boundary"))))


def checks_asked_of(user) -> QuerySet[SiteCheck]:
    """The on-site checks this grid officer still has to answer, nearest due first, with their issue,
    its category and grid loaded (four queries however many; the officer and who asked joined)."""
    if not user.is_authenticated:
        return SiteCheck.objects.none()
    return (SiteCheck.objects.filter(officer=user, state=CheckState.ASKED).select_related("officer", "asked_by")
            .prefetch_related(_check_issue_prefetch()).order_by("due_at", "id"))


def check_for(user, *, pk) -> SiteCheck:
    """One check for the officer asked or staff who may see its issue; Http404 otherwise."""
    check = (SiteCheck.objects.select_related("officer", "asked_by", "duplicate_of")
             .prefetch_related(_check_issue_prefetch()).filter(pk=pk).first())
    if check is None or not (check.officer_id == user.pk
                             or (rules.is_staff_member(user) and rules.can_view(user, check.issue))):
        raise Http404("No such check.")
    return check


def dispatched_to(user) -> QuerySet[Issue]:
    """The open issues this user handles personally (dispatched, or reported for duty), annotated ``due``:
    the deadline running now – to report for duty while dispatched, else to resolve – nearest first."""
    if not user.is_authenticated:
        return Issue.objects.none()
    due = Case(When(status=Status.DISPATCHED, then=F("response_due")), default=F("resolution_due"))
    return (Issue.objects.filter(handler=user, status__in=(Status.DISPATCHED, Status.RESPONDED))
            .defer(*LIST_DEFERRED).prefetch_related(*_list_prefetches())
            .annotate(due=due).order_by(F("due").asc(nulls_last=True), "id"))
