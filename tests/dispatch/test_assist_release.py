"""Releasing an assisting department (协办单位): the owning tier lets go of a department that cannot help
or never answers, with a reason, so that the lead department may resolve without its part."""
import pytest

from grids.models import Role, User
from issues import services
from issues.lifecycle import Action, Status
from issues.models import IssueAssist, IssueEvent
from notifications.models import Notification

from .test_escalation import departments, staff_of, to_district  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def assisted(file_issue, community_staff, street_staff, command_centre, departments):  # noqa: F811
    """At the district: the urban management bureau leads, two departments assist; the lead has reported for
    duty, the first helper has done its part, the second has not answered at all."""
    urban, (done, silent) = departments
    staff_of(silent)  # its duty officer's account (the demo seeds the urban management bureau's only)
    issue = to_district(file_issue(), community_staff, street_staff, command_centre)
    issue = services.issue_dispatch(issue=issue, actor=command_centre, department=urban, assisting=[done, silent])
    issue = services.issue_respond(issue=issue, actor=staff_of(urban))
    issue = services.issue_assist_respond(issue=issue, actor=staff_of(done))
    issue = services.issue_assist_report(issue=issue, actor=staff_of(done), report="已配合完成")
    return issue, urban, done, silent


def test_the_district_releases_a_silent_department_and_the_lead_resolves(assisted, command_centre, signed_in):
    issue, urban, done, silent = assisted
    lead = staff_of(urban)
    with pytest.raises(services.Conflict, match=silent.short_name):
        services.issue_resolve(issue=issue, actor=lead, result="已处理")

    with pytest.raises(services.InvalidInput) as missing:
        services.issue_assist_release(issue=issue, actor=command_centre, department=silent, reason="  ")
    assert missing.value.field == "reason"
    assert IssueAssist.objects.get(issue=issue, department=silent).released_at is None

    issue = services.issue_assist_release(issue=issue, actor=command_centre, department=silent,
                                          reason="该局表示不属于其职责，由城管局独立处置")
    assert issue.status == Status.RESPONDED  # releasing changes no state
    event = IssueEvent.objects.get(issue=issue, action=Action.ASSIST_RELEASE)
    assert (event.actor, event.note, event.data) == (command_centre, "该局表示不属于其职责，由城管局独立处置",
                                                     {"department": silent.code, "responded": False})
    released = IssueAssist.objects.get(issue=issue, department=silent)
    assert released.released_at is not None and released.release_reason.startswith("该局")
    # The released department is told, and so is the lead, who no longer waits.
    assert Notification.objects.filter(kind="assist_release", recipient=staff_of(silent)).exists()
    assert Notification.objects.filter(kind="assist_release", recipient=lead).exists()

    # It may no longer act, but still sees the issue and why it was let go.
    with pytest.raises(services.PermissionRefused):
        services.issue_assist_respond(issue=issue, actor=staff_of(silent))
    page = signed_in(staff_of(silent)).get(f"/issues/{issue.number}/").content.decode()
    assert "该局表示不属于其职责" in page and 'id="panel-assist_respond"' not in page

    issue = services.issue_resolve(issue=issue, actor=lead, result="管网已抢修")
    assert issue.status == Status.RESOLVED


def test_only_the_owning_tier_releases_and_only_a_department_still_due(assisted, command_centre, community_staff,
                                                                       street_staff, grid_officer, resident):
    issue, urban, done, silent = assisted
    version = issue.version
    for person in (staff_of(urban), staff_of(silent), staff_of(done), street_staff, community_staff, grid_officer,
                   resident, User.objects.filter(role=Role.LEADER).first()):
        with pytest.raises(services.PermissionRefused):
            services.issue_assist_release(issue=issue, actor=person, department=silent, reason="放人")
    with pytest.raises(services.Conflict, match=done.short_name):  # its part is in: nothing to release
        services.issue_assist_release(issue=issue, actor=command_centre, department=done, reason="放人")
    with pytest.raises(services.InvalidInput) as stranger:
        services.issue_assist_release(issue=issue, actor=command_centre, department=urban, reason="放人")
    assert stranger.value.field == "department"
    services.issue_assist_release(issue=issue, actor=command_centre, department=silent, reason="放人")
    with pytest.raises(services.InvalidInput):  # released already
        services.issue_assist_release(issue=issue, actor=command_centre, department=silent, reason="再放一次")
    assert IssueEvent.objects.filter(issue=issue, action=Action.ASSIST_RELEASE).count() == 1
    assert issue.__class__.objects.get(pk=issue.pk).version == version + 1


def test_the_page_and_the_api_release(assisted, command_centre, signed_in):
    issue, urban, done, silent = assisted
    client = signed_in(command_centre)
    page = client.get(f"/issues/{issue.number}/").content.decode()
    assert 'id="panel-assist_release"' in page
    # Only the department still due is offered.
    assert f'<option value="{silent.code}"' in page and f'<option value="{done.code}"' not in page

    no_reason = client.post(f"/issues/{issue.number}/assist_release/", {"version": issue.version,
                                                                        "department": silent.code, "reason": ""})
    assert no_reason.status_code == 400 and 'id="panel-assist_release"' in no_reason.content.decode()
    wrong = client.post(f"/api/v1/issues/{issue.pk}/assist_release/", {"department": "no-such", "reason": "放人"},
                        content_type="application/json")
    assert wrong.status_code == 400 and "department" in wrong.json()
    answer = client.post(f"/api/v1/issues/{issue.pk}/assist_release/",
                         {"department": silent.code, "reason": "不属于其职责", "version": issue.version},
                         content_type="application/json")
    assert answer.status_code == 200
    row = next(a for a in answer.json()["assists"] if a["department"] == silent.code)
    assert row["released_at"] and row["release_reason"] == "不属于其职责"
    # Nothing left to release: the page no longer offers it.
    assert 'id="panel-assist_release"' not in client.get(f"/issues/{issue.number}/").content.decode()
    stale = client.post(f"/api/v1/issues/{issue.pk}/assist_release/",
                        {"department": silent.code, "reason": "再放", "version": issue.version},
                        content_type="application/json")
    assert stale.status_code == 409
