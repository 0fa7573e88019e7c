"""Who is told about an issue: the people of the story by their part in it, read fresh from the
accounts (active ones only). Each helper returns a list of users; callers may concatenate them,
``notify`` drops repeats."""
from grids.models import Role, User
from issues.models import Issue, Tier

# The accounts that speak for each owning tier, and the tier above each one.
_OWNER_FILTERS = {
    Tier.COMMUNITY: lambda issue: {"role": Role.COMMUNITY_STAFF, "community_id": issue.community_id},
    Tier.STREET: lambda issue: {"role": Role.STREET_STAFF, "street_id": issue.street_id},
    Tier.DISTRICT: lambda issue: {"role": Role.COMMAND_CENTRE},
}
_SUPERVISOR_FILTERS = {
    Tier.COMMUNITY: lambda issue: {"role": Role.STREET_STAFF, "street_id": issue.street_id},
    Tier.STREET: lambda issue: {"role": Role.COMMAND_CENTRE},
    Tier.DISTRICT: lambda issue: {"role": Role.LEADER},
}


def _active(**filters) -> list[User]:
    return list(User.objects.filter(is_active=True, **filters).order_by("pk"))


def owner_staff(issue: Issue) -> list[User]:
    """The staff of the tier that owns the issue now: community staff of its community, street staff
    of its street, or the district command centre."""
    filters = _OWNER_FILTERS.get(issue.owner_tier)
    return _active(**filters(issue)) if filters else []


def supervisors_of(issue: Issue) -> list[User]:
    """The tier above the owner: street staff over a community, the command centre over a street,
    district leaders over the command centre."""
    filters = _SUPERVISOR_FILTERS.get(issue.owner_tier)
    return _active(**filters(issue)) if filters else []


def department_staff(department_id: int) -> list[User]:
    """Every active staff member of a department."""
    return _active(role=Role.DEPARTMENT_STAFF, department_id=department_id)


def handler_staff(issue: Issue) -> list[User]:
    """The account the issue was dispatched to, or every active staff member of its department."""
    people = []
    if issue.handler_id is not None:
        people += _active(pk=issue.handler_id)
    if issue.handler_department_id is not None:
        people += department_staff(issue.handler_department_id)
    return people


def assisting_staff(issue: Issue) -> list[User]:
    """Staff of every department asked to assist the lead department (none before the district
    dispatches with assistants, or where the issue has no assists)."""
    assists = getattr(issue, "assists", None)
    if assists is None:
        return []
    department_ids = list(assists.still_assisting().values_list("department_id", flat=True))
    if not department_ids:
        return []
    return _active(role=Role.DEPARTMENT_STAFF, department_id__in=department_ids)


def released_staff(issue: Issue) -> list[User]:
    """Staff of the assisting department released last (told in the transaction that released it)."""
    released = issue.assists.filter(released_at__isnull=False).order_by("-released_at", "-pk").first()
    return department_staff(released.department_id) if released is not None else []


def checker(issue: Issue) -> list[User]:
    """The grid officer a pending on-site check of the issue asks (told when the check is asked)."""
    return _active(pk=issue.checker_id) if issue.checker_id is not None else []


def reporter(issue: Issue) -> list[User]:
    """The resident who filed it in the browser; a caller filed for by an operator has no account."""
    if issue.reporter_id is None:
        return []
    return _active(pk=issue.reporter_id)
