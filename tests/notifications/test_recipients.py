"""Who is told what when a whistle moves (notifications.receivers.TOLD), through the real services."""
import pytest
from django.db import connection, transaction
from django.utils import translation

from grids.models import Community, Department, Role, User
from issues import services
from issues.lifecycle import Status
from issues.models import Issue, IssueEvent, Rating, Tier
from issues.signals import issue_changed
from notifications import recipients
from notifications import services as notification_services
from notifications.models import Notification, OutboxMessage
from notifications.receivers import TOLD

pytestmark = pytest.mark.django_db


def told(kind=None):
    """username → the texts they were told (of one kind, or all)."""
    rows = Notification.objects.select_related("recipient").order_by("pk")
    if kind:
        rows = rows.filter(kind=kind)
    found = {}
    for row in rows:
        found.setdefault(row.recipient.username, []).append(row.text)
    return found


def staff(username, role, **place):
    return User.objects.create(username=username, role=role, full_name=username, email=f"{username}@example.org",
                               **place)


@pytest.fixture
def other_community_staff(community_staff):
    elsewhere = Community.objects.exclude(pk=community_staff.community_id).first()
    return staff("other_community_staff", Role.COMMUNITY_STAFF, community=elsewhere)


def test_filing_tells_the_community_staff_of_its_community_and_nobody_else(file_issue, committed, community_staff,
                                                                           other_community_staff, street_staff):
    with committed():
        issue = file_issue()
    assert set(told("submit")) == {"community_staff"}
    note = Notification.objects.get(recipient=community_staff)
    assert note.issue == issue and note.link == f"/issues/{issue.number}/"
    assert issue.number in note.text and issue.title in note.text
    with translation.override("zh-hans"):  # written in the district's language, whoever reads it
        assert note.text == str(TOLD["submit"][0].text) % {"number": issue.number, "title": issue.title}
    # The demo's community staff has an address: one e-mail is queued for them, for the other community's none.
    mail = OutboxMessage.objects.get()
    assert (mail.recipient, mail.channel, mail.address) == (community_staff, "email", community_staff.email)
    assert issue.number in mail.subject and f"/issues/{issue.number}/" in mail.body


def test_accept_respond_and_close_tell_the_reporter_and_close_asks_for_a_rating(file_issue, advance, committed):
    issue = file_issue()
    with committed():
        advance(issue, Status.CLOSED)
    assert list(told("accept")) == ["resident"]
    assert list(told("respond")) == ["resident"]
    assert list(told("close")) == ["resident"]
    assert any(word in told("close")["resident"][0] for word in ("评价", "rate"))


def test_dispatch_tells_the_handler_and_resolve_tells_the_owner_to_verify(file_issue, advance, committed):
    issue = file_issue()
    with committed():
        advance(issue, Status.RESOLVED)
    assert list(told("dispatch")) == ["grid_officer"]
    assert list(told("resolve")) == ["community_staff"]


def test_return_and_reopen_tell_the_handler(file_issue, advance, committed, community_staff, resident):
    issue = advance(file_issue(), Status.RESOLVED)
    with committed():
        issue = services.issue_return(issue=issue, actor=community_staff, note="垃圾桶还没消毒")
    assert list(told("return")) == ["grid_officer"]
    issue = services.issue_respond(issue=issue, actor=User.objects.get(username="grid_officer"))
    issue = services.issue_resolve(issue=issue, actor=User.objects.get(username="grid_officer"), result="已消毒")
    issue = services.issue_close(issue=issue, actor=community_staff)
    with committed():
        services.issue_rate(issue=issue, actor=resident, rating=Rating.DISSATISFIED, comment="又满了")
    assert list(told("reopen")) == ["grid_officer"]


def test_the_person_who_acted_is_not_told(file_issue, advance, committed, community_staff):
    """Community staff who dispatch to themselves are not told that they dispatched it."""
    issue = advance(file_issue(), Status.ACCEPTED)
    with committed():
        services.issue_dispatch(issue=issue, actor=community_staff, handler=community_staff)
    assert told("dispatch") == {}


def test_inactive_accounts_are_not_told(file_issue, committed, community_staff):
    community_staff.is_active = False
    community_staff.save()
    with committed():
        file_issue()
    assert told() == {}


needs_escalation = pytest.mark.skipif(not hasattr(services, "issue_escalate"), reason="escalation not built yet")


@needs_escalation
def test_escalation_tells_the_upper_tier_and_send_back_the_lower_one(file_issue, advance, committed,
                                                                     community_staff, street_staff):
    issue = advance(file_issue(), Status.ACCEPTED)
    with committed():
        issue = services.issue_escalate(issue=issue, actor=community_staff, reason="需要街道协调")
    assert list(told("escalate")) == ["street_staff"]
    with committed():
        services.issue_send_back(issue=issue, actor=street_staff, reason="社区可以解决")
    assert list(told("send_back")) == ["community_staff"]


