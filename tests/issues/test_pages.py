"""The whistle's HTML pages: who may open them, filing, the action forms, the queue, the nearby list.

Pages are Chinese by default and the catalogues are filled later, so assertions look at ids, data,
tracking numbers and the Chinese demo data; where words matter the request asks for English.
"""
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from grids.locate import grid_locate
from grids.models import Department, Role, User
from issues import services
from issues.lifecycle import Status
from issues.models import Channel, Issue, IssuePhoto, IssueSupporter, Rating, RejectReason, Tier
from tests.conftest import DEMO_PASSWORD
from tests.forms import form_data

pytestmark = pytest.mark.django_db

# 100 m is about 0.0009° of latitude.
DEGREES_PER_METRE = 1 / 111_195


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def jpeg(name="门口垃圾.jpg", size=(640, 480), colour=(120, 160, 90)):
    output = io.BytesIO()
    Image.new("RGB", size, colour).save(output, format="JPEG")
    return SimpleUploadedFile(name, output.getvalue(), content_type="image/jpeg")


def account(username):
    return User.objects.select_related("grid", "community", "street", "department").get(username=username)


def client_for(signed_in, username):
    return signed_in(account(username))


@pytest.fixture
def whistle(garbage, spot_in_officers_grid):
    """whistle(**overrides) → the fields a resident posts on /whistle/new/."""

    def data(**overrides):
        lat, lng = spot_in_officers_grid
        fields = {"lat": f"{lat:.6f}", "lng": f"{lng:.6f}", "category": str(garbage.pk), "title": "楼道里堆满了杂物",
                  "description": "三单元楼道堆满纸箱，消防通道被堵。", "address": "东市场社区3号楼",
                  "idempotency_key": "key-1"}
        fields.update(overrides)
        return fields

    return data


def html(response):
    return response.content.decode()


# Who may open which page ---------------------------------------------------------------------------

ANYONE = ["resident", "grid_officer", "community_staff", "street_staff", "command_centre", "department_staff",
          "leader", "inspector", "admin"]


@pytest.mark.parametrize("url", ["/whistle/mine/", "/work/", "/work/file/"])
def test_every_page_sends_a_stranger_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_a_stranger_fills_the_filing_page_and_is_asked_to_confirm_the_phone_before_anything_is_filed(
        client, whistle):
    """The filing page opens without an account (its foot confirms the phone, tests/accounts and the
    browser story); a form sent without that – no script, or a session that ended – comes back with
    everything typed and a message, and files nothing."""
    page = client.get("/whistle/new/")
    assert page.status_code == 200 and 'id="phone-confirm"' in html(page)
    before = Issue.objects.count()
    response = client.post("/whistle/new/", whistle())
    assert response.status_code == 400 and Issue.objects.count() == before
    assert "楼道里堆满了杂物" in html(response) and "东市场社区3号楼" in html(response)
    assert "验证码" in html(response)


def test_a_stranger_sees_open_whistles_nearby_without_their_reporters(client, signed_in, resident, whistle, garbage,
                                                                       spot_in_officers_grid):
    signed_in(resident).post("/whistle/new/", whistle())
    lat, lng = spot_in_officers_grid
    response = client.get("/whistle/nearby/", {"category": garbage.pk, "lat": lat, "lng": lng})
    assert response.status_code == 200
    [found] = response.json()["issues"]
    assert found["yours"] is False and found["number"]


PAGE_ACCESS = {
    # url → {username: expected status}; 302 for staff on the resident's form means "to /work/file/".
    "/whistle/new/": {"resident": 200, "grid_officer": 302, "community_staff": 302, "street_staff": 302,
                      "command_centre": 302, "department_staff": 403, "leader": 403, "inspector": 403, "admin": 403},
    "/whistle/mine/": {"resident": 200, **{name: 403 for name in ANYONE if name != "resident"}},
    "/work/": {"resident": 403, **{name: 200 for name in ANYONE if name != "resident"}},
    "/work/file/": {"resident": 403, "grid_officer": 200, "community_staff": 200, "street_staff": 200,
                    "command_centre": 200, "department_staff": 403, "leader": 403, "inspector": 403, "admin": 403},
}


@pytest.mark.parametrize("url", list(PAGE_ACCESS))
def test_each_page_opens_for_the_right_people_only(signed_in, url):
    for username, expected in PAGE_ACCESS[url].items():
        response = client_for(signed_in, username).get(url)
        assert response.status_code == expected, (url, username)
        if expected == 302:
            assert response["Location"] == "/work/file/"
        if expected == 403:
            assert 'id="refusal"' in html(response)


