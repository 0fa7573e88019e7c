"""The supervision list's officer pages (督办清单, "听哨" dispatch meetings), mobile first, Chinese by default.

Each view checks who is asking, validates the input with a form below, calls one service or selector
of ``dispatch.supervision`` and renders ``templates/dispatch/supervision/<page>.html``. The services'
errors become answers as on the issue pages: ``InvalidInput`` → the form again with the error on its
field (400), ``PermissionRefused`` → the refusal page (403), ``Conflict`` → the form with the message (409).
"""
from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from issues import rules, selectors
from issues.forms import service_result
from issues.services import PermissionRefused
from issues.views import staff_required
from jianhua import exports
from jianhua.exports import Column
from jianhua.pages import refused

from .. import supervision
from ..models import SupervisionSource, SupervisionState

ITEMS_PER_PAGE = 25
MEETINGS_PER_PAGE = 25
YES_NO = [("", gettext_lazy("Either")), ("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))]
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


# Forms --------------------------------------------------------------------------------------------

class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, person):
        return f"{person} · {person.get_role_display()}"


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, person):
        area = person.area
        return f"{person} · {person.get_role_display()}" + (f" · {area}" if area else "")


class ItemFilterForm(forms.Form):
    """The list's filters, read from the query string; an invalid value is ignored."""

    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search",
                                                      "placeholder": gettext_lazy("Tracking number or title")}))
    state = forms.ChoiceField(label=gettext_lazy("State"), required=False,
                              choices=[("open", SupervisionState.OPEN.label), ("closed", SupervisionState.CLOSED.label),
                                       ("all", gettext_lazy("All"))])
    source = forms.ChoiceField(label=gettext_lazy("Source"), required=False,
                               choices=[("", gettext_lazy("All sources")), *SupervisionSource.choices])
    overdue = forms.ChoiceField(label=gettext_lazy("Past the supervision deadline"), choices=YES_NO, required=False)

    def item_filters(self) -> supervision.SupervisionFilters:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        state = data.get("state") or "open"
        overdue = data.get("overdue") or ""
        return supervision.SupervisionFilters(
            state="" if state == "all" else state, source=data.get("source") or "",
            overdue=None if not overdue else overdue == "yes", q=data.get("q") or "")


