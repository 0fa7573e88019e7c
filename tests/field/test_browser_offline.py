"""The field app offline, in a real browser (Debian's Chromium driven by Playwright) on a 412 px phone: the
grid officer opens /field/ once online, the network is cut (``context.set_offline(True)``), the page still
renders from the service worker's cache, two patrol reports with photos and one visit are made offline and
wait on the phone ("待同步"); when the network returns they are sent, once each: the server has two whistles
and one visit, and sending everything again (the same Idempotency-Keys) adds nothing. A check answered offline
that the community overtook meanwhile comes back refused, with the reason and everything typed.
Each step leaves var/screenshots/field-<step>.png.
"""
import io
from pathlib import Path

import pytest
from PIL import Image

from field.models import Visit
from grids.boundaries import to_shape
from grids.models import User
from issues import services
from issues.lifecycle import Status
from issues.models import Channel, Issue, IssuePhoto
from tests.conftest import DEMO_PASSWORD
from tests.issues.conftest import advance, categories, file_issue, garbage, spot_in_officers_grid  # noqa: F401
from tests.stats.test_browser_dashboard import PHONE, browser, sign_in  # noqa: F401

pytestmark = [pytest.mark.browser]
SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "var" / "screenshots"


def screenshot(page, step):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("() => window.scrollTo(0, 0)")  # the sticky bar at the top of the whole-page picture
    page.screenshot(path=SCREENSHOTS / f"field-{step}.png", full_page=True)


def photo_file(name, colour, size=(2400, 1800), taken_at=None):
    """A camera-sized JPEG carrying EXIF (a camera make, an orientation and, given ``taken_at`` = (lat, lng),
    where it was taken), larger than the page's limit."""
    output = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    exif[0x0112] = 1  # Orientation
    if taken_at:
        gps = exif.get_ifd(0x8825)
        for ref, value, tag in (("N", taken_at[0], 2), ("E", taken_at[1], 4)):
            degrees, rest = int(value), (value - int(value)) * 60
            gps[tag - 1], gps[tag] = ref, (float(degrees), float(int(rest)), round((rest - int(rest)) * 60, 4))
    Image.new("RGB", size, colour).save(output, format="JPEG", exif=exif.tobytes(), quality=90)
    return {"name": name, "mimeType": "image/jpeg", "buffer": output.getvalue()}