def test_the_issue_page_is_for_its_reporter_and_the_staff_of_its_area(signed_in, file_issue):
    issue = file_issue()
    expected = {"resident": 200, "resident2": 404, "grid_officer": 200, "community_staff": 200, "street_staff": 200,
                "command_centre": 200, "leader": 200, "inspector": 200, "admin": 200,
                "department_staff": 404}  # departments see what is dispatched to them only
    for username, status in expected.items():
        response = client_for(signed_in, username).get(f"/issues/{issue.number}/")
        assert response.status_code == status, username
        if status == 200:
            assert issue.number in html(response) and issue.title in html(response)


def test_the_login_page_signs_a_resident_in(client):
    page = client.get("/accounts/login/?next=/whistle/new/")
    assert page.status_code == 200 and 'id="login-form"' in html(page)
    response = client.post("/accounts/login/", {"username": "resident", "password": DEMO_PASSWORD,
                                                "next": "/whistle/new/"})
    assert response.status_code == 302 and response["Location"] == "/whistle/new/"
    assert client.get("/whistle/new/").status_code == 200
    wrong = client.post("/accounts/login/", {"username": "resident", "password": "wrong"})
    assert wrong.status_code == 200 and "errorlist" in html(wrong)


def test_the_header_offers_each_role_its_pages_and_signing_out(signed_in):
    resident_page = html(client_for(signed_in, "resident").get("/whistle/mine/"))
    assert 'href="/whistle/new/"' in resident_page and 'action="/accounts/logout/"' in resident_page
    officer_page = html(client_for(signed_in, "grid_officer").get("/work/"))
    assert 'href="/work/"' in officer_page and 'href="/whistle/mine/"' not in officer_page


# Filing --------------------------------------------------------------------------------------------

def test_the_filing_page_has_the_map_the_categories_and_a_fresh_key(signed_in, categories):
    page = html(client_for(signed_in, "resident").get("/whistle/new/"))
    assert 'id="whistle-map"' in page and "/static/leaflet/leaflet.js" in page and "issues/whistle.js" in page
    assert '<optgroup label="环境卫生">' in page and "垃圾清运" in page
    assert 'type="file" name="photos"' in page and "multiple" in page and 'accept="image/*"' in page
    first_key = form_data(page, "whistle-form")["idempotency_key"]
    again = html(client_for(signed_in, "resident").get("/whistle/new/"))
    second_key = form_data(again, "whistle-form")["idempotency_key"]
    assert first_key and second_key and first_key != second_key


def test_a_resident_files_a_whistle_with_a_photo(signed_in, whistle, resident, grid_officer, media):
    client = signed_in(resident)
    response = client.post("/whistle/new/", {**whistle(), "photos": [jpeg()]})
    assert response.status_code == 302
    issue = Issue.objects.get(filed_by=resident)
    assert response["Location"] == f"/whistle/filed/{issue.number}/"
    assert issue.status == Status.SUBMITTED and issue.channel == Channel.WEB and issue.reporter == resident
    assert issue.grid == grid_officer.grid and issue.title == "楼道里堆满了杂物"

    confirmation = client.get(response["Location"])
    assert f'id="tracking-number" class="tracking-number">{issue.number}<' in html(confirmation)
    assert "东市场社区第1网格" in html(confirmation)

    photo = IssuePhoto.objects.get(issue=issue)
    assert photo.original_name == "门口垃圾.jpg" and (media / photo.image.name).exists()
    page = html(client.get(f"/issues/{issue.number}/"))
    assert f'/issues/{issue.number}/photos/{photo.pk}/thumb/' in page
    served = client.get(f"/issues/{issue.number}/photos/{photo.pk}/")
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content)[:2] == b"\xff\xd8"


def test_photos_are_only_for_those_who_may_see_the_issue(signed_in, whistle, resident):
    signed_in(resident).post("/whistle/new/", {**whistle(), "photos": [jpeg()]})
    photo = IssuePhoto.objects.select_related("issue").get()
    url = f"/issues/{photo.issue.number}/photos/{photo.pk}/thumb/"
    assert client_for(signed_in, "street_staff").get(url).status_code == 200
    assert client_for(signed_in, "resident2").get(url).status_code == 404
    assert client_for(signed_in, "department_staff").get(url).status_code == 404
    assert client_for(signed_in, "resident").get(f"/issues/JH-00000000-0000/photos/{photo.pk}/").status_code == 404


