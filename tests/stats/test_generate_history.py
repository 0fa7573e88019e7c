"""generate_history: a year of work in bulk that reads as if the services had written it."""
from collections import Counter, defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from grids.models import Grid, User
from issues import services
from issues.lifecycle import OPEN_STATUSES, TRANSITIONS, Action, Status
from issues.models import Category, DailySequence, EntryState, Issue, IssueAssist, IssueEvent, ProblemListEntry
from stats.history import PREFIX

pytestmark = pytest.mark.django_db
END = datetime(2026, 11, 20, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def generate(issues=300, **options):
    call_command("generate_history", issues=issues, end=END.isoformat(), stdout=_Sink(), stderr=_Sink(), **options)


class _Sink:
    def write(self, *args, **kwargs):
        pass

    def flush(self):
        pass


def generated_issues():
    return Issue.objects.filter(filed_by__username__startswith=PREFIX)


def timelines(issues):
    events = defaultdict(list)
    for event in IssueEvent.objects.filter(issue__in=issues).order_by("issue_id", "at", "id"):
        events[event.issue_id].append(event)
    return events


def test_a_small_year_lies_in_the_districts_grids_and_follows_the_lifecycle(demo_district):
    generate(300)
    issues = list(generated_issues().select_related("grid__community"))
    assert len(issues) == 300
    events = timelines(issues)
    for issue in issues:
        assert issue.community_id == issue.grid.community_id and issue.street_id == issue.grid.community.street_id
        assert issue.created_at <= END
        timeline = events[issue.pk]
        first, rest = timeline[0], timeline[1:]
        assert (first.action, first.from_status, first.to_status) == (Action.SUBMIT, "", Status.SUBMITTED)
        assert first.at == issue.created_at
        status, moment = Status.SUBMITTED, first.at
        for event in rest:
            assert event.at >= moment, (issue.number, event.action)
            transition = TRANSITIONS[Action(event.action)]
            assert status in transition.sources, (issue.number, status, event.action)
            assert event.from_status == status
            status = transition.target or status
            assert event.to_status == status, (issue.number, event.action)
            moment = event.at
        assert issue.status == status == timeline[-1].to_status
        assert issue.version == 1 + sum(e.action not in (Action.SUPPORT, Action.SUPERVISE) for e in rest)
        if issue.status == Status.CLOSED:
            assert issue.closed_at is not None and issue.resolved_at is not None
        if issue.status in OPEN_STATUSES - {Status.SUBMITTED}:
            assert issue.accepted_at is not None or issue.status == Status.ESCALATED
        if issue.rating:
            assert any(e.action == Action.RATE and e.data["rating"] == issue.rating for e in timeline)
        assert issue.reopen_count == sum(e.action == Action.REOPEN for e in timeline)


def test_problem_list_entries_are_those_of_the_tiers_that_accepted(demo_district):
    generate(300)
    issues = list(generated_issues())
    events = timelines(issues)
    entries = defaultdict(dict)
    for entry in ProblemListEntry.objects.filter(issue__in=issues):
        entries[entry.issue_id][entry.tier] = entry
    for issue in issues:
        # A tier is on the list once it accepted the issue, or when the tier above sent it back down to it.
        accepted = {e.data["tier"] for e in events[issue.pk] if e.action == Action.ACCEPT}
        sent_back = {e.data["to_tier"] for e in events[issue.pk] if e.action == Action.SEND_BACK}
        assert set(entries[issue.pk]) == accepted | sent_back, issue.number
        mine = entries[issue.pk]
        if issue.status == Status.CLOSED:
            assert mine[issue.owner_tier].state == EntryState.CROSSED_OFF
            assert mine[issue.owner_tier].left_at == issue.closed_at
        elif issue.status in OPEN_STATUSES - {Status.SUBMITTED, Status.ESCALATED}:
            assert mine[issue.owner_tier].state == EntryState.OPEN
        for tier, entry in mine.items():
            if tier != issue.owner_tier:
                assert entry.state == EntryState.ESCALATED, issue.number
            assert (entry.community_id is not None) == (tier == "community")
            assert (entry.street_id is not None) == (tier == "street")


def test_numbers_are_unique_and_a_filing_afterwards_takes_the_next_number(demo_district, resident):
    call_command("generate_history", issues=400, days=30, stdout=_Sink(), stderr=_Sink())  # ends now: today too
    numbers = list(Issue.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == 400
    for day in DailySequence.objects.all():
        last = max(int(n.rsplit("-", 1)[1]) for n in numbers if n[3:11] == f"{day.day:%Y%m%d}")
        assert day.last == last
    grid = Grid.objects.order_by("code").first()
    from shapely.geometry import shape

    point = shape(grid.boundary).representative_point()
    filed = services.issue_submit(filed_by=resident, title="路灯不亮", description="东门路灯坏了",
                                  category=Category.objects.get(code="streetlight"), lat=point.y, lng=point.x).issue
    assert filed.number not in numbers
    today = DailySequence.objects.get(day=filed.created_at.astimezone(ZoneInfo("Asia/Shanghai")).date())
    assert filed.number.endswith(f"-{today.last:04d}")


def test_the_year_has_seasons_escalations_and_mostly_satisfied_residents(demo_district):
    generate(2000, seed=11)
    issues = generated_issues()
    heating = Counter(issue.created_at.astimezone(ZoneInfo("Asia/Shanghai")).month
                      for issue in issues.filter(category__code="heating"))
    winter, summer = heating[12] + heating[1] + heating[2], heating[6] + heating[7] + heating[8]
    assert winter > 10 * max(summer, 1), heating
    snow = Counter(i.created_at.month for i in issues.filter(category__code="snow"))
    assert sum(snow[m] for m in (5, 6, 7, 8, 9)) <= 2, snow
    statuses = Counter(issues.values_list("status", flat=True))
    assert statuses[Status.CLOSED] > 0.7 * 2000
    assert statuses[Status.REJECTED] and statuses[Status.WITHDRAWN]
    escalated = issues.filter(events__action__in=[Action.ESCALATE, Action.AUTO_ESCALATE]).distinct().count()
    assert 0.05 * 2000 < escalated < 0.25 * 2000
    assert issues.filter(owner_tier="district", handler_department__isnull=False).exists()
    assert IssueAssist.objects.filter(issue__in=issues).exists()
    ratings = Counter(issues.exclude(rating="").values_list("rating", flat=True))
    assert ratings["satisfied"] > 0.7 * sum(ratings.values()) and ratings["dissatisfied"] < ratings["satisfied"] / 5
    assert issues.filter(reopen_count__gt=0).exists()
    channels = set(issues.values_list("channel", flat=True))
    assert {"web", "hotline", "city_hotline", "wechat", "grid_patrol"} <= channels
    assert IssueEvent.objects.filter(issue__in=issues, action=Action.OVERDUE).exists()
    hotline = issues.filter(channel__in=["hotline", "city_hotline"]).first()
    assert hotline.reporter_id is None and hotline.reporter_phone and hotline.reporter_name


def test_clear_removes_the_generated_history_and_leaves_the_demo_accounts_issues(demo_district, resident):
    grid = Grid.objects.order_by("code").first()
    from shapely.geometry import shape

    point = shape(grid.boundary).representative_point()
    mine = services.issue_submit(filed_by=resident, title="暖气不热", description="家里十五度",
                                 category=Category.objects.get(code="heating"), lat=point.y, lng=point.x).issue
    generate(200)
    assert generated_issues().count() == 200
    call_command("generate_history", issues=0, clear=True, stdout=_Sink(), stderr=_Sink())
    assert list(Issue.objects.all()) == [mine]
    assert IssueEvent.objects.filter(issue=mine).count() == 1
    assert not User.objects.filter(username__startswith=PREFIX).exists()
    assert not ProblemListEntry.objects.exclude(issue=mine).exists()


def test_clear_when_every_issue_is_generated(demo_district):
    generate(150)
    call_command("generate_history", issues=0, clear=True, stdout=_Sink(), stderr=_Sink())
    assert not Issue.objects.exists() and not IssueEvent.objects.exists()
    assert User.objects.filter(username="resident").exists()


def _snapshot():
    events = timelines(generated_issues())
    return [
        (i.number, i.category.code, i.grid.code, i.channel, i.status, i.created_at, i.closed_at, i.rating,
         i.filed_by.username, [(e.action, e.at, e.data) for e in events[i.pk]])
        for i in generated_issues().select_related("category", "grid", "filed_by").order_by("number")
    ]


def test_the_same_seed_gives_the_same_history(demo_district):
    generate(150, seed=5)
    first = _snapshot()
    call_command("generate_history", issues=150, seed=5, end=END.isoformat(), clear=True, stdout=_Sink(),
                 stderr=_Sink())
    assert _snapshot() == first
    call_command("generate_history", issues=150, seed=6, end=END.isoformat(), clear=True, stdout=_Sink(),
                 stderr=_Sink())
    assert _snapshot() != first
