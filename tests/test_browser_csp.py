"""The main pages under the production Content-Security-Policy in a real browser (Debian's Chromium through
Playwright): nothing the policy blocks – no inline script, no handler, no image or request elsewhere – and
each page's script did its work (the maps drew, the charts finished, the admin's boundary editor and the API
docs came up)."""
import pytest
from django.conf import settings
from django.test import Client

from grids.models import Grid, User
from tests.issues.conftest import categories, file_issue, garbage, spot_in_officers_grid  # noqa: F401 (fixtures)
from tests.stats.test_browser_dashboard import browser  # noqa: F401 (the suite's Chromium, as a fixture)

pytestmark = [pytest.mark.browser]
TIMEOUT_MS = 30_000  # the dashboard asks for every figure at once; CI shares two cores
# Before any script of the page: remember every violation the browser reports, and print() without a dialog.
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + (event.blockedURI || "inline") + " " + event.sourceFile
                           + ":" + event.lineNumber);
});
window.print = () => { document.documentElement.dataset.printed = "1"; };
"""


@pytest.fixture
def visit(browser, live_server):
    """visit(path, as_user=None) → the page loaded by a browser signed in as that user (or nobody), watched for
    CSP violations; after the test every page must have reported none, in its events or its console."""
    pages = []

    def open_page(path, as_user=None):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        if as_user is not None:
            client = Client()
            client.force_login(User.objects.get(username=as_user))
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": live_server.url,
                                  "value": client.cookies[settings.SESSION_COOKIE_NAME].value}])
        context.add_init_script(WATCH)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        console = []
        page.on("console", lambda message: console.append(message.text))
        page.on("pageerror", lambda error: console.append(f"page error: {error}"))
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        pages.append((path, page, console))
        return page

    yield open_page
    for path, page, console in pages:
        violations = page.evaluate("window.__violations")
        blocked = [text for text in console if "Content Security Policy" in text or "page error" in text]
        assert not violations and not blocked, f"{path}: {violations} {blocked}"
        page.context.close()


def test_the_public_pages_work_under_the_policy(transactional_db, demo_district, live_server, visit):
    home = visit("/")
    home.wait_for_selector('body[data-grids-loaded="840"]')
    assert home.locator("#district-map .leaflet-overlay-pane path").count() == 840
    # A visitor's filing page: the map, and the confirmation of a mobile number at its foot.
    filing = visit("/whistle/new/")
    filing.wait_for_selector('body[data-grids-loaded="840"]')
    visit("/accounts/phone/").wait_for_selector("form")


def test_the_residents_filing_form_and_issue_page_work_under_the_policy(transactional_db, demo_district,
                                                                        file_issue, visit):  # noqa: F811
    filing = visit("/whistle/new/", as_user="resident")
    filing.wait_for_selector('body[data-grids-loaded="840"]')
    issue = file_issue()
    page = visit(f"/issues/{issue.number}/", as_user="resident")
    page.wait_for_selector("#issue-map .leaflet-marker-icon")
    page.wait_for_selector("#issue-map .leaflet-overlay-pane path")  # the grid's outline


def test_the_staff_pages_work_under_the_policy(transactional_db, demo_district, visit):
    queue = visit("/work/", as_user="community_staff")
    queue.wait_for_load_state("networkidle")  # the bell has asked for its count
    dashboard = visit("/dashboard/", as_user="leader")
    dashboard.wait_for_selector('body[data-summary-loaded="1"]')
    dashboard.wait_for_selector('#trend-chart[data-drawn="1"]')
    dashboard.wait_for_selector('#breakdown-chart[data-drawn="1"]')
    dashboard.wait_for_selector('body[data-map-drawn]:not([data-map-drawn=""])')  # (wait_for_function would eval)
    evaluation = visit("/dashboard/evaluation/", as_user="leader")
    evaluation.click("#evaluation-print")
    evaluation.wait_for_selector('html[data-printed="1"]')


def test_the_admins_boundary_editor_and_the_api_docs_work_under_the_policy(transactional_db, demo_district, visit):
    grid = Grid.objects.order_by("code").first()
    editor = visit(f"/admin/grids/grid/{grid.pk}/change/", as_user="admin")
    editor.wait_for_selector('body[data-neighbours-drawn="true"]')  # grids/admin-context.js on map:init
    editor.wait_for_selector(".leaflet-draw-toolbar")  # django-leaflet's nonce'd inline scripts ran
    assert editor.locator(".leaflet-overlay-pane path").count() == 1  # the grid being edited
    assert editor.locator(".leaflet-neighbours-pane path").count() == 839  # and every other one, faintly
    changes = visit(f"/admin/grids/grid/{grid.pk}/history/", as_user="admin")
    changes.wait_for_selector("#content")
    grids = visit("/admin/grids/grid/?q=东市场", as_user="admin")
    grids.locator(".action-select").first.check()
    grids.wait_for_selector("#result_list tr.selected")  # the admin's actions.js ran
    docs = visit("/api/docs/")
    docs.wait_for_selector(".swagger-ui .opblock")  # the start-up script (a file) fetched the schema
