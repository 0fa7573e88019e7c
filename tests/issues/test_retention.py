"""Personal data over time (issues.retention): PERSONAL_DATA_RETENTION_DAYS (730) after an issue ended, the
daily task erases the reporter's name, phone and contacts; the case, its place and its timeline stay, and
the officers' page and the API say what happened and when."""
import datetime
from html import unescape

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from accounts.services import account_delete
from issues import retention, services, tasks
from issues.lifecycle import Action, Status
from issues.models import Channel, Issue, IssueEvent, RejectReason

pytestmark = pytest.mark.django_db

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
NOW = datetime.datetime(2026, 12, 4, 10, 0, tzinfo=SHANGHAI)
CALLER, CALLER_PHONE = "王大爷", "13812341234"


@pytest.fixture
def hotline_issue(file_issue, advance, command_centre, community_staff):
    """hotline_issue(ended_days_ago, until=Status.CLOSED) → a caller's whistle taken by the hotline, moved to
    ``until`` that many days before NOW (filed two weeks earlier); closed with a note that quotes the number."""

    def make(ended_days_ago, until=Status.CLOSED):
        ended = NOW - datetime.timedelta(days=ended_days_ago)
        with time_machine.travel(ended - datetime.timedelta(days=14), tick=False):
            issue = file_issue(filed_by=command_centre, channel=Channel.HOTLINE, reporter_name=CALLER,
                               reporter_phone=CALLER_PHONE, reporter_contact={"email": "wang@example.com"},
                               description=f"楼道灯坏了，请回电 {CALLER_PHONE}。")
        with time_machine.travel(ended, tick=False):
            if until == Status.CLOSED:
                return services.issue_close(issue=advance(issue, Status.RESOLVED), actor=community_staff,
                                            note=f"已回电 {CALLER_PHONE}，居民认可。")
            return advance(issue, until) if until != Status.SUBMITTED else issue

    return make


def sweep(**kwargs):
    with time_machine.travel(NOW, tick=False):
        return retention.personal_data_retention_sweep(**kwargs)


def page_for(user, issue):
    client = Client()
    client.force_login(user)
    return unescape(client.get(f"/issues/{issue.number}/?lang=en").content.decode())


def test_two_years_after_closing_the_callers_data_is_erased_and_the_case_stays(hotline_issue):
    old = hotline_issue(731)
    recent = hotline_issue(729)
    still_open = hotline_issue(800, until=Status.DISPATCHED)
    kept = {field: getattr(old, field) for field in ("number", "title", "category_id", "lat", "lng", "address",
                                                      "grid_id", "community_id", "street_id", "status", "closed_at",
                                                      "result", "created_at")}
    events = list(IssueEvent.objects.filter(issue=old).values_list("pk", "action", "at"))

    assert sweep() == 1

    old.refresh_from_db()
    assert (old.reporter_name, old.reporter_phone, old.reporter_contact) == ("", "", {})
    assert old.personal_data_erased_at == NOW
    assert old.description == "楼道灯坏了，请回电 138****1234。"  # the case stays, the number does not
    assert {field: getattr(old, field) for field in kept} == kept
    timeline = list(IssueEvent.objects.filter(issue=old).order_by("at", "id"))
    assert [(e.pk, e.action, e.at) for e in timeline[:-1]] == events  # the timeline stays, one event more
    erased = timeline[-1]
    assert (erased.action, erased.actor_id, erased.from_status, erased.to_status, erased.at) == (
        Action.ERASE_PERSONAL_DATA, None, Status.CLOSED, Status.CLOSED, NOW)
    assert erased.data == {"erasure": "retention", "retention_days": 730}
    for untouched in (recent, still_open):
        fresh = Issue.objects.get(pk=untouched.pk)
        assert (fresh.reporter_name, fresh.reporter_phone, fresh.personal_data_erased_at) == (CALLER, CALLER_PHONE,
                                                                                                None)
        assert CALLER_PHONE in fresh.description


def test_a_second_run_changes_nothing_more(hotline_issue):
    old = hotline_issue(1000)
    assert sweep() == 1
    old.refresh_from_db()
    before = (old.version, old.personal_data_erased_at, IssueEvent.objects.filter(issue=old).count())
    with time_machine.travel(NOW + datetime.timedelta(days=1), tick=False):
        assert retention.personal_data_retention_sweep() == 0
    old.refresh_from_db()
    assert (old.version, old.personal_data_erased_at, IssueEvent.objects.filter(issue=old).count()) == before


