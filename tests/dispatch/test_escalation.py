"""Whistling upward (吹哨): community → street → district → a lead department and assisting departments
reporting for duty → resolved → closed; and a whistle the tier above sends back (乱吹哨)."""
import pytest

from grids.models import Department, Role, User
from issues import services
from issues.lifecycle import Action, Status
from issues.models import EntryState, Issue, IssueEvent, ProblemListEntry, Tier

pytestmark = pytest.mark.django_db


def account(username=None, **filters):
    if username:
        filters["username"] = username
    return User.objects.select_related("grid", "community", "street", "department").filter(**filters).first()


@pytest.fixture
def departments(db):
    urban = Department.objects.get(code="urban-management")
    others = list(Department.objects.exclude(pk=urban.pk).order_by("code")[:2])
    return urban, others


def staff_of(department):
    found = account(role=Role.DEPARTMENT_STAFF, department=department)
    if found is None:  # the demo seeds staff for the urban management bureau only
        found = User.objects.create_user(username=f"staff-{department.code}", role=Role.DEPARTMENT_STAFF,
                                         department=department, full_name=f"{department.short_name}值班员")
    return found


def to_district(issue, community_staff, street_staff, command_centre):
    issue = services.issue_accept(issue=issue, actor=community_staff)
    issue = services.issue_escalate(issue=issue, actor=community_staff, reason="涉及供热管网，社区协调不了")
    issue = services.issue_accept(issue=issue, actor=street_staff)
    issue = services.issue_escalate(issue=issue, actor=street_staff, reason="需要区级部门处置")
    return services.issue_accept(issue=issue, actor=command_centre)


def test_the_whole_upward_path(file_issue, resident, community_staff, street_staff, command_centre, departments):
    urban, (helper_a, helper_b) = departments
    issue = file_issue()
    issue = services.issue_accept(issue=issue, actor=community_staff)
    community_due = issue.resolution_due

    issue = services.issue_escalate(issue=issue, actor=community_staff, reason="涉及供热管网，社区协调不了")
    assert (issue.status, issue.owner_tier, issue.escalated_from_tier) == (Status.ESCALATED, Tier.STREET,
                                                                           Tier.COMMUNITY)
    # The street's clock to take the whistle runs; the community's resolution clock is no longer its.
    assert issue.response_due > issue.escalated_at and issue.resolution_due is None
    with pytest.raises(services.PermissionRefused):  # the community no longer owns it
        services.issue_accept(issue=issue, actor=community_staff)

    issue = services.issue_accept(issue=issue, actor=street_staff)
    assert (issue.status, issue.owner_tier) == (Status.ACCEPTED, Tier.STREET)
    assert issue.resolution_due is not None and issue.resolution_due != community_due
    issue = services.issue_escalate(issue=issue, actor=street_staff, reason="需要区级部门处置")
    issue = services.issue_accept(issue=issue, actor=command_centre)
    assert issue.owner_tier == Tier.DISTRICT
    with pytest.raises(services.Conflict, match="top tier|最高层级"):
        services.issue_escalate(issue=issue, actor=command_centre, reason="再上报")

    issue = services.issue_dispatch(issue=issue, actor=command_centre, department=urban,
                                    assisting=[helper_a, helper_b], note="城管牵头，两部门协办")
    assert issue.handler_department == urban and issue.assists.count() == 2
    assert all(a.response_due == issue.response_due for a in issue.assists.all())

    lead, staff_a, staff_b = staff_of(urban), staff_of(helper_a), staff_of(helper_b)
    issue = services.issue_respond(issue=issue, actor=lead)
    # The lead cannot resolve before every assisting department has reported its part.
    with pytest.raises(services.Conflict, match=helper_a.short_name):
        services.issue_resolve(issue=issue, actor=lead, result="已处理")
    with pytest.raises(services.Conflict, match="Report for duty|请先报到"):
        services.issue_assist_report(issue=issue, actor=staff_a, report="已配合")
    for staff in (staff_a, staff_b):
        issue = services.issue_assist_respond(issue=issue, actor=staff, note="已到场")
        with pytest.raises(services.Conflict):
            services.issue_assist_respond(issue=issue, actor=staff)
        issue = services.issue_assist_report(issue=issue, actor=staff, report=f"{staff.department.short_name}已完成本部门任务")
    assert issue.status == Status.RESPONDED  # the assisting steps change no state
    issue = services.issue_resolve(issue=issue, actor=lead, result="管网已抢修，供暖恢复")
    issue = services.issue_close(issue=issue, actor=command_centre)
    assert issue.status == Status.CLOSED

    # (Supervision steps – several departments put it on the supervision list – are tested apart.)
    steps = list(IssueEvent.objects.filter(issue=issue).exclude(action=Action.SUPERVISE)
                 .values_list("action", "actor__username", "to_status"))
    assert [s[0] for s in steps] == [
        "submit", "accept", "escalate", "accept", "escalate", "accept", "dispatch", "respond",
        "assist_respond", "assist_report", "assist_respond", "assist_report", "resolve", "close"]
    hops = IssueEvent.objects.filter(issue=issue, action=Action.ESCALATE).order_by("at", "id")
    assert [(e.data["from_tier"], e.data["to_tier"]) for e in hops] == [("community", "street"), ("street", "district")]
    assert all(e.data["response_due"] for e in hops)  # every hop names the new holder's clock
    # Each tier's problem list: whistled up below, crossed off at the district that closed it.
    entries = dict(ProblemListEntry.objects.filter(issue=issue).values_list("tier", "state"))
    assert entries == {"community": EntryState.ESCALATED, "street": EntryState.ESCALATED,
                       "district": EntryState.CROSSED_OFF}


