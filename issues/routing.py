"""Which tier accepts a new issue and whom it is dispatched to by default.

Callers (``issues.services.issue_submit``) only use ``route``. What it answers comes from the
registered provider: the dispatch app registers its routing rules (``dispatch.routing``, from
``DispatchConfig.ready``); without it, the fallback below puts every issue to the community tier
with the grid's officer as the default handler. A provider is any object with a ``route`` function
(a module will do).
"""
from dataclasses import dataclass
from typing import Protocol

from .models import DefaultHandler, Tier


@dataclass(frozen=True)
class Route:
    owner_tier: Tier
    default_handler: str  # a DefaultHandler value, or "" for none
    default_department_id: int | None = None
    rule_id: int | None = None  # the routing rule that decided, None for the fallback


class RoutingProvider(Protocol):
    def route(self, *, issue) -> Route: ...


class CommunityFirst:
    """The fallback: the community accepts every issue; the grid's officer handles it."""

    def route(self, *, issue) -> Route:
        return Route(owner_tier=Tier.COMMUNITY, default_handler=DefaultHandler.GRID_OFFICER)


fallback = CommunityFirst()
provider: RoutingProvider = fallback


def register(new_provider: RoutingProvider) -> None:
    """Make ``new_provider`` route every new issue from now on (a higher app calls it in ``ready()``)."""
    global provider
    provider = new_provider


def route(*, issue) -> Route:
    """The owning tier and default handler for ``issue`` (located, categorised, not saved yet)."""
    return provider.route(issue=issue)
