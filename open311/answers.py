"""What GeoReport v2 answers look like, built from our issues and categories.

Personal data never leaves here: a request shows what was reported (category, title, place, photo
address) and how far it got, never who reported it (name, phone, email, device or account id) nor
staff's free-text notes. The full description is shown only for whistles that came in through
Open311 itself: a resident who filed in the browser or on the hotline was told only the staff
handling it would read their words (and people write phone numbers and flat numbers into them).
Phone and ID card numbers in what is shown (a title, an Open311 description) are masked.

Status: our closed, rejected and withdrawn issues are Open311 "closed"; every other state
(submitted, accepted, dispatched, responded, resolved – waiting for verification –, escalated) is
"open". ``status_notes`` says the state in words and, for a rejection, why (a merged duplicate
names the original's tracking number).
"""
from django.conf import settings
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from issues import deadlines
from issues.lifecycle import Status
from issues.models import Category, CategoryAttribute, Channel, Issue, RejectReason, Tier
from issues.rules import public_text

CLOSED_STATUSES = frozenset({Status.CLOSED, Status.REJECTED, Status.WITHDRAWN})
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this endpoint's Open311 interface last changed (discovery's changeset).
CHANGESET = "2026-12-04T00:00:00+08:00"


def w3c(moment) -> str | None:
    """A W3C (ISO 8601) date and time with the district's offset: 2026-11-25T09:30:00+08:00."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def open311_status(status: str) -> str:
    return "closed" if status in CLOSED_STATUSES else "open"


def statuses_for(open311: str) -> list[str]:
    """Our states behind an Open311 status."""
    closed = sorted(CLOSED_STATUSES)
    return closed if open311 == "closed" else sorted(set(Status.values) - set(closed))


def service_name(category: Category) -> str:
    if get_language() == "en" and category.name_en:
        return category.name_en
    return category.name


def service_notice(issue: Issue, *, terms: deadlines.DeadlineTerms | None = None) -> str:
    """The deadlines that apply to this request (the deadline rules for its tier, priority and category)."""
    terms = terms or deadlines.terms(issue=issue)
    if terms.working_days:
        text = _("The handler reports for duty within %(minutes)s minutes of dispatch; an accepted whistle is "
                 "resolved within %(days)s working days.")
    else:
        text = _("The handler reports for duty within %(minutes)s minutes of dispatch; an accepted whistle is "
                 "resolved within %(days)s days.")
    return text % {"minutes": terms.response_minutes, "days": terms.resolution_days}


def service(category: Category, *, has_attributes: bool) -> dict:
    parent = category.parent
    keywords = [category.name, category.name_en, parent.name if parent else "", parent.name_en if parent else ""]
    return {
        "service_code": category.code,
        "service_name": service_name(category),
        "description": category.description or (f"{service_name(parent)} / {service_name(category)}"
                                                 if parent else service_name(category)),
        "metadata": has_attributes,
        "type": "realtime",
        "keywords": ",".join(word for word in keywords if word),
        "group": service_name(parent) if parent else service_name(category),
    }


def service_definition(category: Category, attributes: list[CategoryAttribute]) -> dict:
    """``attributes`` in their order; ``order`` is the position, 1 first, as the spec asks ("any positive
    integer not used for other attributes in the same service_code"), whatever the admin typed (0, equal)."""
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": attribute.variable,
                "code": attribute.code,
                "datatype": attribute.datatype,
                "required": attribute.required,
                "datatype_description": attribute.datatype_description,
                "order": position,
                "description": attribute.description,
                "values": [{"key": str(value["key"]), "name": str(value.get("name", ""))}
                           for value in attribute.values or ()],
            }
            for position, attribute in enumerate(attributes, start=1)
        ],
    }


def agency_responsible(issue: Issue) -> str:
    """Who holds the whistle now: the department it was dispatched to, else the owning tier."""
    if issue.handler_department_id:
        return issue.handler_department.name
    if issue.owner_tier == Tier.COMMUNITY:
        return issue.community.name
    if issue.owner_tier == Tier.STREET:
        return issue.street.name
    return _("Jianhua District command centre")


def status_notes(issue: Issue) -> str:
    label = str(Status(issue.status).label)
    if issue.status == Status.REJECTED:
        if issue.merged_into_id:
            return _("%(label)s: merged into %(number)s, which follows the same problem.") % {
                "label": label, "number": issue.merged_into.number}
        if issue.reject_reason:
            return f"{label}: {RejectReason(issue.reject_reason).label}"
    return label


def updated(issue: Issue):
    """When the request last changed; for a closed one, as the spec says, when it was closed (a rating
    or a 我也遇到了 afterwards changes the row, not the request's state)."""
    if issue.status == Status.CLOSED and issue.closed_at:
        return issue.closed_at
    return issue.updated_at


def area_address(issue: Issue) -> str:
    """Without an address the grid stands for it, written as the spec asks, from the most specific unit
    to the most general (grid names include their community's): 东市场社区第1网格，中华街道，建华区."""
    return "，".join([issue.grid.name, issue.street.name, issue.street.district.name])


def request_description(issue: Issue) -> str:
    """The title; for whistles filed through Open311 also the words the client sent (those whistles
    are titled by their first words). Phone and ID card numbers in them are masked (``public_text``), and
    HTML tags are left out: the spec's description "may contain line breaks, but not html or code"."""
    if not issue.description or issue.channel != Channel.OPEN311:
        return strip_tags(public_text(issue.title))
    if issue.description.startswith(issue.title.rstrip("…")):
        return strip_tags(public_text(issue.description))
    return strip_tags(public_text(f"{issue.title}: {issue.description}"))


def service_requests(issues) -> list[dict]:
    """GET requests' answer: the deadline terms are asked once per tier × priority × category, not per request."""
    terms = {}
    answers = []
    for issue in issues:
        key = (issue.owner_tier, issue.priority, issue.category_id)
        if key not in terms:
            terms[key] = deadlines.terms(issue=issue)
        answers.append(service_request(issue, terms=terms[key]))
    return answers


def service_request(issue: Issue, *, terms: deadlines.DeadlineTerms | None = None) -> dict:
    return {
        "service_request_id": issue.number,
        "status": open311_status(issue.status),
        "status_notes": status_notes(issue),
        "service_name": service_name(issue.category),
        "service_code": issue.category.code,
        "description": request_description(issue),
        "agency_responsible": agency_responsible(issue),
        "service_notice": service_notice(issue, terms=terms),
        "requested_datetime": w3c(issue.created_at),
        "updated_datetime": w3c(updated(issue)),
        "expected_datetime": w3c(issue.resolution_due),
        "address": issue.address or area_address(issue),
        "address_id": None,
        "zipcode": None,
        "lat": issue.lat,
        "long": issue.lng,
        "media_url": issue.media_url or None,
    }


def created(issue: Issue) -> dict:
    """POST's answer. Our services are realtime, so it carries the service_request_id and, as the spec
    says, then no token; ``account_id`` is ours for the person (we keep none for callers: null), never
    an echo of what the client sent – nothing a caller told the client comes back."""
    return {"service_request_id": issue.number, "service_notice": service_notice(issue),
            "account_id": None}


def discovery(url: str) -> dict:
    return {
        "changeset": CHANGESET,
        "contact": settings.OPEN311_CONTACT,
        "key_service": _("API keys are issued per client by the district command centre (admin: intake clients)."),
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": url,
            "changeset": CHANGESET,
            "type": "production",
            "formats": ["application/json", "text/xml"],
        }],
    }
