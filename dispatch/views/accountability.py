"""The accountability list's pages (问效清单): the list, a record with its responsibility trace and the
inspectors' decision, and the form that records by hand. The rules are ``dispatch.accountability``'s;
its errors become answers here as on the issue pages: ``InvalidInput`` → the form again with the
error on its field (400), ``PermissionRefused`` → the refusal page (403), ``Conflict`` → the fresh
record with the message (409)."""
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids.models import Department, User
from issues import selectors as issue_selectors
from issues.forms import add_service_error, service_result
from issues.models import Tier
from issues.services import Conflict, InvalidInput, PermissionRefused
from jianhua import exports
from jianhua.exports import Column
from jianhua.pages import refused

from .. import accountability
from ..models import Outcome, RecordKind, RecordState

PAGE_SIZES = (20, 50, 100)



# Forms --------------------------------------------------------------------------------------------

class RecordFilterForm(forms.Form):
    state = forms.ChoiceField(label=gettext_lazy("State"), required=False,
                              choices=[("", gettext_lazy("Any state")), *RecordState.choices])
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False,
                             choices=[("", gettext_lazy("Any kind")), *RecordKind.choices])
    unit = forms.ChoiceField(label=gettext_lazy("Unit"), required=False)
    issue = forms.CharField(label=gettext_lazy("Tracking number"), required=False, max_length=20)
    page_size = forms.TypedChoiceField(label=gettext_lazy("Per page"), required=False, coerce=int,
                                       choices=[(n, n) for n in PAGE_SIZES], empty_value=PAGE_SIZES[0])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("Any unit")), *accountability.unit_choices()]

    def record_filters(self) -> accountability.RecordFilters:
        """What was understood; a filter that was not is ignored (the page says so)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return accountability.RecordFilters(state=data.get("state", ""), kind=data.get("kind", ""),
                                            unit=data.get("unit", ""), issue=(data.get("issue") or "").strip())

    def rows_per_page(self) -> int:
        self.is_valid()
        return getattr(self, "cleaned_data", {}).get("page_size") or PAGE_SIZES[0]


class ConfirmForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), widget=forms.RadioSelect)
    note = forms.CharField(label=gettext_lazy("Reasons (optional)"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, record, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = accountability.outcomes_for(record.kind)
        self.fields["outcome"].choices = [(value, label) for value, label in Outcome.choices if value in allowed]
        if len(allowed) == 1:
            self.fields["outcome"].initial = allowed[0]


class DismissForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why it is dismissed"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, record=None, **kwargs):
        super().__init__(*args, **kwargs)


class ManualRecordForm(forms.Form):
    """A record by hand: the kind, the facts and whom it is against, among the issue's own units, the
    departments and the people who acted on or held the issue."""

    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=[("", "—"), *RecordKind.choices])
    facts = forms.CharField(label=gettext_lazy("Facts"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5}))
    unit = forms.ChoiceField(label=gettext_lazy("Unit"), required=False)
    department = forms.ModelChoiceField(label=gettext_lazy("Department"), required=False,
                                        queryset=Department.objects.order_by("code"), to_field_name="code")
    person = forms.ModelChoiceField(label=gettext_lazy("Person"), required=False, queryset=User.objects.none(),
                                    to_field_name="username")

    def __init__(self, *args, issue, **kwargs):
        super().__init__(*args, **kwargs)
        self.issue = issue
        self.fields["unit"].choices = [
            ("", "—"),
            (Tier.COMMUNITY.value, f"{Tier.COMMUNITY.label}: {issue.community.name}"),
            (Tier.STREET.value, f"{Tier.STREET.label}: {issue.street.name}"),
            (Tier.DISTRICT.value, _("District command centre")),
        ]
        self.fields["person"].queryset = accountability.people_of(issue)
        self.fields["person"].label_from_instance = lambda user: f"{user} · {user.get_role_display()}"

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"kind": data["kind"], "facts": data["facts"], "tier": data.get("unit") or "",
                "department": data.get("department"), "person": data.get("person")}


# Pages --------------------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    Column(gettext_lazy("tracking number"), lambda r: r.issue.number, 18),
    Column(gettext_lazy("title"), lambda r: r.issue.title, 32),
    Column(gettext_lazy("kind"), lambda r: r.get_kind_display(), 24),
    Column(gettext_lazy("Against"), lambda r: "、".join(str(n) for n in r.unit_names), 20),
    Column(gettext_lazy("person"), lambda r: str(r.person) if r.person_id else "", 12),
    Column(gettext_lazy("facts"), lambda r: r.facts, 48),
    Column(gettext_lazy("created by a rule"), lambda r: gettext("Yes") if r.automatic else gettext("No"), 8),
    Column(gettext_lazy("recorded at"), lambda r: r.created_at, 17, True),
    Column(gettext_lazy("state"), lambda r: r.get_state_display(), 10),
    Column(gettext_lazy("outcome"), lambda r: r.get_outcome_display(), 16),
    Column(gettext_lazy("inspector's reasons"), lambda r: r.decision_note, 30),
    Column(gettext_lazy("decided by"), lambda r: str(r.decided_by) if r.decided_by_id else "", 12),
    Column(gettext_lazy("decided at"), lambda r: r.decided_at, 17, True),
)

@login_required
def record_list(request):
    """The accountability list in the user's scope: filters, counts per state, one page of records."""
    if not accountability.may_see_list(request.user):
        return refused(request, _("The accountability list is for grid and district staff."))
    filters = RecordFilterForm(request.GET)
    wanted = filters.record_filters()
    records = accountability.record_list_for(request.user, filters=wanted)
    export = request.GET.get("format", "")
    if export in exports.CONTENT_TYPES:  # every matching record, with the same filters
        today = timezone.localdate()
        return exports.download(EXPORT_COLUMNS, records.iterator(chunk_size=500), export,
                                filename=f"{_('Accountability list')}-{today:%Y%m%d}.{export}",
                                fallback=f"accountability-list-{today:%Y%m%d}.{export}",
                                title=_("Accountability list"))
    page = Paginator(records, filters.rows_per_page()).get_page(request.GET.get("page"))
    counts = accountability.record_state_counts(request.user, filters=wanted)
    states = [(value, label, counts[value]) for value, label in RecordState.choices]
    return render(request, "dispatch/accountability/record_list.html", {
        "filters": filters, "page": page, "states": states, "current_state": wanted.state,
        "may_record": accountability.may_record(request.user),
    })