def test_a_department_sees_what_it_assists_and_only_that(file_issue, community_staff, street_staff, command_centre,
                                                         departments, signed_in):
    urban, (helper_a, helper_b) = departments
    issue = to_district(file_issue(), community_staff, street_staff, command_centre)
    issue = services.issue_dispatch(issue=issue, actor=command_centre, department=urban, assisting=[helper_a])
    assisting = signed_in(staff_of(helper_a))
    page = assisting.get(f"/issues/{issue.number}/")
    assert page.status_code == 200
    assert 'id="panel-assist_respond"' in page.content.decode()
    assert 'id="panel-respond"' not in page.content.decode()  # the lead's step, not theirs
    api = assisting.get("/api/v1/issues/")
    assert [row["number"] for row in api.json()["results"]] == [issue.number]
    bystander = signed_in(staff_of(helper_b))
    assert bystander.get(f"/issues/{issue.number}/").status_code == 404
    with pytest.raises(services.PermissionRefused):
        services.issue_assist_respond(issue=issue, actor=staff_of(helper_b))


def test_the_assisting_steps_through_the_page_and_the_api(file_issue, community_staff, street_staff, command_centre,
                                                          departments, signed_in):
    urban, (helper_a, _) = departments
    issue = to_district(file_issue(), community_staff, street_staff, command_centre)
    issue = services.issue_dispatch(issue=issue, actor=command_centre, department=urban, assisting=[helper_a])
    client = signed_in(staff_of(helper_a))
    response = client.post(f"/issues/{issue.number}/assist_respond/", {"version": issue.version, "note": "马上到"})
    assert response.status_code == 302
    issue.refresh_from_db()
    empty = client.post(f"/api/v1/issues/{issue.pk}/assist_report/", {"report": " "}, content_type="application/json")
    assert empty.status_code == 400
    done = client.post(f"/api/v1/issues/{issue.pk}/assist_report/", {"report": "已清理占道"},
                       content_type="application/json")
    assert done.status_code == 200
    assert done.json()["assists"][0]["report"] == "已清理占道" and done.json()["assists"][0]["responded_at"]


def test_assisting_departments_need_a_lead_and_the_district(file_issue, advance, community_staff, command_centre,
                                                            street_staff, departments, grid_officer):
    urban, (helper_a, _) = departments
    with pytest.raises(services.InvalidInput, match="lead|牵头部门"):
        services.issue_dispatch(issue=advance(file_issue(), Status.ACCEPTED), actor=community_staff,
                                handler=grid_officer, assisting=[helper_a])
    issue = to_district(file_issue(), community_staff, street_staff, command_centre)
    with pytest.raises(services.InvalidInput):
        services.issue_dispatch(issue=issue, actor=command_centre, department=urban, assisting=[urban])
    assert Issue.objects.get(pk=issue.pk).status == Status.ACCEPTED


