"""The answer to a sign-in refused for too many failed attempts (django-axes calls ``lockout_response``;
the rules are in settings: AXES_FAILURE_LIMIT failures for one account from one address, then
AXES_COOLOFF_TIME without trying).

The API's token endpoint gets JSON like every other API error; the web gets the sign-in page again, with
what happened and when to try again, never the password it was sent. Both are 429 with Retry-After.
"""
import math

from axes.helpers import get_cool_off
from django.contrib.auth.forms import AuthenticationForm
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_response(request, original_response=None, credentials=None):
    minutes = math.ceil(get_cool_off(request).total_seconds() / 60)
    message = _("Too many failed sign-ins for this account from here. Try again in %(minutes)s minutes, or ask "
                "an administrator to unlock it.") % {"minutes": minutes}
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        form = AuthenticationForm(request, initial={"username": request.POST.get("username", "")})
        response = render(request, "registration/login.html",
                          {"form": form, "locked_out": message, "next": request.POST.get("next", "")}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
