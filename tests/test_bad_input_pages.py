"""Bad input on every page outside /api/ and /admin/ answers 4xx or shows a form error, never a 500.

The pages are walked from Django's URL resolver, so a page added later is fed garbage too: each is
asked with garbage in its path (words for numbers, numbers too big for the database, NUL characters,
very long strings) and with garbage in every query-string and form field any of the site's forms
reads, as a visitor, a resident and the command centre, by GET and by POST. (The API is fuzzed from its
OpenAPI schema; Open311 has its own tests in tests/open311/.)"""
import importlib
import inspect

import pytest
from django import forms
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLResolver, get_resolver

from issues.lifecycle import Status
from issues.models import Issue
from tests.issues import conftest as issue_story

categories, garbage = issue_story.categories, issue_story.garbage
spot_in_officers_grid, file_issue, advance = (issue_story.spot_in_officers_grid, issue_story.file_issue,
                                              issue_story.advance)

pytestmark = pytest.mark.django_db

OUTSIDE = ("admin/", "api/", "open311/")
# What a careless or hostile client puts where an id, a page number, a date or a word belongs.
HUGE = "9" * 25  # beyond a 64-bit integer
GARBAGE = ["abc", HUGE, "2026-13-45", "-inf", "a\x00b", "长" * 1100]  # over most fields' limits
PATH_GARBAGE = {"IntConverter": ["0", HUGE], "SlugConverter": ["abc", "x" * 300],
                "StringConverter": ["abc", "JH-20260101-9999", "a\x00b", "x" * 300, "%E4%B8%AD"]}
# Query-string names some views read directly, not through a form.
EXTRA_PARAMS = ["page", "format", "next", "issue", "kind", "grid", "year", "month", "start", "end", "period", "lang"]
FORM_MODULES = ["issues.forms", "issues.problem_list_views", "dispatch.views.supervision", "dispatch.views.accountability",
                "stats.views", "accounts.forms", "accounts.views"]


def _routes(patterns=None, prefix=""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif not route.startswith(OUTSIDE):
            converters = {name: type(c).__name__ for name, c in getattr(pattern.pattern, "converters", {}).items()}
            yield route, converters


ROUTES = sorted(set((route, tuple(sorted(converters.items()))) for route, converters in _routes()))


def _fill(route: str, values: dict) -> str:
    if route.startswith("lists/") and "list_code" in values:  # a problem list is a tier's unit, not a grid
        values = {**values, "code": values["list_code"]}
    url = route
    for segment in list(_segments(route)):
        name = segment.strip("<>").split(":")[-1]
        url = url.replace(segment, values[name])
    return "/" + url


def _segments(route):
    start = route.find("<")
    while start != -1:
        end = route.find(">", start)
        yield route[start:end + 1]
        start = route.find("<", end)


def field_names() -> list[str]:
    """Every field name of every form the pages use (filters and actions), plus a few read directly."""
    names = set(EXTRA_PARAMS)
    for module_name in FORM_MODULES:
        module = importlib.import_module(module_name)
        for _name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, forms.BaseForm) and value.__module__ == module_name:
                names.update(getattr(value, "base_fields", {}))
    return sorted(names)


FIELDS = field_names()


@pytest.fixture
def people(resident, command_centre, community_staff):
    return {"visitor": None, "resident": resident, "community staff": community_staff,
            "command centre": command_centre}


def client_for(user):
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def real_ids(file_issue, advance, grid_officer):
    """Values that name things that exist, so the garbage reaches past the lookups."""
    issue = advance(file_issue(), Status.RESOLVED)
    return {"number": issue.number, "code": grid_officer.grid.code, "tier": "community",
            "list_code": grid_officer.grid.community.code, "action": "close", "photo_id": "1", "pk": "1", "notification_id": "1", "uidb64": "MQ", "token": "x-y",
            # A tile of the local base map over the district (grids.tiles).
            "z": "14", "x": "13833", "y": "5699"}


def server_errors(client, requests) -> list:
    """The (method, url) of every request answered with a 5xx."""
    failed = []
    for method, url, data in requests:
        if getattr(client, method)(url, data).status_code >= 500:
            failed.append((method, url[:80]))
    return failed


def test_the_walk_reaches_the_pages_and_their_fields():
    routes = {route for route, _converters in ROUTES}
    assert {"whistle/new/", "work/", "work/file/", "issues/<str:number>/", "issues/<str:number>/<slug:action>/",
            "lists/<slug:tier>/<str:code>/", "supervision/", "accountability/", "dashboard/", "dashboard/evaluation/",
            "g/<str:code>", "grids/<str:code>/poster.pdf", "accounts/phone/", "accounts/login/"} <= routes
    assert not any(route.startswith(OUTSIDE) for route in routes)
    assert {"page", "page_size", "lat", "lng", "photos", "version", "rating", "due", "held_on", "q", "next"} <= set(FIELDS)


@pytest.mark.parametrize("who", ["visitor", "resident", "community staff", "command centre"])
def test_garbage_in_the_path_is_refused(people, real_ids, who):
    requests = []
    for route, converters in ROUTES:
        for name, converter in converters:
            for bad in PATH_GARBAGE[converter]:
                url = _fill(route, {**real_ids, name: bad, **({"list_code": bad} if name == "code" else {})})
                requests += [("get", url, {}), ("post", url, {})]
    assert server_errors(client_for(people[who]), requests) == []


