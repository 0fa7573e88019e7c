"""Who may see and do what with an issue: by role *and* by area. Views, API and admin all ask here.

- Staff see the issues in the area they serve: a grid officer their grid, community staff their
  community, street staff their street, the district roles everything; department staff the
  issues dispatched to their department.
- The owner of an issue is the staff of its owning tier for its place: community staff of its
  community, street staff of its street, or the district command centre.
- The handler is the account or the department it was dispatched to.
- Residents see the issues they filed.
"""
import re

from django.utils.translation import gettext as _

from grids.models import PLACE_LEVELS, Role

from .lifecycle import Actor, Transition
from .models import Channel, CheckKind, Issue, Tier

DISTRICT_WIDE = frozenset({Role.COMMAND_CENTRE, Role.LEADER, Role.INSPECTOR, Role.ADMIN})
# An intake client's service account is no staff member: it files and sees nothing (its clients follow
# their whistles through Open311's public answers).
STAFF_ROLES = frozenset(set(Role) - {Role.RESIDENT, Role.INTAKE_CLIENT})
# Who may file on a caller's behalf (hotline operator, patrolling officer, an Open311 client's account).
INTAKE_ROLES = frozenset({Role.GRID_OFFICER, Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.COMMAND_CENTRE,
                          Role.INTAKE_CLIENT})


def is_staff_member(user) -> bool:
    return user.is_authenticated and user.role in STAFF_ROLES


def serves_place_of(user, issue: Issue) -> bool:
    """The issue lies in the area this staff member serves."""
    if user.role in DISTRICT_WIDE:
        return True
    level = user.level
    if level in PLACE_LEVELS:
        return getattr(user, f"{level}_id") == getattr(issue, f"{level}_id")
    return False


def is_owner(user, issue: Issue) -> bool:
    """This user speaks for the tier that owns the issue now."""
    if issue.owner_tier == Tier.COMMUNITY:
        return user.role == Role.COMMUNITY_STAFF and user.community_id == issue.community_id
    if issue.owner_tier == Tier.STREET:
        return user.role == Role.STREET_STAFF and user.street_id == issue.street_id
    if issue.owner_tier == Tier.DISTRICT:
        return user.role == Role.COMMAND_CENTRE
    return False


def is_handler(user, issue: Issue) -> bool:
    if issue.handler_id is not None and issue.handler_id == user.pk:
        return True
    return (
        user.role == Role.DEPARTMENT_STAFF
        and issue.handler_department_id is not None
        and issue.handler_department_id == user.department_id
    )


def assist_of(user, issue: Issue):
    """The IssueAssist of this user's department on the issue, if the district dispatched it to assist
    (协办) and has not released it; read from the prefetched assists when the caller loaded them."""
    if user.role != Role.DEPARTMENT_STAFF or user.department_id is None:
        return None
    return next((assist for assist in issue.assists.all()
                 if assist.department_id == user.department_id and assist.still_assisting), None)


def is_assistant(user, issue: Issue) -> bool:
    return assist_of(user, issue) is not None


def was_asked_to_assist(user, issue: Issue) -> bool:
    """Asked to assist, released since or not: a released department still sees the issue and why."""
    return (user.role == Role.DEPARTMENT_STAFF and user.department_id is not None
            and any(assist.department_id == user.department_id for assist in issue.assists.all()))


def is_checker(user, issue: Issue) -> bool:
    """The grid officer a pending on-site check of the issue asks (``Issue.checker``)."""
    return issue.checker_id is not None and issue.checker_id == user.pk


def is_finder(user, issue: Issue) -> bool:
    """The grid officer who found the problem on patrol in their own grid and filed it."""
    return (user.role == Role.GRID_OFFICER and issue.filed_by_id == user.pk and issue.channel == Channel.GRID_PATROL
            and user.grid_id == issue.grid_id)


def may_check(candidate, issue: Issue, kind: str) -> bool:
    """Whether the owner may send this account to check the issue on site: an active grid officer of the
    issue's grid – for an inspection of the result not the handler who did the work."""
    if not (candidate.is_active and candidate.role == Role.GRID_OFFICER and candidate.grid_id == issue.grid_id):
        return False
    return not (kind == CheckKind.INSPECT and issue.handler_id == candidate.pk)


def is_reporter(user, issue: Issue) -> bool:
    return issue.reporter_id is not None and issue.reporter_id == user.pk


def can_view(user, issue: Issue) -> bool:
    if not user.is_authenticated:
        return False
    return (is_reporter(user, issue) or is_handler(user, issue) or (is_staff_member(user) and serves_place_of(user, issue))
            or was_asked_to_assist(user, issue))


def sees_personal_data(user, issue: Issue) -> bool:
    """The reporter's name and phone are for the reporter and the staff handling the issue only."""
    return is_reporter(user, issue) or is_owner(user, issue) or is_handler(user, issue)


