"""Who is calling: the intake client an ``api_key`` names, and its requests-per-minute budget.

The budget is counted in Django's cache (Redis in production, so all web processes share it), one
counter per client and minute. While the cache cannot be reached (Redis down), each process counts on
its own: a client keeps being served, and a flood is still stopped, at the limit per process."""
import hashlib
import logging
import time

from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.utils.translation import gettext as _

from issues.models import IntakeClient

from .errors import Open311Error

logger = logging.getLogger(__name__)
# The count of this process while the shared cache is unreachable.
_local_counts = LocMemCache("open311-rate-limit", {"TIMEOUT": 120, "OPTIONS": {"MAX_ENTRIES": 10_000}})


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
    try:
        count = _count(cache, key)
    except Exception as error:  # noqa: BLE001 - the cache is down (Redis connection errors): no reason for a 500
        logger.warning("Open311 rate limit counted in this process only: the cache is unreachable (%s: %s)",
                       type(error).__name__, error)
        count = _count(_local_counts, key)
    if count > limit:
        raise Open311Error(
            429, _("Too many requests: this api_key may make %(limit)s a minute.") % {"limit": limit},
            headers={"Retry-After": str(60 - int(time.time()) % 60)},
        )


def _count(counts, key: str) -> int:
    counts.add(key, 0, timeout=120)
    try:
        return counts.incr(key)
    except ValueError:  # expired between add and incr
        counts.set(key, 1, timeout=120)
        return 1
