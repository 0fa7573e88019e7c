"""The field app as an installable app: its pages by role and area, Today's list and its fixed query count,
the web app manifest and the service worker served so that it controls /field/."""
import json

import pytest
from django.urls import reverse

from field import shell
from grids.models import Role, User
from issues import services
from issues.lifecycle import Status
from tests.dispatch.conftest import deadline_rules, routing_rules  # noqa: F401
from tests.issues.conftest import advance, categories, file_issue, garbage, spot_in_officers_grid  # noqa: F401

PAGES = ["field:today", "field:report", "field:visit", "field:patrol"]


@pytest.fixture
def dispatched(file_issue, advance):
    """dispatched(n) → n whistles dispatched to the grid officer by the community."""
    return lambda n: [advance(file_issue(title=f"楼道堆物{i}"), Status.DISPATCHED) for i in range(n)]


@pytest.fixture
def checks_asked(file_issue, community_staff, grid_officer):
    """checks_asked(n) → n verifications (核实) asked of the grid officer, each on a new whistle."""
    return lambda n: [services.issue_check_ask(issue=file_issue(title=f"路灯不亮{i}"), actor=community_staff,
                                               kind="verify", officer=grid_officer) for i in range(n)]


# Who may open the app ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", PAGES)
def test_the_grid_officer_opens_every_page(demo_district, categories, grid_officer, signed_in, name):
    response = signed_in(grid_officer).get(reverse(name))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'rel="manifest"' in content and 'id="field-config"' in content


@pytest.mark.parametrize("username", ["resident", "community_staff", "street_staff", "command_centre",
                                      "department_staff", "leader", "inspector", "admin"])
@pytest.mark.parametrize("path", ["/field/", "/field/report/", "/field/visit/", "/field/patrol/",
                                  "/field/checks/1/", "/field/issues/1/"])
def test_anyone_but_a_grid_officer_is_refused_with_a_reason(demo_district, signed_in, username, path):
    response = signed_in(User.objects.get(username=username)).get(path)
    assert response.status_code == 403
    assert b'id="refusal"' in response.content


def test_an_officer_serving_no_grid_is_refused(demo_district, signed_in):
    officer = User.objects.create_user(username="officer_without_grid", password="x", role=Role.GRID_OFFICER)
    assert signed_in(officer).get(reverse("field:today")).status_code == 403


