"""The whistle's HTML pages (mobile first, Chinese by default).

Each view checks who is asking, validates the input with a form from ``issues.forms``, calls one
service or selector and renders ``templates/issues/<page>.html``. The rules live in
``issues.services`` / ``rules`` / ``selectors``; their errors become answers here:

- ``InvalidInput`` → the form again, the error on the field it names (status 400);
- ``PermissionRefused`` → the refusal page with the service's message (403);
- ``Conflict`` (someone changed the issue first) → the fresh issue page with the message and what the
  user typed still in the form (409), so they decide again on what is true now.
"""
import functools
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from grids.models import Department, Role, User
from grids.selectors import grid_place
from grids.views import base_map_config, base_map_tiles
from jianhua.pages import refused
from jianhua.pagination import LargeListPaginator

from . import forms, retention, rules, selectors, services
from .attributes import answers_for_display
from .lifecycle import Action, Status
from .models import Channel, CheckKind, CheckOutcome, PhotoKind, Rating, RejectReason, Tier

MY_WHISTLES_PER_PAGE = 20


# Who may open a page ------------------------------------------------------------------------------

def _role_required(allowed, message):
    """login_required, then 403 with ``message`` for a signed-in account ``allowed(user)`` refuses."""

    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not allowed(request.user):
                return refused(request, message)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _is_resident(user):
    return user.role == Role.RESIDENT


resident_required = _role_required(_is_resident, gettext_lazy("This page is for residents."))
staff_required = _role_required(rules.is_staff_member, gettext_lazy("This page is for grid and district staff."))
intake_required = _role_required(rules.may_file_for_others, gettext_lazy("Your role cannot file issues for callers."))


# Filing -------------------------------------------------------------------------------------------

def whistle_new(request):
    """A resident blows the whistle: pin on the map, category, words, photos. A visitor who is not
    signed in fills the same page and confirms their mobile number with a code at its foot (the page's
    script signs them in through accounts' JSON calls, then sends the form: nothing typed is lost)."""
    if request.user.is_authenticated and not _is_resident(request.user):
        if rules.may_file_for_others(request.user):
            return redirect("issues:work-file")  # staff file on a caller's behalf, with the channel
        return refused(request, _("Only residents blow the whistle here."))
    return _filing_page(request, forms.WhistleForm, on_behalf=False)


@intake_required
def work_file(request):
    """An operator or a patrolling officer files for a caller (hotline, patrol, 12345, WeChat)."""
    return _filing_page(request, forms.OnBehalfForm, on_behalf=True)


def _filing_page(request, form_class, *, on_behalf):
    status = 200
    # The grid of a poster's QR link (?grid=<code>, then the form's hidden field): the page opens on it.
    linked_code = (request.POST.get("grid") or request.GET.get("grid") or "").strip()
    linked = grid_place(linked_code) if linked_code else None
    if request.method == "POST":
        form = form_class(request.POST, request.FILES)
        status = 400
        if not request.user.is_authenticated:
            # Only without the page's script (or with a session that ended): what was typed comes back.
            form.is_valid()
            form.add_error(None, _("Confirm your mobile number with the code we text you, then send the whistle."))
        elif form.is_valid():
            try:
                submission, status = forms.service_result(
                    form, lambda: services.issue_submit(filed_by=request.user, **form.submission()))
            except services.PermissionRefused as error:
                return refused(request, error.message)
            if submission is not None:
                return redirect("issues:whistle-filed", number=submission.issue.number)
    else:
        form = form_class(initial={"grid": linked.code} if linked else {})
    context = {"form": form, "on_behalf": on_behalf, "map_config": _filing_map_config(request, linked),
               "linked_grid": linked, "unknown_grid_code": linked_code if linked_code and not linked else ""}
    return render(request, "issues/whistle_form.html", context, status=status)


