"""Shared fixtures: the demo district, loaded once per test session, and its people by role."""
import os

import pytest
from django.test import Client

from grids.demo.seed import demo_district_seed
from grids.models import User

DEMO_PASSWORD = "test-password-1"
# The live tests' fixtures (a redis-server of their own, the check for real services).
pytest_plugins = ["tests.live_worker"]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        demo_district_seed(password=DEMO_PASSWORD)


@pytest.fixture
def demo_district(db):
    """The seeded district (840 grids). Tests that flush the database reseed it here."""
    from grids.models import Grid

    if not Grid.objects.exists():
        demo_district_seed(password=DEMO_PASSWORD)


def _account(username):
    return User.objects.select_related("district", "street", "community__street", "grid__community__street",
                                       "department").get(username=username)


def _person(username, doc):
    @pytest.fixture
    def person(db):
        return _account(username)

    person.__doc__ = doc
    return person


# The people of the story, as seed_demo creates them (see README, "Demo accounts").
resident = _person("resident", "A resident who blows the whistle.")
grid_officer = _person("grid_officer", "The officer of 东市场社区第1网格.")
community_staff = _person("community_staff", "Staff of 东市场社区, which holds the grid officer's grid.")
street_staff = _person("street_staff", "Staff of 中华街道, which holds 东市场社区.")
command_centre = _person("command_centre", "The district command centre's duty officer.")
department_staff = _person("department_staff", "Staff of the urban management bureau (城管).")
district_leader = _person("leader", "A district leader.")
inspector = _person("inspector", "A discipline inspector.")
grid_admin = _person("admin", "The administrator who manages grids in the Django admin.")


@pytest.fixture
def signed_in():
    """signed_in(user) → a test client with that user's session."""

    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make


def require_tool(path):
    """Skip on a developer's machine that lacks a system tool; in CI a missing tool is a failure."""
    if os.path.exists(path):
        return
    message = f"{path} is missing: run the README's test command, which installs it"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def fresh_grid_index():
    """Each test starts by re-checking the boundary revision and re-reading the dispatch rules: a
    rolled-back test may have changed them."""
    from dispatch.rulebook import rules_expire
    from grids.locate import index_expire

    index_expire()
    rules_expire()


@pytest.fixture(autouse=True)
def sms_folder(settings, tmp_path):
    """Every test's text messages (the file SMS backend) in a folder of its own, read back with
    notifications.sms.read_sent_sms()."""
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    return tmp_path / "sms"