@pytest.mark.parametrize("who", ["visitor", "resident", "command centre"])
@pytest.mark.parametrize("turn", range(len(GARBAGE)))
def test_garbage_in_every_field_is_refused(people, real_ids, who, turn):
    """Every field gets a different kind of garbage in each turn; over the turns each field gets each kind.
    The issue the pages are about is left as it was."""
    data = {name: GARBAGE[(i + turn) % len(GARBAGE)] for i, name in enumerate(FIELDS)}
    urls = [_fill(route, real_ids) for route, _converters in ROUTES]
    requests = [(method, url, data) for url in urls if "logout" not in url for method in ("get", "post")]
    issue = Issue.objects.get(number=real_ids["number"])
    events = issue.events.count()
    assert server_errors(client_for(people[who]), requests) == []
    issue.refresh_from_db()  # and nothing already saved was changed by it
    assert (issue.status, issue.events.count()) == (Status.RESOLVED, events)


# The kinds of bad input one by one, each with what the user is shown.

def in_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the message checked is the English one
    return client


def test_a_nul_character_is_400_with_a_message_and_files_nothing(resident, real_ids):
    client = in_english(client_for(resident))
    for url in (f"/issues/{real_ids['number']}\x00/", "/whistle/new/?grid=2302%00", "/work/?q=%00",
                "/accountability/new/?issue=JH-%00"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert "NUL" in response.content.decode()
    before = Issue.objects.count()
    response = client.post("/whistle/new/", {"title": "路灯\x00不亮", "description": "东门路灯坏了", "category": "garbage"})
    assert response.status_code == 400 and Issue.objects.count() == before


def test_nul_characters_in_the_api_are_refused_in_its_shape(command_centre):
    client = in_english(client_for(command_centre))
    response = client.get("/api/v1/issues/", {"q": "a\x00"})
    assert response.status_code == 400 and "NUL" in response.json()["detail"]


def test_a_photo_that_is_no_image_is_a_form_error_and_files_nothing(resident, spot_in_officers_grid, garbage):
    lat, lng = spot_in_officers_grid
    before = Issue.objects.count()
    response = client_for(resident).post("/whistle/new/", {
        "title": "路灯不亮", "description": "东门路灯坏了", "category": "garbage", "lat": lat, "lng": lng,
        "photos": SimpleUploadedFile("lamp.jpg", b"%PDF-1.4 not a picture", content_type="image/jpeg"),
    })
    assert response.status_code == 400
    assert response.context["form"].errors and Issue.objects.count() == before
    assert "东门路灯坏了" in response.content.decode()  # what was typed is kept


@pytest.mark.parametrize("lat,lng", [("91", "123.9"), ("47.3", "181"), ("nan", "123.9"), ("47.3", "inf"),
                                     ("-inf", "123.9"), ("1e999", "123.9"), ("39.9042", "116.4074")])
def test_coordinates_out_of_range_or_not_finite_are_a_form_error(resident, garbage, lat, lng):
    before = Issue.objects.count()
    response = client_for(resident).post("/whistle/new/", {
        "title": "路灯不亮", "description": "东门路灯坏了", "category": "garbage", "lat": lat, "lng": lng})
    assert response.status_code == 400
    assert response.context["form"].errors and Issue.objects.count() == before


def test_a_malformed_multipart_body_is_400(resident):
    response = client_for(resident).generic(
        "POST", "/whistle/new/", b"--xyz\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nunterminated",
        content_type="multipart/form-data; boundary=xyz")
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize("page", ["abc", "0", "-1", "999999", HUGE, "1.5"])
def test_a_page_number_out_of_range_shows_a_page(command_centre, resident, page):
    for user, url in ((command_centre, "/work/"), (command_centre, "/supervision/"), (command_centre, "/accountability/"),
                      (command_centre, "/notifications/"), (resident, "/whistle/mine/")):
        response = client_for(user).get(url, {"page": page})
        assert response.status_code == 200, (url, page)


@pytest.mark.parametrize("query", [{"format": "xls"}, {"format": "csv", "state": "nonsense", "page_size": HUGE},
                                   {"format": "xlsx", "kind": "\u202e", "unit": "x" * 5000}])
def test_exports_with_bad_parameters_answer_a_file_or_a_4xx(command_centre, query):
    for url in ("/supervision/", "/accountability/"):
        response = client_for(command_centre).get(url, query)
        assert response.status_code < 500, (url, query)


@pytest.mark.parametrize("query", [{"period": "2026-13"}, {"year": "0"}, {"year": "99999"}, {"month": "2026-13-45"},
                                   {"start": "2026-13-45", "end": "0000-00-00"}])
def test_dashboards_with_bad_periods_show_the_page(district_leader, query):
    for url in ("/dashboard/", "/dashboard/evaluation/"):
        response = client_for(district_leader).get(url, query)
        assert response.status_code in (200, 400), (url, query)


@pytest.mark.parametrize("next_url,lands_on", [("abc", "/notifications/"), ("https://evil.example/", "/notifications/"),
                                               ("//evil.example/x", "/notifications/"), ("/work/", "/work/")])
def test_a_next_address_is_followed_only_to_a_path_of_this_site(command_centre, next_url, lands_on):
    """"abc" once broke the page: redirect() took it for the name of a view."""
    response = client_for(command_centre).post("/notifications/read-all/", {"next": next_url})
    assert response.status_code == 302 and response["Location"] == lands_on