def _filing_map_config(request, linked=None):
    """What static/issues/whistle.js needs: the map, the URLs it calls and its words; centred on the
    grid of a poster's QR link (``linked``, a GridPlace) when there is one."""
    return {
        **base_map_config(),
        **({"center": (linked.lat, linked.lng), "zoom": 16,
            "linkedGrid": {"code": linked.code, "name": linked.name, "boundary": linked.boundary}} if linked else {}),
        "nearbyUrl": reverse("issues:whistle-nearby"),
        # The JS puts the tracking number in place of the placeholder.
        "supportUrl": reverse("issues:issue-act", args=["NUMBER", Action.SUPPORT]),
        "issueUrl": reverse("issues:issue", args=["NUMBER"]),
        "canSupport": request.user.is_authenticated and _is_resident(request.user),
        # A visitor confirms their number on the page (accounts.views' JSON calls), then the form is sent.
        **({} if request.user.is_authenticated else {"phoneConfirm": {
            "codeUrl": reverse("accounts:phone-code-json"), "verifyUrl": reverse("accounts:phone-verify-json"),
            "noticeVersion": settings.PRIVACY_NOTICE_VERSION}}),
        "maxPhotos": settings.ISSUE_MAX_PHOTOS,
        "nearbyMetres": settings.ISSUE_NEARBY_METRES,
        "messages": {
            "tapMap": _("Tap the map to mark where the problem is."),
            "locating": _("Finding the grid…"),
            "outside": _("This place is outside Jianhua District: move the pin into the district."),
            "failed": _("The grid could not be looked up; the place will be checked when you submit."),
            "grid": _("Grid"),
            "community": _("Community"),
            "street": _("Street"),
            "nearbyTitle": _("Already reported within %(metres)s m:") % {"metres": settings.ISSUE_NEARBY_METRES},
            "supporters": _("%(count)s residents met it too"),
            "metres": _("%(metres)s m away"),
            "meToo": _("Me too"),
            "yours": _("Your whistle"),
            "tooManyPhotos": _("At most %(count)s photos.") % {"count": settings.ISSUE_MAX_PHOTOS},
            "photosChosen": _("Photos chosen: %(count)s"),
            "sending": _("Sending…"),
            "myLocation": _("Use my location"),
            "noLocation": _("Your location is not available; tap the map instead."),
            "sendCode": _("Text me a code"),
            "codeSent": _("Code sent to %(phone)s: enter it below. It is good for 5 minutes."),
            "resendIn": _("Again in %(seconds)s s"),
            "needPhone": _("Enter your mobile number and ask for a code first."),
            "needCode": _("Enter the 6-digit code from the text message."),
            "needConsent": _("Please accept the privacy notice to go on."),
            "confirming": _("Checking the code…"),
            "network": _("No connection: nothing is lost, try again."),
        },
    }


@login_required
def whistle_filed(request, number):
    """The confirmation: the tracking number, big, for the resident (or the caller) to keep."""
    issue = selectors.issue_filed_by(request.user, number=number)
    if issue is None:
        raise Http404(_("No such issue."))
    can_view = rules.can_view(request.user, issue)
    return render(request, "issues/whistle_filed.html", {"issue": issue, "can_view": can_view})


@require_GET
def whistle_nearby(request):
    """JSON for the filing page: open issues of the category within ISSUE_NEARBY_METRES of the pin."""
    query = forms.NearbyQueryForm(request.GET)
    if not query.is_valid():
        return JsonResponse({"detail": _("Give a category, lat and lng."), "errors": query.errors.get_json_data()},
                            status=400)
    found = selectors.nearby_open_issues(metres=settings.ISSUE_NEARBY_METRES, **query.cleaned_data)
    return JsonResponse({"issues": [
        {
            "number": issue.number,
            # Other people's whistles: what was reported, not how to reach whoever reported it.
            "title": issue.title if issue.reporter_id == request.user.pk else rules.public_text(issue.title),
            "status": issue.get_status_display(),
            "distance": round(distance),
            "supporters": issue.supporter_count,
            "filed": timezone.localtime(issue.created_at).strftime("%Y-%m-%d"),
            "yours": issue.reporter_id == request.user.pk,
        }
        for issue, distance in found
    ]})


# The resident's list ------------------------------------------------------------------------------

@resident_required
def whistle_mine(request):
    """The resident's own whistles, newest first."""
    issues = selectors.issue_list_for(request.user)
    page = Paginator(issues, MY_WHISTLES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "issues/whistle_mine.html", {"page": page})


# The officers' queue ------------------------------------------------------------------------------

@staff_required
def work_queue(request):
    """The issues in the officer's area, filtered; one page is a fixed number of queries."""
    filters = forms.WorkQueueFilterForm(request.GET)
    issues = selectors.issue_list_for(request.user, filters=filters.issue_filters())
    page = LargeListPaginator(issues, filters.rows_per_page()).get_page(request.GET.get("page"))
    return render(request, "issues/work_queue.html", {
        "filters": filters, "page": page, "may_file": rules.may_file_for_others(request.user),
    })


# The issue page -----------------------------------------------------------------------------------

