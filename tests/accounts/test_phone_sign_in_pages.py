"""A resident signs in on the website with a mobile number (number and consent, then the code), or
confirms it inline on the filing page (JSON calls); staff keep their username and password. The
privacy notice is one page in each language."""
import pytest
from django.conf import settings
from django.test import Client

from accounts.models import ResidentPhone
from notifications.sms import read_sent_sms
from tests.accounts.conftest import E164, PHONE, last_code
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(demo_district):
    """A visitor whose pages are in English (the language switch sets this cookie)."""
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def ask_on_the_page(client, phone=PHONE, next="/whistle/mine/", **fields):
    return client.post("/accounts/phone/", {"phone": phone, "consent": "on",
                                            "notice_version": settings.PRIVACY_NOTICE_VERSION, "next": next, **fields})


def test_the_sign_in_page_asks_for_the_number_and_consent(browser):
    page = browser.get("/accounts/phone/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="phone-form"' in html and 'name="phone"' in html and 'name="consent"' in html
    assert 'href="/privacy/"' in html
    assert f'value="{settings.PRIVACY_NOTICE_VERSION}"' in html


def test_without_consent_no_code_is_sent(browser):
    page = browser.post("/accounts/phone/", {"phone": PHONE, "notice_version": settings.PRIVACY_NOTICE_VERSION})
    assert page.status_code == 400
    assert "Please accept the privacy notice" in page.content.decode()
    assert read_sent_sms() == []


def test_a_landline_is_refused_on_the_page(browser):
    page = ask_on_the_page(browser, phone="01012345678")
    assert page.status_code == 400
    assert "mainland China mobile number" in page.content.decode()
    assert read_sent_sms() == []


def test_a_resident_signs_in_with_number_and_code_and_lands_where_they_were_going(browser):
    asked = ask_on_the_page(browser)
    assert asked.status_code == 302
    assert asked["Location"].startswith("/accounts/phone/code/")
    code_page = browser.get(asked["Location"])
    assert code_page.status_code == 200
    html = code_page.content.decode()
    assert "138****8000" in html and PHONE not in html

    signed_in = browser.post("/accounts/phone/code/", {"code": last_code(), "next": "/whistle/mine/"})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/whistle/mine/"
    me = browser.get("/api/v1/me/")
    assert me.status_code == 200 and me.json()["role"] == "resident"
    assert me.json()["username"] == ResidentPhone.objects.get(number=E164).user.username


def test_a_wrong_code_on_the_page_is_shown_and_does_not_sign_in(browser):
    ask_on_the_page(browser)
    wrong = "000000" if last_code() != "000000" else "111111"
    page = browser.post("/accounts/phone/code/", {"code": wrong, "next": "/whistle/mine/"})
    assert page.status_code == 400
    assert "Wrong code: 4 tries left." in page.content.decode()
    assert "_auth_user_id" not in browser.session


def test_a_code_page_opened_without_a_number_sends_back_to_the_number(browser):
    page = browser.get("/accounts/phone/code/")
    assert page.status_code == 302 and page["Location"].startswith("/accounts/phone/")


def test_after_signing_in_a_link_to_another_site_leads_home_instead(browser):
    asked = ask_on_the_page(browser, next="https://evil.example/")
    assert "evil.example" not in asked["Location"]
    signed_in = browser.post("/accounts/phone/code/", {"code": last_code(), "next": "https://evil.example/"})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/"


def test_a_second_code_too_soon_on_the_page_says_when(browser):
    ask_on_the_page(browser)
    page = ask_on_the_page(browser)
    assert page.status_code == 429
    assert 0 < int(page["Retry-After"]) <= 60
    assert "seconds" in page.content.decode()


# The filing page confirms the number inline, with the CSRF token of the page it is on.

@pytest.fixture
def filing_page(demo_district):
    """A browser on a page of the site, holding its CSRF cookie, checked as a real browser is."""
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert client.get("/accounts/phone/").status_code == 200
    return client


def post_json(client, url, body):
    return client.post(url, body, content_type="application/json",
                       HTTP_X_CSRFTOKEN=client.cookies[settings.CSRF_COOKIE_NAME].value)


def test_the_filing_page_confirms_a_number_inline_and_is_signed_in(filing_page):
    asked = post_json(filing_page, "/accounts/phone/code.json", {"phone": PHONE, "consent": True})
    assert asked.status_code == 202 and asked.json()["phone"] == "138****8000"
    verified = post_json(filing_page, "/accounts/phone/verify.json", {"phone": PHONE, "code": last_code()})
    assert verified.status_code == 200
    assert verified.json()["created"] is True and verified.json()["csrfToken"]
    assert filing_page.get("/api/v1/me/").json()["role"] == "resident"


def test_the_inline_confirmation_needs_the_csrf_token(filing_page):
    refused = filing_page.post("/accounts/phone/code.json", {"phone": PHONE, "consent": True},
                               content_type="application/json")
    assert refused.status_code == 403
    assert read_sent_sms() == []


def test_the_inline_confirmation_says_when_to_ask_again(filing_page):
    assert post_json(filing_page, "/accounts/phone/code.json", {"phone": PHONE, "consent": True}).status_code == 202
    again = post_json(filing_page, "/accounts/phone/code.json", {"phone": PHONE, "consent": True})
    assert again.status_code == 429
    assert 0 < int(again["Retry-After"]) <= 60
    assert again.json()["error"]


def test_staff_still_sign_in_with_username_and_password(demo_district, command_centre):
    client = Client()
    answer = client.post("/accounts/login/", {"username": "command_centre", "password": DEMO_PASSWORD,
                                              "next": "/work/"})
    assert answer.status_code == 302 and answer["Location"] == "/work/"
    assert client.get("/api/v1/me/").json()["username"] == "command_centre"


def test_the_privacy_notice_is_in_chinese_by_default(client, demo_district):
    page = client.get("/privacy/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "个人信息保护告知" in html and settings.PRIVACY_NOTICE_VERSION in html


def test_the_privacy_notice_is_in_english_for_who_chose_english(client, demo_district):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/privacy/")
    html = page.content.decode()
    assert page.status_code == 200 and "Privacy notice" in html and "个人信息保护告知" not in html
    assert settings.PRIVACY_NOTICE_VERSION in html
    assert "Privacy notice" in client.get("/privacy/?lang=en", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_a_browser_set_to_english_still_gets_the_chinese_notice(client, demo_district):
    """The site follows the language switch, not the browser (jianhua.middleware)."""
    page = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en")
    assert "个人信息保护告知" in page.content.decode()
