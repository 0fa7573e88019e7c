"""Residents signing in with their mobile number: the number of the story, reading its code back from
the text messages, and a whistle to own."""
import datetime
import re

import pytest
from rest_framework.test import APIClient

from notifications.sms import read_sent_sms

PHONE = "13800138000"
E164 = "+8613800138000"
# A weekday morning in Jianhua (Asia/Shanghai): the day's limits do not roll over during a test.
MORNING = datetime.datetime(2026, 12, 10, 9, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))


def last_code(number=E164):
    """The 6-digit code of the latest text message to ``number``."""
    messages = read_sent_sms(number=number)
    assert messages, f"no text message to {number}"
    return re.search(r"\b(\d{6})\b", messages[-1].text).group(1)


def ask_code(phone=PHONE, consent=True, **extra):
    return APIClient().post("/api/v1/auth/phone/code/?lang=en", {"phone": phone, "consent": consent},
                            format="json", **extra)


def exchange(phone=PHONE, code="", **fields):
    return APIClient().post("/api/v1/auth/phone/token/?lang=en", {"phone": phone, "code": code, **fields},
                            format="json")


def with_token(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def phone_resident(demo_district):
    """phone_resident(phone) → (the new resident's account, their API token), signed up by code."""
    from grids.models import User

    def sign_up(phone=PHONE):
        assert ask_code(phone).status_code == 202
        number = "+86" + phone
        answer = exchange(phone, last_code(number))
        assert answer.status_code == 200, answer.content
        return User.objects.get(resident_phone__number=number), answer.json()["token"]

    return sign_up


@pytest.fixture
def file_whistle(demo_district, grid_officer):
    """file_whistle(user, **overrides) → a whistle the user filed in the grid officer's grid."""
    from grids.boundaries import to_shape
    from issues import services
    from issues.models import Category

    point = to_shape(grid_officer.grid.boundary).representative_point()

    def file(user, **overrides):
        fields = dict(filed_by=user, title="楼道灯坏了一个月", description="3号楼2单元楼道灯不亮。",
                      category=Category.objects.get(code="garbage"), lat=point.y, lng=point.x,
                      address="东市场社区3号楼", reporter_name="王阿姨", reporter_phone="13800138000")
        fields.update(overrides)
        return services.issue_submit(**fields).issue

    return file
