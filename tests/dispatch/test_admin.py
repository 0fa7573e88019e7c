"""The district edits the deadline matrix and the calendar corrections in the admin."""
from dispatch.models import CalendarDay

from .conftest import local


def test_the_rules_and_calendar_days_are_listed(deadline_rules, grid_admin, signed_in):
    CalendarDay.objects.create(date=local(2027, 10, 1).date(), is_working_day=False, name="国庆节")
    client = signed_in(grid_admin)
    rules = client.get("/admin/dispatch/deadlinerule/?tier__exact=community&priority__exact=normal")
    assert rules.status_code == 200
    assert rules.context["cl"].result_count == 3  # the default, heating, water-power-gas
    days = client.get("/admin/dispatch/calendarday/?q=国庆")
    assert days.status_code == 200 and days.context["cl"].result_count == 1
    assert client.get("/admin/dispatch/deadlinerule/add/").status_code == 200


def test_a_second_default_rule_is_refused_in_the_admin(deadline_rules, grid_admin, signed_in):
    page = signed_in(grid_admin).post("/admin/dispatch/deadlinerule/add/", {
        "tier": "community", "priority": "normal", "category": "", "response_minutes": "60",
        "resolution_working_days": "3", "active": "on",
    })
    assert page.status_code == 200  # the form again, with the error
    assert deadline_rules.filter(tier="community", priority="normal", category=None).count() == 1