def officer_phone(browser, live_server, next_url="/field/"):  # noqa: F811
    officer = User.objects.select_related("grid").get(username="grid_officer")
    spot = to_shape(officer.grid.boundary).representative_point()
    device = {**PHONE, "geolocation": {"latitude": spot.y, "longitude": spot.x, "accuracy": 8},
              "permissions": ["geolocation"]}
    page = sign_in(browser, live_server, "grid_officer", next_url, device=device)
    # The strict Content-Security-Policy stays on: whatever it blocks shows on the console.
    page.blocked = []
    page.on("console", lambda message: page.blocked.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.reload()
    page.wait_for_selector('body[data-sw="ready"]')
    page.wait_for_selector('body[data-outbox-ready="1"]')
    return page


def file_patrol_report(page, text, category, colour):
    page.wait_for_selector('#report-form[data-located="1"]')  # the phone's position
    page.wait_for_selector('#report-position[data-inside="1"]')  # in the officer's grid
    page.set_input_files("#report-photos", photo_file(f"{category}.jpg", colour))
    page.select_option("#report-category", category)
    page.fill("#report-text", text)
    page.click("#report-submit")
    page.wait_for_selector('#form-message[data-kind="saved"]')


def queued(page, count):
    page.wait_for_selector(f'body[data-outbox-pending="{count}"]')
    assert page.locator('.outbox-item[data-state="queued"]').count() == count


def test_offline_reports_and_a_visit_sync_once_each(transactional_db, demo_district, categories, live_server,
                                                    browser, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ISSUE_PHOTO_MAX_SIDE_PX = 1280
    officer = User.objects.get(username="grid_officer")
    page = officer_phone(browser, live_server)
    screenshot(page, "01-today-online")

    # The network is cut: the page still opens, from the service worker's cache.
    page.context.set_offline(True)
    page.reload()
    page.wait_for_selector("#go-report")
    page.wait_for_selector('#network[data-online="0"]')
    screenshot(page, "02-today-offline")
    # The service worker is offline too: a page it never kept opens as Today, its fallback.
    page.goto(f"{live_server.url}/field/checks/999999/")
    page.wait_for_selector("#go-report")
    page.goto(f"{live_server.url}/field/")

    # Two patrol reports with photos, offline.
    page.click("#go-report")
    page.wait_for_selector("#report-form")
    file_patrol_report(page, "单元门口堆放装修垃圾，堵住消防通道。", "garbage", (120, 90, 60))
    queued(page, 1)
    screenshot(page, "03-report-queued")
    file_patrol_report(page, "路灯不亮，晚上居民出行不便。", "streetlight", (40, 40, 90))
    queued(page, 2)
    assert page.locator('.outbox-item[data-kind="report"]').count() == 2

    # And a visit, with a concern to file as a whistle.
    page.goto(f"{live_server.url}/field/visit/")
    page.wait_for_selector("#visit-form")
    unit = page.locator("#visit-unit option[value]:not([value=''])").first.get_attribute("value")
    page.select_option("#visit-unit", unit)
    page.fill("#visit-room", "301")
    page.fill("#visit-name", "王阿姨")
    page.fill("#visit-raised", "楼道灯坏了两周，老人上下楼不方便。")
    page.click("#add-concern")
    page.select_option("[data-concern] [data-concern-kind]", "whistle")
    page.select_option("[data-concern] select[data-concern-category]", "streetlight")
    page.fill("[data-concern] [data-concern-text]", "3单元楼道灯不亮")
    page.set_input_files("#visit-photos", photo_file("楼道.jpg", (200, 200, 180)))
    page.click("#visit-submit")
    page.wait_for_selector('#form-message[data-kind="saved"]')
    queued(page, 3)
    screenshot(page, "04-visit-queued")

    # Nothing reached the server while offline.
    patrol_issues = Issue.objects.filter(channel=Channel.GRID_PATROL, filed_by=officer)
    assert patrol_issues.count() == 0 and Visit.objects.count() == 0

    # The network returns: everything is sent, once.
    page.context.set_offline(False)
    page.wait_for_selector('body[data-outbox-pending="0"][data-outbox-done="3"]')
    screenshot(page, "05-synced")
    assert patrol_issues.count() == 2
    assert set(patrol_issues.values_list("category__code", flat=True)) == {"garbage", "streetlight"}
    for issue in patrol_issues:
        assert issue.status == Status.SUBMITTED and issue.grid_id == officer.grid_id
        photo, = IssuePhoto.objects.filter(issue=issue)
        width, height = Image.open(photo.image.path).size
        assert max(width, height) <= 1280
    visit = Visit.objects.get()
    assert visit.officer_id == officer.pk and visit.room == "301" and str(visit.unit_id) == unit
    assert visit.concerns.get().issue.channel == Channel.VISIT
    numbers = set(patrol_issues.values_list("number", flat=True))
    shown = {page.locator('.outbox-item[data-kind="report"] .outbox-result').nth(i).inner_text() for i in range(2)}
    assert all(any(number in text for text in shown) for number in numbers)

    # A second sync, and even sending everything again with the same keys, files nothing twice.
    page.click("#sync-now")
    page.evaluate("""() => FieldOutbox.all().then(items => Promise.all(items.map(item => FieldOutbox.replace(item.id, {}))))
                       .then(() => FieldOutbox.sync())""")
    page.wait_for_selector('body[data-outbox-pending="0"][data-outbox-done="3"]')
    assert patrol_issues.count() == 2 and Visit.objects.count() == 1
    assert Issue.objects.filter(channel=Channel.VISIT).count() == 1
    screenshot(page, "06-second-sync")
    assert page.blocked == []
    page.context.close()


def test_photos_are_shrunk_on_the_phone_keeping_their_exif(transactional_db, demo_district, categories,
                                                            live_server, browser, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ISSUE_PHOTO_MAX_SIDE_PX = 1000
    page = officer_phone(browser, live_server, "/field/report/")
    page.set_input_files("#report-photos", photo_file("大图.jpg", (10, 120, 10), size=(3000, 2000)))
    shrunk = page.evaluate("""() => {
        const file = document.getElementById("report-photos").files[0];
        return FieldPhotos.shrink(file, 1000).then(small => small.blob.arrayBuffer()).then(buffer => {
            const bytes = new Uint8Array(buffer);
            return createImageBitmap(new Blob([bytes])).then(image => ({
                width: image.width, height: image.height, size: bytes.length,
                exif: FieldPhotos.exifSegment(bytes) !== null }));
        });
    }""")
    assert (shrunk["width"], shrunk["height"]) == (1000, 667)
    assert shrunk["exif"], "the EXIF segment is spliced back for the server to read"

    # Filed, the server reads where the shrunk photo was taken (then strips it, as for any upload).
    officer = User.objects.select_related("grid").get(username="grid_officer")
    spot = to_shape(officer.grid.boundary).representative_point()
    page.set_input_files("#report-photos", photo_file("井盖.jpg", (60, 60, 60), size=(3000, 2000),
                                                      taken_at=(spot.y, spot.x)))
    page.wait_for_selector('#report-position[data-inside="1"]')
    # A position outside the grid is said so (the server decides whether it may be filed).
    page.context.set_geolocation({"latitude": spot.y + 0.05, "longitude": spot.x + 0.05, "accuracy": 10})
    page.click("#my-position")
    page.wait_for_selector('#report-position[data-inside="0"]')
    page.context.set_geolocation({"latitude": spot.y, "longitude": spot.x, "accuracy": 10})
    page.click("#my-position")
    page.wait_for_selector('#report-position[data-inside="1"]')
    page.select_option("#report-category", "manhole")
    page.fill("#report-text", "井盖缺失，有人掉下去的危险")
    page.click("#report-submit")
    page.wait_for_selector('body[data-outbox-pending="0"][data-outbox-done="1"]')
    photo = IssuePhoto.objects.get(issue__filed_by=officer, issue__channel=Channel.GRID_PATROL)
    assert max(photo.width, photo.height) <= 1000
    assert abs(photo.taken_lat - spot.y) < 1e-4 and abs(photo.taken_lng - spot.x) < 1e-4
    assert "exif" not in Image.open(photo.image.path).info
    page.context.close()


def test_an_answer_the_issue_outran_comes_back_refused_with_everything_typed(
        transactional_db, demo_district, categories, live_server, browser, file_issue, community_staff):  # noqa: F811
    officer = User.objects.get(username="grid_officer")
    issue = file_issue()
    check = services.issue_check_ask(issue=issue, actor=community_staff, kind="verify", officer=officer)
    page = officer_phone(browser, live_server)
    page.click(f'[data-check="{check.pk}"] a')
    page.wait_for_selector("#check-form")

    # Offline, the officer answers; meanwhile the community accepts the whistle without waiting.
    page.context.set_offline(True)
    page.check("input[name=outcome][value=not_found]")
    page.fill("#check-note", "现场没有发现堆放的垃圾")
    page.click("#check-submit")
    queued(page, 1)
    services.issue_accept(issue=Issue.objects.get(pk=issue.pk), actor=community_staff)

    page.context.set_offline(False)
    page.wait_for_selector('.outbox-item[data-state="refused"] .outbox-reason')
    assert page.locator('body[data-outbox-refused="1"]').count() == 1
    screenshot(page, "07-refused")

    # Opened again, the answer is as typed, with the server's reason beside it.
    page.click(".outbox-item[data-state=refused] .outbox-edit")
    page.wait_for_selector('#form-message[data-kind="refused"]')
    assert page.input_value("#check-note") == "现场没有发现堆放的垃圾"
    assert page.is_checked("input[name=outcome][value=not_found]")
    screenshot(page, "08-refused-opened")
    page.context.close()


def test_a_day_of_whistles_fixes_tiles_and_a_patrol(transactional_db, demo_district, categories, live_server,
                                                    browser, settings, tmp_path, file_issue, advance):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "media"
    # A base map of the site's own (any same-origin image does): the tiles of the officer's grid are kept.
    settings.MAP_TILE_URL = "/static/field/icons/icon-192.png?tile={z}/{x}/{y}"
    officer = User.objects.select_related("grid").get(username="grid_officer")
    whistle = advance(file_issue(title="东门垃圾满了"), Status.DISPATCHED)
    assert whistle.handler_id == officer.pk
    page = officer_phone(browser, live_server)
    for _ in range(50):
        kept = page.evaluate("() => caches.open('field-tiles').then(cache => cache.keys()).then(keys => keys.length)")
        if kept:
            break
        page.wait_for_timeout(100)
    assert kept > 0, "the tiles of the grid are kept for offline use"

    # Today's whistles are kept too: with no network the officer opens one, reports for duty and resolves it;
    # both are sent, in that order, when the network returns.
    whistle_page = f"{live_server.url}/field/issues/{whistle.pk}/"
    for _ in range(50):
        if page.evaluate("url => caches.open('field-pages').then(cache => cache.match(url)).then(Boolean)", whistle_page):
            break
        page.wait_for_timeout(100)
    page.context.set_offline(True)
    page.click(f'#dispatched [data-number="{whistle.number}"] a')
    page.wait_for_selector("#resolve-form")
    page.click("#respond-submit")
    page.wait_for_selector('body[data-outbox-pending="1"]')
    page.fill("#resolve-result", "已清运，垃圾桶已冲洗。")
    page.set_input_files("#resolve-photos", photo_file("清运后.jpg", (90, 160, 90)))
    page.click("#resolve-submit")
    queued(page, 2)
    screenshot(page, "09-whistle-queued")
    page.context.set_offline(False)
    page.wait_for_selector('body[data-outbox-pending="0"][data-outbox-done="2"]')
    whistle.refresh_from_db()
    assert whistle.status == Status.RESOLVED and whistle.result == "已清运，垃圾桶已冲洗。"
    assert IssuePhoto.objects.filter(issue=whistle, kind="evidence").count() == 1

    # Fixed on the spot: filed and resolved in one step, with the photos before and after.
    page.goto(f"{live_server.url}/field/report/")
    page.check("#fixed-on-spot")
    page.fill("#report-result", "当场清理了楼道杂物")
    page.set_input_files("#report-after", photo_file("之后.jpg", (200, 210, 220)))
    file_patrol_report(page, "楼道堆放杂物", "littering", (90, 60, 30))
    page.wait_for_selector('body[data-outbox-pending="0"]')
    fixed = Issue.objects.get(channel=Channel.GRID_PATROL, filed_by=officer)
    assert fixed.status == Status.RESOLVED
    assert sorted(IssuePhoto.objects.filter(issue=fixed).values_list("kind", flat=True)) == ["evidence", "report"]
    screenshot(page, "10-fixed-on-the-spot")

    # A patrol: positions are sampled while the page is open and sent when it ends.
    page.goto(f"{live_server.url}/field/patrol/")
    page.wait_for_selector('#patrol[data-state="recording"]')
    spot = to_shape(officer.grid.boundary).representative_point()
    page.context.set_geolocation({"latitude": spot.y + 0.0003, "longitude": spot.x, "accuracy": 10})
    page.wait_for_selector('#patrol[data-points="2"]')
    screenshot(page, "11-patrol")
    page.click("#patrol-stop")
    page.wait_for_url(f"{live_server.url}/field/")
    page.wait_for_selector('body[data-outbox-pending="0"]')
    from field.models import PatrolPoint

    assert PatrolPoint.objects.filter(track__officer=officer).count() == 2
    assert page.blocked == []
    page.context.close()


def test_a_server_in_trouble_keeps_the_report_queued(transactional_db, demo_district, categories, live_server,
                                                     browser, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "media"
    officer = User.objects.get(username="grid_officer")
    page = officer_phone(browser, live_server, "/field/report/")
    answered = []

    def bad_gateway(route):
        answered.append(route.request.method)
        route.fulfill(status=502, body="<html>502 Bad Gateway</html>", content_type="text/html")

    page.route("**/api/v1/issues/", bad_gateway)
    file_patrol_report(page, "垃圾桶倾倒", "garbage", (100, 100, 100))
    for _ in range(50):
        if answered:
            break
        page.wait_for_timeout(100)
    assert answered == ["POST"]
    queued(page, 1)  # a 5xx is the server's trouble: tried again, not refused
    assert not Issue.objects.filter(filed_by=officer).exists()

    page.unroute("**/api/v1/issues/")
    page.click("#sync-now")
    page.wait_for_selector('body[data-outbox-pending="0"][data-outbox-done="1"]')
    assert Issue.objects.filter(filed_by=officer, channel=Channel.GRID_PATROL).count() == 1
    page.context.close()


def test_a_report_whose_sign_in_ran_out_waits_for_the_officer_to_sign_in_again(
        transactional_db, demo_district, categories, live_server, browser, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "media"
    officer = User.objects.get(username="grid_officer")
    page = officer_phone(browser, live_server, "/field/report/")
    page.context.set_offline(True)
    file_patrol_report(page, "井盖缺失", "garbage", (90, 90, 90))
    queued(page, 1)
    page.context.clear_cookies()  # days offline: the session ran out meanwhile
    page.context.set_offline(False)
    page.wait_for_selector("#signed-out:not([hidden])")
    queued(page, 1)  # not refused: nothing to change, only to sign in again
    assert page.locator('.outbox-item[data-state="refused"]').count() == 0
    assert not Issue.objects.filter(filed_by=officer).exists()
    screenshot(page, "12-signed-out")

    page.click("#signed-out a")
    page.fill("#id_username", "grid_officer")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector('body[data-outbox-pending="0"][data-outbox-done="1"]')
    assert page.locator("#signed-out").is_hidden()
    assert Issue.objects.filter(filed_by=officer, channel=Channel.GRID_PATROL).count() == 1
    page.context.close()


def test_a_refused_report_is_changed_and_sent_again_with_its_photos(
        transactional_db, demo_district, categories, live_server, browser, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "media"
    officer = User.objects.get(username="grid_officer")
    page = officer_phone(browser, live_server, "/field/report/")
    registration = page.evaluate("() => navigator.serviceWorker.getRegistration().then(r => [r.scope, "
                                 "navigator.serviceWorker.controller.scriptURL])")
    assert registration == [f"{live_server.url}/field/", f"{live_server.url}/field/sw.js"]

    # Filed offline in a category the district switches off meanwhile: the server refuses it (400).
    page.context.set_offline(True)
    file_patrol_report(page, "小区门口积雪没人清", "snow", (230, 230, 240))
    categories.filter(code="snow").update(is_active=False)
    page.context.set_offline(False)
    page.wait_for_selector('.outbox-item[data-state="refused"]')
    assert "category" in page.inner_text(".outbox-item[data-state=refused] .outbox-reason")

    # Opened again: the text, the pin and the photo are still there; another category, and it goes.
    page.click(".outbox-item[data-state=refused] .outbox-edit")
    page.wait_for_selector('#form-message[data-kind="refused"]')
    assert page.input_value("#report-text") == "小区门口积雪没人清"
    assert page.inner_text('[data-photos-note="photos"]').strip() != ""
    page.select_option("#report-category", "littering")
    page.click("#report-submit")
    page.wait_for_selector('body[data-outbox-pending="0"][data-outbox-refused="0"][data-outbox-done="1"]')
    issue = Issue.objects.get(filed_by=officer, channel=Channel.GRID_PATROL)
    assert issue.category.code == "littering" and issue.description == "小区门口积雪没人清"
    assert IssuePhoto.objects.filter(issue=issue).count() == 1
    page.context.close()


def test_on_a_gcj02_base_map_the_report_keeps_the_phones_wgs84_point(
        transactional_db, demo_district, categories, live_server, browser, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MAP_PROVIDER = "amap"  # drawn in GCJ-02 (no tiles in tests; the coordinate system stays)
    officer = User.objects.select_related("grid").get(username="grid_officer")
    spot = to_shape(officer.grid.boundary).representative_point()
    page = officer_phone(browser, live_server, "/field/report/")
    file_patrol_report(page, "人行道地砖破损", "road", (120, 120, 120))
    page.wait_for_selector('body[data-outbox-pending="0"][data-outbox-done="1"]')
    issue = Issue.objects.get(filed_by=officer, channel=Channel.GRID_PATROL)
    # Stored as the phone said (WGS-84), though the pin is drawn about 550 m east on the GCJ-02 map.
    assert abs(issue.lat - spot.y) < 1e-5 and abs(issue.lng - spot.x) < 1e-5
    drawn = page.evaluate("() => { let p = null; window.reportMap.eachLayer(l => { if (l.getLatLng && l.dragging) "
                          "p = l.getLatLng(); }); return [p.lat, p.lng]; }")
    assert 0.004 < drawn[1] - spot.x < 0.01 and 0.0005 < drawn[0] - spot.y < 0.004
    page.context.close()