@login_required
def record_detail(request, pk):
    record = accountability.record_detail_for(request.user, pk=pk)
    return _record_page(request, record)


def _record_page(request, record, *, bound=None, status=200):
    """The record, its trace and (for inspectors, while it is a candidate) the two decision forms;
    ``bound`` is (decision, form with errors) to show again."""
    decide = accountability.may_decide(request.user) and not record.is_decided
    forms_ = {}
    if decide:
        forms_ = {"confirm": ConfirmForm(record=record, auto_id="id_confirm_%s"),
                  "dismiss": DismissForm(record=record, auto_id="id_dismiss_%s")}
        if bound:
            forms_[bound[0]] = bound[1]
    trace = accountability.responsibility_trace(record.issue, moment=accountability.record_moment(record))
    return render(request, "dispatch/accountability/record_detail.html", {
        "record": record, "trace": trace, "decide": decide, "confirm_form": forms_.get("confirm"),
        "dismiss_form": forms_.get("dismiss"), "open_decision": bound[0] if bound else "",
    }, status=status)


DECISIONS = {
    "confirm": (ConfirmForm, accountability.record_confirm,
                lambda data: {"outcome": data["outcome"], "note": data.get("note", "")}),
    "dismiss": (DismissForm, accountability.record_dismiss, lambda data: {"reason": data["reason"]}),
}


@login_required
@require_POST
def record_decide(request, pk, decision):
    form_class, service, kwargs = DECISIONS[decision]
    record = accountability.record_detail_for(request.user, pk=pk)
    if not accountability.may_decide(request.user):
        return refused(request, accountability.refusal_to_decide())
    form = form_class(request.POST, record=record, auto_id=f"id_{decision}_%s")
    if form.is_valid():
        try:
            service(record=record, actor=request.user, **kwargs(form.cleaned_data))
        except InvalidInput as error:
            add_service_error(form, error)
        except PermissionRefused as error:
            return refused(request, error.message)
        except Conflict as error:
            messages.error(request, error.message)
            fresh = accountability.record_detail_for(request.user, pk=pk)
            return _record_page(request, fresh, status=409)
        else:
            messages.success(request, _("The record is confirmed.") if decision == "confirm"
                             else _("The record is dismissed."))
            return redirect("dispatch:accountability-record", pk=pk)
    return _record_page(request, record, bound=(decision, form), status=400)


@login_required
def record_new(request):
    """A record by hand, for the issue named by ``?issue=<tracking number>``."""
    if not accountability.may_record(request.user):
        return refused(request, accountability.refusal_to_record())
    number = (request.GET.get("issue") or request.POST.get("issue") or "").strip()
    if not number:
        return refused(request, _("Open the issue first and record from its page."), status=400)
    try:
        issue = issue_selectors.issue_detail_for(request.user, number=number, timeline=False)
    except Http404:
        raise Http404(_("No such issue.")) from None
    if request.method == "POST":
        form = ManualRecordForm(request.POST, issue=issue)
        status = 400
        if form.is_valid():
            try:
                record, status = service_result(
                    form, lambda: accountability.record_manual(issue=issue, actor=request.user, **form.service_kwargs()))
            except PermissionRefused as error:
                return refused(request, error.message)
            if record is not None:
                messages.success(request, _("The record is on the accountability list."))
                return redirect("dispatch:accountability-record", pk=record.pk)
    else:
        form, status = ManualRecordForm(issue=issue, initial={"kind": request.GET.get("kind", "")}), 200
    return render(request, "dispatch/accountability/record_form.html", {"form": form, "issue": issue},
                  status=status)


urlpatterns = [
    path("accountability/", record_list, name="accountability-list"),
    path("accountability/new/", record_new, name="accountability-new"),
    path("accountability/<int:pk>/", record_detail, name="accountability-record"),
    path("accountability/<int:pk>/confirm/", record_decide, {"decision": "confirm"}, name="accountability-confirm"),
    path("accountability/<int:pk>/dismiss/", record_decide, {"decision": "dismiss"}, name="accountability-dismiss"),
]