@login_required
def issue_detail(request, number):
    """Everything about one issue for someone who may see it, and the actions they may take now."""
    try:
        issue = selectors.issue_detail_for(request.user, number=number)
    except Http404:
        # A resident who added their voice may follow the issue, in a reduced form.
        followed = selectors.issue_followed_by(request.user, number=number)
        if followed is None:
            raise
        return render(request, "issues/issue_followed.html", {"issue": followed})
    return _issue_page(request, issue)


@dataclass(frozen=True)
class ActionSpec:
    form: type
    service: object


def _check_answer(*, issue, actor, **answer):
    """The answer to an on-site check names the check (the form's), not the issue."""
    return services.issue_check_report(actor=actor, **answer)


ACTIONS = {
    Action.ACCEPT: ActionSpec(forms.NoteForm, services.issue_accept),
    Action.REJECT: ActionSpec(forms.RejectForm, services.issue_reject),
    Action.WITHDRAW: ActionSpec(forms.NoteForm, services.issue_withdraw),
    Action.DISPATCH: ActionSpec(forms.DispatchForm, services.issue_dispatch),
    Action.RESPOND: ActionSpec(forms.NoteForm, services.issue_respond),
    Action.RESOLVE: ActionSpec(forms.ResolveForm, services.issue_resolve),
    Action.CLOSE: ActionSpec(forms.NoteForm, services.issue_close),
    Action.RETURN: ActionSpec(forms.ReturnForm, services.issue_return),
    Action.RATE: ActionSpec(forms.RateForm, services.issue_rate),
    Action.SUPPORT: ActionSpec(forms.SupportForm, services.issue_support),
    Action.ESCALATE: ActionSpec(forms.EscalateForm, services.issue_escalate),
    Action.SEND_BACK: ActionSpec(forms.SendBackForm, services.issue_send_back),
    Action.ASSIST_RESPOND: ActionSpec(forms.NoteForm, services.issue_assist_respond),
    Action.ASSIST_REPORT: ActionSpec(forms.AssistReportForm, services.issue_assist_report),
    Action.ASSIST_RELEASE: ActionSpec(forms.AssistReleaseForm, services.issue_assist_release),
    Action.VERIFY_ASK: ActionSpec(forms.CheckAskForm, functools.partial(services.issue_check_ask, kind=CheckKind.VERIFY)),
    Action.INSPECT_ASK: ActionSpec(forms.InspectAskForm,
                                   functools.partial(services.issue_check_ask, kind=CheckKind.INSPECT)),
    Action.VERIFY_REPORT: ActionSpec(forms.VerifyReportForm, _check_answer),
    Action.INSPECT_PASS: ActionSpec(forms.InspectPassForm, _check_answer),
    Action.INSPECT_FAIL: ActionSpec(forms.InspectFailForm, _check_answer),
}
# Actions that warn by their colour: they end or send back the work.
SECONDARY_ACTIONS = {Action.REJECT, Action.WITHDRAW, Action.RETURN, Action.ESCALATE, Action.SEND_BACK,
                     Action.ASSIST_RELEASE, Action.VERIFY_ASK, Action.INSPECT_ASK, Action.INSPECT_FAIL}


