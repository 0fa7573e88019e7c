"""The change history of accounts (jianhua.history) outside the admin: a change through the API names the
account that made it, and closing an account leaves no name or number in its history either."""
import pytest

from grids.models import User
from tests.accounts.conftest import E164, PHONE, with_token

pytestmark = pytest.mark.django_db


def test_closing_an_account_through_the_api_is_recorded_by_it_and_its_history_forgets_the_person(phone_resident):
    user, token = phone_resident()
    User.objects.filter(pk=user.pk).update(full_name="王阿姨")  # an earlier name, kept by an earlier record
    user.refresh_from_db()
    user.save()
    assert User.history.filter(id=user.pk, full_name="王阿姨", phone=PHONE).exists()

    assert with_token(token).delete("/api/v1/me/data/").status_code == 204

    closing = User.history.filter(id=user.pk).latest()
    assert closing.history_type == "~" and closing.history_user_id == user.pk  # who: the resident, by token
    assert closing.is_active is False
    kept = User.history.filter(id=user.pk)
    assert kept.count() >= 3
    for record in kept:
        assert (record.full_name, record.phone, record.email) == ("", "", "")
        assert record.username == f"deleted-{user.pk}"
    assert not User.history.filter(phone__contains=PHONE[-8:]).exists()
    assert not User.history.filter(phone=E164).exists()