@needs_escalation
def test_a_district_dispatch_tells_the_lead_and_the_assisting_departments(file_issue, advance, committed,
                                                                          community_staff, street_staff,
                                                                          command_centre, department_staff):
    housing = staff("housing_staff", Role.DEPARTMENT_STAFF,
                    department=Department.objects.get(code="housing-construction"))
    issue = advance(file_issue(), Status.ACCEPTED)
    issue = services.issue_escalate(issue=issue, actor=community_staff, reason="需要街道协调")
    issue = services.issue_accept(issue=issue, actor=street_staff)
    issue = services.issue_escalate(issue=issue, actor=street_staff, reason="需要区里的部门")
    issue = services.issue_accept(issue=issue, actor=command_centre)
    with committed():
        issue = services.issue_dispatch(issue=issue, actor=command_centre, department=department_staff.department,
                                        assisting=[housing.department])
    dispatched = told("dispatch")
    assert set(dispatched) == {"department_staff", "housing_staff"}
    assert dispatched["housing_staff"] != dispatched["department_staff"]
    assert any(word in dispatched["housing_staff"][0] for word in ("协", "assist"))
    issue = services.issue_assist_respond(issue=issue, actor=housing)
    with committed():
        services.issue_assist_report(issue=issue, actor=housing, report="供热管道已检修")
    assert list(told("assist_report")) == ["department_staff"]


def test_automatic_escalation_and_overdue_marks_are_told_by_the_action_string(file_issue, advance, committed,
                                                                               street_staff, district_leader):
    """Whatever service records them, the events are told by their action: the new owner for an
    automatic escalation; owner, supervisors and handler when a deadline passes."""
    issue = advance(file_issue(), Status.DISPATCHED)

    def system_event(action):  # as the timers record them: by nobody
        return IssueEvent.objects.create(issue=issue, action=action, actor=None, from_status=issue.status,
                                         to_status=issue.status).pk

    issue_changed.send(sender=Issue, issue_id=issue.pk, action="overdue", event_id=system_event("overdue"))
    assert set(told("overdue")) == {"community_staff", "street_staff", "grid_officer"}
    Issue.objects.filter(pk=issue.pk).update(owner_tier=Tier.STREET, handler=None)
    issue_changed.send(sender=Issue, issue_id=issue.pk, action="auto_escalate", event_id=system_event("auto_escalate"))
    assert list(told("auto_escalate")) == ["street_staff"]


def test_actions_nobody_needs_to_hear_of_tell_nobody(file_issue):
    issue = file_issue()
    before = Notification.objects.count()  # the community's news of the whistle
    issue_changed.send(sender=Issue, issue_id=issue.pk, action="support", event_id=None)
    issue_changed.send(sender=Issue, issue_id=issue.pk, action="no-such-action", event_id=None)
    assert Notification.objects.count() == before



def test_the_news_commits_with_the_change_and_rolls_back_with_it(file_issue, community_staff):
    """The outbox row is written in the change's own transaction: there is no moment (and no crash of
    the process) at which the change is committed and its news not yet written, nor news of a change
    that did not happen."""
    issue = file_issue()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.issue_accept(issue=issue, actor=community_staff)
        assert list(told("accept")) == ["resident"]  # before anything committed
        raise RuntimeError("the accept fails later in its transaction")
    assert Issue.objects.get(pk=issue.pk).status == Status.SUBMITTED
    assert not Notification.objects.filter(kind="accept").exists()
    assert not OutboxMessage.objects.filter(recipient__username="resident").exists()


def test_news_that_cannot_be_written_never_fails_the_change(file_issue, community_staff, monkeypatch, caplog):
    """A database error while writing the news is contained in a savepoint: the filing and the accept
    still commit (on PostgreSQL the transaction would otherwise be unusable), the error is logged."""
    def broken(model, rows):
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")

    monkeypatch.setattr(notification_services, "_insert_new", broken)
    issue = file_issue()
    issue = services.issue_accept(issue=issue, actor=community_staff)
    assert Issue.objects.get(pk=issue.pk).status == Status.ACCEPTED
    assert not Notification.objects.exists() and not OutboxMessage.objects.exists()
    assert caplog.text.count("Could not notify") == 2  # the filing's news and the accept's

# The helpers, tier by tier ----------------------------------------------------------------------------

def test_owner_staff_and_supervisors_follow_the_owning_tier(file_issue, community_staff, street_staff, command_centre,
                                                            district_leader):
    issue = file_issue()
    names = lambda people: {p.username for p in people}  # noqa: E731
    assert names(recipients.owner_staff(issue)) == {"community_staff"}
    assert names(recipients.supervisors_of(issue)) == {"street_staff"}
    issue.owner_tier = Tier.STREET
    assert names(recipients.owner_staff(issue)) == {"street_staff"}
    assert names(recipients.supervisors_of(issue)) == {"command_centre"}
    issue.owner_tier = Tier.DISTRICT
    assert names(recipients.owner_staff(issue)) == {"command_centre"}
    assert names(recipients.supervisors_of(issue)) == {"leader"}
    assert names(recipients.reporter(issue)) == {"resident"}


def test_handler_staff_is_the_handler_or_every_active_member_of_the_department(file_issue, department_staff):
    issue = file_issue()
    assert recipients.handler_staff(issue) == []
    colleague = staff("colleague", Role.DEPARTMENT_STAFF, department=department_staff.department)
    staff("retired", Role.DEPARTMENT_STAFF, department=department_staff.department, is_active=False)
    issue.handler_department = department_staff.department
    assert set(recipients.handler_staff(issue)) == {department_staff, colleague}
    assert recipients.assisting_staff(issue) == []


def test_a_whistle_filed_for_a_caller_has_no_reporter_to_tell(file_issue, community_staff):
    issue = file_issue(filed_by=community_staff, channel="hotline", reporter_name="王大爷",
                       reporter_phone="13800000000")
    assert recipients.reporter(issue) == []
