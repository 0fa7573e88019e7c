"""A resident's app signs in with a mainland mobile number: it asks for a code, the code comes by SMS,
the app exchanges it for an API token. Limits keep the texts from being used to bomb a number or run
up the district's SMS bill; a code is good once, for five minutes, for five tries."""
import datetime

import pytest
import time_machine
from django.conf import settings
from rest_framework.test import APIClient

from accounts.models import PhoneCode, PrivacyConsent, ResidentPhone
from grids.models import User
from notifications.sms import read_sent_sms
from tests.accounts.conftest import E164, MORNING, PHONE, ask_code, exchange, last_code, with_token

pytestmark = pytest.mark.django_db


def later(seconds):
    return MORNING + datetime.timedelta(seconds=seconds)


def test_a_new_number_gets_a_code_by_sms_and_becomes_a_residents_account(demo_district):
    asked = ask_code()
    assert asked.status_code == 202
    assert asked.json()["phone"] == "138****8000"
    assert PHONE not in asked.content.decode()
    [sms] = read_sent_sms(number=E164)
    code = last_code()
    assert code in sms.text

    answer = exchange(code=code)
    assert answer.status_code == 200
    assert answer.json()["created"] is True
    me = with_token(answer.json()["token"]).get("/api/v1/me/")
    assert me.status_code == 200 and me.json()["role"] == "resident"
    account = User.objects.get(resident_phone__number=E164)
    assert account.phone == PHONE and not account.has_usable_password()


def test_signing_in_again_with_the_same_number_finds_the_same_account(phone_resident):
    first, _token = phone_resident()
    with time_machine.travel(later(61), tick=False):
        assert ask_code().status_code == 202
        again = exchange(code=last_code())
    assert again.status_code == 200 and again.json()["created"] is False
    assert with_token(again.json()["token"]).get("/api/v1/me/").json()["username"] == first.username
    assert User.objects.filter(resident_phone__number=E164).count() == 1


def test_the_number_may_be_written_with_spaces_or_the_country_code(demo_district):
    assert ask_code("+86 138 0013 8000").status_code == 202
    assert exchange("138-0013-8000", last_code()).status_code == 200


def test_a_second_code_within_a_minute_is_refused_with_retry_after(demo_district):
    with time_machine.travel(MORNING, tick=False):
        assert ask_code().status_code == 202
    with time_machine.travel(later(20), tick=False):
        refused = ask_code()
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert "seconds" in refused.json()["detail"]
    assert len(read_sent_sms(number=E164)) == 1


def test_a_new_code_after_a_minute_replaces_the_old_one(demo_district):
    with time_machine.travel(MORNING, tick=False):
        assert ask_code().status_code == 202
        old = last_code()
    with time_machine.travel(later(61), tick=False):
        assert ask_code().status_code == 202
        new = last_code()
        assert len(read_sent_sms(number=E164)) == 2
        if old != new:
            refused = exchange(code=old)
            assert refused.status_code == 400 and refused.json()["field"] == "code"
        assert exchange(code=new).status_code == 200


def test_a_refused_request_leaves_the_live_code_working(demo_district):
    """Asking again too soon must not kill the code already on its way."""
    with time_machine.travel(MORNING, tick=False):
        assert ask_code().status_code == 202
    with time_machine.travel(later(10), tick=False):
        assert ask_code().status_code == 429
        assert exchange(code=last_code()).status_code == 200


def test_a_number_gets_ten_codes_a_day_and_more_the_next_day(demo_district):
    for n in range(settings.PHONE_CODES_PER_DAY):
        with time_machine.travel(later(61 * n), tick=False):
            assert ask_code().status_code == 202, n
    with time_machine.travel(later(61 * settings.PHONE_CODES_PER_DAY), tick=False):
        refused = ask_code()
    assert refused.status_code == 429
    assert "tomorrow" in refused.json()["detail"]
    assert 0 < int(refused["Retry-After"]) <= 24 * 3600
    assert len(read_sent_sms(number=E164)) == settings.PHONE_CODES_PER_DAY
    with time_machine.travel(MORNING + datetime.timedelta(days=1), tick=False):
        assert ask_code().status_code == 202


def test_one_network_address_gets_at_most_twenty_codes_an_hour(demo_district):
    address = {"REMOTE_ADDR": "203.0.113.7"}
    with time_machine.travel(MORNING, tick=False):
        for n in range(settings.PHONE_CODES_PER_ADDRESS_PER_HOUR):
            assert ask_code(f"1390013{n:04d}", **address).status_code == 202, n
        refused = ask_code("13900139999", **address)
        assert refused.status_code == 429
        assert 0 < int(refused["Retry-After"]) <= 3600
        assert read_sent_sms(number="+8613900139999") == []
        # Another address is not affected.
        assert ask_code("13900139999", REMOTE_ADDR="198.51.100.9").status_code == 202
    with time_machine.travel(MORNING + datetime.timedelta(hours=1, seconds=1), tick=False):
        assert ask_code("13900138888", **address).status_code == 202


