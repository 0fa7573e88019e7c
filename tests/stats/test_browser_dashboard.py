"""The dashboard in a real browser (Debian's Chromium driven by Playwright): a district leader opens it,
the charts and the map are drawn from the API, and the leader drills down district → street → community
→ grid, on the map and through the map's table; at each step the headline, the KPI cards, the counts of now,
the trend and the breakdown are the place's. Each step leaves var/screenshots/dashboard-<step>.png, and the
screenshots are checked not to be blank.
"""
import datetime
from pathlib import Path
from urllib.parse import quote

import pytest
import time_machine
from django.utils import timezone
from PIL import Image

from grids.boundaries import to_shape
from grids.models import Grid, Street
from issues import services
from issues.lifecycle import OPEN_STATUSES
from issues.models import Issue, Rating
from tests.conftest import DEMO_PASSWORD, require_tool
from tests.dispatch.conftest import deadline_rules, routing_rules  # noqa: F401
from tests.issues.conftest import categories, file_issue, garbage, spot_in_officers_grid  # noqa: F401

pytestmark = [pytest.mark.browser]
SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "var" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "device_scale_factor": 1, "locale": "zh-CN"}
PHONE = {"viewport": {"width": 412, "height": 860}, "device_scale_factor": 2, "locale": "zh-CN"}
TIMEOUT_MS = 20_000


@pytest.fixture
def browser(monkeypatch):
    require_tool(CHROMIUM)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the ORM calls the test makes
    # meanwhile are ordinary blocking calls, which Django would otherwise refuse.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # While Playwright's loop runs, Django keys its connections by that context: close the ones the
        # test's ORM calls opened, in the same context.
        from django.db import connections

        connections.close_all()


def screenshot(page, step) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"dashboard-{step}.png"
    page.screenshot(path=path, full_page=True)
    return path


def sign_in(browser, live_server, username, next_url, device=DESKTOP):
    page = browser.new_context(**device).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{live_server.url}/accounts/login/?next={quote(next_url, safe='/')}")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}{next_url}")
    return page


def assert_drawn(path: Path, page, selector: str):
    """The screenshot is not blank, and the element's area in it (a chart's canvas, the map) is not uniform."""
    image = Image.open(path).convert("RGB")
    assert len(image.getcolors(maxcolors=1 << 20) or []) > 50, f"{path.name} looks blank"
    box = page.locator(selector).bounding_box()
    scroll = page.evaluate("() => [window.scrollX, window.scrollY]")
    scale = image.width / page.viewport_size["width"]
    left, top = (box["x"] + scroll[0]) * scale, (box["y"] + scroll[1]) * scale
    area = image.crop((int(left), int(top), int(left + box["width"] * scale), int(top + box["height"] * scale)))
    colours = area.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 8, f"{selector} in {path.name} is uniform: {colours[:5]}"


def click_map_at(page, lat, lng):
    """Click the dashboard's map where the point is (the map shows it after each drill)."""
    x, y = page.evaluate(
        """([lat, lng]) => {
            const p = window.dashboardMap.latLngToContainerPoint([lat, lng]);
            return [p.x, p.y];
        }""",
        [lat, lng],
    )
    page.locator("#dashboard-map").click(position={"x": x, "y": y})


def wait_for_figures_of(page, area: str):
    """Wait until the headline and cards, the trend and the breakdown answer for ``area`` ("-": the user's own)."""
    page.wait_for_selector(f'body[data-summary-loaded="1"][data-summary-area="{area}"]')
    page.wait_for_selector(f'body[data-trend-area="{area}"]')
    page.wait_for_selector(f'body[data-breakdown-area="{area}"]')


def card(page, key) -> int:
    return int(page.inner_text(f"#kpi-{key} .kpi-value").replace(",", ""))


def _at(start, minutes, step):
    with time_machine.travel(start + datetime.timedelta(minutes=minutes), tick=False):
        return step()