def test_a_text_file_named_like_a_photo_is_a_form_error_and_the_rest_is_kept(signed_in, whistle, resident):
    fake = SimpleUploadedFile("现场.jpg", b"this is not a photo at all", content_type="image/jpeg")
    response = signed_in(resident).post("/whistle/new/?lang=en", {**whistle(), "photos": [jpeg(), fake]})
    assert response.status_code == 400
    page = html(response)
    assert "现场.jpg: The file is not a photo" in page
    kept = form_data(page, "whistle-form")
    assert kept["title"] == "楼道里堆满了杂物"
    assert kept["description"].lstrip("\n") == "三单元楼道堆满纸箱，消防通道被堵。"  # a browser drops the first newline
    assert kept["address"] == "东市场社区3号楼" and kept["category"] == whistle()["category"]
    assert kept["lat"] == whistle()["lat"] and kept["idempotency_key"] == "key-1"
    assert not Issue.objects.exists()


def test_more_than_six_photos_are_refused(signed_in, whistle, resident):
    seven = [jpeg(f"{n}.jpg") for n in range(7)]
    response = signed_in(resident).post("/whistle/new/?lang=en", {**whistle(), "photos": seven})
    assert response.status_code == 400 and "At most 6 photos." in html(response)
    assert not Issue.objects.exists()


def test_a_place_outside_the_district_is_a_form_error(signed_in, whistle, resident):
    response = signed_in(resident).post("/whistle/new/?lang=en", whistle(lat="40.000000", lng="120.000000"))
    assert response.status_code == 400
    assert "is outside the district" in html(response)
    assert form_data(html(response), "whistle-form")["title"] == "楼道里堆满了杂物"
    assert not Issue.objects.exists()


def test_a_whistle_without_a_pin_or_title_is_a_form_error(signed_in, whistle, resident):
    response = signed_in(resident).post("/whistle/new/?lang=en", whistle(lat="", lng="", title=""))
    assert response.status_code == 400
    assert "Tap the map to mark where the problem is." in html(response) and "This field is required." in html(response)
    assert not Issue.objects.exists()


def test_a_double_submit_files_one_issue(signed_in, whistle, resident):
    client = signed_in(resident)
    first = client.post("/whistle/new/", whistle(idempotency_key="same-click"))
    second = client.post("/whistle/new/", whistle(idempotency_key="same-click"))
    assert Issue.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_a_resident_filing_too_fast_keeps_what_they_typed_and_is_told_when(signed_in, whistle, resident, settings):
    settings.ISSUE_FILINGS_PER_HOUR = 1
    client = signed_in(resident)
    assert client.post("/whistle/new/", whistle(idempotency_key="first")).status_code == 302
    response = client.post("/whistle/new/?lang=en", whistle(idempotency_key="second", title="又一处垃圾"))
    assert response.status_code == 429
    page = html(response)
    assert "You have filed 1 whistle within the hour. Please try again in 60 minutes" in page
    assert 'value="又一处垃圾"' in page  # nothing typed is lost
    assert Issue.objects.count() == 1


def test_an_operator_files_for_a_caller_on_the_hotline(signed_in, whistle, command_centre):
    client = signed_in(command_centre)
    page = html(client.get("/work/file/"))
    assert 'name="channel"' in page and 'value="web"' not in page
    no_phone = client.post("/work/file/?lang=en", whistle(channel=Channel.HOTLINE, reporter_name="王大爷"))
    assert no_phone.status_code == 400 and "phone number is needed" in html(no_phone)
    assert form_data(html(no_phone), "whistle-form")["reporter_name"] == "王大爷"

    response = client.post("/work/file/", whistle(channel=Channel.HOTLINE, reporter_name="王大爷",
                                                  reporter_phone="13900001111"))
    issue = Issue.objects.get()
    assert response["Location"] == f"/whistle/filed/{issue.number}/"
    assert issue.channel == Channel.HOTLINE and issue.reporter is None and issue.filed_by == command_centre
    assert issue.reporter_phone == "13900001111"
    assert issue.number in html(client.get(response["Location"]))


def test_the_confirmation_page_is_for_the_account_that_filed(signed_in, file_issue):
    issue = file_issue()
    assert client_for(signed_in, "resident").get(f"/whistle/filed/{issue.number}/").status_code == 200
    assert client_for(signed_in, "resident2").get(f"/whistle/filed/{issue.number}/").status_code == 404
    assert client_for(signed_in, "community_staff").get(f"/whistle/filed/{issue.number}/").status_code == 404


# My whistles ---------------------------------------------------------------------------------------

def test_my_whistles_lists_the_residents_own_issues_newest_first_in_pages(signed_in, file_issue, resident):
    mine = [file_issue(title=f"第{n}件") for n in range(22)]
    someone_elses = file_issue(filed_by=account("resident2"), title="别人的")
    client = signed_in(resident)
    first = html(client.get("/whistle/mine/"))
    assert first.count('class="issue-card"') == 20
    assert first.index(mine[-1].number) < first.index(mine[-2].number)
    assert someone_elses.number not in first and f'href="/issues/{mine[-1].number}/"' in first
    second = html(client.get("/whistle/mine/?page=2"))
    assert second.count('class="issue-card"') == 2 and mine[0].number in second


