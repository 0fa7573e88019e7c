"""Who may do what in the field app, asked by the services, the selectors, the pages and the API alike."""
from grids.models import PLACE_LEVELS, Role
from issues.rules import DISTRICT_WIDE


# Who goes door to door: grid officers in their grid, community staff in their community's grids.
VISITING_ROLES = frozenset({Role.GRID_OFFICER, Role.COMMUNITY_STAFF})


def visits_door_to_door(user) -> bool:
    """The user's role visits households at all (``may_visit`` says where)."""
    return user.is_authenticated and user.is_active and user.role in VISITING_ROLES


def may_visit(user, grid) -> bool:
    """Visits door to door: the grid's own officers, and the staff of its community."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.role == Role.GRID_OFFICER:
        return user.grid_id == grid.pk
    return user.role == Role.COMMUNITY_STAFF and user.community_id == grid.community_id


def may_patrol(user) -> bool:
    """A patrol track is a grid officer's own."""
    return user.is_authenticated and user.is_active and user.role == Role.GRID_OFFICER


def coverage_area(user) -> tuple[str, int | None] | None:
    """The area whose grids walked a user may see, as (level, id): grid staff their grid, community and
    street staff theirs, district roles the district (id None); None for anyone else."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.role in DISTRICT_WIDE:
        return ("district", None)
    level = user.level  # the place a member of staff serves (grids.models.ROLE_LEVEL)
    area_id = getattr(user, f"{level}_id") if level in PLACE_LEVELS else None
    return (str(level), area_id) if area_id else None


def may_use_field_app(user) -> bool:
    """The field app's pages (/field/): a grid officer serving a grid (one serving none has nothing in it)."""
    return user.is_authenticated and user.is_active and user.role == Role.GRID_OFFICER and user.grid_id is not None
