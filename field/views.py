"""The field app's pages (/field/), made for a phone held in one hand, and what makes them an installable,
offline app: the web app manifest and the service worker, served from /field/ so that it controls /field/.

The pages are read-only renderings: everything an officer sends (a patrol report, a visit, a check's answer,
reporting for duty, a result) is queued by static/field/outbox.js in the phone's IndexedDB with an
Idempotency-Key and sent to the API (issues.api, field.api) when there is a network. The rules stay in
``issues.services`` and ``field.services``; these views only choose what to show.
"""
import functools
import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from csp.decorators import csp_update

from grids.boundaries import to_shape
from grids.views import base_map_tiles
from issues import selectors as issue_selectors
from issues.forms import category_label
from issues.lifecycle import Action
from issues.models import Category, CheckState
from issues.photos import DEFAULT_MAX_SIDE_PX
from jianhua.pages import refused

from . import rules, selectors, shell

# What the outbox treats as the server's refusal (kept, with the reason, for the officer to change and resend);
# anything else that is not a 2xx (5xx, a gateway's error page) stays queued and is tried again.
REFUSED_STATUSES = (400, 403, 404, 409, 422)
# Positions a patrol page sends in one batch at most, and how often it sends (seconds).
PATROL_BATCH_POINTS = 20
PATROL_BATCH_SECONDS = 60
# Units of the visit plan Today shows (the longest unvisited first); the visit page offers them all.
TODAY_PLAN_UNITS = 8


def grid_officer_required(view):
    @functools.wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not rules.may_use_field_app(request.user):
            return refused(request, gettext_lazy("The field app is for grid officers serving a grid."))
        return view(request, *args, **kwargs)

    return wrapped


# The pages ----------------------------------------------------------------------------------------

@grid_officer_required
def today(request):
    """Today: whistles dispatched to me (the nearest deadline first), checks asked of me, my visit plan."""
    user = request.user
    dispatched = list(issue_selectors.dispatched_to(user))
    checks = list(issue_selectors.checks_asked_of(user))
    plan = list(selectors.visit_plan_for(user)[:TODAY_PLAN_UNITS])
    return _page(request, "field/today.html", {
        "dispatched": dispatched, "checks": checks, "plan": plan, "now": timezone.now(),
    })


@grid_officer_required
def report(request):
    """A patrol report (巡查上报): photos, the position from the phone or a pin, category, a short text; or
    a problem fixed on the spot (当场处置) with the result and photos after."""
    grid = request.user.grid
    return _page(request, "field/report.html", {"categories": _category_groups()}, script="report", extra={
        "grid": {"code": grid.code, "name": grid.name, "boundary": grid.boundary},
        "createUrl": reverse("issue-list"),
        "fixedUrl": reverse("issue-fixed-on-spot"),
        "center": _centre_of(grid.boundary),
    })


@grid_officer_required
def visit(request):
    """A visit door to door (走访): the unit, the door, who, what was raised and the concerns."""
    places = list(selectors.places_for(request.user))
    return _page(request, "field/visit.html", {
        "places": places, "categories": _category_groups(), "unit_asked": request.GET.get("unit", ""),
    }, script="visit", extra={"createUrl": reverse("field-visits")})


@grid_officer_required
def check(request, pk):
    """The answer to an on-site check asked of me (核实 / 核查)."""
    site_check = issue_selectors.check_for(request.user, pk=pk)
    if site_check.officer_id != request.user.pk:
        raise Http404(_("No such check asked of you."))
    # One answered or cancelled meanwhile still opens: an answer the server refused is read (and kept) here.
    pending = site_check.state == CheckState.ASKED
    return _page(request, "field/check.html", {"check": site_check, "pending": pending}, script="check", extra={
        "reportUrl": reverse("check-report", args=[site_check.pk]), "kind": str(site_check.kind),
    })