# The issue page's actions --------------------------------------------------------------------------

# action → (state to bring the issue to, who takes it, a wrong person who can see the issue, fields to fill in,
#           the state after)
ACTION_CASES = {
    "accept": (Status.SUBMITTED, "community_staff", "grid_officer", {"note": "收到"}, Status.ACCEPTED),
    "reject": (Status.SUBMITTED, "community_staff", "street_staff", {"reason": "out_of_scope", "note": "不属于本社区"},
               Status.REJECTED),
    "withdraw": (Status.SUBMITTED, "resident", "community_staff", {"note": "已自行解决"}, Status.WITHDRAWN),
    "dispatch": (Status.ACCEPTED, "community_staff", "grid_officer", {"note": "请尽快处理"}, Status.DISPATCHED),
    "respond": (Status.DISPATCHED, "grid_officer", "community_staff", {"note": "已到现场"}, Status.RESPONDED),
    "resolve": (Status.RESPONDED, "grid_officer", "community_staff", {"result": "杂物已清走"}, Status.RESOLVED),
    "close": (Status.RESOLVED, "community_staff", "grid_officer", {"note": "核实完毕"}, Status.CLOSED),
    "return": (Status.RESOLVED, "community_staff", "resident", {"note": "还有两箱没清"}, Status.DISPATCHED),
    "rate": (Status.CLOSED, "resident", "community_staff", {"rating": Rating.SATISFIED, "comment": "很及时"},
             Status.CLOSED),
}


def snapshot(issue):
    fresh = Issue.objects.get(pk=issue.pk)
    return fresh.status, fresh.version, fresh.handler_id, fresh.rating, fresh.events.count()


@pytest.mark.parametrize("action", list(ACTION_CASES))
def test_each_action_form_moves_the_issue_and_refuses_anyone_else(signed_in, file_issue, advance, action):
    state, who, wrong, fields, after = ACTION_CASES[action]
    issue = file_issue()
    if state != Status.SUBMITTED:
        issue = advance(issue, state)
    actor = client_for(signed_in, who)
    page = html(actor.get(f"/issues/{issue.number}/"))
    data = {**form_data(page, f"action-{action}"), **fields}
    assert data["version"] == str(issue.version)
    if action == "dispatch":
        data["handler"] = str(account("grid_officer").pk)
    if action == "resolve":
        data["photos"] = [jpeg("清理后.jpg")]
    url = f"/issues/{issue.number}/{action}/"

    before = snapshot(issue)
    refused = client_for(signed_in, wrong).post(url, data)
    assert refused.status_code == 403, html(refused)
    assert 'id="refusal"' in html(refused)
    assert f'id="action-{action}"' not in html(client_for(signed_in, wrong).get(f"/issues/{issue.number}/"))
    stranger = client_for(signed_in, "resident2").post(url, data)
    assert stranger.status_code == 404
    assert snapshot(issue) == before

    if action == "resolve":
        data["photos"] = [jpeg("清理后.jpg")]  # the file was read by the refused request
    response = actor.post(url, data)
    assert response.status_code == 302 and response["Location"] == f"/issues/{issue.number}/"
    issue.refresh_from_db()
    assert issue.status == after and issue.version == before[1] + 1
    if action == "rate":
        assert issue.rating == Rating.SATISFIED and issue.rating_comment == "很及时"
    if action == "resolve":
        assert issue.photos.filter(kind="evidence").count() == 1
    shown = html(actor.get(f"/issues/{issue.number}/"))
    assert f'data-status="{after}"' in shown and 'class="message success"' in shown


def test_the_page_shows_exactly_the_actions_the_user_may_take(signed_in, file_issue):
    issue = file_issue()
    staff_page = html(client_for(signed_in, "community_staff").get(f"/issues/{issue.number}/"))
    assert 'id="action-accept"' in staff_page and 'id="action-reject"' in staff_page
    assert 'id="action-withdraw"' not in staff_page and 'id="action-dispatch"' not in staff_page
    resident_page = html(client_for(signed_in, "resident").get(f"/issues/{issue.number}/"))
    assert 'id="action-withdraw"' in resident_page and 'id="action-accept"' not in resident_page
    leader_page = html(client_for(signed_in, "leader").get(f"/issues/{issue.number}/"))
    assert 'id="actions"' not in leader_page


