"""The residents' sign-in pages (number, then code), the JSON calls the filing page confirms a phone
with, the privacy notice and a resident's own data. Every rule is in accounts.services."""
import json
from urllib.parse import urlencode

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from grids.models import masked_phone
from jianhua.redirects import safe_next_url

from . import personal_data, services
from .forms import CodeForm, PhoneForm

SESSION_PHONE = "accounts.phone_sign_in"
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _next(request):
    return safe_next_url(request, reverse("home"))


def _with_retry_after(response, error):
    for header, value in error.headers.items():
        response[header] = value
    return response


def phone_sign_in(request):
    """Step 1: the mobile number and consent to the privacy notice; a code goes out by SMS."""
    status = 200
    form = PhoneForm(request.POST or None)
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                row = services.phone_code_request(
                    phone=form.cleaned_data["phone"], consent_version=form.cleaned_data["notice_version"],
                    client_ip=get_client_ip_address(request))
            except services.PhoneSignInError as error:
                form.add_error(None if error.status == 429 else "phone", error.message)
                response = render(request, "accounts/phone_sign_in.html", {"form": form, "next": _next(request)},
                                  status=error.status)
                return _with_retry_after(response, error)
            request.session[SESSION_PHONE] = row.number
            return redirect(reverse("accounts:phone-verify") + "?" + urlencode({"next": _next(request)}))
    return render(request, "accounts/phone_sign_in.html", {"form": form, "next": _next(request)}, status=status)


def phone_verify(request):
    """Step 2: the code; the resident is signed in (a new number becomes an account) and sent on."""
    number = request.session.get(SESSION_PHONE)
    if not number:
        return redirect(reverse("accounts:phone-sign-in") + "?" + urlencode({"next": _next(request)}))
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                signed_in = services.phone_code_verify(phone=number, code=form.cleaned_data["code"],
                                                       client_ip=get_client_ip_address(request))
            except services.PhoneSignInError as error:
                form.add_error("code" if error.field == "code" else None, error.message)
            else:
                request.session.pop(SESSION_PHONE, None)
                login(request, signed_in.user, backend=BACKEND)
                return redirect(_next(request))
    return render(request, "accounts/phone_verify.html", {
        "form": form, "next": _next(request), "masked": masked_phone(number),
        "resend_after": settings.PHONE_CODE_RESEND_SECONDS}, status=status)


# The filing page's inline confirmation: JSON in, JSON out, the session signed in ------------------

def _json_body(request):
    if request.content_type == "application/json":
        try:
            return json.loads(request.body or b"{}")
        except ValueError:
            return {}
    return request.POST


def _json_error(error):
    response = JsonResponse({"error": error.message, "field": error.field}, status=error.status)
    return _with_retry_after(response, error)


def _consent_version(data) -> str | None:
    return services.accepted_notice_version(data.get("consent") in (True, "true", "on", "1", 1),
                                            str(data.get("notice_version") or "") or None)


@require_POST
def phone_code_json(request):
    data = _json_body(request)
    try:
        row = services.phone_code_request(phone=str(data.get("phone", "")), consent_version=_consent_version(data),
                                          client_ip=get_client_ip_address(request))
    except services.PhoneSignInError as error:
        return _json_error(error)
    return JsonResponse({"phone": masked_phone(row.number), "resend_after": settings.PHONE_CODE_RESEND_SECONDS,
                         "expires_in": settings.PHONE_CODE_VALID_SECONDS}, status=202)


@require_POST
def phone_verify_json(request):
    data = _json_body(request)
    try:
        signed_in = services.phone_code_verify(phone=str(data.get("phone", "")), code=str(data.get("code", "")),
                                               consent_version=_consent_version(data),
                                               client_ip=get_client_ip_address(request))
    except services.PhoneSignInError as error:
        return _json_error(error)
    login(request, signed_in.user, backend=BACKEND)
    # Signing in rotates the CSRF token: the page needs the new one for the form it sends next.
    return JsonResponse({"created": signed_in.created, "phone": masked_phone(signed_in.user.phone),
                         "csrfToken": get_token(request)})


# Privacy (PIPL) -----------------------------------------------------------------------------------

def privacy_notice(request):
    language = "en" if get_language().startswith("en") else "zh-hans"
    return render(request, "accounts/privacy.html", {
        "version": settings.PRIVACY_NOTICE_VERSION, "contact": settings.PRIVACY_CONTACT,
        "body_template": f"accounts/privacy_{language}.html"})


@login_required
def my_data(request):
    return render(request, "accounts/my_data.html", {"is_resident": services.may_close_account(request.user)})


@login_required
def my_data_download(request):
    data = personal_data.personal_data_for(request.user)
    response = HttpResponse(json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="my-data.json"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def my_account_delete(request):
    if not services.may_close_account(request.user):
        return render(request, "accounts/my_data.html", {"is_resident": False}, status=403)
    if request.method == "POST":
        services.account_delete(user=request.user)
        logout(request)
        return render(request, "accounts/deleted.html")
    return render(request, "accounts/delete_confirm.html")