@grid_officer_required
def issue(request, pk):
    """One whistle dispatched to me: report for duty, then resolve it with photos of the result."""
    found = issue_selectors.dispatched_to(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404(_("No such whistle dispatched to you."))
    # What the service accepts now (issues.selectors); the result may follow a report for duty still queued.
    may_respond = any(t.action == Action.RESPOND for t in issue_selectors.available_actions(request.user, found))
    return _page(request, "field/issue.html", {"issue": found, "can_respond": may_respond},
                 script="issue", extra={
                     "respondUrl": reverse("issue-respond", args=[found.pk]),
                     "resolveUrl": reverse("issue-resolve", args=[found.pk]),
                     "number": found.number,
                 })


@grid_officer_required
def patrol(request):
    """A patrol: while the page is open it samples the phone's position and sends the track in batches."""
    return _page(request, "field/patrol.html", {}, script="patrol", extra={
        "pointsUrl": reverse("field-patrol-points"),
        "batchPoints": PATROL_BATCH_POINTS, "batchSeconds": PATROL_BATCH_SECONDS,
    })


def _page(request, template, context, *, script=None, extra=None):
    """Every field page: its own context plus the configuration the shell's scripts read (json_script)."""
    tiles = base_map_tiles()
    config = {
        "todayUrl": reverse("field:today"),
        "swUrl": reverse("field:sw"),
        "scope": reverse("field:today"),
        "tileLayers": tiles["tileLayers"],
        "coordSys": tiles["coordSys"],
        "gridBounds": _bounds_of(request.user.grid.boundary),
        "owner": request.user.pk,  # the outbox sends (and shows) only this account's items
        "refusedStatuses": REFUSED_STATUSES,
        "photoMaxSide": getattr(settings, "ISSUE_PHOTO_MAX_SIDE_PX", DEFAULT_MAX_SIDE_PX),
        "maxPhotos": settings.ISSUE_MAX_PHOTOS,
        "messages": _messages(),
        **(extra or {}),
    }
    get_token(request)  # the outbox sends the CSRF cookie's token with everything it posts
    return render(request, template, {**context, "field_config": config, "page_script": script})


def _messages():
    return {
        "queued": _("Waiting to sync"),
        "sending": _("Sending…"),
        "done": _("Synced"),
        "refused": _("Refused"),
        "saved": _("Saved on the phone; it is sent when there is a network."),
        "edit": _("Change and send again"),
        "resend": _("Send again"),
        "discard": _("Delete"),
        "discardConfirm": _("Delete this from the phone? What was typed is lost."),
        "noPosition": _("Your position is not available: tap the map to place the pin."),
        "needPosition": _("Place the pin (or allow your position) first."),
        "positionFrom": _("Position from the phone (±%(metres)s m)"),
        "pinned": _("Position: the pin on the map"),
        "outsideGrid": _("outside your grid"),
        "photosKept": _("Photos kept from before: %(count)s"),
        "tooManyPhotos": _("At most %(count)s photos.") % {"count": settings.ISSUE_MAX_PHOTOS},
        "shrinking": _("Preparing the photos…"),
        "offline": _("No network: what you send waits on the phone."),
        "online": _("Online"),
        "patrolPoints": _("Positions recorded: %(count)s"),
        "patrolNoGps": _("This phone gives no position: the patrol cannot be recorded."),
        "report": _("Patrol report"),
        "fixed": _("Fixed on the spot"),
        "visit": _("Visit"),
        "check": _("Check answer"),
        "respond": _("Report for duty"),
        "resolve": _("Result"),
        "patrol": _("Patrol track"),
        "filedAs": _("Filed as %(number)s"),
        "whistle": _("Whistle"),
        "suggestion": _("Suggestion"),
        "needCategory": _("A concern to file as a whistle needs its category."),
    }


def _category_groups():
    """Active sub-categories grouped under their top categories (one query), offered by code."""
    rows = (Category.objects.filter(is_active=True, parent__isnull=False, parent__is_active=True)
            .select_related("parent").order_by("parent__order", "parent__code", "order", "code"))
    groups: dict = {}
    for category in rows:
        groups.setdefault(category.parent, []).append((category.code, category_label(category)))
    return [(category_label(top), children) for top, children in groups.items()]


def _bounds_of(boundary):
    """[[south, west], [north, east]] of a GeoJSON boundary (WGS-84), for the map and the tiles to cache."""
    west, south, east, north = to_shape(boundary).bounds
    return [[south, west], [north, east]]


def _centre_of(boundary):
    point = to_shape(boundary).representative_point()
    return [point.y, point.x]


# The installable app --------------------------------------------------------------------------------

@require_GET
@cache_control(max_age=3600)
def manifest(request):
    """The web app manifest: installable, opening on Today, within /field/."""
    scope = reverse("field:today")
    body = {
        "name": _("Jianhua grid officer"),
        "short_name": _("Grid officer"),
        "description": _("Patrol reports, visits and on-site checks, offline included."),
        "id": scope,
        "start_url": scope,
        "scope": scope,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#b71c1c",
        "lang": request.LANGUAGE_CODE,
        "icons": [
            {"src": static("field/icons/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static("field/icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": static("field/icons/icon-maskable-512.png"), "sizes": "512x512", "type": "image/png",
             "purpose": "maskable"},
        ],
    }
    return JsonResponse(body, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})


# The worker fetches (and keeps) the base map's tiles for the pages: it may connect wherever the pages may load
# images from (a worker's fetches obey its own script's Content-Security-Policy).
TILE_SOURCES = [source for source in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"]
                if source.startswith(("https:", "http:"))]


@require_GET
@csp_update({"connect-src": TILE_SOURCES})
def service_worker(request):
    """The service worker, from /field/ so that its scope is /field/ (a script's default scope is its own
    folder). Never cached by HTTP: the browser must see a new version as soon as the shell changes."""
    worker = render_to_string("field/sw.js", {"shell": json.dumps({
        "version": shell.shell_version(),
        "pages": shell.shell_page_urls(),
        "static": shell.shell_static_urls(),
        "apiReads": list(shell.API_READS),
        "scope": reverse("field:today"),
    })})
    response = HttpResponse(worker, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("field:today")
    response["Cache-Control"] = "no-cache"
    return response
