"""当场处置: a grid officer on patrol fixes a problem of their grid there and then – filed and resolved in one
step, before and after photos, on the owning tier's problem list, waiting for its close like any resolved
whistle; only grid officers, only in their own grid, once per Idempotency-Key."""

import pytest

from grids.models import Role, User
from issues import problem_list, selectors, services
from issues.lifecycle import Action, Status
from issues.models import Channel, EntryState, Issue, IssueEvent, IssuePhoto, PhotoKind, ProblemListEntry, Tier
from issues.photos import photo_prepare
from issues.problem_list import ProblemListFilters
from notifications.models import Notification
from tests.factories import api_as, jpeg

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def patrol(garbage, spot_in_officers_grid):
    """fix(officer, **overrides) → the Submission of a problem fixed on the spot in the officer's grid."""

    def fix(officer, **overrides):
        lat, lng = spot_in_officers_grid
        fields = dict(filed_by=officer, title="楼道口垃圾堆放", description="巡查发现楼道口堆了垃圾。", category=garbage,
                      lat=lat, lng=lng, address="东市场社区3号楼", result="已联系保洁当场清走。",
                      photos=[photo_prepare(jpeg("before.jpg"))], evidence_photos=[photo_prepare(jpeg("after.jpg"))])
        fields.update(overrides)
        return services.issue_fix_on_spot(**fields)

    return fix


def test_fixed_on_the_spot_is_filed_resolved_and_waits_for_the_owners_close(patrol, grid_officer, community_staff):
    submission = patrol(grid_officer)
    issue = Issue.objects.get(pk=submission.issue.pk)
    assert submission.created and submission.issue.status == Status.RESOLVED
    assert (issue.status, issue.channel, issue.handler, issue.filed_by, issue.result) == (
        Status.RESOLVED, Channel.GRID_PATROL, grid_officer, grid_officer, "已联系保洁当场清走。")
    assert issue.number.startswith("JH-") and issue.resolution_clock_running
    events = list(IssueEvent.objects.filter(issue=issue).order_by("id"))
    assert [(e.action, e.from_status, e.to_status) for e in events] == [
        (Action.SUBMIT, "", Status.SUBMITTED), (Action.FIX_ON_SPOT, Status.SUBMITTED, Status.RESOLVED)]
    kinds = {photo.original_name: (photo.kind, photo.event_id) for photo in IssuePhoto.objects.filter(issue=issue)}
    assert kinds == {"before.jpg": (PhotoKind.REPORT, events[0].pk), "after.jpg": (PhotoKind.EVIDENCE, events[1].pk)}
    # On the community's problem list, like any whistle it accepted; the owner is asked to cross it off.
    entry = ProblemListEntry.objects.get(issue=issue)
    assert (entry.tier, entry.state, entry.community_id) == (Tier.COMMUNITY, EntryState.OPEN, issue.community_id)
    listed = problem_list.problem_list_for(community_staff, tier=Tier.COMMUNITY, unit=community_staff.community,
                                           filters=ProblemListFilters())
    assert issue.pk in [row.issue_id for row in listed]
    # Told once, that it was fixed on the spot – not also that a new whistle waits to be accepted.
    assert list(Notification.objects.filter(recipient=community_staff, issue=issue).values_list("kind", flat=True)) \
        == ["fix_on_spot"]
    assert [t.action for t in selectors.available_actions(community_staff, issue)][:2] == [Action.CLOSE, Action.RETURN]
    closed = services.issue_close(issue=issue, actor=community_staff)
    assert closed.status == Status.CLOSED
    assert ProblemListEntry.objects.get(issue=issue).state == EntryState.CROSSED_OFF


def test_a_return_sends_it_back_to_the_officer_who_fixed_it(patrol, grid_officer, community_staff):
    issue = patrol(grid_officer).issue
    returned = services.issue_return(issue=issue, actor=community_staff, note="还没清干净")
    assert (returned.status, returned.handler) == (Status.DISPATCHED, grid_officer)
    services.issue_respond(issue=returned, actor=grid_officer)


