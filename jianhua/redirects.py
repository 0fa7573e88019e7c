"""Where a form sends the user next (``?next=`` or a hidden ``next`` field): a path on this site, or a
fallback. Everyone takes the address from here, so a foreign, malformed or merely odd one ("abc",
which ``redirect()`` would try to reverse as a view name) never leaves the site nor breaks the page."""
from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next_url(request, fallback: str) -> str:
    """The ``next`` of the POST body or the query string if it is a path on this site, else ``fallback``
    (a URL, already reversed)."""
    target = (request.POST.get("next") or request.GET.get("next") or "").strip()
    if (target.startswith("/") and "\x00" not in target
            and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                require_https=request.is_secure())):
        return target
    return fallback


def redirect_next(request, fallback: str) -> HttpResponseRedirect:
    """A redirect to ``safe_next_url``: never resolved as a view name, unlike ``django.shortcuts.redirect``."""
    return HttpResponseRedirect(safe_next_url(request, fallback))
