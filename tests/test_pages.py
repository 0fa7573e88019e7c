"""The public map page, in Chinese by default and in English on request."""
import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_map_page_is_in_chinese_by_default_even_for_an_english_browser():
    page = Client().get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "网格地图" in html and "建华区" in html
    config = json.loads(html.split('<script id="map-config" type="application/json">')[1].split("</script>")[0])
    assert config["geojsonUrl"] == "/api/v1/grids/geojson/"
    assert config["locateUrl"] == "/api/v1/grids/locate/"
    assert "不在" in config["messages"]["outside"]
    assert "/static/leaflet/leaflet.js" in html


def test_the_map_page_switches_to_english_with_the_language_switch():
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Grid map" in html


def test_api_errors_follow_the_language_too():
    assert "不在" in Client().get("/api/v1/grids/locate/", {"lat": 40, "lng": 120}).json()["detail"]
    english = Client().get("/api/v1/grids/locate/", {"lat": 40, "lng": 120, "lang": "en"}).json()["detail"]
    assert "outside the district" in english


def test_health():
    assert Client().get("/healthz").json() == {"status": "ok"}
