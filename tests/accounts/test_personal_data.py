"""A resident's rights over their data (PIPL): a copy of everything kept about them, and closing the
account – the number and name go, the whistles stay with the staff, anonymised."""
import json

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import PhoneCode, PrivacyConsent, ResidentPhone
from issues.models import Issue
from tests.accounts.conftest import E164, PHONE, with_token

pytestmark = pytest.mark.django_db


def browser_of(user):
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_a_resident_downloads_their_data_with_a_fixed_number_of_queries(phone_resident, file_whistle,
                                                                       django_assert_num_queries):
    user, _token = phone_resident()
    file_whistle(user)
    file_whistle(user, title="路灯不亮")
    client = browser_of(user)
    with django_assert_num_queries(5):  # the session, the account, its number, consents, whistles
        download = client.get("/accounts/me/data.json")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert "no-store" in download["Cache-Control"]
    data = json.loads(download.content)
    assert data["mobile_number"] == E164
    assert data["account"]["role"] == "resident"
    assert [c["notice_version"] for c in data["privacy_consents"]] == [settings.PRIVACY_NOTICE_VERSION]
    assert [w["title"] for w in data["whistles"]] == ["楼道灯坏了一个月", "路灯不亮"]


def test_the_api_gives_the_same_data(phone_resident, file_whistle):
    user, token = phone_resident()
    file_whistle(user)
    download = browser_of(user).get("/accounts/me/data.json")  # (signing the browser in is a sign-in too)
    answer = with_token(token).get("/api/v1/me/data/")
    assert answer.status_code == 200
    assert answer.json() == json.loads(download.content)
    assert answer.json()["whistles"][0]["title"] == "楼道灯坏了一个月"


def test_my_data_needs_signing_in(demo_district):
    assert Client().get("/accounts/me/data.json").status_code == 302
    assert APIClient().get("/api/v1/me/data/").status_code in (401, 403)


def test_the_my_data_page_offers_the_download_and_closing(phone_resident):
    user, _token = phone_resident()
    page = browser_of(user).get("/accounts/me/")
    html = page.content.decode()
    assert page.status_code == 200 and 'id="download-my-data"' in html and 'id="close-account"' in html


def test_closing_the_account_forgets_the_person_and_keeps_the_whistle(phone_resident, file_whistle, signed_in,
                                                                      command_centre):
    user, token = phone_resident()
    whistle = file_whistle(user)
    client = browser_of(user)
    assert client.get("/accounts/me/delete/").status_code == 200

    closed = client.post("/accounts/me/delete/")
    assert closed.status_code == 200 and 'id="account-closed"' in closed.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/api/v1/me/data/").status_code in (401, 403)

    user.refresh_from_db()
    assert not user.is_active and user.username.startswith("deleted-")
    assert user.phone == "" and not user.has_usable_password()
    assert not ResidentPhone.objects.filter(user=user).exists()
    assert not PhoneCode.objects.filter(number=E164).exists()
    assert not Token.objects.filter(user=user).exists()
    assert with_token(token).get("/api/v1/me/").status_code in (401, 403)
    assert PrivacyConsent.objects.filter(user=user, client_ip=None).exists()  # the proof stays, no address

    whistle.refresh_from_db()
    assert whistle.reporter_id == user.pk
    assert whistle.reporter_name == "" and whistle.reporter_phone == ""
    page = signed_in(command_centre).get(f"/issues/{whistle.number}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert whistle.title in html
    assert PHONE not in html and "王阿姨" not in html


def test_the_same_number_signs_up_again_as_a_new_account_without_the_old_whistles(phone_resident, file_whistle):
    old, _token = phone_resident()
    whistle = file_whistle(old)
    assert browser_of(old).post("/accounts/me/delete/").status_code == 200

    new, token = phone_resident()
    assert new.pk != old.pk
    mine = with_token(token).get("/api/v1/issues/")
    assert mine.status_code == 200
    assert whistle.number not in {row["number"] for row in mine.json()["results"]}
    assert with_token(token).get("/api/v1/me/data/").json()["whistles"] == []
    assert Issue.objects.filter(pk=whistle.pk, reporter=old).exists()


def test_a_resident_closes_their_account_through_the_api(phone_resident):
    user, token = phone_resident()
    assert with_token(token).delete("/api/v1/me/data/").status_code == 204
    user.refresh_from_db()
    assert not user.is_active and not ResidentPhone.objects.filter(user=user).exists()


def test_staff_cannot_close_their_own_account(command_centre, signed_in):
    client = APIClient()
    client.force_authenticate(command_centre)
    refused = client.delete("/api/v1/me/data/")
    assert refused.status_code == 403
    command_centre.refresh_from_db()
    assert command_centre.is_active and command_centre.username == "command_centre"
    page = signed_in(command_centre)
    assert page.get("/accounts/me/delete/").status_code == 403
    assert page.post("/accounts/me/delete/").status_code == 403
    command_centre.refresh_from_db()
    assert command_centre.is_active


def test_staff_download_their_own_data_too(command_centre, signed_in):
    data = json.loads(signed_in(command_centre).get("/accounts/me/data.json").content)
    assert data["account"]["username"] == "command_centre" and data["mobile_number"] is None
