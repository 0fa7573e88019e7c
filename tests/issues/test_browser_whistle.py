"""The whole story of one whistle in a real browser (Debian's Chromium driven by Playwright), on a phone:
the resident files it on the map with a photo, the community accepts and dispatches it, the grid
officer reports for duty and resolves it, the community crosses it off and the resident rates it.
Each step leaves a screenshot in var/screenshots/whistle-<step>.png.
"""
import io
from pathlib import Path

import pytest
from PIL import Image

from grids.boundaries import to_shape
from grids.models import Grid, User
from issues.lifecycle import Status
from issues.models import Issue, IssuePhoto, IssueSupporter, Rating
from tests.conftest import DEMO_PASSWORD, require_tool

pytestmark = [pytest.mark.browser]
SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "var" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
PHONE = {"viewport": {"width": 412, "height": 860}, "device_scale_factor": 2, "locale": "en-US"}
TIMEOUT_MS = 15_000


@pytest.fixture
def browser(monkeypatch, settings, tmp_path):
    require_tool(CHROMIUM)
    from playwright.sync_api import sync_playwright

    # Photos land in a temporary media directory; the pages serve them through a checked view.
    settings.MEDIA_ROOT = tmp_path / "media"
    # Playwright's sync API keeps an event loop running in this thread; the ORM calls the test makes
    # meanwhile are ordinary blocking calls, which Django would otherwise refuse.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # While Playwright's loop runs, Django keys its connections by that context, so ORM calls made
        # by the test opened connections of their own: close them here, in the same context.
        from django.db import connections

        connections.close_all()


def photo_file(name, colour):
    output = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(output, format="JPEG")
    return {"name": name, "mimeType": "image/jpeg", "buffer": output.getvalue()}


def screenshot(page, step):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"whistle-{step}.png", full_page=True)


def sign_in(browser, live_server, username, next_url):
    """A fresh phone (browser context) with ``username`` signed in through the login page, at next_url."""
    page = browser.new_context(**PHONE).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{live_server.url}/accounts/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}{next_url}")
    return page


def tap_map_at(page, lat, lng, zoom=16):
    """Zoom the filing map to the point, as a resident would, then tap it."""
    x, y = page.evaluate(
        """([lat, lng, zoom]) => {
            window.whistleMap.setView([lat, lng], zoom, { animate: false });
            const p = window.whistleMap.latLngToContainerPoint([lat, lng]);
            return [p.x, p.y];
        }""",
        [lat, lng, zoom],
    )
    page.locator("#whistle-map").click(position={"x": x, "y": y})


def act(page, action, status):
    """Submit the action form on the issue page and wait for the issue to reach ``status``."""
    page.click(f"#action-{action} button[type=submit]")
    page.wait_for_selector(f'article.issue-page[data-status="{status}"]')


