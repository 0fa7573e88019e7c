"""The forms of the whistle's pages: they check and convert what a browser sent, nothing more.

Whether the input is *allowed* (the place is in the district, the person may act, the state allows
it) is decided by ``issues.services``; its ``InvalidInput`` comes back onto these forms through
``add_service_error``. Every form keeps what the user typed when it is shown again with errors;
only file inputs cannot be refilled, so photos are the one thing the user picks again.
"""
import secrets

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from grids.models import Department, Role
from grids.selectors import grid_place

from . import rules, selectors
from .lifecycle import OPEN_STATUSES, Status
from .models import CheckKind, CheckOutcome, Category, Channel, DefaultHandler, Rating, RejectReason, SiteCheck
from .photos import PhotoError, photo_prepare
from .selectors import IssueFilters
from .services import Conflict, InvalidInput

# Where a service's error about something the form has no input for is shown instead: the place is the pin.
SERVICE_FIELD_ALIASES = {"location": "lat"}


def add_service_error(form: forms.Form, error) -> None:
    """Put a service's InvalidInput on the field it names, or at the top of the form."""
    field = SERVICE_FIELD_ALIASES.get(error.field, error.field)
    form.add_error(field if field in form.fields else None, error.message)


def service_result(form: forms.Form, call):
    """Run ``call()`` – one service, for a valid ``form`` – and return ``(its answer, 200)``; or
    ``(None, 400)`` with its InvalidInput on the form, or ``(None, 409)`` with its Conflict at the top of
    the form (429 for too many filings). A PermissionRefused is left to the view, which answers with the
    refusal page."""
    try:
        return call(), 200
    except InvalidInput as error:
        add_service_error(form, error)
        return None, 400
    except Conflict as error:
        form.add_error(None, error.message)
        return None, error.status_code


def category_label(category: Category) -> str:
    """Chinese names are the data; English readers get the English name where there is one."""
    if get_language() == "en" and category.name_en:
        return category.name_en
    return category.name


# Photos -----------------------------------------------------------------------------------------

class MultiplePhotoInput(forms.FileInput):
    allow_multiple_selected = True

    def __init__(self, attrs=None):
        super().__init__({"accept": "image/*", "multiple": True, **(attrs or {})})