def test_the_dispatch_form_offers_the_places_people_and_no_departments_at_the_community_tier(
        signed_in, file_issue, advance, grid_officer):
    issue = advance(file_issue(), Status.ACCEPTED)
    page = html(client_for(signed_in, "community_staff").get(f"/issues/{issue.number}/"))
    assert f'<option value="{grid_officer.pk}">' in page
    assert 'name="department"' not in page


def test_the_dispatch_form_preselects_the_grids_officer_that_routing_named(signed_in, file_issue, advance):
    issue = advance(file_issue(), Status.ACCEPTED)
    assert issue.default_handler == "grid_officer"
    data = form_data(html(client_for(signed_in, "community_staff").get(f"/issues/{issue.number}/")), "action-dispatch")
    chosen = User.objects.get(pk=data["handler"])
    assert chosen.role == Role.GRID_OFFICER and chosen.grid_id == issue.grid_id


def test_a_dispatch_without_a_handler_is_a_form_error_that_keeps_the_note(signed_in, file_issue, advance):
    issue = advance(file_issue(), Status.ACCEPTED)
    client = client_for(signed_in, "community_staff")
    data = {**form_data(html(client.get(f"/issues/{issue.number}/")), "action-dispatch"), "note": "请今天处理",
            "handler": ""}  # the grid's officer is preselected: the user chose "Choose a person" instead
    response = client.post(f"/issues/{issue.number}/dispatch/?lang=en", data)
    assert response.status_code == 400
    assert "Choose one handler" in html(response)
    assert form_data(html(response), "action-dispatch")["note"].strip() == "请今天处理"
    assert Issue.objects.get(pk=issue.pk).status == Status.ACCEPTED


def test_the_district_dispatches_to_a_department(signed_in, file_issue, advance):
    issue = advance(file_issue(), Status.ACCEPTED)
    Issue.objects.filter(pk=issue.pk).update(owner_tier=Tier.DISTRICT)  # as if whistled up to the district
    client = client_for(signed_in, "command_centre")
    data = form_data(html(client.get(f"/issues/{issue.number}/")), "action-dispatch")
    urban = Department.objects.get(code="urban-management")
    response = client.post(f"/issues/{issue.number}/dispatch/", {**data, "department": urban.pk})
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.status == Status.DISPATCHED and issue.handler_department == urban
    department_page = client_for(signed_in, "department_staff").get(f"/issues/{issue.number}/")
    assert department_page.status_code == 200 and 'id="action-respond"' in html(department_page)


def test_a_bad_evidence_photo_keeps_the_result_text(signed_in, file_issue, advance):
    issue = advance(file_issue(), Status.RESPONDED)
    client = client_for(signed_in, "grid_officer")
    data = {**form_data(html(client.get(f"/issues/{issue.number}/")), "action-resolve"), "result": "已清理完毕",
            "photos": [SimpleUploadedFile("after.jpg", b"GIF89a not really", content_type="image/jpeg")]}
    response = client.post(f"/issues/{issue.number}/resolve/?lang=en", data)
    assert response.status_code == 400 and "after.jpg: The file is not a photo" in html(response)
    assert form_data(html(response), "action-resolve")["result"].strip() == "已清理完毕"
    assert Issue.objects.get(pk=issue.pk).status == Status.RESPONDED


def test_a_duplicate_is_rejected_by_naming_the_original(signed_in, file_issue):
    original, duplicate = file_issue(), file_issue()
    client = client_for(signed_in, "community_staff")
    data = {**form_data(html(client.get(f"/issues/{duplicate.number}/")), "action-reject"),
            "reason": "duplicate", "duplicate_of": original.number.lower()}
    response = client.post(f"/issues/{duplicate.number}/reject/", data)
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.status == Status.REJECTED and duplicate.merged_into == original
    unknown = client.post(f"/issues/{original.number}/reject/?lang=en",
                          {**data, "version": "1", "duplicate_of": "JH-19990101-0001"})
    assert unknown.status_code == 400 and "No issue JH-19990101-0001 in your area." in html(unknown)


def test_a_stale_version_gets_the_conflict_message_and_changes_nothing(signed_in, file_issue):
    issue = file_issue()
    first, second = client_for(signed_in, "community_staff"), client_for(signed_in, "community_staff")
    seen = form_data(html(second.get(f"/issues/{issue.number}/")), "action-reject")
    assert first.post(f"/issues/{issue.number}/accept/", {"version": issue.version}).status_code == 302
    before = snapshot(issue)
    late = second.post(f"/issues/{issue.number}/reject/?lang=en", {**seen, "reason": "invalid", "note": "无效"})
    assert late.status_code == 409
    assert "Someone else changed this issue just now" in html(late)
    assert 'data-status="accepted"' in html(late) and 'id="action-dispatch"' in html(late)
    assert snapshot(issue) == before