@login_required
@require_POST
def issue_act(request, number, action):
    """One action from the issue page, posted to /issues/<number>/<action>/."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404(_("No such action."))
    if action == Action.SUPPORT:
        # Another resident's issue, which they cannot open: issue_support decides whether they may.
        issue = selectors.issue_by_number(number)
        if issue is None:
            raise Http404(_("No such issue."))
    else:
        issue = selectors.issue_detail_for(request.user, number=number)
    form = spec.form(request.POST, request.FILES, issue=issue, user=request.user, auto_id=_auto_id(action))
    if form.is_valid():
        try:
            spec.service(issue=issue, actor=request.user, **form.service_kwargs())
        except services.InvalidInput as error:
            forms.add_service_error(form, error)
        except services.PermissionRefused as error:
            return refused(request, error.message)
        except services.Conflict as error:
            if action == Action.SUPPORT:
                return refused(request, error.message, status=409)
            messages.error(request, error.message)
            fresh = selectors.issue_detail_for(request.user, number=number)
            return _issue_page(request, fresh, kept=(action, request.POST), status=409)
        else:
            messages.success(request, _success_message(action, issue))
            return redirect("issues:issue", number=number)
    if action == Action.SUPPORT:
        # Never the full page: the supporter may not see the issue's details.
        return refused(request, " ".join(form.non_field_errors()), status=400)
    return _issue_page(request, issue, bound=(action, form), status=400)


def _success_message(action, issue):
    if action == Action.SUPPORT:
        return _("Your voice has been added to %(number)s.") % {"number": issue.number}
    return _("“%(action)s” is recorded.") % {"action": Action(action).label}


@dataclass
class ActionPanel:
    action: str
    label: str
    form: object
    url: str
    secondary: bool


@dataclass
class TimelineEntry:
    at: object
    who: str
    role: str
    action: str
    from_status: str
    to_status: str
    note: str
    details: list = field(default_factory=list)
    photos: list = field(default_factory=list)


@dataclass
class Deadline:
    label: str
    due: object
    running: bool  # the clock still runs: show the time left (or overdue)
    overdue: bool


def _issue_page(request, issue, *, bound=None, kept=None, status=200):
    """Render the issue page. ``bound``: (action, form with errors) to show again; ``kept``: (action,
    the data posted before a conflict) to prefill that action's fresh form with."""
    user = request.user
    panels = []
    for transition in selectors.available_actions(user, issue):
        action = transition.action
        spec = ACTIONS[action]
        if bound and bound[0] == action:
            form = bound[1]
        else:
            initial = {"version": issue.version}
            if kept and kept[0] == action:
                initial = {**_typed(kept[1]), **initial}
            form = spec.form(issue=issue, user=user, initial=initial, auto_id=_auto_id(action))
        panels.append(ActionPanel(action, transition.action.label, form,
                                  reverse("issues:issue-act", args=[issue.number, action]),
                                  action in SECONDARY_ACTIONS))
    photos = list(issue.photos.all())
    if rules.is_staff_member(user):
        _mark_far_photos(issue, photos)
    reporter = rules.visible_reporter(user, issue)
    # The category's questions are read only when the whistle answered some (most do not).
    answers = answers_for_display(issue.category.attributes.all(), issue.attributes) if issue.attributes else []
    return render(request, "issues/issue_detail.html", {
        "issue": issue,
        "reporter": reporter,
        "personal_data_erased": retention.erasure_notice(issue),
        "report_photos": [photo for photo in photos if photo.kind == PhotoKind.REPORT],
        "answers": answers,
        "timeline": _timeline(issue, photos, user=user, reporter_name=reporter["name"]),
        "deadlines": _deadlines(issue),
        "assists": list(issue.assists.all()),
        # Who was sent to look and what to look at are the staff's working notes.
        "pending_check": selectors.pending_check(issue) if rules.is_staff_member(user) else None,
        "panels": panels,
        "map_config": {
            "lat": issue.lat, "lng": issue.lng, "grid": issue.grid.boundary,
            **base_map_tiles(),
        },
    }, status=status)


def _mark_far_photos(issue, photos):
    """Staff see which photos the phone says were taken far from the issue's point (``far_metres``)."""
    for photo in photos:
        offset = selectors.photo_offset_metres(photo, issue)
        photo.far_metres = round(offset) if offset is not None and offset > settings.ISSUE_PHOTO_FAR_METRES else None


def _auto_id(action):
    # Several action forms share a page and field names (note): their ids must not clash.
    return f"id_{action}_%s"


def _typed(posted) -> dict:
    """What the user typed into an action form, without the token and the version they saw."""
    return {key: value for key, value in posted.items() if key not in ("csrfmiddlewaretoken", "version")}


def _deadlines(issue):
    deadlines = []
    if issue.response_due:
        label = _("Accept by") if issue.status in (Status.SUBMITTED, Status.ESCALATED) else _("Report for duty by")
        deadlines.append(Deadline(label, issue.response_due, issue.response_clock_running,
                                  issue.response_overdue))
    if issue.resolution_due:
        deadlines.append(Deadline(_("Resolve by"), issue.resolution_due, issue.resolution_clock_running,
                                  issue.resolution_overdue))
    return deadlines


def _timeline(issue, photos, *, user, reporter_name):
    """Every event, oldest first, with the photos taken with it; from prefetched rows, no queries."""
    photos_by_event = {}
    for photo in photos:
        photos_by_event.setdefault(photo.event_id, []).append(photo)
    entries = []
    events = list(issue.events.all())
    codes = {code for event in events for code in [(event.data or {}).get("department"),
                                                     *((event.data or {}).get("assisting") or [])] if code}
    names = dict(Department.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}
    # The officers sent to check on site, by account (one query, when the timeline has checks).
    officers = {(event.data or {}).get("officer") for event in events} - {None}
    officer_names = {}
    if officers:
        officer_names = {person.username: str(person) for person in User.objects.filter(username__in=officers)}
    for event in events:
        entries.append(TimelineEntry(
            at=event.at,
            who=_who(event, issue, user=user, reporter_name=reporter_name),
            role=_label(Role, event.actor_role) if event.actor_id else "",
            action=event.get_action_display(),
            from_status=event.get_from_status_display() if event.from_status else "",
            to_status=event.get_to_status_display() if event.to_status != event.from_status else "",
            # Notes are append-only: once the reporter's data is erased, numbers written in them are masked.
            note=rules.public_text(event.note) if issue.personal_data_erased_at else event.note,
            details=_event_details(event, issue, names, officer_names),
            # The report photos are shown at the top of the page already.
            photos=[] if event.action == Action.SUBMIT else photos_by_event.get(event.pk, []),
        ))
    return entries