def mask_phone(phone: str) -> str:
    """138****1234: enough to recognise a number, not enough to call it."""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


# Numbers a resident may type into a title for the handler's sake (“请联系我 13812345678”), which the
# public must not read: mainland mobile numbers, landlines with their area code, ID card numbers.
_PERSONAL_NUMBERS = re.compile(
    r"(?<![0-9])(?:[1-9][0-9]{5}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]"
    r"|(?:\+?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}"
    r"|0[1-9][0-9]{1,2}[ -]?[2-9][0-9]{6,7})(?![0-9])"
)


def public_text(text: str) -> str:
    """``text`` for people who may not see personal data (other residents, Open311's public reads): phone
    and ID card numbers in it masked, 138****5678 style."""
    return _PERSONAL_NUMBERS.sub(lambda found: mask_phone(re.sub(r"[^0-9Xx]", "", found.group())), text)


def visible_reporter(user, issue: Issue) -> dict:
    """The reporter's name and phone as this user may see them: nothing once erased (issues.retention),
    but to the reporter themselves."""
    if issue.personal_data_erased_at and not is_reporter(user, issue):
        return {"name": "", "phone": ""}
    name = issue.reporter_name or (str(issue.reporter) if issue.reporter_id else "")
    phone = issue.reporter_phone or (issue.reporter.phone if issue.reporter_id else "")
    if sees_personal_data(user, issue):
        return {"name": name, "phone": phone}
    return {"name": name[:1] + "*" * max(len(name) - 1, 0) if name else "", "phone": mask_phone(phone) if phone else ""}


def visible_actor(viewer, event, issue: Issue, *, reporter_name: str | None = None) -> dict | None:
    """Who took a step on the timeline, as this viewer may see them: staff by name; the reporter as
    ``visible_reporter`` shows them; other residents (who added their voice) by no name at all."""
    if event.actor_id is None:
        return None
    actor = event.actor
    if event.actor_role != Role.RESIDENT or event.actor_id == viewer.pk:
        return {"username": actor.username, "name": str(actor), "role": event.actor_role}
    if event.actor_id == issue.reporter_id:
        if issue.personal_data_erased_at:
            return {"username": None, "name": _("The resident who filed it"), "role": Role.RESIDENT}
        if sees_personal_data(viewer, issue):
            return {"username": actor.username, "name": str(actor), "role": Role.RESIDENT}
        name = reporter_name if reporter_name is not None else visible_reporter(viewer, issue)["name"]
        return {"username": None, "name": name, "role": Role.RESIDENT}
    return {"username": None, "name": _("A resident"), "role": Role.RESIDENT}


def may(user, issue: Issue, transition: Transition) -> bool:
    """Whether this user is the person the transition asks for (the state is checked apart)."""
    if not user.is_authenticated:
        return False
    if transition.actor == Actor.OWNER:
        return is_owner(user, issue)
    if transition.actor == Actor.HANDLER:
        return is_handler(user, issue)
    if transition.actor == Actor.REPORTER:
        return is_reporter(user, issue)
    if transition.actor == Actor.ASSISTANT:
        return is_assistant(user, issue)
    if transition.actor == Actor.ANYONE:
        return user.role == Role.RESIDENT and not is_reporter(user, issue)
    if transition.actor == Actor.CHECKER:
        return is_checker(user, issue)
    if transition.actor == Actor.FINDER:
        return is_finder(user, issue)
    return False  # SYSTEM: never a person


def may_handle(candidate, issue: Issue) -> bool:
    """Whether an account may be dispatched the issue by its owning tier: staff at or below that tier,
    serving the issue's place (a grid officer of its grid, community staff of its community, …)."""
    if not candidate.is_active:
        return False
    return candidate.role in HANDLER_ROLES[Tier(issue.owner_tier)] and serves_place_of(candidate, issue)


# Whom each owning tier may dispatch to: staff at or below it (``may_handle``; ``selectors.handler_candidates``).
HANDLER_ROLES = {
    Tier.COMMUNITY: frozenset({Role.GRID_OFFICER, Role.COMMUNITY_STAFF}),
    Tier.STREET: frozenset({Role.GRID_OFFICER, Role.COMMUNITY_STAFF, Role.STREET_STAFF}),
    Tier.DISTRICT: frozenset({Role.GRID_OFFICER, Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.COMMAND_CENTRE}),
}


def may_dispatch_to_department(issue: Issue) -> bool:
    """Departments report for duty when the district whistles: only the district dispatches to them."""
    return issue.owner_tier == Tier.DISTRICT


def may_file_for_others(user) -> bool:
    return user.is_authenticated and user.role in INTAKE_ROLES