def test_after_a_conflict_what_the_user_typed_is_still_in_the_form(signed_in, file_issue):
    issue = file_issue()
    client = client_for(signed_in, "community_staff")
    response = client.post(f"/issues/{issue.number}/accept/", {"version": issue.version + 5, "note": "我来处理"})
    assert response.status_code == 409
    kept = form_data(html(response), "action-accept")
    assert kept["note"].strip() == "我来处理" and kept["version"] == str(issue.version)
    assert Issue.objects.get(pk=issue.pk).status == Status.SUBMITTED


def test_an_unknown_action_is_not_found_and_actions_need_a_post(signed_in, file_issue):
    issue = file_issue()
    client = client_for(signed_in, "community_staff")
    assert client.post(f"/issues/{issue.number}/explode/", {"version": 1}).status_code == 404
    assert client.get(f"/issues/{issue.number}/accept/").status_code == 405


def test_the_timeline_shows_every_step_with_its_people(signed_in, file_issue, advance):
    issue = advance(file_issue(), Status.CLOSED)
    page = html(client_for(signed_in, "community_staff").get(f"/issues/{issue.number}/?lang=en"))
    timeline = page.split('id="timeline"')[1]
    assert timeline.count('class="event"') == 6
    for words in ("Submit", "Accept", "Dispatch", "Report for duty", "Resolve", "Close", "东市场社区网格员",
                  "已清运，垃圾桶已消毒。", "Submitted → Accepted"):
        assert words in timeline, words


# Personal data -------------------------------------------------------------------------------------

def test_the_callers_phone_is_masked_for_staff_who_do_not_handle_the_issue(signed_in, file_issue, command_centre):
    issue = file_issue(filed_by=command_centre, channel=Channel.HOTLINE, reporter_name="王大爷",
                       reporter_phone="13812341234")
    owner = html(client_for(signed_in, "community_staff").get(f"/issues/{issue.number}/"))
    assert 'href="tel:13812341234"' in owner and "王大爷" in owner
    street = html(client_for(signed_in, "street_staff").get(f"/issues/{issue.number}/"))
    assert "138****1234" in street and "13812341234" not in street
    assert "王**" in street and "王大爷" not in street


def test_the_residents_name_is_masked_on_the_timeline_too(signed_in, file_issue):
    issue = file_issue()
    street = html(client_for(signed_in, "street_staff").get(f"/issues/{issue.number}/"))
    assert "居民张先生" not in street and "居****" in street
    assert "居民张先生" in html(client_for(signed_in, "community_staff").get(f"/issues/{issue.number}/"))


# The officers' queue -------------------------------------------------------------------------------

@pytest.fixture
def thirty_issues(file_issue):
    return [file_issue(title=f"第{n}号问题") for n in range(30)]


# session, account, categories (the filter form), the officer's area (the heading), count, one page of rows,
# then one query per related table the rows show (category with its parent, grid, community, street, handler)
QUEUE_QUERIES = 11


@pytest.mark.parametrize("size", [5, 25, 100])
def test_the_queue_runs_the_same_queries_whatever_the_page_size(signed_in, thirty_issues, advance, size,
                                                                django_assert_num_queries):
    for issue in thirty_issues[-10:]:
        advance(issue, Status.DISPATCHED)  # handlers and deadlines on some rows
    client = client_for(signed_in, "community_staff")
    with django_assert_num_queries(QUEUE_QUERIES):
        page = html(client.get(f"/work/?page_size={size}"))
    assert page.count('<li class="issue-card') == min(size, 30)
    assert "东市场社区网格员" in page  # the handler of the dispatched ones, prefetched once for the page


def test_the_queue_filters(signed_in, file_issue, advance, categories, command_centre):
    rubbish = file_issue(title="垃圾没人清")
    snow = file_issue(title="门前积雪", category=categories.get(code="snow"))
    late = advance(file_issue(title="路灯坏了", category=categories.get(code="streetlight")), Status.DISPATCHED)
    Issue.objects.filter(pk=late.pk).update(response_due="2020-01-01T00:00:00Z")
    client = client_for(signed_in, "community_staff")

    def numbers(query):
        page = html(client.get(f"/work/?{query}"))
        return {issue.number for issue in (rubbish, snow, late) if f'data-number="{issue.number}"' in page}

    assert numbers("") == {rubbish.number, snow.number, late.number}
    assert numbers("status=dispatched") == {late.number}
    assert numbers("status=submitted&status=dispatched") == {rubbish.number, snow.number, late.number}
    assert numbers("category=snow") == {snow.number}
    assert numbers("category=environment") == {rubbish.number, snow.number}
    assert numbers("overdue=yes") == {late.number}
    assert numbers("overdue=no") == {rubbish.number, snow.number}
    assert numbers("q=积雪") == {snow.number}
    assert numbers(f"q={late.number}") == {late.number}
    assert numbers(f"grid={rubbish.grid.code}") == {rubbish.number, snow.number, late.number}
    assert numbers("grid=999") == set()
    assert 'class="overdue"' in html(client.get("/work/?overdue=yes"))
    # Nonsense is ignored, not a server error; too large a page is the default page.
    assert numbers("page_size=1000&status=bogus&page=abc") == {rubbish.number, snow.number, late.number}


