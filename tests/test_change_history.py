"""Who changed what in the admin (jianhua.history): an administrator edits a deadline rule, a grid and an
account in the admin, then reads on each one's "History" page who changed it, when, and what it was
before; no password hash is ever kept in a history table."""
import datetime
import json
import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import formats, timezone, translation
from shapely.affinity import scale

from dispatch.models import CalendarDay, DeadlineRule, RoutingRule
from dispatch.rulebook import rulebook
from grids.boundaries import to_geojson, to_shape
from grids.locate import grid_locate
from grids.models import BoundaryRevision, Community, Department, District, Grid, Role, Street, User
from issues.models import Category
from jianhua.history import baselines_create
from tests.forms import form_data

pytestmark = pytest.mark.django_db


class _HistoryTable(HTMLParser):
    """The rows of the admin's change-history table, each a dict of column heading → the cell's text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inside, self.headings, self.rows, self.cell = False, [], [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("id") == "change-history":
            self.inside = True
        elif self.inside and tag == "tr":
            self.row = []
        elif self.inside and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag in ("td", "th") and self.cell is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr":
            if self.headings:
                self.rows.append(dict(zip(self.headings, self.row)))
            else:
                self.headings = self.row
        elif tag == "table":
            self.inside = False

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def history_rows(client, url):
    page = client.get(f"{url.removesuffix('change/')}history/?lang=en")
    assert page.status_code == 200
    table = _HistoryTable()
    table.feed(page.content.decode())
    assert table.headings[:1] == ["Object"] and "Changes" in table.headings
    return table.rows  # newest first


def edit_in_admin(client, url, form_id, **changes):
    page = client.get(f"{url}?lang=en")
    assert page.status_code == 200
    # An empty multiple select posts nothing (tests.forms reads it as "").
    data = {key: value for key, value in form_data(page.content.decode(), form_id).items()
            if value != "" or key not in ("groups", "user_permissions")}
    data.update(changes)
    saved = client.post(f"{url}?lang=en", data)
    text = saved.content.decode()
    assert saved.status_code == 302, re.findall(r'<ul class="errorlist[^>]*>.*?</ul>', text, re.S)


@pytest.fixture
def admin_client_(signed_in, grid_admin):
    return signed_in(grid_admin)


@pytest.fixture
def deadline_rules():
    """The deadline rules a migration seeds (which leaves no history record: the baselines make one)."""
    return DeadlineRule.objects


def test_a_deadline_rule_edited_in_the_admin_shows_who_when_and_before_and_after(admin_client_, grid_admin,
                                                                                  deadline_rules):
    rule = deadline_rules.get(tier="community", priority="normal", category=None)
    before = rule.response_minutes
    url = f"/admin/dispatch/deadlinerule/{rule.pk}/change/"
    edit_in_admin(admin_client_, url, "deadlinerule_form", response_minutes=str(before + 15))

    newest, *older = history_rows(admin_client_, url)
    assert newest["Changed by"] == str(grid_admin)
    assert newest["Comment"] == "Changed"
    record = rule.history.latest()
    assert abs((timezone.now() - record.history_date).total_seconds()) < 60
    with translation.override("en"):
        assert newest["Date/time"] == formats.date_format(timezone.localtime(record.history_date), "DATETIME_FORMAT")
    assert f"Response deadline (报到时限), minutes: {before} → {before + 15}" in newest["Changes"]
    assert "Resolution" not in newest["Changes"]  # only what changed
    assert older, "the rule seeded by a migration has its first record, so the change has a before"
    # The processes' rulebook reads the rule as it is now: the history table is a table apart.
    assert {r.pk: r.response_minutes for r in rulebook().deadlines}[rule.pk] == before + 15


def test_a_grid_renamed_and_redrawn_shows_both_and_its_boundary_still_locates(admin_client_, grid_admin):
    grid = Grid.objects.order_by("code")[7]
    smaller = to_geojson(scale(to_shape(grid.boundary), 0.8, 0.8))
    revision = BoundaryRevision.current()[0]
    url = f"/admin/grids/grid/{grid.pk}/change/"
    edit_in_admin(admin_client_, url, "grid_form", name=f"{grid.name}（新）", boundary=json.dumps(smaller))

    newest = history_rows(admin_client_, url)[0]
    assert newest["Changed by"] == str(grid_admin)
    assert f"Name: {grid.name} → {grid.name}（新）" in newest["Changes"]
    points = len(smaller["coordinates"][0])
    before, after = re.search(r"Boundary: Polygon of (\d+) points \(#(\w+)\) → Polygon of (\d+) points \(#(\w+)\)",
                              newest["Changes"]).group(2, 4)
    assert before != after and f"→ Polygon of {points} points" in newest["Changes"]
    # The boundary as it was is kept whole, as GeoJSON, and the point-in-grid index was told to rebuild.
    old, new = grid.history.order_by("-history_id")[1], grid.history.latest()
    assert old.boundary == grid.boundary and new.boundary["type"] == "Polygon"
    assert to_shape(new.boundary).equals_exact(to_shape(smaller), 1e-9)
    assert BoundaryRevision.current()[0] > revision
    inside = to_shape(smaller).representative_point()
    assert grid_locate(lat=inside.y, lng=inside.x).grid_id == grid.pk


def test_a_role_change_shows_in_the_account_history_which_keeps_no_password_hash(admin_client_, grid_admin):
    officer = User.objects.get(username="grid_officer")
    community = Community.objects.get(pk=officer.grid.community_id)
    url = f"/admin/grids/user/{officer.pk}/change/"
    edit_in_admin(admin_client_, url, "user_form", role=Role.COMMUNITY_STAFF, community=str(community.pk), grid="",
                  grid_duty="")

    newest = history_rows(admin_client_, url)[0]
    assert newest["Changed by"] == str(grid_admin)
    assert "Role: Grid officer → Community staff" in newest["Changes"]
    assert f"Community: — → {community.name}" in newest["Changes"]
    assert f"Grid: {officer.grid.name} → —" in newest["Changes"]
    assert "Duty in the grid: Full-time grid officer → —" in newest["Changes"]
    assert "Date joined" not in newest["Changes"]

    history_columns = {field.name for field in User.history.model._meta.fields}
    assert "password" not in history_columns and "last_login" not in history_columns
    with connection.cursor() as cursor:
        columns = {c.name for c in connection.introspection.get_table_description(cursor,
                                                                                  User.history.model._meta.db_table)}
    assert "password" not in columns
    officer.refresh_from_db()
    page = admin_client_.get(f"/admin/grids/user/{officer.pk}/history/?lang=en").content.decode()
    assert officer.password and officer.password not in page


def test_joining_an_admin_group_shows_in_the_account_history(admin_client_, grid_admin):
    editors = Group.objects.create(name="规则编辑")
    officer = User.objects.get(username="street_staff")
    url = f"/admin/grids/user/{officer.pk}/change/"
    edit_in_admin(admin_client_, url, "user_form", groups=[str(editors.pk)])

    newest = history_rows(admin_client_, url)[0]
    assert newest["Changed by"] == str(grid_admin)
    assert newest["Changes"] == "Groups: [] → [规则编辑]"  # and nothing else: a form round trip changes nothing


def test_a_password_reset_is_recorded_without_the_hash_and_a_sign_in_is_not_recorded(admin_client_, client,
                                                                                      grid_admin):
    officer = User.objects.get(username="grid_officer")
    records = officer.history.count()
    changed = admin_client_.post(f"/admin/grids/user/{officer.pk}/password/",
                                 {"password1": "Another-pass-2026", "password2": "Another-pass-2026",
                                  "usable_password": "true"})
    assert changed.status_code == 302
    reset = officer.history.latest()
    assert officer.history.count() == records + 1 and reset.history_user == grid_admin
    assert not hasattr(reset, "password")
    client.force_login(officer)  # what a sign-in does after the password check: last_login is saved
    officer.refresh_from_db()
    assert officer.last_login is not None and officer.check_password("Another-pass-2026")
    assert officer.history.count() == records + 1


def test_a_new_centre_household_shows_in_the_buildings_history(admin_client_, grid_admin):
    from grids.models import Building

    building = Building.objects.order_by("pk").first()
    before = building.centre_household_name
    url = f"/admin/grids/building/{building.pk}/change/"
    edit_in_admin(admin_client_, url, "building_form", centre_household_name="刘桂兰",
                  centre_household_phone="13945678901")

    newest, *older = history_rows(admin_client_, url)
    assert newest["Changed by"] == str(grid_admin)
    assert f"Centre household: {before} → 刘桂兰" in newest["Changes"]
    assert older, "the seeded building has its first record, so the change has a before"


def test_every_hand_edited_table_has_a_history_page(admin_client_):
    day = CalendarDay.objects.create(date=datetime.date(2027, 10, 1), is_working_day=False, name="国庆节")
    urls = [f"/admin/dispatch/calendarday/{day.pk}/change/"]
    for model, admin_path in [(District, "grids/district"), (Street, "grids/street"), (Community, "grids/community"),
                              (Department, "grids/department"), (Category, "issues/category"),
                              (RoutingRule, "dispatch/routingrule")]:
        urls.append(f"/admin/{admin_path}/{model.objects.order_by('pk').first().pk}/change/")
    for url in urls:
        rows = history_rows(admin_client_, url)
        assert rows, url


def test_the_history_page_reads_a_fixed_number_of_queries(admin_client_, deadline_rules,
                                                          django_assert_max_num_queries):
    rule = deadline_rules.get(tier="street", priority="normal", category=None)

    def count_queries():
        with django_assert_max_num_queries(100) as captured:
            assert admin_client_.get(f"/admin/dispatch/deadlinerule/{rule.pk}/history/").status_code == 200
        return len(captured)

    rule.response_minutes += 1
    rule.save()
    few = count_queries()
    for _change in range(10):
        rule.response_minutes += 1
        rule.save()
    assert count_queries() == few


def test_rows_inserted_in_bulk_get_a_first_record_once():
    inserted = CalendarDay.objects.bulk_create([CalendarDay(date=datetime.date(2028, 1, day), is_working_day=False)
                                                for day in (1, 2)])
    assert not CalendarDay.history.filter(id__in=[d.pk for d in inserted]).exists()
    assert baselines_create([CalendarDay]) == 2
    assert baselines_create([CalendarDay]) == 0
    assert CalendarDay.history.filter(id__in=[d.pk for d in inserted], history_type="+").count() == 2


@pytest.mark.parametrize("path", ["2%2Fchange/history/", "true/history/", "99999999999999999999999/history/",
                                  "1/history/null/", "1/history/99999999999999999999999/", "424242/history/"])
def test_a_history_address_with_a_wrong_id_is_not_found(admin_client_, path):
    assert admin_client_.get(f"/admin/dispatch/deadlinerule/{path}").status_code == 404


def test_an_old_version_is_shown_and_never_saved_back(admin_client_, deadline_rules):
    rule = deadline_rules.get(tier="district", priority="urgent", category=None)
    rule.response_minutes += 5
    rule.save()
    first = rule.history.earliest()
    url = f"/admin/dispatch/deadlinerule/{rule.pk}/history/{first.history_id}/"
    assert admin_client_.get(url).status_code == 200
    data = {"tier": rule.tier, "priority": rule.priority, "category": "", "active": "on",
            "response_minutes": str(first.response_minutes),
            "resolution_working_days": str(rule.resolution_working_days)}
    assert admin_client_.post(url, data).status_code == 403
    rule.refresh_from_db()
    assert rule.response_minutes == first.response_minutes + 5
