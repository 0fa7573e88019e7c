"""Load the demo district: 5 streets, 34 communities, 840 grids, 11 departments, the grid staff and
one demo account per role. Idempotent: every row is keyed by its code or username and updated in
place, so a second run changes nothing and adds nothing.
"""
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy
from django.contrib.auth.hashers import make_password
from django.db import transaction

from ..boundaries import to_geojson
from ..models import BoundaryRevision, Community, Department, District, Grid, GridDuty, Role, Street, User
from . import district as facts
from . import geometry
from .places import demo_places_seed

DEMO_ACCOUNTS = [
    # username, role, full name, where they serve (filled in below)
    ("admin", Role.ADMIN, "系统管理员"),
    ("command_centre", Role.COMMAND_CENTRE, "区指挥中心值班员"),
    ("leader", Role.LEADER, "区委领导"),
    ("inspector", Role.INSPECTOR, "区纪委监委干部"),
    ("street_staff", Role.STREET_STAFF, "中华街道干部"),
    ("community_staff", Role.COMMUNITY_STAFF, "东市场社区干部"),
    ("grid_officer", Role.GRID_OFFICER, "东市场社区网格员"),
    ("department_staff", Role.DEPARTMENT_STAFF, "城管局干部"),
    ("resident", Role.RESIDENT, "居民张先生"),
    ("resident2", Role.RESIDENT, "居民李女士"),
]

DEMO_EMAIL_DOMAIN = "demo.jianhua.example"

# Higher apps add their demo data here from their AppConfig.ready() (grids imports none of them):
# each is called as ``extension(options, progress)`` inside the seed's transaction and returns the
# lines to print with the demo accounts (a demo API key, say).
DEMO_EXTENSIONS: list[Callable[[dict, Callable[[str], None]], list[str]]] = []


@dataclass
class SeedSummary:
    streets: int
    communities: int
    grids: int
    departments: int
    staff: int
    demo_accounts: list[tuple[str, str, str]]  # username, role label, area name
    extra_lines: list[str] = field(default_factory=list)  # what DEMO_EXTENSIONS want printed


