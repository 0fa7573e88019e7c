"""Fixtures of the places and visits story, shared by the visit, patrol and coverage tests: the grid
officer's grid (东市场社区第1网格) and its demo buildings. Imported by each test module."""
import pytest

from grids.models import BuildingUnit, Grid, GridDuty, Role, User
from tests.factories import jpeg  # noqa: F401 (the visit tests take it from here)
from tests.issues.conftest import categories, garbage  # noqa: F401 (the story's categories)


@pytest.fixture
def unit_in_officers_grid(grid_officer):
    """A unit of a building in the grid officer's grid, with its building."""
    return BuildingUnit.objects.select_related("building").filter(building__grid=grid_officer.grid).order_by("id")[0]


@pytest.fixture
def other_grid(grid_officer):
    """The next grid of the same community (东市场社区第2网格)."""
    return Grid.objects.filter(community=grid_officer.grid.community).exclude(pk=grid_officer.grid_id).order_by("code")[0]


@pytest.fixture
def unit_in_other_grid(other_grid):
    return BuildingUnit.objects.select_related("building").filter(building__grid=other_grid).order_by("id")[0]


@pytest.fixture
def officer_of_other_grid(other_grid):
    return User.objects.filter(grid=other_grid, role=Role.GRID_OFFICER,
                               grid_duty=GridDuty.INFORMATION_OFFICER).order_by("username")[0]


@pytest.fixture
def officer_of_other_community(grid_officer):
    return (User.objects.filter(role=Role.GRID_OFFICER).exclude(grid__community=grid_officer.grid.community)
            .order_by("username")[0])

