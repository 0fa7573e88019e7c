"""Intake clients: issued in the admin, seeded for the demo, filing with least privilege."""
import io

import pytest
from django.core.management import call_command
from django.db.models import Count

from grids.demo.seed import demo_district_seed
from grids.models import Role
from issues import selectors
from issues.attributes import AnswerError, attributes_clean
from issues.demo import DEMO_CLIENT_CODE, DEMO_OPEN311_KEY
from issues.models import Channel, IntakeClient, Issue

pytestmark = pytest.mark.django_db


def test_a_client_saved_in_the_admin_gets_a_key_and_a_service_account(signed_in, grid_admin):
    admin = signed_in(grid_admin)
    form = admin.get("/admin/issues/intakeclient/add/")
    assert form.status_code == 200
    key = form.context["adminform"].form["api_key"].value()
    assert len(key) >= 40  # secrets.token_urlsafe(32), shown in the admin
    response = admin.post("/admin/issues/intakeclient/add/", {
        "name": "建华区微信小程序", "code": "wechat-mini", "api_key": key, "is_active": "on",
        "rate_limit_per_minute": "120"})
    assert response.status_code == 302, response.content.decode()[-2000:]
    client = IntakeClient.objects.get(code="wechat-mini")
    assert client.api_key == key
    assert client.account.role == Role.INTAKE_CLIENT and not client.account.has_usable_password()
    assert admin.get("/admin/issues/intakeclient/?is_active__exact=1&q=wechat").status_code == 200
    assert admin.get(f"/admin/issues/intakeclient/{client.pk}/change/").status_code == 200


def test_the_service_account_sees_no_issue_and_is_no_staff_member(hotline, file_issue):
    file_issue()
    assert not selectors.issue_scope(hotline.account).exists()
    from issues import rules

    assert not rules.is_staff_member(hotline.account)
    assert rules.may_file_for_others(hotline.account)


def test_seed_demo_issues_the_demo_client_with_the_given_key_idempotently():
    out = io.StringIO()
    call_command("seed_demo", "--password", "test-password-1", "--open311-key", "key-from-the-command", stdout=out)
    assert "key-from-the-command" in out.getvalue()
    call_command("seed_demo", "--password", "test-password-1", "--open311-key", "key-from-the-command",
                 stdout=io.StringIO())
    client = IntakeClient.objects.get(code=DEMO_CLIENT_CODE)
    assert client.api_key == "key-from-the-command" and client.is_active
    demo_district_seed(password="test-password-1")  # back to the default the other tests use
    assert IntakeClient.objects.get(code=DEMO_CLIENT_CODE).api_key == DEMO_OPEN311_KEY


def test_the_demo_key_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("DEMO_OPEN311_KEY", "key-from-the-environment")
    out = io.StringIO()
    call_command("seed_demo", "--password", "test-password-1", stdout=out)
    assert "api_key=key-from-the-environment" in out.getvalue()


def test_whistles_of_each_client_count_apart(open311, whistle, hotline):
    other = IntakeClient.objects.get(code=DEMO_CLIENT_CODE)
    open311.post(whistle())
    open311.post(whistle())
    open311.post(whistle(api_key=other.api_key))
    counts = dict(Issue.objects.filter(channel=Channel.OPEN311).values_list("intake_client__code")
                  .annotate(n=Count("id")))
    assert counts == {hotline.code: 2, other.code: 1}


def test_answers_are_checked_by_datatype(service_attributes):
    heating = list(service_attributes.filter(category__code="heating"))
    assert attributes_clean(heating, {"indoor-temperature": "16.5"}) == {"indoor-temperature": 16.5}
    for wrong in ({}, {"indoor-temperature": "nan"}, {"indoor-temperature": ["1", "2"]}):
        with pytest.raises(AnswerError) as error:
            attributes_clean(heating, wrong)
        assert error.value.code == "indoor-temperature"
    snow = list(service_attributes.filter(category__code="snow"))
    assert attributes_clean(snow, {"location-type": "sidewalk"}) == {"location-type": "sidewalk"}


def test_the_issue_page_shows_the_client_and_the_answers(open311, whistle, hotline, service_attributes, signed_in,
                                                         community_staff):
    response = open311.post(whistle(service_code="elevator", **{"attribute[people-trapped]": "yes",
                                                               "attribute[building-unit]": "3号楼2单元"}))
    assert response.status_code == 201, response.content
    number = response.json()[0]["service_request_id"]
    page = signed_in(community_staff).get(f"/issues/{number}/").content.decode()
    assert hotline.name in page
    assert "是否有人被困在电梯内？" in page and ">是<" in page  # the choice by its name, not its key
    assert "3号楼2单元" in page