class PhotosField(forms.Field):
    """Up to ``max_count`` photos, each checked and re-encoded by ``issues.photos.photo_prepare``.

    Cleans to a list of PreparedPhoto. A bad file is an error that names it, so the user knows which
    one of the six to leave out.
    """

    widget = MultiplePhotoInput

    def __init__(self, *, max_count=None, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.max_count = max_count or settings.ISSUE_MAX_PHOTOS

    def to_python(self, files):
        uploads = [upload for upload in (files or []) if upload]
        if len(uploads) > self.max_count:
            raise ValidationError(_("At most %(count)s photos."), params={"count": self.max_count}, code="too_many")
        prepared, problems = [], []
        for upload in uploads:
            try:
                prepared.append(photo_prepare(upload))
            except PhotoError as problem:
                problems.append(ValidationError(
                    _("%(name)s: %(problem)s"), params={"name": upload.name, "problem": str(problem)}, code="photo"
                ))
        if problems:
            raise ValidationError(problems)
        return prepared


# Categories -------------------------------------------------------------------------------------

class CategoryField(forms.ChoiceField):
    """A sub-category, offered grouped under its top category (<optgroup>); cleans to the Category."""

    def __init__(self, **kwargs):
        super().__init__(choices=(), **kwargs)
        self.categories = {}

    def load(self):
        # One query, on the form's construction: the active sub-categories of active top categories.
        rows = (Category.objects.filter(is_active=True, parent__isnull=False, parent__is_active=True)
                .select_related("parent").order_by("parent__order", "parent__code", "order", "code"))
        groups = {}
        for category in rows:
            self.categories[str(category.pk)] = category
            groups.setdefault(category.parent, []).append((str(category.pk), category_label(category)))
        self.choices = [("", _("Choose a category"))] + [
            (category_label(top), children) for top, children in groups.items()
        ]

    def clean(self, value):
        value = super().clean(value)
        return self.categories.get(value) if value else None


# Filing -----------------------------------------------------------------------------------------

class WhistleForm(forms.Form):
    """A resident's whistle: where (the pin), what (category, title, description) and photos."""

    # Required unless the form came from a grid's QR link (``grid``): see clean().
    lat = forms.FloatField(widget=forms.HiddenInput, min_value=-90, max_value=90, required=False)
    lng = forms.FloatField(widget=forms.HiddenInput, min_value=-180, max_value=180, required=False)
    # The code of the grid whose poster the resident scanned (?grid=<code>).
    grid = forms.CharField(widget=forms.HiddenInput, max_length=24, required=False)
    category = CategoryField(label=_("Category"))
    title = forms.CharField(label=_("Title"), max_length=100, widget=forms.TextInput(
        attrs={"placeholder": _("e.g. Rubbish not collected for three days")}))
    description = forms.CharField(label=_("What happened"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    address = forms.CharField(label=_("Address or landmark (optional)"), max_length=200, required=False)
    photos = PhotosField(label=_("Photos"))
    # A fresh random token per blank form: a double click posts it twice and files one issue.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=80, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", secrets.token_urlsafe(16))
        super().__init__(*args, **kwargs)
        self.fields["category"].load()
        # Labels with a number are made per request, in the request's language.
        self.fields["photos"].label = gettext("Photos (up to %(count)s)") % {"count": settings.ISSUE_MAX_PHOTOS}

    def clean(self):
        """A pin placed by hand is the place; without one, a whistle from a grid's QR link is filed at
        a point inside that grid (the resident's phone may refuse to tell where it is)."""
        data = super().clean()
        if "lat" in self.errors or "lng" in self.errors:
            return data
        pinned = [data.get("lat") is not None, data.get("lng") is not None]
        if all(pinned):
            return data
        code = data.get("grid")
        linked = grid_place(code) if code and not any(pinned) else None
        if linked is not None:
            data["lat"], data["lng"] = linked.lat, linked.lng
        elif code and not any(pinned):
            self.add_error("lat", _("The grid of this link is unknown: tap the map to mark where the problem is."))
        else:
            self.add_error("lat", _("Tap the map to mark where the problem is."))
        return data

    def submission(self) -> dict:
        """The keyword arguments of services.issue_submit that this form provides."""
        data = self.cleaned_data
        return {
            "title": data["title"], "description": data["description"], "category": data["category"],
            "lat": data["lat"], "lng": data["lng"], "address": data["address"], "photos": data["photos"],
            "idempotency_key": data["idempotency_key"] or None,
        }


class OnBehalfForm(WhistleForm):
    """An operator or a patrolling officer files for a caller: the channel and the caller's contact too."""

    channel = forms.ChoiceField(label=_("Received by"),
                                choices=[(value, label) for value, label in Channel.choices
                                         if value not in (Channel.WEB, Channel.OPEN311)])
    reporter_name = forms.CharField(label=_("Caller's name"), max_length=40, required=False)
    reporter_phone = forms.CharField(label=_("Caller's phone"), max_length=20, required=False,
                                     widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))

    def submission(self) -> dict:
        data = self.cleaned_data
        return {**super().submission(), "channel": data["channel"], "reporter_name": data["reporter_name"],
                "reporter_phone": data["reporter_phone"]}


class NearbyQueryForm(forms.Form):
    """The filing page's question: open issues of this category near this point?"""

    category = forms.ModelChoiceField(queryset=Category.objects.filter(is_active=True))
    lat = forms.FloatField(min_value=-90, max_value=90)
    lng = forms.FloatField(min_value=-180, max_value=180)


# Actions on an issue ----------------------------------------------------------------------------

class ActionForm(forms.Form):
    """One action on the issue page. ``version`` is the issue's version the user saw: if someone else
    changed the issue since, the service answers Conflict instead of acting on a stale picture."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, issue, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.issue, self.user = issue, user

    def service_kwargs(self) -> dict:
        return {"expected_version": self.cleaned_data["version"]}


class NoteForm(ActionForm):
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def service_kwargs(self) -> dict:
        return {**super().service_kwargs(), "note": self.cleaned_data["note"]}


class ReturnForm(NoteForm):
    # The service insists on the note; the label says so before the user is told.
    note = forms.CharField(label=_("What is still wrong"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class RejectForm(NoteForm):
    reason = forms.ChoiceField(label=_("Reason"), choices=[("", _("Choose a reason"))] + RejectReason.choices)
    duplicate_of = forms.CharField(label=_("Tracking number of the original (for a duplicate)"), max_length=20,
                                   required=False, widget=forms.TextInput(attrs={"placeholder": "JH-20261125-0001"}))
    field_order = ["reason", "duplicate_of", "note"]

    def clean_duplicate_of(self):
        number = self.cleaned_data["duplicate_of"].strip().upper()
        if not number:
            return None
        # Only issues this user may see can be named: the number of one elsewhere tells them nothing.
        original = selectors.issue_scope(self.user).filter(number=number).first()
        if original is None:
            raise ValidationError(_("No issue %(number)s in your area."), params={"number": number})
        return original

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {**super().service_kwargs(), "reason": data["reason"], "duplicate_of": data["duplicate_of"]}


class HandlerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        where = user.grid.name if user.grid_id else ""
        duty = user.get_grid_duty_display() if user.grid_duty else user.get_role_display()
        return " · ".join(part for part in (str(user), duty, where) if part)


class DispatchForm(NoteForm):
    handler = HandlerChoiceField(label=_("Handler"), queryset=None, required=False, empty_label=_("Choose a person"))
    department = forms.ModelChoiceField(label=_("Or a lead department"), queryset=Department.objects.all(),
                                        required=False, empty_label=_("Choose a department"))
    assisting = forms.ModelMultipleChoiceField(
        label=_("Assisting departments (optional)"), queryset=Department.objects.all(), required=False,
        widget=forms.CheckboxSelectMultiple)
    field_order = ["handler", "department", "assisting", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = selectors.handler_candidates(self.issue)
        if not rules.may_dispatch_to_department(self.issue):
            del self.fields["department"]
            del self.fields["assisting"]
        if not self.is_bound:
            self._preselect_route()

    def _preselect_route(self):
        """Routing named a default handler: preselect exactly one – its department at the district, or
        the grid's officer below it (the district chooses between people and departments itself)."""
        issue = self.issue
        if issue.default_department_id and "department" in self.fields:
            self.initial.setdefault("department", issue.default_department_id)
        elif issue.default_handler == DefaultHandler.GRID_OFFICER and "department" not in self.fields:
            officer = next((user for user in self.fields["handler"].queryset
                            if user.role == Role.GRID_OFFICER and user.grid_id == issue.grid_id), None)
            if officer is not None:
                self.initial.setdefault("handler", officer.pk)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {**super().service_kwargs(), "handler": data["handler"], "department": data.get("department"),
                "assisting": list(data.get("assisting") or [])}


class EscalateForm(ActionForm):
    reason = forms.CharField(label=_("Why the tier above is needed"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def service_kwargs(self) -> dict:
        return {**super().service_kwargs(), "reason": self.cleaned_data["reason"]}


class SendBackForm(EscalateForm):
    reason = forms.CharField(label=_("Why it goes back down"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    unjustified = forms.BooleanField(label=_("The whistle was unjustified (乱吹哨): record it on the accountability list"),
                                     required=False, initial=True)

    def service_kwargs(self) -> dict:
        return {**super().service_kwargs(), "unjustified": self.cleaned_data["unjustified"]}


class AssistReportForm(ActionForm):
    report = forms.CharField(label=_("What your department has done"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))

    def service_kwargs(self) -> dict:
        return {**super().service_kwargs(), "report": self.cleaned_data["report"]}


class AssistReleaseForm(ActionForm):
    """Release one assisting department that has not reported its part (the issue's assists are prefetched
    by the issue page)."""

    department = forms.ChoiceField(label=_("Assisting department"))
    reason = forms.CharField(label=_("Why it is released"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.releasable = {assist.department.code: assist.department
                           for assist in selectors.releasable_assists(self.issue)}
        self.fields["department"].choices = [(code, department.short_name)
                                             for code, department in self.releasable.items()]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {**super().service_kwargs(), "department": self.releasable[data["department"]],
                "reason": data["reason"]}


class ResolveForm(ActionForm):
    result = forms.CharField(label=_("What was done"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    photos = PhotosField(label=_("Evidence photos"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        count = settings.ISSUE_MAX_PHOTOS
        self.fields["photos"].label = gettext("Evidence photos (up to %(count)s)") % {"count": count}

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {**super().service_kwargs(), "result": data["result"], "photos": data["photos"]}


class RateForm(ActionForm):
    rating = forms.ChoiceField(label=_("How satisfied are you?"), choices=Rating.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment (optional)"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {**super().service_kwargs(), "rating": data["rating"], "comment": data["comment"]}


class CheckAskForm(NoteForm):
    """核实 / 核查: the owner sends one of the grid's officers to look on site (``kind`` per subclass)."""

    kind = CheckKind.VERIFY
    officer = HandlerChoiceField(label=_("Grid officer to send"), queryset=None)
    note = forms.CharField(label=_("What to look at (optional)"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))
    field_order = ["officer", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        candidates = selectors.check_officer_candidates(self.issue).select_related("grid")
        if self.kind == CheckKind.INSPECT and self.issue.handler_id:
            candidates = candidates.exclude(pk=self.issue.handler_id)  # not who did the work (rules.may_check)
        self.fields["officer"].queryset = candidates
        self.fields["officer"].empty_label = None  # the first is the service's default

    def service_kwargs(self) -> dict:
        return {**super().service_kwargs(), "officer": self.cleaned_data["officer"]}


class InspectAskForm(CheckAskForm):
    kind = CheckKind.INSPECT


class CheckAnswerForm(ActionForm):
    """The grid officer asked answers the pending check from the issue page (the phone's field app answers
    through the API). ``outcome`` is fixed by the subclass, or chosen (verification)."""

    outcome = CheckOutcome.FIXED
    check = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label=_("What you found on site"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))
    photos = PhotosField(label=_("Photos from the site"))
    # A fresh random token per blank form: a double click answers once.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=80, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", secrets.token_urlsafe(16))
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            pending = selectors.pending_check(self.issue)
            self.initial.setdefault("check", pending.pk if pending else None)

    def clean_check(self):
        # Whatever its state: the service says why an answer comes too late.
        check = SiteCheck.objects.filter(pk=self.cleaned_data["check"], issue_id=self.issue.pk).first()
        if check is None:
            raise ValidationError(_("No such check of this issue."))
        return check

    def chosen_outcome(self) -> str:
        return self.outcome

    def service_kwargs(self) -> dict:
        # No version: the answer is to the check, whatever else happened to the issue meanwhile.
        data = self.cleaned_data
        return {"check": data["check"], "outcome": self.chosen_outcome(), "note": data["note"],
                "photos": data["photos"], "idempotency_key": data["idempotency_key"] or None}


class VerifyReportForm(CheckAnswerForm):
    found = forms.ChoiceField(label=_("What you found"), widget=forms.RadioSelect, choices=[
        (CheckOutcome.REAL, CheckOutcome.REAL.label), (CheckOutcome.NOT_FOUND, CheckOutcome.NOT_FOUND.label),
        (CheckOutcome.DUPLICATE, CheckOutcome.DUPLICATE.label)])
    duplicate_of = forms.CharField(label=_("Tracking number of the original (for a duplicate)"), max_length=20,
                                   required=False, widget=forms.TextInput(attrs={"placeholder": "JH-20261125-0001"}))
    field_order = ["found", "duplicate_of", "note", "photos"]

    def clean_duplicate_of(self):
        return RejectForm.clean_duplicate_of(self)

    def chosen_outcome(self) -> str:
        return self.cleaned_data["found"]

    def service_kwargs(self) -> dict:
        return {**super().service_kwargs(), "duplicate_of": self.cleaned_data["duplicate_of"]}


class InspectPassForm(CheckAnswerForm):
    outcome = CheckOutcome.FIXED


class InspectFailForm(CheckAnswerForm):
    outcome = CheckOutcome.NOT_FIXED
    note = forms.CharField(label=_("What is still not fixed"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class SupportForm(forms.Form):
    """我也遇到了: nothing to fill in, and no version (adding a voice does not race with the handling)."""

    def __init__(self, *args, issue, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.issue, self.user = issue, user

    def service_kwargs(self) -> dict:
        return {}


# The officers' queue ----------------------------------------------------------------------------

YES_NO = [("", _("Any")), ("yes", _("Overdue only")), ("no", _("Not overdue"))]


def category_filter_choices() -> list:
    """The choices of a category filter (one query): every category, grouped under its top category,
    whose own code filters all of its sub-categories (see IssueFilters.category)."""
    tops = {}
    for category in Category.objects.filter(is_active=True).select_related("parent").order_by("order", "code"):
        top = category.parent or category
        tops.setdefault(top.code, [top, []])
        if category.parent_id:
            tops[top.code][1].append(category)
    choices = [("", _("All categories"))]
    for top, children in tops.values():
        everything = (top.code, gettext("All of %(name)s") % {"name": category_label(top)})
        choices.append((category_label(top), [everything] + [(c.code, category_label(c)) for c in children]))
    return choices


class WorkQueueFilterForm(forms.Form):
    """The queue's filters, read from the query string; an invalid value is ignored, not fatal.

    A queue is the work still to do: without a status chosen it shows the open issues (待办), and
    ``show=all`` adds the closed, rejected and withdrawn ones. Statuses chosen in the form win over both."""

    DEFAULT_PAGE_SIZE = 25
    MAX_PAGE_SIZE = 100
    SHOW_OPEN, SHOW_ALL = "open", "all"

    show = forms.ChoiceField(choices=[(SHOW_OPEN, _("To do")), (SHOW_ALL, _("All"))], required=False,
                             widget=forms.HiddenInput)

    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Tracking number or title")}))
    status = forms.MultipleChoiceField(label=_("Status"), choices=Status.choices, required=False,
                                       widget=forms.CheckboxSelectMultiple)
    category = forms.ChoiceField(label=_("Category"), required=False)
    grid = forms.CharField(label=_("Grid code"), required=False, max_length=24,
                           widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    overdue = forms.ChoiceField(label=_("Overdue"), choices=YES_NO, required=False)
    page_size = forms.IntegerField(label=_("Per page"), required=False, min_value=1, max_value=MAX_PAGE_SIZE,
                                   widget=forms.NumberInput(attrs={"placeholder": DEFAULT_PAGE_SIZE}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_filter_choices()

    def _value(self, name, default):
        value = self.cleaned_data.get(name) if hasattr(self, "cleaned_data") else None
        return value if value not in (None, "", []) else default

    def issue_filters(self) -> IssueFilters:
        self.is_valid()  # fills cleaned_data with whatever is valid; errors are shown on the page
        overdue = self._value("overdue", "")
        status = tuple(self._value("status", ()))
        if not status and not self.shows_all():
            status = tuple(sorted(OPEN_STATUSES))
        return IssueFilters(
            status=status, category=self._value("category", ""),
            grid=self._value("grid", "").strip(), overdue={"yes": True, "no": False}.get(overdue),
            q=self._value("q", "").strip(),
        )

    def shows_all(self) -> bool:
        self.is_valid()
        return self._value("show", self.SHOW_OPEN) == self.SHOW_ALL

    def rows_per_page(self) -> int:
        self.is_valid()
        return self._value("page_size", self.DEFAULT_PAGE_SIZE)