def demo_district_seed(
    *, password: str, options: dict | None = None, progress: Callable[[str], None] = lambda message: None
) -> SeedSummary:
    """Create or update the demo district; every demo account gets ``password``. ``options`` (the
    command's) are handed to every registered extension (``DEMO_EXTENSIONS``)."""
    started = time.perf_counter()

    def step(message):
        progress(f"[{time.perf_counter() - started:5.1f}s] {message}")

    lat, lng = facts.DISTRICT["centre"]
    tiling = geometry.tiling(facts.GRID_COUNT, facts.DISTRICT["area_m2"], lat, lng)
    step(f"drew {len(tiling.cells)} grid boundaries")
    rng = numpy.random.default_rng(2020)
    with transaction.atomic():
        district = _upsert(
            District,
            [District(code=facts.DISTRICT["code"], name=facts.DISTRICT["name"], population=facts.DISTRICT["population"],
                      boundary=to_geojson(geometry.union(tiling.cells)))],
            ["name", "population", "boundary"],
        )[facts.DISTRICT["code"]]
        step("district 建华区")

        all_cells = numpy.arange(len(tiling.cells))
        street_sizes = _even_sizes(len(all_cells), len(facts.STREETS))
        street_cells = geometry.split_by_angle(all_cells, tiling.centroids, street_sizes)
        streets, communities, grids = [], [], []
        for street_number, ((street_code, street_name, community_names), cells) in enumerate(
                zip(facts.STREETS, street_cells), start=1):
            streets.append(Street(code=street_code, name=street_name, district=district,
                                  boundary=to_geojson(geometry.union([tiling.cells[i] for i in cells]))))
            groups = geometry.split_compact(cells, tiling.centroids, len(community_names))
            for number, (community_name, group) in enumerate(zip(community_names, groups), start=1):
                community_code = f"{street_code}{number:03d}"
                communities.append((street_code, Community(
                    code=community_code, name=f"{community_name}社区", phone=_community_phone(street_number, number),
                    boundary=to_geojson(geometry.union([tiling.cells[i] for i in group])))))
                # Number grids from north-west to south-east, as a paper map would.
                ordered = sorted(group, key=lambda i: (-round(tiling.centroids[i][1], -2), tiling.centroids[i][0]))
                for grid_number, cell in enumerate(ordered, start=1):
                    grids.append((community_code, cell, Grid(
                        code=f"{community_code}{grid_number:03d}", name=f"{community_name}社区第{grid_number}网格",
                        boundary=to_geojson(tiling.cells[cell]))))
        street_ids = _upsert(Street, streets, ["name", "district", "boundary"])
        step(f"{len(street_ids)} streets")
        for street_code, community in communities:
            community.street_id = street_ids[street_code].pk
        community_ids = _upsert(Community, [c for _s, c in communities], ["name", "street", "boundary", "phone"])
        step(f"{len(community_ids)} communities")

        weights = numpy.array([tiling.cells[cell].area for _c, cell, _g in grids]) * rng.uniform(0.6, 1.4, len(grids))
        populations = rng.multinomial(facts.DISTRICT["population"], weights / weights.sum())
        for (community_code, _cell, grid), population in zip(grids, populations):
            grid.community_id = community_ids[community_code].pk
            grid.population = int(population)
            grid.households = int(population / 2.6)
        grid_ids = _upsert(Grid, [g for _c, _cell, g in grids], ["name", "community", "boundary", "population", "households"])
        BoundaryRevision.bump()
        step(f"{len(grid_ids)} grids")

        # Its own random stream, so that the places leave the staff's names as they were.
        buildings, units = demo_places_seed([
            (grid_ids[grid.code], tiling.cells[cell], community_ids[community_code].name.removesuffix("社区"))
            for community_code, cell, grid in grids
        ], numpy.random.default_rng(2021))
        step(f"{buildings} buildings, {units} units")

        departments = _upsert(Department, [
            Department(code=code, name=name, short_name=short, duties=duties, district=district,
                       commitment=f"{short}部门接哨后30分钟内报到，事不完、人不撤。")
            for code, name, short, duties in facts.DEPARTMENTS
        ], ["name", "short_name", "duties", "commitment", "district"])
        step(f"{len(departments)} departments")

        password_hash = make_password(password)
        staff = _grid_staff(grid_ids, password_hash, rng)
        _upsert(User, staff, ["password", "role", "full_name", "phone", "grid", "grid_duty"], key="username")
        step(f"{len(staff)} grid leaders and information officers")

        first_street = street_ids[facts.STREETS[0][0]]
        first_community = community_ids[f"{facts.STREETS[0][0]}001"]
        first_grid = grid_ids[f"{first_community.code}001"]
        places = {
            Role.ADMIN: {"district": district}, Role.COMMAND_CENTRE: {"district": district},
            Role.LEADER: {"district": district}, Role.INSPECTOR: {"district": district},
            Role.STREET_STAFF: {"street": first_street}, Role.COMMUNITY_STAFF: {"community": first_community},
            Role.GRID_OFFICER: {"grid": first_grid, "grid_duty": GridDuty.OFFICER},
            Role.DEPARTMENT_STAFF: {"department": departments["urban-management"]}, Role.RESIDENT: {},
        }
        accounts = []
        for username, role, full_name in DEMO_ACCOUNTS:
            # Staff get an address so that notifications go out by e-mail too (the console, locally).
            email = f"{username}@{DEMO_EMAIL_DOMAIN}" if role != Role.RESIDENT else ""
            accounts.append(User(
                username=username, role=role, full_name=full_name, password=password_hash, email=email,
                is_staff=role == Role.ADMIN, is_superuser=role == Role.ADMIN, **places[role]))
        _upsert(User, accounts, ["password", "role", "full_name", "email", "is_staff", "is_superuser", "district", "street",
                                 "community", "grid", "department", "grid_duty"], key="username")
        step(f"{len(accounts)} demo accounts")
        extra_lines = []
        for extension in DEMO_EXTENSIONS:
            extra_lines += extension(options or {}, step)

    return SeedSummary(
        streets=len(street_ids), communities=len(community_ids), grids=len(grid_ids), departments=len(departments),
        staff=len(staff), demo_accounts=[
            (user.username, user.get_role_display(), str(user.area) if user.area else "—") for user in accounts
        ],
        extra_lines=extra_lines,
    )


def _community_phone(street_number: int, community_number: int) -> str:
    """A Qiqihar landline (area code 0452, seven digits) for the community office, the same on every run."""
    return f"0452-2{street_number}{community_number:02d}{(street_number * 389 + community_number * 617) % 1000:03d}"


def _even_sizes(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def _grid_staff(grid_ids: dict, password_hash: str, rng: numpy.random.Generator) -> list[User]:
    staff = []
    for code, grid in sorted(grid_ids.items()):
        duties = [GridDuty.LEADER] + [GridDuty.INFORMATION_OFFICER] * facts.INFORMATION_OFFICERS_PER_GRID
        for number, duty in enumerate(duties):
            name = rng.choice(list(facts.SURNAMES)) + "".join(rng.choice(list(facts.GIVEN), size=rng.integers(1, 3)))
            staff.append(User(
                username=f"g{code}-{number}", role=Role.GRID_OFFICER, grid=grid, grid_duty=duty, full_name=name,
                phone=f"13{rng.integers(0, 10)}{rng.integers(0, 10**8):08d}", password=password_hash))
    return staff


def _upsert(model, objects: list, update_fields: list[str], key: str = "code") -> dict:
    """Insert or update rows by their natural key; the saved rows by key."""
    model.objects.bulk_create(
        objects, batch_size=500, update_conflicts=True, unique_fields=[key], update_fields=update_fields
    )
    keys = [getattr(obj, key) for obj in objects]
    return {getattr(obj, key): obj for obj in model.objects.filter(**{f"{key}__in": keys})}
