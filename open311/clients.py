"""Who is calling: the intake client an ``api_key`` names, and its requests-per-minute budget.

The budget is counted in Django's cache (Redis in production, so all web processes share it), one
counter per client and minute."""
import hashlib
import time

from django.core.cache import cache
from django.utils.translation import gettext as _

from issues.models import IntakeClient

from .errors import Open311Error


def client_for_key(api_key: str | None) -> IntakeClient:
    """The active client with this key; Open311Error 403 for a missing, unknown or inactive key."""
    if not api_key:
        raise Open311Error(403, _("api_key is required to file a request."))
    client = IntakeClient.objects.select_related("account").filter(api_key=api_key).first()
    if client is None:
        raise Open311Error(403, _("api_key is not valid."))
    if not client.is_active:
        raise Open311Error(403, _("api_key has been switched off; ask the district command centre."))
    return client


def rate_limit_check(client: IntakeClient) -> None:
    """Count one request; Open311Error 429 once the client is over its limit this minute (0: no limit)."""
    limit = client.rate_limit_per_minute
    if not limit:
        return
    minute = int(time.time() // 60)
    # Keyed by the key itself (hashed), so a client whose key is replaced starts afresh.
    key = f"open311:rate:{hashlib.sha256(client.api_key.encode()).hexdigest()[:24]}:{minute}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    if count > limit:
        raise Open311Error(
            429, _("Too many requests: this api_key may make %(limit)s a minute.") % {"limit": limit},
            headers={"Retry-After": str(60 - int(time.time()) % 60)},
        )