def test_the_queue_is_the_work_to_do_and_all_adds_what_is_finished(signed_in, file_issue, advance):
    """Without a status chosen the queue shows the open issues (待办); the tab 全部 adds the closed and
    rejected ones, and keeps the other filters; statuses chosen by hand win over both tabs."""
    waiting = file_issue(title="垃圾没人清")
    working = advance(file_issue(title="路灯坏了"), Status.RESOLVED)  # open: the community still has to verify
    done = advance(file_issue(title="井盖丢了"), Status.CLOSED)
    refused = services.issue_reject(issue=file_issue(title="重复的"), actor=account("community_staff"),
                                    reason=RejectReason.INVALID, note="不是问题")
    client = client_for(signed_in, "community_staff")

    def shown(query):
        page = html(client.get(f"/work/?{query}"))
        return {issue.title for issue in (waiting, working, done, refused) if f'data-number="{issue.number}"' in page}

    page = html(client.get("/work/"))
    assert shown("") == {"垃圾没人清", "路灯坏了"}
    assert 'id="queue-open" href="/work/" aria-current="page"' in page
    assert "2 issues" in html(client.get("/work/?lang=en"))
    assert shown("show=all") == {"垃圾没人清", "路灯坏了", "井盖丢了", "重复的"}
    assert 'id="queue-all" href="/work/?show=all" aria-current="page"' in html(client.get("/work/?show=all"))
    assert shown("show=all&q=井盖") == {"井盖丢了"}
    assert shown("q=井盖") == set()
    assert shown("status=closed") == {"井盖丢了"}  # chosen by hand
    # Filtering keeps the tab: the form carries it, and Clear goes back to the same tab.
    all_page = html(client.get("/work/?show=all&q=井盖"))
    assert '<input type="hidden" name="show" value="all"' in all_page
    assert 'href="/work/?show=all">' in all_page
    assert 'id="queue-open" href="/work/?q=%E4%BA%95%E7%9B%96"' in all_page
    assert shown("show=bogus") == {"垃圾没人清", "路灯坏了"}  # nonsense is the default


def test_the_queue_shows_only_the_officers_area(signed_in, file_issue, categories):
    elsewhere = grid_locate(lat=47.33, lng=123.93)
    assert elsewhere.community_code != account("community_staff").community.code
    from grids.boundaries import to_shape
    from grids.models import Grid

    point = to_shape(Grid.objects.get(pk=elsewhere.grid_id).boundary).representative_point()
    far = file_issue(lat=point.y, lng=point.x, title="别处的问题")
    page = html(client_for(signed_in, "community_staff").get("/work/"))
    assert far.number not in page
    assert far.number in html(client_for(signed_in, "command_centre").get("/work/"))


# Nearby issues and "me too" ------------------------------------------------------------------------

def test_nearby_returns_open_issues_of_the_category_within_100_metres(signed_in, file_issue, spot_in_officers_grid,
                                                                     garbage, categories):
    lat, lng = spot_in_officers_grid
    near = file_issue(lat=lat + 40 * DEGREES_PER_METRE, title="近处的垃圾")
    far = file_issue(lat=lat + 300 * DEGREES_PER_METRE, title="远处的垃圾")
    other_kind = file_issue(lat=lat + 20 * DEGREES_PER_METRE, category=categories.get(code="snow"))
    response = client_for(signed_in, "resident2").get("/whistle/nearby/", {"category": garbage.pk, "lat": lat,
                                                                          "lng": lng})
    assert response.status_code == 200
    found = response.json()["issues"]
    assert [row["number"] for row in found] == [near.number]
    assert found[0]["title"] == "近处的垃圾" and 35 <= found[0]["distance"] <= 45
    assert found[0]["supporters"] == 0 and found[0]["yours"] is False
    assert far.number and other_kind.number
    own = client_for(signed_in, "resident").get("/whistle/nearby/", {"category": garbage.pk, "lat": lat, "lng": lng})
    assert own.json()["issues"][0]["yours"] is True