def test_rejected_and_withdrawn_whistles_are_erased_too_and_the_period_is_a_setting(hotline_issue, file_issue,
                                                                                    community_staff, settings):
    with time_machine.travel(NOW - datetime.timedelta(days=40), tick=False):
        rejected = services.issue_reject(issue=hotline_issue(40, until=Status.SUBMITTED), actor=community_staff,
                                         reason=RejectReason.OUT_OF_SCOPE, note="不属于本区")
    settings.PERSONAL_DATA_RETENTION_DAYS = 30
    closed = hotline_issue(31)
    assert sweep() == 2
    assert set(Issue.objects.exclude(personal_data_erased_at=None).values_list("pk", flat=True)) == {rejected.pk,
                                                                                                       closed.pk}
    assert IssueEvent.objects.get(issue=closed, action=Action.ERASE_PERSONAL_DATA).data["retention_days"] == 30


def test_the_officers_page_and_the_api_say_the_data_was_erased(hotline_issue, community_staff, street_staff):
    old = hotline_issue(731)
    sweep()
    page = page_for(community_staff, old)
    assert 'id="personal-data-erased"' in page
    assert "Personal data erased on 2026-12-04, 730 days after the issue ended (retention period)." in page
    assert CALLER not in page and CALLER_PHONE not in page and "138****1234" in page  # in the description
    assert old.title in page and "Personal data erased" in page.split('id="timeline"')[-1]
    assert "The system" in page and "已回电 138****1234，居民认可。" in page  # the note stays, masked

    api = APIClient()
    api.force_authenticate(street_staff)
    detail = api.get(f"/api/v1/issues/{old.pk}/?lang=en").json()
    assert detail["reporter"] == {"name": "", "phone": ""}
    assert detail["personal_data_erased_at"].startswith("2026-12-04T")
    api.force_authenticate(community_staff)
    notes = [event["note"] for event in api.get(f"/api/v1/issues/{old.pk}/events/").json()]
    assert "已回电 138****1234，居民认可。" in notes and not any(CALLER_PHONE in note for note in notes)
    assert IssueEvent.objects.filter(issue=old, note__contains=CALLER_PHONE).exists()  # append-only, as written


def test_a_residents_own_whistle_no_longer_names_them_to_the_staff(file_issue, advance, resident, community_staff):
    with time_machine.travel(NOW - datetime.timedelta(days=745), tick=False):
        issue = file_issue()
    with time_machine.travel(NOW - datetime.timedelta(days=735), tick=False):
        issue = advance(issue, Status.CLOSED)
    assert str(resident) in page_for(community_staff, issue)
    sweep()
    staff_page = page_for(community_staff, issue)
    assert str(resident) not in staff_page and "The resident who filed it" in staff_page
    assert 'id="personal-data-erased"' in staff_page
    own_page = page_for(resident, issue)
    assert issue.title in own_page and 'id="personal-data-erased"' not in own_page


def test_a_closed_account_says_why_on_the_officers_page(file_issue, resident, community_staff):
    issue = file_issue(reporter_name="张先生")
    with time_machine.travel(NOW, tick=False):
        account_delete(user=resident)
    issue.refresh_from_db()
    assert issue.reporter_name == "" and issue.personal_data_erased_at == NOW
    page = page_for(community_staff, issue)
    assert "Personal data erased on 2026-12-04: the resident closed their account." in page
    assert IssueEvent.objects.get(issue=issue, action=Action.ERASE_PERSONAL_DATA).data == {"erasure": "account_closed"}


def test_the_sweep_costs_the_same_queries_for_3_or_12_issues_and_works_in_batches(hotline_issue,
                                                                                  django_assert_max_num_queries):
    def queries_to_erase(count, **kwargs):
        issues = [hotline_issue(731 + n) for n in range(count)]
        with django_assert_max_num_queries(30) as captured:
            assert sweep(**kwargs) == count
        assert not Issue.objects.filter(pk__in=[i.pk for i in issues], personal_data_erased_at=None).exists()
        return len(captured)

    assert queries_to_erase(3) == queries_to_erase(12)
    # One batch, then three: each batch the same queries, and one question that finds nothing more to do.
    one_batch, three_batches = queries_to_erase(2, batch_size=2), queries_to_erase(6, batch_size=2)
    assert three_batches - 1 == 3 * (one_batch - 1)


def test_the_daily_task_runs_the_sweep(hotline_issue):
    old = hotline_issue(900)
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "issues.erase_expired_personal_data")
    assert entry["schedule"] == 24 * 3600
    with time_machine.travel(NOW, tick=False):
        tasks.erase_expired_personal_data.apply()
    old.refresh_from_db()
    assert old.personal_data_erased_at == NOW
