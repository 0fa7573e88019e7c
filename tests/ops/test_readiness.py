"""Liveness (/healthz) and readiness (/readyz) as compose, a load balancer and an operator see them."""
import pytest
from django.test import Client


def readyz(path="/readyz"):
    """(status, JSON) of a probe; in English (?lang=en), the messages asserted on being translated."""
    answer = Client().get(path, {"lang": "en"}, HTTP_ACCEPT="application/json")
    return answer.status_code, answer.json()


@pytest.fixture
def embedded(settings):
    """The embedded default's Celery (tasks run eagerly, no broker, worker or beat)."""
    from jianhua.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def test_liveness_asks_nothing_not_even_the_database():
    # No database fixture: any query here would raise ("Database access not allowed").
    answer = Client().get("/healthz")
    assert (answer.status_code, answer.json()) == (200, {"status": "ok"})


@pytest.mark.django_db
def test_on_the_embedded_default_readiness_names_every_part_and_says_what_it_did_not_ask(embedded):
    status, body = readyz()
    assert status == 200, body
    assert body["status"] == "ok"
    assert list(body["parts"]) == ["database", "cache", "broker", "worker", "beat"]
    assert all(part["ok"] for part in body["parts"].values())
    assert body["parts"]["database"]["detail"] == "OK"
    for part in ("broker", "worker"):
        assert "eager" in body["parts"][part]["detail"]
    assert "run_timers" in body["parts"]["beat"]["detail"]


@pytest.mark.django_db
def test_readiness_as_text_and_as_a_page(embedded):
    text = Client().get("/readyz?lang=en", HTTP_ACCEPT="text/plain")
    assert text.status_code == 200
    assert "database: OK" in text.content.decode()
    page = Client().get("/readyz", HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    assert "beat" in page.content.decode()


@pytest.mark.django_db
def test_a_malformed_accept_header_is_refused_with_a_message_not_a_server_error(embedded):
    answer = Client().get("/readyz", HTTP_ACCEPT="not a media type")
    assert answer.status_code == 406
    assert "Accept" in answer.content.decode()
    assert Client().get("/readyz?format=json", HTTP_ACCEPT="not a media type").json()["status"] == "ok"