def test_a_wrong_code_says_how_many_tries_are_left(demo_district):
    assert ask_code().status_code == 202
    wrong = "000000" if last_code() != "000000" else "111111"
    refused = exchange(code=wrong)
    assert refused.status_code == 400
    assert refused.json()["field"] == "code"
    assert "4 tries left" in refused.json()["detail"]


def test_five_wrong_tries_kill_the_code_even_for_the_right_one(demo_district):
    assert ask_code().status_code == 202
    right = last_code()
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(settings.PHONE_CODE_MAX_ATTEMPTS):
        assert exchange(code=wrong).status_code == 400
    refused = exchange(code=right)
    assert refused.status_code == 400 and refused.json()["field"] == "code"
    assert "no longer works" in refused.json()["detail"]
    assert not ResidentPhone.objects.filter(number=E164).exists()


def test_a_code_works_once(demo_district):
    assert ask_code().status_code == 202
    code = last_code()
    assert exchange(code=code).status_code == 200
    again = exchange(code=code)
    assert again.status_code == 400 and "used already" in again.json()["detail"]


def test_a_code_expires_after_five_minutes(demo_district):
    with time_machine.travel(MORNING, tick=False):
        assert ask_code().status_code == 202
        code = last_code()
    with time_machine.travel(later(settings.PHONE_CODE_VALID_SECONDS + 1), tick=False):
        expired = exchange(code=code)
    assert expired.status_code == 400 and "expired" in expired.json()["detail"]


def test_a_code_for_a_number_that_never_asked_is_refused(demo_district):
    refused = exchange(code="123456")
    assert refused.status_code == 400 and refused.json()["field"] == "code"


@pytest.mark.parametrize("phone", ["+12025550123", "01012345678", "138001380001", "abc", ""],
                         ids=["american", "beijing-landline", "twelve-digits", "letters", "empty"])
def test_only_mainland_mobile_numbers_get_a_code(demo_district, phone):
    refused = ask_code(phone)
    assert refused.status_code == 400
    body = refused.json()
    message = body.get("detail") or " ".join(map(str, body.get("phone", [])))
    assert message
    assert read_sent_sms() == []
    assert not PhoneCode.objects.exists()


def test_a_new_number_without_consent_is_refused_and_the_code_stays_good(demo_district):
    assert ask_code(consent=False).status_code == 202
    code = last_code()
    refused = exchange(code=code)
    assert refused.status_code == 400 and refused.json()["field"] == "consent"
    assert not ResidentPhone.objects.filter(number=E164).exists()
    answer = exchange(code=code, consent=True)
    assert answer.status_code == 200 and answer.json()["created"] is True


def test_consent_to_the_privacy_notice_is_recorded(demo_district):
    assert ask_code().status_code == 202
    assert exchange(code=last_code()).status_code == 200
    [consent] = PrivacyConsent.objects.filter(user__resident_phone__number=E164)
    assert consent.notice_version == settings.PRIVACY_NOTICE_VERSION
    assert consent.consented_at is not None


def test_consent_to_an_older_notice_is_refused(demo_district):
    """An app that showed a notice older than the current one has not shown what is consented to."""
    refused = APIClient().post("/api/v1/auth/phone/code/?lang=en",
                               {"phone": PHONE, "consent": True, "notice_version": "2001-01-01"}, format="json")
    assert refused.status_code == 400 and refused.json()["field"] == "consent"
    assert read_sent_sms() == []


def test_a_staff_members_number_gets_no_code(command_centre):
    command_centre.phone = "13900139000"
    command_centre.save()
    refused = ask_code("13900139000")
    assert refused.status_code == 403
    assert "username and password" in refused.json()["detail"]
    assert read_sent_sms() == []


def test_only_a_hash_of_the_code_is_stored(demo_district):
    assert ask_code().status_code == 202
    code = last_code()
    row = PhoneCode.objects.get(number=E164)
    assert code not in row.code_hash
    assert row.code_hash != code and len(row.code_hash) > 40


@pytest.mark.parametrize("written", ["139 0013 9000", "139-0013-9000", "+86 139 0013 9000", "+8613900139000"])
def test_a_staff_members_number_is_recognised_however_the_administrator_wrote_it(command_centre, written):
    command_centre.phone = written
    command_centre.save()
    assert ask_code("13900139000").status_code == 403
    assert read_sent_sms() == []