def test_nearby_masks_phone_numbers_in_other_peoples_titles(signed_in, file_issue, spot_in_officers_grid, garbage):
    lat, lng = spot_in_officers_grid
    file_issue(lat=lat, lng=lng, title="垃圾没人清 请联系13812345678")
    query = {"category": garbage.pk, "lat": lat, "lng": lng}
    [theirs] = client_for(signed_in, "resident2").get("/whistle/nearby/", query).json()["issues"]
    assert theirs["title"] == "垃圾没人清 请联系138****5678"
    [own] = client_for(signed_in, "resident").get("/whistle/nearby/", query).json()["issues"]
    assert own["title"] == "垃圾没人清 请联系13812345678"


def test_nearby_refuses_a_malformed_question(signed_in):
    client = client_for(signed_in, "resident")
    refused = client.get("/whistle/nearby/", {"lat": "north", "lng": 123.9})
    assert refused.status_code == 400 and set(refused.json()["errors"]) == {"category", "lat"}
    assert client.get("/whistle/nearby/", {"category": 1, "lat": "nan", "lng": 123.9}).status_code == 400


def test_me_too_adds_a_voice_and_shows_the_issue_to_follow(signed_in, file_issue):
    issue = file_issue()
    neighbour = client_for(signed_in, "resident2")
    response = neighbour.post(f"/issues/{issue.number}/support/")
    assert response.status_code == 302 and response["Location"] == f"/issues/{issue.number}/"
    assert IssueSupporter.objects.filter(issue=issue, user__username="resident2").exists()
    page = neighbour.get(response["Location"])
    assert page.status_code == 200
    assert issue.number in html(page) and 'id="supporters">2<' in html(page)
    assert issue.description not in html(page) and "居民张先生" not in html(page)  # the reporter's details stay private
    again = neighbour.post(f"/issues/{issue.number}/support/")
    assert again.status_code == 409
    assert client_for(signed_in, "resident").post(f"/issues/{issue.number}/support/").status_code == 403
    assert client_for(signed_in, "community_staff").post(f"/issues/{issue.number}/support/").status_code == 403
    assert neighbour.post("/issues/JH-19990101-0001/support/").status_code == 404
    assert Issue.objects.get(pk=issue.pk).supporter_count == 1


def test_the_service_layer_is_what_refuses_a_support_on_a_closed_issue(signed_in, file_issue, advance):
    issue = advance(file_issue(), Status.CLOSED)
    response = client_for(signed_in, "resident2").post(f"/issues/{issue.number}/support/")
    assert response.status_code == 409 and 'id="refusal"' in html(response)
    assert services.Issue.objects.get(pk=issue.pk).supporter_count == 0


@pytest.mark.parametrize("tier", [Tier.COMMUNITY, Tier.STREET, Tier.DISTRICT])
def test_the_confirmation_page_names_the_unit_that_routing_gave_the_whistle(signed_in, file_issue, tier):
    from dispatch.models import RoutingRule
    from issues.models import DefaultHandler

    handler = {Tier.COMMUNITY: DefaultHandler.GRID_OFFICER, Tier.STREET: DefaultHandler.STREET,
               Tier.DISTRICT: DefaultHandler.DEPARTMENT}[tier]
    department = Department.objects.first() if tier == Tier.DISTRICT else None
    RoutingRule.objects.create(name="测试", owner_tier=tier, default_handler=handler, department=department, order=1)
    issue = file_issue()
    assert issue.owner_tier == tier
    page = html(client_for(signed_in, "resident").get(f"/whistle/filed/{issue.number}/"))
    expected = {Tier.COMMUNITY: issue.community.name, Tier.STREET: issue.street.name,
                Tier.DISTRICT: "区指挥中心"}[tier]
    assert f"{expected}将负责办理" in page or f"{expected} will take it up" in page
    others = {issue.community.name, issue.street.name, "区指挥中心"} - {expected}
    assert not any(f"{name}将负责办理" in page or f"{name} will take it up" in page for name in others)


def test_rating_is_offered_once_per_closing_on_the_page_and_in_the_api(signed_in, file_issue, advance, resident):
    issue = advance(file_issue(), Status.CLOSED)
    client = client_for(signed_in, "resident")
    assert 'id="action-rate"' in html(client.get(f"/issues/{issue.number}/"))
    assert "rate" in client.get(f"/api/v1/issues/{issue.pk}/").json()["actions"]
    services.issue_rate(issue=issue, actor=resident, rating=Rating.SATISFIED)
    page = html(client.get(f"/issues/{issue.number}/"))
    assert 'id="action-rate"' not in page
    assert "rate" not in client.get(f"/api/v1/issues/{issue.pk}/").json()["actions"]