class SupervisionOpenForm(forms.Form):
    issue = forms.CharField(label=gettext_lazy("Tracking number"), max_length=20)
    instruction = forms.CharField(label=gettext_lazy("Instruction"), max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    supervisor = PersonChoiceField(label=gettext_lazy("Supervisor"), required=False, queryset=None,
                                   empty_label=gettext_lazy("The command centre"))
    due = forms.DateTimeField(label=gettext_lazy("Supervision deadline"), required=False, widget=DATETIME_INPUT)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["supervisor"].queryset = supervision.supervisor_candidates()

    def clean_issue(self):
        number = self.cleaned_data["issue"].strip()
        issue = selectors.issue_scope(self.user).filter(number__iexact=number).first()
        if issue is None:
            raise forms.ValidationError(_("No issue with this tracking number."))
        return issue


class InstructionForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Instruction"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    due = forms.DateTimeField(label=gettext_lazy("New deadline"), required=False, widget=DATETIME_INPUT)


class ProgressReportForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Progress"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class MeetingForm(forms.Form):
    """A meeting and, for each open item, an optional decision (an item with a decision was discussed)."""

    held_on = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    title = forms.CharField(label=gettext_lazy("Title"), max_length=100)
    place = forms.CharField(label=gettext_lazy("Place"), max_length=100, required=False)
    chair = PersonChoiceField(label=gettext_lazy("Chaired by"), required=False, queryset=None)
    attendees = PeopleChoiceField(label=gettext_lazy("Attendees"), required=False, queryset=None,
                                  widget=forms.CheckboxSelectMultiple)
    other_attendees = forms.CharField(label=gettext_lazy("Other attendees"), required=False, max_length=2000,
                                      help_text=gettext_lazy("People without an account, one per line."),
                                      widget=forms.Textarea(attrs={"rows": 2}))
    notes = forms.CharField(label=gettext_lazy("Minutes"), required=False, max_length=10000,
                            widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chair"].queryset = supervision.supervisor_candidates()
        self.fields["attendees"].queryset = supervision.attendee_candidates()
        self.items = list(supervision.items_for_meeting())
        self.item_rows = []
        for item in self.items:
            text, due = f"decision_{item.pk}", f"due_{item.pk}"
            self.fields[text] = forms.CharField(label=_("Decision"), required=False, max_length=2000,
                                                widget=forms.Textarea(attrs={"rows": 2}))
            self.fields[due] = forms.DateTimeField(label=_("To be done by"), required=False, widget=DATETIME_INPUT)
            self.item_rows.append((item, self[text], self[due]))

    @property
    def meeting_fields(self):
        return [self[name] for name in ("held_on", "title", "place", "chair", "attendees", "other_attendees", "notes")]

    def clean(self):
        data = super().clean()
        for item in self.items:
            if data.get(f"due_{item.pk}") and not (data.get(f"decision_{item.pk}") or "").strip():
                self.add_error(f"decision_{item.pk}", _("Write the decision for this deadline."))
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        decisions = [(item, data[f"decision_{item.pk}"], data.get(f"due_{item.pk}")) for item in self.items
                     if (data.get(f"decision_{item.pk}") or "").strip()]
        return {"held_on": data["held_on"], "title": data["title"], "place": data["place"], "chair": data["chair"],
                "attendees": list(data["attendees"]), "other_attendees": data["other_attendees"],
                "notes": data["notes"], "decisions": decisions}


# The list and an item -----------------------------------------------------------------------------

EXPORT_COLUMNS = (
    Column(gettext_lazy("tracking number"), lambda i: i.issue.number, 18),
    Column(gettext_lazy("title"), lambda i: i.issue.title, 32),
    Column(gettext_lazy("category"), lambda i: str(i.issue.category), 20),
    Column(gettext_lazy("street"), lambda i: i.issue.street.name, 12),
    Column(gettext_lazy("community"), lambda i: i.issue.community.name, 14),
    Column(gettext_lazy("grid"), lambda i: i.issue.grid.name, 20),
    Column(gettext_lazy("status"), lambda i: i.issue.get_status_display(), 10),
    Column(gettext_lazy("source"), lambda i: i.get_source_display(), 18),
    Column(gettext_lazy("instruction"), lambda i: i.instruction, 40),
    Column(gettext_lazy("supervisor"), lambda i: str(i.supervisor) if i.supervisor_id else "", 14),
    Column(gettext_lazy("supervision deadline"), lambda i: i.due, 17, True),
    Column(gettext_lazy("put on the list at"), lambda i: i.created_at, 17, True),
    Column(gettext_lazy("state"), lambda i: i.get_state_display(), 10),
    Column(gettext_lazy("closed at"), lambda i: i.closed_at, 17, True),
    Column(gettext_lazy("progress reports"), lambda i: i.report_count, 8),
)

@staff_required
def item_list(request):
    """The supervision items in the officer's scope, filtered; one page is a fixed number of queries."""
    filters = ItemFilterForm(request.GET)
    items = supervision.supervision_list_for(request.user, filters=filters.item_filters())
    export = request.GET.get("format", "")
    if export in exports.CONTENT_TYPES:  # every matching item, with the same filters
        today = timezone.localdate()
        return exports.download(EXPORT_COLUMNS, items.iterator(chunk_size=500), export,
                                filename=f"{_('Supervision list')}-{today:%Y%m%d}.{export}",
                                fallback=f"supervision-list-{today:%Y%m%d}.{export}", title=_("Supervision list"))
    page = Paginator(items, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "dispatch/supervision/item_list.html", {
        "filters": filters, "page": page, "may_supervise": supervision.may_supervise(request.user),
        "now": timezone.now(),
    })


@staff_required
def item_new(request):
    """Put an issue on supervision (command centre, district leaders); ``?issue=<number>`` prefills it."""
    if not supervision.may_supervise(request.user):
        return refused(request, _("Only the district command centre or a district leader puts issues on supervision."))
    status = 200
    if request.method == "POST":
        form = SupervisionOpenForm(request.POST, user=request.user)
        status = 400
        if form.is_valid():
            try:
                item, status = service_result(
                    form, lambda: supervision.supervision_open(actor=request.user, **form.cleaned_data))
            except PermissionRefused as error:
                return refused(request, error.message)
            if item is not None:
                messages.success(request, _("%(number)s is on the supervision list.") % {"number": item.issue.number})
                return redirect("dispatch:supervision-item", pk=item.pk)
    else:
        form = SupervisionOpenForm(initial={"issue": request.GET.get("issue", "")}, user=request.user)
    return render(request, "dispatch/supervision/item_new.html", {"form": form}, status=status)


@staff_required
def item_detail(request, pk):
    item = supervision.supervision_detail_for(request.user, pk=pk)
    return _item_page(request, item)


def _item_page(request, item, *, bound=None, status=200):
    """``bound``: ("instruction" | "report", the form with errors) to show again."""
    user = request.user
    forms_shown = {}
    if item.state == SupervisionState.OPEN:
        if supervision.may_instruct(user, item):
            forms_shown["instruction"] = InstructionForm(auto_id="id_instruction_%s")
        if supervision.may_report(user, item):
            forms_shown["report"] = ProgressReportForm(auto_id="id_report_%s")
    if bound:
        forms_shown[bound[0]] = bound[1]
    return render(request, "dispatch/supervision/item_detail.html", {
        "item": item, "issue": item.issue, "instruction_form": forms_shown.get("instruction"),
        "report_form": forms_shown.get("report"), "issue_visible": rules.can_view(user, item.issue),
        "now": timezone.now(),
    }, status=status)


def _post_to_item(request, pk, kind, form_class, service):
    item = supervision.supervision_detail_for(request.user, pk=pk)
    form = form_class(request.POST, auto_id=f"id_{kind}_%s")
    status = 400
    if form.is_valid():
        try:
            _done, status = service_result(form, lambda: service(item=item, actor=request.user, **form.cleaned_data))
        except PermissionRefused as error:
            return refused(request, error.message)
        if status == 200:
            messages.success(request, _("Instruction recorded.") if kind == "instruction" else _("Progress reported."))
            return redirect("dispatch:supervision-item", pk=item.pk)
    fresh = supervision.supervision_detail_for(request.user, pk=pk)
    return _item_page(request, fresh, bound=(kind, form), status=status)


@staff_required
@require_POST
def instruction_new(request, pk):
    return _post_to_item(request, pk, "instruction", InstructionForm, supervision.instruction_add)


@staff_required
@require_POST
def report_new(request, pk):
    return _post_to_item(request, pk, "report", ProgressReportForm, supervision.progress_report_add)


# Dispatch meetings --------------------------------------------------------------------------------

@staff_required
def meeting_list(request):
    meetings = supervision.meeting_list_for(request.user)
    page = Paginator(meetings, MEETINGS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "dispatch/supervision/meeting_list.html", {
        "page": page, "may_supervise": supervision.may_supervise(request.user)})


@staff_required
def meeting_new(request):
    if not supervision.may_supervise(request.user):
        return refused(request, _("Only the district command centre or a district leader records dispatch meetings."))
    status = 200
    if request.method == "POST":
        form = MeetingForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                meeting, status = service_result(
                    form, lambda: supervision.meeting_record(actor=request.user, **form.service_kwargs()))
            except PermissionRefused as error:
                return refused(request, error.message)
            if meeting is not None:
                messages.success(request, _("The meeting is recorded."))
                return redirect("dispatch:supervision-meeting", pk=meeting.pk)
    else:
        form = MeetingForm(initial={"chair": request.user.pk if supervision.may_supervise(request.user) else None})
    return render(request, "dispatch/supervision/meeting_new.html", {"form": form}, status=status)


@staff_required
def meeting_detail(request, pk):
    meeting = supervision.meeting_detail_for(request.user, pk=pk)
    return render(request, "dispatch/supervision/meeting_detail.html", {"meeting": meeting})


urlpatterns = [
    path("supervision/", item_list, name="supervision-list"),
    path("supervision/new/", item_new, name="supervision-new"),
    path("supervision/<int:pk>/", item_detail, name="supervision-item"),
    path("supervision/<int:pk>/instructions/", instruction_new, name="supervision-instruct"),
    path("supervision/<int:pk>/reports/", report_new, name="supervision-report"),
    path("supervision/meetings/", meeting_list, name="supervision-meetings"),
    path("supervision/meetings/new/", meeting_new, name="supervision-meeting-new"),
    path("supervision/meetings/<int:pk>/", meeting_detail, name="supervision-meeting"),
]
