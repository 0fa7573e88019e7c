"""The routing provider ``issues.routing`` delegates to once dispatch is installed (registered in
``DispatchConfig.ready``): the most specific active ``RoutingRule`` that matches the new issue.

A rule matches when its category is empty, the issue's category or its top category; its street is
empty or the issue's; its community is empty or the issue's; its priority is empty or the issue's.
Among the matches, precedence compares, in this order:

1. category: the issue's own (sub-)category > its top category > any category;
2. area: the issue's community > its street > anywhere;
3. priority: the issue's exact priority > any priority;
4. ``order``, lower first (then the older rule).

So a heating rule anywhere beats an any-category rule for one community, and the district-wide
default (any category, anywhere, any priority) answers only when nothing else matches. With no
active rule at all the fallback of ``issues.routing`` answers (community tier, grid officer).
"""
from issues import routing as issue_routing
from issues.models import Tier

from .models import RoutingRule
from .rulebook import rulebook


def _rank(rule: RoutingRule, category_ids: list) -> tuple:
    category = category_ids.index(rule.category_id) if rule.category_id is not None else len(category_ids)
    area = 0 if rule.community_id is not None else 1 if rule.street_id is not None else 2
    return category, area, 0 if rule.priority else 1, rule.order, rule.pk


def rule_for(issue) -> RoutingRule | None:
    """The rule that routes ``issue`` (from the process's rulebook: no query while it is fresh), or None."""
    category_ids = [issue.category_id]
    parent_id = issue.category.parent_id if issue.category_id else None
    if parent_id:
        category_ids.append(parent_id)
    rules = [
        rule for rule in rulebook().routing
        if (rule.category_id is None or rule.category_id in category_ids)
        and rule.street_id in (None, issue.street_id)
        and rule.community_id in (None, issue.community_id)
        and rule.priority in ("", issue.priority)
    ]
    return min(rules, key=lambda rule: _rank(rule, category_ids), default=None)


def route(*, issue) -> issue_routing.Route:
    rule = rule_for(issue)
    if rule is None:
        return issue_routing.fallback.route(issue=issue)
    return issue_routing.Route(owner_tier=Tier(rule.owner_tier), default_handler=rule.default_handler,
                               default_department_id=rule.department_id, rule_id=rule.pk)