def _who(event, issue, *, user, reporter_name):
    if event.actor_id is None:
        return _("The system")
    if event.actor_id == user.pk:
        return _("You")
    return rules.visible_actor(user, event, issue, reporter_name=reporter_name)["name"]


def _event_details(event, issue, department_names, officer_names):
    data = event.data or {}
    details = []
    if data.get("channel"):
        details.append(_("Received by: %(channel)s") % {"channel": _label(Channel, data["channel"])})
    if data.get("reason"):
        details.append(_("Reason: %(reason)s") % {"reason": _label(RejectReason, data["reason"])})
    if data.get("merged_into"):
        details.append(_("Merged into %(number)s") % {"number": data["merged_into"]})
    if data.get("merged"):
        details.append(_("The duplicate %(number)s was merged into this issue") % {"number": data["merged"]})
    if data.get("handler"):
        # The current handler is loaded with the issue; an earlier one is named by account.
        name = str(issue.handler) if issue.handler and issue.handler.username == data["handler"] else data["handler"]
        details.append(_("Handler: %(name)s") % {"name": name})
    if data.get("department"):
        details.append(_("Department: %(name)s") % {"name": department_names.get(data["department"],
                                                                                 data["department"])})
    if data.get("assisting"):
        details.append(_("Assisting: %(names)s") % {
            "names": "、".join(department_names.get(code, code) for code in data["assisting"])})
    if data.get("from_tier") and data.get("to_tier"):
        details.append(_("From %(from_tier)s to %(to_tier)s") % {"from_tier": _label(Tier, data["from_tier"]),
                                                                 "to_tier": _label(Tier, data["to_tier"])})
    if data.get("unjustified"):
        details.append(_("Finding: the whistle was unjustified (乱吹哨)"))
    if data.get("deadline"):
        # The timers' three deadlines (dispatch.timers; dispatch.accountability reads the same kinds).
        passed = {"acceptance": _("Nobody accepted the issue by its deadline (不作为)"),
                  "response": _("The response deadline passed (接哨不报到)"),
                  "resolution": _("The resolution deadline passed (慢作为)")}
        details.append(passed.get(data["deadline"], _("A deadline passed")))
    if "on_time" in data:
        details.append(_("On time") if data["on_time"] else _("Late"))
    if data.get("rating"):
        details.append(_("Rating: %(rating)s") % {"rating": _label(Rating, data["rating"])})
    if data.get("kind") in CheckKind.values:
        details.append(_label(CheckKind, data["kind"]))
    if data.get("officer"):
        details.append(_("Grid officer: %(name)s") % {"name": officer_names.get(data["officer"], data["officer"])})
    if data.get("due_at"):
        due = timezone.localtime(datetime.fromisoformat(data["due_at"]))
        details.append(_("To answer by %(due)s") % {"due": due.strftime("%Y-%m-%d %H:%M")})
    if data.get("outcome"):
        details.append(_("Found on site: %(outcome)s") % {"outcome": _label(CheckOutcome, data["outcome"])})
    if data.get("duplicate_of"):
        details.append(_("Duplicate of %(number)s") % {"number": data["duplicate_of"]})
    if data.get("because"):
        details.append(_("Because: %(action)s") % {"action": _label(Action, data["because"])})
    if data.get("erasure"):
        details.append(_("Why: %(reason)s") % {"reason": _label(retention.ErasureReason, data["erasure"])})
    return details


def _label(choices, value):
    return dict(choices.choices).get(value, value)


# Photos -------------------------------------------------------------------------------------------

@login_required
@require_GET
def issue_photo(request, number, photo_id, size):
    """A photo of an issue, for those who may see the issue only (media/ is never served directly)."""
    photo = selectors.issue_photo_for(request.user, number=number, photo_id=photo_id)
    if photo is None:
        raise Http404(_("No such photo."))
    image = photo.thumbnail if size == "thumb" else photo.image
    try:
        handle = image.open("rb")
    except (OSError, ValueError):
        raise Http404(_("The photo file is missing.")) from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    return response