def test_a_whistle_from_the_map_to_the_residents_rating(transactional_db, demo_district, categories, live_server,
                                                       browser):
    garbage = categories.get(code="garbage")
    grid = Grid.objects.select_related("community__street").get(name="东市场社区第1网格")
    point = to_shape(grid.boundary).representative_point()
    grid_officer = User.objects.get(username="grid_officer")

    # The resident signs in on their phone and opens the whistle form.
    login = browser.new_context(**PHONE).new_page()
    login.goto(f"{live_server.url}/accounts/login/?next=/whistle/new/")
    login.fill("#id_username", "resident")
    screenshot(login, "01-login")
    login.context.close()
    resident = sign_in(browser, live_server, "resident", "/whistle/new/")
    resident.wait_for_selector('body[data-grids-loaded="840"]')

    # A tap outside the district is refused before anything is sent.
    resident.locator("#whistle-map").click(position={"x": 3, "y": 3})
    resident.wait_for_selector("#whistle-place .outside")
    assert resident.is_disabled("#whistle-submit")

    tap_map_at(resident, point.y, point.x)
    resident.wait_for_selector("#whistle-place .grid-name")
    place = resident.inner_text("#whistle-place")
    assert "东市场社区第1网格" in place and "东市场社区" in place and "中华街道" in place
    assert resident.is_enabled("#whistle-submit")
    resident.select_option("#id_category", str(garbage.pk))
    resident.fill("#id_title", "东门垃圾三天没人清")
    resident.fill("#id_description", "小区东门垃圾桶满了，垃圾堆到路上，气味很大。")
    resident.fill("#id_address", "东市场社区东门")
    resident.set_input_files("#id_photos", photo_file("东门.jpg", (110, 140, 80)))
    resident.wait_for_selector("#photo-count:not(:empty)")
    screenshot(resident, "02-new")

    resident.click("#whistle-submit")
    resident.wait_for_url("**/whistle/filed/*/")
    number = resident.inner_text("#tracking-number").strip()
    issue = Issue.objects.get(number=number)
    assert issue.status == Status.SUBMITTED and issue.grid_id == grid.pk and issue.reporter.username == "resident"
    assert IssuePhoto.objects.filter(issue=issue).count() == 1
    screenshot(resident, "03-filed")
    resident.goto(f"{live_server.url}/whistle/mine/")
    assert number in resident.inner_text("#my-whistles")
    screenshot(resident, "04-mine")

    # A neighbour about to file the same thing sees it nearby and adds their voice instead.
    neighbour = sign_in(browser, live_server, "resident2", "/whistle/new/")
    neighbour.wait_for_selector('body[data-grids-loaded="840"]')
    tap_map_at(neighbour, point.y, point.x)
    neighbour.select_option("#id_category", str(garbage.pk))
    neighbour.wait_for_selector(f'.nearby-issue[data-number="{number}"] .me-too')
    screenshot(neighbour, "05-nearby")
    neighbour.click(f'.nearby-issue[data-number="{number}"] .me-too')
    neighbour.wait_for_url(f"**/issues/{number}/")
    assert IssueSupporter.objects.filter(issue=issue, user__username="resident2").exists()
    screenshot(neighbour, "06-me-too")
    neighbour.context.close()

    # The community accepts it and dispatches it to the grid officer.
    community = sign_in(browser, live_server, "community_staff", "/work/")
    assert number in community.inner_text("#queue")
    screenshot(community, "07-queue")
    community.goto(f"{live_server.url}/work/?status=submitted&overdue=no")
    assert community.is_visible("#queue-filters") and number in community.inner_text("#queue")
    screenshot(community, "07-queue-filtered")
    community.goto(f"{live_server.url}/work/file/")
    community.wait_for_selector('body[data-grids-loaded="840"]')
    screenshot(community, "07-file-for-a-caller")
    community.goto(f"{live_server.url}/work/")
    community.click(f'#queue [data-number="{number}"] a')
    community.wait_for_selector('article.issue-page[data-status="submitted"]')
    community.wait_for_selector("#issue-map .leaflet-marker-icon")
    screenshot(community, "08-submitted")
    act(community, "accept", Status.ACCEPTED)
    community.select_option("#action-dispatch select[name=handler]", str(grid_officer.pk))
    community.fill("#action-dispatch textarea[name=note]", "请今天下班前清运")
    act(community, "dispatch", Status.DISPATCHED)
    assert "东市场社区网格员" in community.inner_text("#handler")
    screenshot(community, "09-dispatched")

    # The grid officer reports for duty and resolves it with a photo of the result.
    officer = sign_in(browser, live_server, "grid_officer", f"/issues/{number}/")
    officer.fill("#action-respond textarea[name=note]", "已到现场")
    act(officer, "respond", Status.RESPONDED)
    officer.fill("#action-resolve textarea[name=result]", "已联系环卫清运，垃圾桶已消毒。")
    officer.set_input_files("#action-resolve input[name=photos]", photo_file("清运后.jpg", (200, 200, 210)))
    act(officer, "resolve", Status.RESOLVED)
    assert "已联系环卫清运" in officer.inner_text("#timeline")
    officer.wait_for_selector("#timeline img.thumb")
    screenshot(officer, "10-resolved")

    # The community checks and crosses it off.
    community.reload()
    act(community, "close", Status.CLOSED)
    screenshot(community, "11-closed")

    # The resident rates it 满意.
    resident.goto(f"{live_server.url}/issues/{number}/")
    resident.check(f'#action-rate input[name=rating][value="{Rating.SATISFIED}"]')
    resident.fill("#action-rate textarea[name=comment]", "处理很及时，谢谢！")
    screenshot(resident, "12-rate")
    act(resident, "rate", Status.CLOSED)
    resident.wait_for_selector("#rating")
    screenshot(resident, "13-rated")

    issue.refresh_from_db()
    assert issue.status == Status.CLOSED and issue.rating == Rating.SATISFIED
    assert issue.handler_id == grid_officer.pk and issue.result == "已联系环卫清运，垃圾桶已消毒。"
    assert list(issue.events.values_list("action", flat=True)) == [
        "submit", "support", "accept", "dispatch", "respond", "resolve", "close", "rate"]
    assert IssuePhoto.objects.filter(issue=issue, kind="evidence").count() == 1
