"""Guessing passwords: after AXES_FAILURE_LIMIT failed sign-ins for one account from one address, that
account is refused from there – on the sign-in page and the API's token endpoint alike – until
AXES_COOLOFF_TIME has passed without trying, or an administrator unlocks it."""
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client, username, password):
    return client.post("/accounts/login/?lang=en", {"username": username, "password": password, "next": "/work/"})


def token(username, password):
    return APIClient().post("/api/v1/auth/token/?lang=en", {"username": username, "password": password},
                            format="json")


def test_the_sign_in_page_locks_an_account_guessed_at_and_opens_again_after_the_cool_off(client, community_staff,
                                                                                        street_staff, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            wrong = sign_in(client, "community_staff", "guess")
            assert wrong.status_code == 200 and "correct username and password" in wrong.content.decode()
        assert sign_in(client, "community_staff", "guess").status_code == 429  # the last failure allowed
        locked = sign_in(client, "community_staff", DEMO_PASSWORD)  # and even the right password, now
        page = locked.content.decode()
        assert locked.status_code == 429 and locked["Retry-After"] == "900"
        assert 'id="locked-out"' in page and "Try again in 15 minutes" in page
        assert 'value="community_staff"' in page and DEMO_PASSWORD not in page
        assert "_auth_user_id" not in client.session
        # Another account from the same address is not affected.
        assert sign_in(client, "street_staff", DEMO_PASSWORD).status_code == 302
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        client.logout()
        assert sign_in(client, "community_staff", DEMO_PASSWORD)["Location"] == "/work/"


def test_the_api_token_endpoint_counts_the_same_failures_and_answers_json(resident, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert token("resident", "guess").status_code == 400
    assert token("resident", DEMO_PASSWORD).status_code == 200  # a success clears the count
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert token("resident", "guess").status_code == 400
    assert token("resident", "guess").status_code == 429
    locked = token("resident", DEMO_PASSWORD)
    assert locked.status_code == 429 and locked["Retry-After"] == "900"
    assert "Too many failed sign-ins" in locked.json()["detail"] and "token" not in locked.json()


def test_an_administrator_unlocks_an_account(client, grid_officer, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "grid_officer", "guess")
    assert sign_in(client, "grid_officer", DEMO_PASSWORD).status_code == 429
    assert AccessAttempt.objects.filter(username="grid_officer").exists()  # listed in the admin
    call_command("axes_reset_username", "grid_officer")
    assert sign_in(client, "grid_officer", DEMO_PASSWORD).status_code == 302