def test_only_a_grid_officer_inside_their_own_grid(patrol, garbage, community_staff, street_staff, resident,
                                                   command_centre, grid_officer):
    for person in (community_staff, street_staff, resident, command_centre):
        with pytest.raises(services.PermissionRefused):
            patrol(person)
    elsewhere = (User.objects.filter(role=Role.GRID_OFFICER, grid__community=grid_officer.grid.community,
                                     is_active=True).exclude(grid=grid_officer.grid).first())
    with pytest.raises(services.InvalidInput) as outside:
        patrol(elsewhere)
    assert outside.value.field == "location"
    with pytest.raises(services.InvalidInput) as no_result:
        patrol(grid_officer, result="  ")
    assert no_result.value.field == "result"
    assert not Issue.objects.filter(title="楼道口垃圾堆放").exists()  # nothing of the refused filings is kept


def test_the_same_key_files_and_fixes_once(patrol, grid_officer):
    first = patrol(grid_officer, idempotency_key="spot-1")
    again = patrol(grid_officer, idempotency_key="spot-1")
    assert (first.created, again.created, again.issue.pk) == (True, False, first.issue.pk)
    assert IssueEvent.objects.filter(issue=first.issue, action=Action.FIX_ON_SPOT).count() == 1
    assert Issue.objects.filter(title="楼道口垃圾堆放").count() == 1


def test_the_page_never_offers_fixing_a_filed_patrol_whistle_later(grid_officer, garbage, spot_in_officers_grid):
    lat, lng = spot_in_officers_grid
    issue = services.issue_submit(filed_by=grid_officer, title="井盖松动", description="巡查发现井盖松动。",
                                  category=garbage, lat=lat, lng=lng, channel=Channel.GRID_PATROL).issue
    assert Action.FIX_ON_SPOT not in [t.action for t in selectors.available_actions(grid_officer, issue)]


# The API (the field app's outbox) ---------------------------------------------------------------------

@pytest.fixture
def filing(spot_in_officers_grid, categories):
    lat, lng = spot_in_officers_grid
    return {"title": "路灯杆广告", "description": "路灯杆上贴满小广告。", "category": "streetlight", "lat": lat,
            "lng": lng, "address": "东市场社区东门", "result": "已当场清除小广告。"}


def test_the_api_files_a_fix_on_the_spot_once(filing, grid_officer):
    client = api_as(grid_officer)
    body = {**filing, "photos": [jpeg("before.jpg")], "evidence_photos": [jpeg("after.jpg", colour="white")]}
    first = client.post("/api/v1/issues/fixed-on-spot/", body, format="multipart", HTTP_IDEMPOTENCY_KEY="f-1")
    assert first.status_code == 201, first.content
    issue = first.json()
    assert (issue["status"], issue["channel"], issue["handler"]["username"]) == ("resolved", "grid_patrol",
                                                                                  "grid_officer")
    assert sorted(photo["kind"] for photo in issue["photos"]) == ["evidence", "report"]
    assert "close" not in issue["actions"]  # the officer does not cross off their own work
    body = {**filing, "photos": [jpeg("before.jpg")], "evidence_photos": [jpeg("after.jpg", colour="white")]}
    again = client.post("/api/v1/issues/fixed-on-spot/", body, format="multipart", HTTP_IDEMPOTENCY_KEY="f-1")
    assert again.status_code == 200 and again.json()["id"] == issue["id"]
    assert Issue.objects.filter(title="路灯杆广告").count() == 1


def test_the_api_refuses_with_reasons(filing, grid_officer, community_staff):
    client = api_as(grid_officer)
    no_result = client.post("/api/v1/issues/fixed-on-spot/", {**filing, "result": ""}, format="multipart")
    assert no_result.status_code == 400 and "result" in no_result.json()
    outside = client.post("/api/v1/issues/fixed-on-spot/", {**filing, "lat": 39.9, "lng": 116.4}, format="multipart")
    assert outside.status_code == 400 and outside.json()["field"] == "location"
    staff = api_as(community_staff).post("/api/v1/issues/fixed-on-spot/", filing, format="multipart")
    assert staff.status_code == 403 and staff.json()["detail"]
    assert not Issue.objects.filter(title="路灯杆广告").exists()


def test_the_issue_page_shows_before_and_after_and_offers_the_owner_its_close(patrol, grid_officer, community_staff,
                                                                             signed_in):
    issue = patrol(grid_officer).issue
    page = signed_in(community_staff).get(f"/issues/{issue.number}/").content.decode()
    assert 'id="panel-close"' in page and 'id="panel-return"' in page
    assert page.count('class="thumb"') == 2  # the before at the top, the after on the timeline
    officers_page = signed_in(grid_officer).get(f"/issues/{issue.number}/").content.decode()
    assert 'id="panel-close"' not in officers_page and 'id="actions"' not in officers_page
