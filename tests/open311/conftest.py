"""Open311 in the story: the city's 12345 hotline files whistles through its own intake client and
follows them; ``georeport`` (a third-party client from PyPI) reads them back."""
import importlib
import uuid
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.test import Client

from issues import services
from issues.models import CategoryAttribute
from tests.issues import conftest as issue_story

# The issues' story fixtures: categories, a spot in the grid officer's grid, filing and advancing.
categories, garbage = issue_story.categories, issue_story.garbage
spot_in_officers_grid = issue_story.spot_in_officers_grid
file_issue, advance = issue_story.file_issue, issue_story.advance

ROOT = "/open311/v2"


@pytest.fixture
def service_attributes(categories):
    """The seeded extra questions (heating, elevator, snow); a flushing test may have emptied them."""
    if not CategoryAttribute.objects.exists():
        importlib.import_module("issues.migrations.0005_category_attributes").seed(apps, None)
    return CategoryAttribute.objects


@pytest.fixture
def hotline(db):
    """The city's 12345 hotline as an intake client, with a key of its own (so that rate counts of
    one test never reach another)."""
    return services.intake_client_create(name="齐齐哈尔 12345 市民热线", code=f"hotline-{uuid.uuid4().hex[:8]}",
                                         rate_limit_per_minute=1000)


@pytest.fixture
def open311():
    return Open311Client()


class Open311Client:
    """A plain HTTP client of /open311/v2/, as a city's system would be: no session, form posts."""

    def __init__(self):
        self.http = Client()

    def get(self, path, fmt="json", **params):
        return self.http.get(f"{ROOT}/{path}.{fmt}", params)

    def post(self, fields: dict, fmt="json", *, multipart=False, headers=None):
        """File a request: the spec's application/x-www-form-urlencoded body, or multipart."""
        if multipart:
            return self.http.post(f"{ROOT}/requests.{fmt}", fields, headers=headers or {})
        return self.http.post(f"{ROOT}/requests.{fmt}", urlencode(fields, doseq=True),
                              content_type="application/x-www-form-urlencoded", headers=headers or {})


# What a caller told the hotline: none of it may ever appear in a GET answer.
CALLER = {"first_name": "建国", "last_name": "王", "phone": "13812345678", "email": "wangjianguo@example.com",
          "device_id": "hotline-seat-42", "account_id": "caller-778899"}


@pytest.fixture
def whistle(hotline, spot_in_officers_grid, categories):
    """whistle(**overrides) → the form fields of a valid request: rubbish in the grid officer's grid."""

    def fields(**overrides):
        lat, lng = spot_in_officers_grid
        data = {"api_key": hotline.api_key, "service_code": "garbage", "lat": f"{lat:.6f}", "long": f"{lng:.6f}",
                "description": "小区东门垃圾桶满了，三天没人清运。", "address_string": "东市场社区东门",
                "media_url": "https://wx.example.cn/photos/abc.jpg", **CALLER}
        data.update(overrides)
        return {key: value for key, value in data.items() if value is not None}

    return fields
