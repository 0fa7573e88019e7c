"""Shared fixtures: the demo district, loaded once per test session, and its people by role."""
import os

import pytest
from django.test import Client

from grids.demo.seed import demo_district_seed
from grids.models import User

DEMO_PASSWORD = "test-password-1"


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


@pytest.fixture
def resident(db):
    return _account("resident")


@pytest.fixture
def grid_officer(db):
    return _account("grid_officer")


@pytest.fixture
def community_staff(db):
    return _account("community_staff")


@pytest.fixture
def street_staff(db):
    return _account("street_staff")


@pytest.fixture
def command_centre(db):
    return _account("command_centre")


@pytest.fixture
def department_staff(db):
    return _account("department_staff")


@pytest.fixture
def district_leader(db):
    return _account("leader")


@pytest.fixture
def inspector(db):
    return _account("inspector")


@pytest.fixture
def grid_admin(db):
    """The administrator who manages grids in the Django admin."""
    return _account("admin")


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
    """Each test starts by re-checking the boundary revision: a rolled-back test may have changed it."""
    from grids.locate import index_expire

    index_expire()