def whistles(file_issue, resident, community_staff, grid_officer, today):  # noqa: F811
    """Issues over the last four months in grids of every street, and a few in the officer's grid that go
    all the way to a rating, so that every chart, the map and the ranking have figures."""
    s = services
    streets = list(Street.objects.order_by("code"))
    spots = []
    for street in streets:
        grids = Grid.objects.filter(community__street=street).order_by("code")
        spots += [to_shape(g.boundary).representative_point() for g in (grids[0], grids[7], grids[len(grids) // 2])]
    now = timezone.localtime()
    for index, point in enumerate(spots):
        for days_ago in (3 + index, 24 + 2 * index, 55 + index, 90 + index % 20)[: 1 + index % 4]:
            moment = now - datetime.timedelta(days=days_ago, hours=index % 5)
            with time_machine.travel(moment, tick=False):
                file_issue(lat=point.y, lng=point.x)
    for days_ago, rating in ((5, Rating.SATISFIED), (33, Rating.SATISFIED), (40, Rating.BASICALLY_SATISFIED),
                             (70, Rating.DISSATISFIED), (100, Rating.SATISFIED)):
        start = now - datetime.timedelta(days=days_ago)
        issue = _at(start, 0, file_issue)
        issue = _at(start, 10, lambda i=issue: s.issue_accept(issue=i, actor=community_staff))
        issue = _at(start, 20, lambda i=issue: s.issue_dispatch(issue=i, actor=community_staff, handler=grid_officer))
        issue = _at(start, 40, lambda i=issue: s.issue_respond(issue=i, actor=grid_officer))
        issue = _at(start, 300, lambda i=issue: s.issue_resolve(issue=i, actor=grid_officer, result="已处理"))
        issue = _at(start, 600, lambda i=issue: s.issue_close(issue=i, actor=community_staff))
        _at(start, 1500, lambda i=issue, r=rating: s.issue_rate(issue=i, actor=resident, rating=r))
    return today - datetime.timedelta(days=120)


def test_a_leader_drills_down_from_the_district_to_a_grid(transactional_db, demo_district, categories,  # noqa: F811
                                                          deadline_rules, routing_rules, file_issue,  # noqa: F811
                                                          resident, community_staff, grid_officer, live_server,
                                                          browser):
    today = timezone.localdate()
    start = whistles(file_issue, resident, community_staff, grid_officer, today)
    grid = Grid.objects.select_related("community__street").get(pk=grid_officer.grid_id)
    community, street = grid.community, grid.community.street
    point = to_shape(grid.boundary).representative_point()

    filed = Issue.objects.filter(created_at__date__range=(start, today))
    in_street, in_community, in_grid = (filed.filter(street=street).count(), filed.filter(community=community).count(),
                                        filed.filter(grid=grid).count())
    assert filed.count() > in_street > in_grid > 5  # else the steps below could not tell the areas apart

    url = f"/dashboard/?period=custom&start={start:%Y-%m-%d}&end={today:%Y-%m-%d}"
    page = sign_in(browser, live_server, "leader", url)
    # The district: headline, KPI cards, both charts drawn on their canvases, the streets on the map.
    wait_for_figures_of(page, "-")
    page.wait_for_selector('#trend-chart[data-drawn="1"] canvas')
    page.wait_for_selector('#breakdown-chart[data-drawn="1"] canvas')
    page.wait_for_selector('body[data-map-drawn^="street:-:"]')
    page.wait_for_selector('body[data-ranking-loaded^="street:5"]')
    assert page.inner_text("#headline").strip() not in ("", "…")
    assert card(page, "received") == filed.count() > 30
    assert page.inner_text("#crumbs").strip() == "建华区"
    assert len(page.locator("#ranking-table tbody tr").all()) == 5
    path = screenshot(page, "01-district")
    assert_drawn(path, page, "#trend-chart")
    assert_drawn(path, page, "#breakdown-chart")
    assert_drawn(path, page, "#dashboard-map")

    # The table view holds the chart's numbers.
    page.click("#trend-table-view summary")
    assert page.locator("#trend-table tbody tr").count() >= 17  # weeks of 120 days

    # A click on the map inside the street: its communities.
    page.locator("#dashboard-map").scroll_into_view_if_needed()
    click_map_at(page, point.y, point.x)
    page.wait_for_selector(f'body[data-map-drawn^="community:{street.code}:"]')
    wait_for_figures_of(page, f"street:{street.code}")
    assert card(page, "received") == in_street
    assert street.name in page.inner_text("#crumbs") and street.name in page.inner_text("#kpi-title")
    assert f"street={street.code}" in page.url
    path = screenshot(page, "02-street")
    assert_drawn(path, page, "#dashboard-map")

    # The map's table lists the communities: one of them, through the list.
    page.click("#map-table-view summary")
    page.click(f'#map-table a.drill[data-code="{community.code}"]')
    page.wait_for_selector(f'body[data-map-drawn^="grid:{community.code}:"]')
    wait_for_figures_of(page, f"community:{community.code}")
    assert card(page, "received") == in_community
    assert community.name in page.inner_text("#crumbs")
    screenshot(page, "03-community")

    # A click on the grid: the headline, the cards and the counts of now are the grid's. All five ratings
    # are of the officer's grid: 3 satisfied and 1 basically satisfied of 5.
    page.locator("#dashboard-map").scroll_into_view_if_needed()
    click_map_at(page, point.y, point.x)
    wait_for_figures_of(page, f"grid:{grid.code}")
    assert card(page, "received") == in_grid
    assert page.inner_text("#kpi-satisfaction_rate .kpi-value") == "80.0%"
    assert int(page.inner_text("#current-open .count-number")) == Issue.objects.filter(
        grid=grid, status__in=OPEN_STATUSES).count()
    assert grid.name in page.inner_text("#kpi-title") and grid.name in page.inner_text("#trend-title")
    assert page.locator("#place-figures").is_hidden()  # the panel is department staff's only
    assert [c.strip() for c in page.inner_text("#crumbs").split("\n") if c.strip() not in ("", "›")][-1] == grid.name
    assert f"grid={grid.code}" in page.url
    path = screenshot(page, "04-grid")
    assert_drawn(path, page, "#dashboard-map")
    assert_drawn(path, page, "#trend-chart")

    # The link keeps the place: a colleague opens it on a phone and lands on the same grid.
    shared = page.url.replace(live_server.url, "")
    phone = sign_in(browser, live_server, "leader", shared, device=PHONE)
    wait_for_figures_of(phone, f"grid:{grid.code}")
    assert card(phone, "received") == in_grid
    phone.wait_for_selector('#trend-chart[data-drawn="1"] canvas')
    phone.wait_for_selector(f'body[data-map-drawn^="grid:{community.code}:"]')
    path = screenshot(phone, "05-shared-on-a-phone")
    assert_drawn(path, phone, "#trend-chart")

    # The monthly evaluation, as it prints (A4, without the site's header).
    page.click("#evaluation-page")
    page.wait_for_selector("#evaluation-table")
    assert page.locator("#evaluation-table tbody tr").count() == 5
    page.emulate_media(media="print")
    assert page.locator(".site-header").is_hidden()
    screenshot(page, "06-evaluation-print")
    page.emulate_media(media="screen")
    page.go_back()
    wait_for_figures_of(page, f"grid:{grid.code}")

    # Back up through the breadcrumbs: the street's figures, then the district's again.
    page.click("#crumbs li:nth-child(2) a")
    wait_for_figures_of(page, f"street:{street.code}")
    assert card(page, "received") == in_street and "grid=" not in page.url
    page.click("#crumbs li:first-child a")
    page.wait_for_selector('body[data-map-drawn^="street:-:"]')
    wait_for_figures_of(page, "-")
    assert card(page, "received") == filed.count()
    assert "street=" not in page.url and page.inner_text("#kpi-title").endswith("建华区")