def test_a_visitor_is_sent_to_sign_in(client, demo_district):
    response = client.get(reverse("field:today"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# Today ---------------------------------------------------------------------------------------------------

def test_today_lists_my_whistles_nearest_deadline_first_and_my_checks(
        demo_district, grid_officer, signed_in, dispatched, checks_asked, deadline_rules):  # noqa: F811
    first, second = dispatched(2)
    services.issue_respond(issue=second, actor=grid_officer)  # its deadline is now the (later) resolution
    check, = checks_asked(1)
    response = signed_in(grid_officer).get(reverse("field:today"))
    content = response.content.decode()
    assert content.index(f'data-number="{first.number}"') < content.index(f'data-number="{second.number}"')
    assert f'data-check="{check.pk}"' in content
    assert reverse("field:check", args=[check.pk]) in content
    assert reverse("field:issue", args=[first.pk]) in content
    # The visit plan: units of the officer's grid, never visited first.
    assert response.context["plan"] and all(unit.building.grid_id == grid_officer.grid_id
                                            for unit in response.context["plan"])


def test_an_other_officers_whistles_are_not_on_my_today(demo_district, grid_officer, signed_in, dispatched):
    mine = dispatched(1)[0]
    other = User.objects.filter(role=Role.GRID_OFFICER, grid__isnull=False).exclude(pk=grid_officer.pk).first()
    response = signed_in(other).get(reverse("field:today"))
    assert response.status_code == 200 and mine.number not in response.content.decode()


def _today_queries(client, django_assert_num_queries, expected):
    with django_assert_num_queries(expected):
        assert client.get(reverse("field:today")).status_code == 200


def test_today_costs_the_same_queries_for_one_or_many(demo_district, grid_officer, signed_in, dispatched,
                                                      checks_asked, django_assert_num_queries):
    client = signed_in(grid_officer)
    dispatched(1)
    checks_asked(1)
    client.get(reverse("field:today"))  # the session and the user are read once per request anyway
    _today_queries(client, django_assert_num_queries, TODAY_QUERIES)
    dispatched(3)
    checks_asked(3)
    _today_queries(client, django_assert_num_queries, TODAY_QUERIES)


# session and user (2); my whistles and their category, grid, community, street and handler (6); my checks and
# their issue, category and grid (4); the visit plan (1); my grid's boundary, for the tiles kept offline (1)
TODAY_QUERIES = 14


# One whistle, one check --------------------------------------------------------------------------------

def test_the_whistle_page_offers_reporting_for_duty_until_done(demo_district, grid_officer, signed_in, dispatched):
    issue, = dispatched(1)
    client = signed_in(grid_officer)
    page = client.get(reverse("field:issue", args=[issue.pk]))
    assert page.status_code == 200 and b'id="respond-form"' in page.content and b'id="resolve-form"' in page.content
    config = page.context["field_config"]
    assert config["respondUrl"] == f"/api/v1/issues/{issue.pk}/respond/"
    services.issue_respond(issue=issue, actor=grid_officer)
    page = client.get(reverse("field:issue", args=[issue.pk]))
    assert b'id="respond-form"' not in page.content and b'id="resolve-form"' in page.content


def test_a_whistle_not_dispatched_to_me_is_not_found(demo_district, community_staff, grid_officer, signed_in,
                                                    file_issue, advance):
    issue = advance(file_issue(), Status.ACCEPTED)  # in my grid, but not mine to handle
    assert signed_in(grid_officer).get(reverse("field:issue", args=[issue.pk])).status_code == 404


def test_the_check_page_offers_the_outcomes_of_its_kind(demo_district, grid_officer, signed_in, checks_asked):
    check, = checks_asked(1)
    page = signed_in(grid_officer).get(reverse("field:check", args=[check.pk]))
    assert page.status_code == 200
    content = page.content.decode()
    assert all(f'value="{outcome}"' in content for outcome in ("real", "not_found", "duplicate"))
    assert 'value="not_fixed"' not in content
    assert page.context["field_config"]["reportUrl"] == f"/api/v1/checks/{check.pk}/report/"


def test_a_check_asked_of_someone_else_is_not_found(demo_district, signed_in, checks_asked, grid_officer):
    check, = checks_asked(1)
    other = User.objects.filter(role=Role.GRID_OFFICER, grid__isnull=False).exclude(pk=grid_officer.pk).first()
    assert signed_in(other).get(reverse("field:check", args=[check.pk])).status_code == 404


def test_the_report_page_carries_the_grid_and_the_photo_size(demo_district, categories, grid_officer, signed_in,
                                                             settings):
    settings.ISSUE_PHOTO_MAX_SIDE_PX = 1600
    page = signed_in(grid_officer).get(reverse("field:report"))
    config = page.context["field_config"]
    assert config["grid"]["code"] == grid_officer.grid.code and config["photoMaxSide"] == 1600
    assert config["createUrl"] == "/api/v1/issues/" and config["fixedUrl"] == "/api/v1/issues/fixed-on-spot/"
    assert b'value="garbage"' in page.content  # categories offered by code, as the API takes them


def test_the_visit_page_offers_the_units_of_my_grid(demo_district, categories, grid_officer, signed_in):
    page = signed_in(grid_officer).get(reverse("field:visit"))
    buildings = page.context["places"]
    assert buildings and all(building.grid_id == grid_officer.grid_id for building in buildings)
    unit = buildings[0].units.all()[0]
    assert f'<option value="{unit.pk}"'.encode() in page.content


# Installable: the manifest and the service worker ------------------------------------------------------------

def test_the_manifest_makes_an_app_of_field(client):
    response = client.get(reverse("field:manifest"))
    assert response.status_code == 200 and response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["start_url"] == "/field/" and manifest["scope"] == "/field/"
    assert manifest["display"] == "standalone"
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_the_icons_are_the_sizes_they_say(client):
    from io import BytesIO

    from PIL import Image

    manifest = json.loads(client.get(reverse("field:manifest")).content)
    for icon in manifest["icons"]:
        image = Image.open(BytesIO(b"".join(client.get(icon["src"]).streaming_content)))
        assert f"{image.width}x{image.height}" == icon["sizes"]


def test_the_service_worker_is_served_to_control_field(client):
    response = client.get("/field/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/field/"
    assert "no-cache" in response["Cache-Control"]
    content = response.content.decode()
    worker_shell = json.loads(content.split("var SHELL = ", 1)[1].split(";\n", 1)[0])
    assert worker_shell["scope"] == "/field/"
    assert worker_shell["pages"] == ["/field/", "/field/report/", "/field/visit/", "/field/patrol/"]
    assert worker_shell["version"] == shell.shell_version()
    assert "/static/field/outbox.js" in worker_shell["static"] and "/static/leaflet/leaflet.js" in worker_shell["static"]
    assert "/api/v1/field/places/" in worker_shell["apiReads"]


def test_the_worker_may_fetch_the_base_maps_tiles(client, settings):
    policy = client.get("/field/sw.js")["Content-Security-Policy"]
    connect = next(part for part in policy.split(";") if part.strip().startswith("connect-src")).split()
    tile_origins = [source for source in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"]
                    if source.startswith("https:")]
    assert tile_origins and all(origin in connect for origin in tile_origins)
    # The pages themselves keep connecting to the site only.
    assert "connect-src 'self';" in client.get(reverse("field:manifest"))["Content-Security-Policy"] + ";"


def test_every_shell_file_exists(client):
    for path in shell.shell_file_paths():
        assert path is not None
    for url in shell.shell_static_urls():
        assert client.get(url).status_code == 200, url


def test_the_pages_register_the_worker_from_field(demo_district, categories, grid_officer, signed_in):
    page = signed_in(grid_officer).get(reverse("field:today"))
    config = page.context["field_config"]
    assert config["swUrl"] == "/field/sw.js" and config["scope"] == "/field/"
    # The CSP allows no inline script: the configuration is data, the scripts are files.
    content = page.content.decode()
    assert 'type="application/json"' in content
    assert "<script>" not in content


@pytest.mark.parametrize("path", ["/field/checks/0/", "/field/issues/0/", "/field/checks/" + "9" * 25 + "/",
                                  "/field/issues/" + "9" * 25 + "/"])
def test_an_id_that_names_nothing_is_not_found(demo_district, grid_officer, signed_in, path):
    assert signed_in(grid_officer).get(path).status_code == 404


def test_the_visit_page_ignores_a_unit_that_is_not_a_number(demo_district, categories, grid_officer, signed_in):
    assert signed_in(grid_officer).get(reverse("field:visit"), {"unit": "abc"}).status_code == 200
