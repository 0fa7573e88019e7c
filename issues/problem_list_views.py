"""The problem lists' pages (问题清单): choose a list, read it with filters and counts, export it.

``/lists/`` offers the lists the user may open; ``/lists/<tier>/<unit code or 'district'>/`` is one list,
paged, and with ``?format=xlsx`` or ``?format=csv`` the same filters export every matching row. Who may
open which list and the query count are decided in ``issues.problem_list``.
"""
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from grids.models import Grid, Role
from jianhua import exports

from . import problem_list
from .forms import YES_NO, category_filter_choices
from .models import EntryState, Tier
from .problem_list import ListUnit, ProblemListFilters
from .views import staff_required

EXPORT_TYPES = exports.CONTENT_TYPES
# Exports read the rows in chunks (an .xlsx beyond a few megabytes is spooled to disk, not memory).
EXPORT_CHUNK_ROWS = 500


class ProblemListFilterForm(forms.Form):
    """A list's filters, from the query string. Invalid values are shown as errors (400) and not applied;
    an export with invalid filters is refused rather than export other rows than asked for."""

    DEFAULT_PAGE_SIZE = 25
    MAX_PAGE_SIZE = 100

    state = forms.ChoiceField(label=_("State on the list"), required=False,
                              choices=[("", _("Any"))] + list(EntryState.choices))
    overdue = forms.ChoiceField(label=_("Overdue"), choices=YES_NO, required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    grid = forms.CharField(label=_("Grid code"), required=False, max_length=24,
                           widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    accepted_from = forms.DateField(label=_("Accepted from"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    accepted_to = forms.DateField(label=_("Accepted until"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    page_size = forms.IntegerField(label=_("Per page"), required=False, min_value=1, max_value=MAX_PAGE_SIZE,
                                   widget=forms.NumberInput(attrs={"placeholder": DEFAULT_PAGE_SIZE}))
    format = forms.ChoiceField(required=False, choices=[("", "HTML"), *((f, f) for f in EXPORT_TYPES)],
                               widget=forms.HiddenInput)

    def __init__(self, *args, grids=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_filter_choices()
        if grids is not None:  # a community's list: choose among its grids
            self.fields["grid"] = forms.ChoiceField(
                label=_("Grid"), required=False, choices=[("", _("All grids"))] + [(g.code, g.name) for g in grids])

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("accepted_from"), cleaned.get("accepted_to")
        if start and end and start > end:
            raise ValidationError(_("The first day comes after the last day."), code="dates")
        return cleaned

    def _value(self, name, default):
        value = self.cleaned_data.get(name) if hasattr(self, "cleaned_data") else None
        return value if value not in (None, "", []) else default

    def list_filters(self) -> ProblemListFilters:
        """The filters that are valid (the form's errors are shown on the page)."""
        self.is_valid()
        dates = {} if self.has_error(NON_FIELD_ERRORS) else {
            "accepted_from": self._value("accepted_from", None), "accepted_to": self._value("accepted_to", None)}
        return ProblemListFilters(
            state=self._value("state", ""), overdue={"yes": True, "no": False}.get(self._value("overdue", "")),
            category=self._value("category", ""), grid=self._value("grid", "").strip(), **dates,
        )

    def rows_per_page(self) -> int:
        self.is_valid()
        return self._value("page_size", self.DEFAULT_PAGE_SIZE)

    def export_format(self) -> str:
        self.is_valid()
        return self._value("format", "")


@staff_required
def problem_lists(request):
    """The lists this user may open: the district's, their street's and its communities', or their own."""
    units = problem_list.lists_for(request.user)
    return render(request, "issues/problem_lists.html", {"units": units})


@staff_required
def problem_list_page(request, tier, code):
    """One problem list: counts, filters, a page of entries, and the exports of every matching entry."""
    unit = problem_list.problem_list_unit(request.user, tier=tier, code=code)
    grids = None
    if unit.tier == Tier.COMMUNITY:
        grids = Grid.objects.filter(community=unit.area).only("code", "name").order_by("code")
    form = ProblemListFilterForm(request.GET, grids=grids)
    filters = form.list_filters()
    export = form.export_format()
    if export and not form.errors:
        entries = problem_list.problem_list_for(request.user, tier=unit.tier, unit=unit, filters=filters)
        return export_response(entries, unit, export)
    entries = problem_list.problem_list_for(request.user, tier=unit.tier, unit=unit, filters=filters)
    page = Paginator(entries, form.rows_per_page()).get_page(request.GET.get("page"))
    rows = list(problem_list.problem_list_rows(page.object_list))
    counts = problem_list.problem_list_counts(request.user, tier=unit.tier, unit=unit, filters=filters)
    my_grid = request.user.grid if request.user.role == Role.GRID_OFFICER and grids is not None else None
    return render(request, "issues/problem_list.html", {
        "unit": unit, "filters": form, "page": page, "rows": rows, "counts": counts, "my_grid": my_grid,
        "states": EntryState,
    }, status=400 if form.errors else 200)


def export_response(entries, unit: ListUnit, export: str):
    """Every entry of ``entries`` as a CSV (streamed) or .xlsx download named after the list and today."""
    return exports.download(problem_list.COLUMNS, entries.iterator(chunk_size=EXPORT_CHUNK_ROWS), export,
                            filename=problem_list.export_filename(unit, export),
                            fallback=problem_list.ascii_filename(unit, export), title=unit.name)