def test_the_street_sends_an_unjustified_whistle_back(file_issue, community_staff, street_staff, signed_in):
    issue = services.issue_accept(issue=file_issue(), actor=community_staff)
    community_entry = ProblemListEntry.objects.get(issue=issue, tier=Tier.COMMUNITY)
    issue = services.issue_escalate(issue=issue, actor=community_staff, reason="垃圾太多了")
    with pytest.raises(services.InvalidInput):
        services.issue_send_back(issue=issue, actor=street_staff, reason="  ")
    with pytest.raises(services.PermissionRefused):
        services.issue_send_back(issue=issue, actor=community_staff, reason="自己退回")
    issue = services.issue_send_back(issue=issue, actor=street_staff, reason="社区保洁即可解决，属乱吹哨")
    assert (issue.status, issue.owner_tier, issue.handler_id) == (Status.ACCEPTED, Tier.COMMUNITY, None)
    back = IssueEvent.objects.filter(issue=issue).last()
    assert back.action == Action.SEND_BACK and back.data["unjustified"] is True
    assert (back.data["from_tier"], back.data["to_tier"]) == ("street", "community")
    # Back on the community's own list, on the community's own clock from when it accepted.
    community_entry.refresh_from_db()
    assert community_entry.state == EntryState.OPEN
    assert not ProblemListEntry.objects.filter(issue=issue, tier=Tier.STREET).exists()
    assert issue.resolution_due > community_entry.accepted_at
    # The community's page shows the finding on the timeline and offers dispatch again.
    page = signed_in(community_staff).get(f"/issues/{issue.number}/?lang=en").content.decode()
    assert "乱吹哨" in page and 'id="panel-dispatch"' in page


def test_the_escalate_and_send_back_forms(file_issue, community_staff, street_staff, signed_in):
    issue = services.issue_accept(issue=file_issue(), actor=community_staff)
    client = signed_in(community_staff)
    refused = client.post(f"/issues/{issue.number}/escalate/?lang=en", {"version": issue.version, "reason": ""})
    assert refused.status_code == 400 and "This field is required" in refused.content.decode()
    done = client.post(f"/issues/{issue.number}/escalate/", {"version": issue.version, "reason": "需街道协调"})
    assert done.status_code == 302
    street = signed_in(street_staff)
    page = street.get(f"/issues/{issue.number}/").content.decode()
    assert 'id="panel-accept"' in page and 'id="panel-send_back"' in page
    issue.refresh_from_db()
    sent = street.post(f"/issues/{issue.number}/send_back/",
                       {"version": issue.version, "reason": "社区可解决"})  # the box left unticked
    assert sent.status_code == 302
    assert IssueEvent.objects.filter(issue=issue).last().data["unjustified"] is False


def test_the_api_escalates_and_refuses_what_is_not_allowed(file_issue, community_staff, grid_officer, signed_in):
    issue = services.issue_accept(issue=file_issue(), actor=community_staff)
    officer = signed_in(grid_officer)
    assert officer.post(f"/api/v1/issues/{issue.pk}/escalate/", {"reason": "x"},
                        content_type="application/json").status_code == 403
    staff = signed_in(community_staff)
    assert staff.post(f"/api/v1/issues/{issue.pk}/escalate/", {}, content_type="application/json").status_code == 400
    response = staff.post(f"/api/v1/issues/{issue.pk}/escalate/", {"reason": "需街道协调"},
                          content_type="application/json")
    # The community no longer sees actions on it, but still sees the issue of its area.
    assert response.status_code == 200
    assert response.json()["status"] == "escalated" and response.json()["escalated_from_tier"] == "community"
    assert staff.post(f"/api/v1/issues/{issue.pk}/escalate/", {"reason": "再报"},
                      content_type="application/json").status_code == 409
