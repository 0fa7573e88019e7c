"""Production settings and the security headers: `check --deploy` passes with no warning, HTTPS is enforced
(but for the health checks), and every page, the API and the admin carry a Content-Security-Policy that
allows no inline script, a Referrer-Policy and a Permissions-Policy."""
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from grids.map_providers import map_provider, tile_origins
from grids.models import Grid

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable


def production(*arguments, **environment):
    """Run manage.py with the production settings as an operator starts them: DEBUG off, a real key, nothing
    else of this test run's environment that the settings read (SECURE_*, MAP_*, …)."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("SECURE_", "MAP_", "TIANDITU_", "CSP_", "DJANGO_", "DEBUG", "SECRET_KEY"))}
    env.update(DJANGO_SETTINGS_MODULE="jianhua.settings.production", DEBUG="0",
               SECRET_KEY=secrets.token_urlsafe(50), **environment)
    return subprocess.run([PYTHON, "manage.py", *arguments], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120)


def test_the_production_settings_pass_check_deploy_with_no_warning():
    result = production("check", "--deploy", "--fail-level", "WARNING")
    print(result.stdout + result.stderr)  # the closing note quotes it
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_warns_when_the_operator_turns_https_off():
    result = production("check", "--deploy", "--fail-level", "WARNING", SECURE_SSL_REDIRECT="0",
                        SECURE_HSTS_SECONDS="0")
    assert result.returncode != 0
    assert "security.W008" in result.stderr and "security.W004" in result.stderr


@pytest.mark.parametrize("provider, environment, expected", [
    ("osm", {}, ["https://tile.openstreetmap.org"]),
    ("tianditu", {"TIANDITU_KEY": "k"}, [f"https://t{n}.tianditu.gov.cn" for n in range(8)]),
    # Amap's GCJ-02 tiles on the pages, OpenStreetMap's under the admin's boundary editor.
    ("amap", {}, [f"https://webrd0{n}.is.autonavi.com" for n in range(1, 5)] + ["https://tile.openstreetmap.org"]),
    ("osm", {"MAP_TILE_URL": "https://{s}.tiles.jianhua.example/{z}/{x}/{y}.png"},
     ["https://a.tiles.jianhua.example", "https://b.tiles.jianhua.example", "https://c.tiles.jianhua.example"]),
    ("osm", {"MAP_TILE_URL": "/tiles/{z}/{x}/{y}.png"}, []),  # served by the site: 'self'
    ("local", {}, []),  # drawn by the site (grids.tiles): 'self', also under the admin's boundary editor
])
def test_the_policy_allows_images_from_the_configured_tile_servers_only(provider, environment, expected):
    result = production("shell", "--no-imports", "-c", "from django.conf import settings; "
                        "print(*settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'])",
                        MAP_PROVIDER=provider, **environment)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["'self'", "data:", "blob:", *expected]


def test_tile_origins_follow_the_provider_without_starting_django():
    assert tile_origins(map_provider("osm", tile_url="")) == []  # no base map
    # No scheme: the host alone, which a CSP matches on the page's own scheme.
    assert tile_origins(map_provider("osm", tile_url="//tiles.example/{z}/{x}/{y}.png")) == ["tiles.example"]
    assert tile_origins(map_provider("osm", tile_url="https://{z}.tiles.example/{x}/{y}.png")) == \
        ["https://*.tiles.example"]


def assert_security_headers(response, *, nonce_used=False):
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    script_sources = directives["script-src"].split()
    assert "'unsafe-inline'" not in script_sources and "'unsafe-eval'" not in script_sources
    assert script_sources[0] == "'self'"
    assert any(source.startswith("'nonce-") for source in script_sources) == nonce_used
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == directives["form-action"] == directives["connect-src"] == "'self'"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    permissions = dict(item.split("=", 1) for item in response["Permissions-Policy"].split(", "))
    assert permissions["geolocation"] == permissions["camera"] == "(self)"
    assert permissions["microphone"] == permissions["payment"] == permissions["usb"] == "()"
    assert {feature for feature, allowed in permissions.items() if allowed != "()"} == {"geolocation", "camera"}
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    return directives


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")([^>]*)>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\s(on[a-z]+)\s*=", re.IGNORECASE)


def assert_no_unnonced_inline_script(html, directives):
    nonces = {source[len("'nonce-"):-1] for source in directives["script-src"].split() if source.startswith("'nonce-")}
    for attributes in INLINE_SCRIPT.findall(html):
        found = re.search(r'nonce="([^"]+)"', attributes)
        assert found and found.group(1) in nonces, f"an inline <script{attributes}> the policy blocks"
    assert not EVENT_HANDLER.findall(html), "inline event handlers (onclick=…) are blocked by the policy"


@pytest.mark.django_db
@pytest.mark.parametrize("who, path", [
    (None, "/"),
    (None, "/accounts/phone/"),
    (None, "/accounts/login/"),
    ("resident", "/whistle/new/"),
    ("community_staff", "/work/"),
    ("leader", "/dashboard/"),
    ("leader", "/dashboard/evaluation/"),
    (None, "/api/docs/"),
])
def test_pages_carry_the_headers_and_no_script_the_policy_would_block(who, path, signed_in, django_user_model):
    client = signed_in(django_user_model.objects.get(username=who)) if who else Client()
    response = client.get(path, follow=True)
    assert response.status_code == 200, path
    directives = assert_security_headers(response)
    assert_no_unnonced_inline_script(response.content.decode(), directives)


def test_the_evaluation_page_prints_from_a_script_file(signed_in, district_leader):
    page = signed_in(district_leader).get("/dashboard/evaluation/").content.decode()
    assert 'id="evaluation-print" data-print' in page and "stats/print.js" in page


def test_the_api_docs_load_their_start_up_script_as_a_file(client):
    page = client.get("/api/docs/").content.decode()
    script_url = re.search(r'<script src="(/api/docs/\?[^"]*script[^"]*)"', page).group(1)
    script = client.get(script_url.replace("&amp;", "&"))
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode() and "/api/schema/" in script.content.decode()


@pytest.mark.django_db
def test_the_api_carries_the_headers(client):
    response = client.get("/api/v1/departments/")
    assert response.status_code == 200
    assert_security_headers(response)


@pytest.mark.django_db
def test_the_admins_boundary_editor_runs_its_inline_scripts_by_the_requests_nonce(signed_in, grid_admin):
    grid = Grid.objects.order_by("code").first()
    response = signed_in(grid_admin).get(f"/admin/grids/grid/{grid.pk}/change/")
    assert response.status_code == 200
    directives = assert_security_headers(response, nonce_used=True)
    html = response.content.decode()
    assert INLINE_SCRIPT.search(html), "django-leaflet's widget writes inline scripts"
    assert_no_unnonced_inline_script(html, directives)
    # A new nonce for every answer: a nonce seen once is no good for an injected script later.
    again = signed_in(grid_admin).get(f"/admin/grids/grid/{grid.pk}/change/")
    assert again["Content-Security-Policy"] != response["Content-Security-Policy"]


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https_but_the_health_checks_answer(settings):
    settings.SECURE_SSL_REDIRECT = True  # production's default (the test settings turn it off for the test client)
    client = Client()  # a new handler reads the setting
    response = client.get("/dashboard/?month=2026-11")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/dashboard/?month=2026-11"
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code != 301
    # Behind the TLS proxy, which says so in X-Forwarded-Proto: no redirect, and HSTS.
    proxied = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert proxied.status_code == 200
    assert proxied["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "Strict-Transport-Security" not in client.get("/healthz")  # never over plain HTTP
