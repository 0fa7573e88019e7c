"""The community's map of patrol coverage (/field/coverage/): which grids of my area were walked on a
day. The page lists them itself (it works without JavaScript); ``static/field/coverage.js`` draws the
map from the grids' GeoJSON and /api/v1/field/coverage/, the same selector's answer."""
from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.views import base_map_config
from jianhua.pages import refused

from . import rules, selectors


class CoverageForm(forms.Form):
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


@login_required
def coverage(request):
    """Grids walked on the day chosen (default today) in the user's area: grid, community, street or
    district staff. Three queries after the session's."""
    if rules.coverage_area(request.user) is None:
        return refused(request, _("Patrol coverage is for grid, community, street and district staff."))
    form = CoverageForm(request.GET)
    if not form.is_valid():
        return refused(request, _("Give the day as YYYY-MM-DD."), status=400)
    day = form.cleaned_data["day"] or timezone.localdate()
    grids = selectors.grids_walked(request.user, day)
    walked = [grid for grid in grids if grid["walked"]]
    config = {
        **base_map_config(),
        "day": day.isoformat(),
        "coverageUrl": reverse("field-coverage"),
        "messages": {"walked": _("Walked"), "notWalked": _("Not walked"), "officers": _("officers"),
                     "failed": _("The map could not be loaded. Please try again.")},
    }
    return render(request, "field/coverage.html", {
        "form": form, "day": day, "grids": grids, "walked": walked, "config": config,
        "area_name": request.user.area_name,
    })
