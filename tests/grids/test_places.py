"""Buildings and units as places on the area model: every demo grid has them inside its boundary, the
admin edits them, and a building's point must lie in its grid."""
import datetime
import uuid

import numpy
import pytest
import shapely
from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from django.utils import timezone

from field import services

from grids.boundaries import to_shape
from grids.demo.seed import demo_district_seed
from grids.models import Building, BuildingUnit, Grid
from tests.conftest import DEMO_PASSWORD


def test_every_demo_grid_has_buildings_inside_it_holding_its_households(demo_district):
    grids = {grid.pk: grid for grid in Grid.objects.all()}
    per_grid = dict(Building.objects.values("grid_id").annotate(n=Count("pk")).values_list("grid_id", "n"))
    assert set(per_grid) == set(grids)
    lats, lngs, ids = map(numpy.array, zip(*Building.objects.values_list("lat", "lng", "grid_id")))
    inside = [shapely.contains_xy(to_shape(grids[gid].boundary), lng, lat) for lat, lng, gid in zip(lats, lngs, ids)]
    assert all(inside)
    held = dict(BuildingUnit.objects.values("building__grid_id").annotate(n=Sum("households"))
                .values_list("building__grid_id", "n"))
    assert all(held[pk] >= grid.households for pk, grid in grids.items())
    assert not Building.objects.filter(centre_household_name="").exists()
    assert not BuildingUnit.objects.filter(households=0).exists()


def test_seeding_again_adds_no_places(demo_district):
    counts = Building.objects.count(), BuildingUnit.objects.count()
    demo_district_seed(password=DEMO_PASSWORD)
    assert (Building.objects.count(), BuildingUnit.objects.count()) == counts


def test_a_building_outside_its_grid_is_refused(demo_district, grid_officer):
    grid = grid_officer.grid
    inside = to_shape(grid.boundary).representative_point()
    building = Building(grid=grid, number="99号楼", lat=inside.y, lng=inside.x)
    building.full_clean()  # inside: fine
    minx, _miny, _maxx, _maxy = to_shape(grid.boundary).bounds
    building.lng = minx - 0.01
    with pytest.raises(ValidationError) as refused:
        building.full_clean()
    assert "lat" in refused.value.message_dict


def test_the_admin_lists_and_edits_buildings_with_their_units(demo_district, grid_admin, signed_in, grid_officer):
    client = signed_in(grid_admin)
    building = Building.objects.filter(grid=grid_officer.grid).first()
    listing = client.get("/admin/grids/building/", {"q": grid_officer.grid.code})
    assert listing.status_code == 200 and building.address in listing.content.decode()
    page = client.get(f"/admin/grids/building/{building.pk}/change/")
    assert page.status_code == 200
    unit = building.units.order_by("id").first()
    assert f'value="{unit.number}"' in page.content.decode()


def test_the_admin_shows_visits_and_patrols_read_only(demo_district, grid_admin, grid_officer, signed_in):
    unit = BuildingUnit.objects.select_related("building").filter(building__grid=grid_officer.grid).first()
    visit = services.visit_record(officer=grid_officer, unit=unit, room="101", visited_at=timezone.now()).visit
    point = to_shape(grid_officer.grid.boundary).representative_point()
    track = services.patrol_points_add(officer=grid_officer, patrol=uuid.uuid4(), points=[services.PointIn(
        at=timezone.now() - datetime.timedelta(minutes=1), lat=point.y, lng=point.x)]).track
    client = signed_in(grid_admin)
    for url in ("/admin/field/visit/", f"/admin/field/visit/{visit.pk}/change/", "/admin/field/patroltrack/",
                f"/admin/field/patroltrack/{track.pk}/change/"):
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/field/visit/add/").status_code == 403
