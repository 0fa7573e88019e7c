"""A whistle blown upward in a real browser (Debian's Chromium driven by Playwright): the community
whistles to the street, the street to the district, the command centre dispatches the urban
management bureau with two assisting departments, the lead and one of them report for duty, the
command centre releases the other, which never answers, the lead resolves and the command centre
crosses it off. Each step leaves a screenshot in var/screenshots/escalation-<step>.png.
"""
import pytest

from grids.models import Department, Role, User
from issues.lifecycle import Status
from issues.models import Issue, IssueAssist, Tier
from tests.conftest import DEMO_PASSWORD
from tests.issues.test_browser_whistle import SCREENSHOTS, act, browser, sign_in  # noqa: F401

pytestmark = [pytest.mark.browser]


def screenshot(page, step):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"escalation-{step}.png", full_page=True)


def open_panel(page, action):
    """Whistling up and sending back are folded away (they hand the work on): unfold the panel."""
    page.click(f"#panel-{action} summary")


def test_an_escalation_to_a_department_and_its_report_for_duty(transactional_db, demo_district, file_issue,
                                                                live_server, browser):  # noqa: F811
    issue = file_issue(title="供热管道漏水结冰", description="楼前供热管道漏水，路面结冰，社区无法处置。")
    number = issue.number
    urban = Department.objects.get(code="urban-management")
    helper, silent = Department.objects.exclude(pk=urban.pk).order_by("code")[:2]
    User.objects.create_user(username="assisting_staff", password=DEMO_PASSWORD, role=Role.DEPARTMENT_STAFF,
                             department=helper, full_name=f"{helper.short_name}值班员")

    # The community accepts it and whistles to the street, saying why.
    community = sign_in(browser, live_server, "community_staff", f"/issues/{number}/")
    act(community, "accept", Status.ACCEPTED)
    open_panel(community, "escalate")
    community.fill("#action-escalate textarea[name=reason]", "供热管网属专业设施，社区无力处置，请街道协调。")
    screenshot(community, "01-community-whistles")
    act(community, "escalate", Status.ESCALATED)
    assert Issue.objects.get(pk=issue.pk).owner_tier == Tier.STREET

    # The street takes it, then whistles to the district.
    street = sign_in(browser, live_server, "street_staff", f"/issues/{number}/")
    assert "社区无力处置" in street.inner_text("#timeline")
    screenshot(street, "02-street-receives")
    act(street, "accept", Status.ACCEPTED)
    open_panel(street, "escalate")
    street.fill("#action-escalate textarea[name=reason]", "需区城管、供热部门联合处置。")
    act(street, "escalate", Status.ESCALATED)

    # The command centre takes it and dispatches a lead department with an assisting one.
    centre = sign_in(browser, live_server, "command_centre", f"/issues/{number}/")
    act(centre, "accept", Status.ACCEPTED)
    centre.select_option("#action-dispatch select[name=handler]", "")
    centre.select_option("#action-dispatch select[name=department]", str(urban.pk))
    centre.check(f'#action-dispatch input[name=assisting][value="{helper.pk}"]')
    centre.check(f'#action-dispatch input[name=assisting][value="{silent.pk}"]')
    centre.fill("#action-dispatch textarea[name=note]", "城管牵头，协办单位配合，今日报到。")
    screenshot(centre, "03-district-dispatches")
    act(centre, "dispatch", Status.DISPATCHED)
    assert "协办" in centre.inner_text("#timeline") or helper.code in centre.inner_text("#timeline")

    # The lead department reports for duty.
    lead = sign_in(browser, live_server, "department_staff", f"/issues/{number}/")
    lead.fill("#action-respond textarea[name=note]", "城管执法队已到场。")
    act(lead, "respond", Status.RESPONDED)
    screenshot(lead, "04-lead-reports-for-duty")

    # The assisting department reports for duty and reports its part.
    assisting = sign_in(browser, live_server, "assisting_staff", f"/issues/{number}/")
    assisting.fill("#action-assist_respond textarea[name=note]", "已派员到场配合。")
    act(assisting, "assist_respond", Status.RESPONDED)
    assisting.fill("#action-assist_report textarea[name=report]", "已关闭阀门，协助抢修管道。")
    act(assisting, "assist_report", Status.RESPONDED)
    assert "已关闭阀门" in assisting.inner_text("#assists")
    screenshot(assisting, "05-assisting-reports")

    # The other assisting department never answers: the lead cannot resolve until the command centre
    # releases it, saying why.
    centre.reload()
    open_panel(centre, "assist_release")
    assert centre.locator("#action-assist_release select[name=department] option").count() == 1  # only the silent one
    centre.fill("#action-assist_release textarea[name=reason]", "该局未报到，经核实不涉及其职责，解除协办。")
    screenshot(centre, "05b-district-releases")
    act(centre, "assist_release", Status.RESPONDED)
    centre.wait_for_selector("#assists .assist-released")
    assert "解除协办" in centre.inner_text("#assists")

    # The lead resolves; the command centre crosses it off.
    lead.reload()
    lead.fill("#action-resolve textarea[name=result]", "管道已修复，路面冰层已清除。")
    act(lead, "resolve", Status.RESOLVED)
    centre.reload()
    act(centre, "close", Status.CLOSED)
    screenshot(centre, "06-closed")

    issue.refresh_from_db()
    assert (issue.status, issue.owner_tier, issue.handler_department_id) == (Status.CLOSED, Tier.DISTRICT, urban.pk)
    assist = IssueAssist.objects.get(issue=issue, department=helper)
    assert assist.responded_at and assist.report == "已关闭阀门，协助抢修管道。"
    let_go = IssueAssist.objects.get(issue=issue, department=silent)
    assert let_go.released_at and let_go.responded_at is None and let_go.release_reason.startswith("该局未报到")
    # (Supervision steps – several departments put it on the supervision list – are tested apart.)
    assert list(issue.events.exclude(action="supervise").values_list("action", flat=True)) == [
        "submit", "accept", "escalate", "accept", "escalate", "accept", "dispatch", "respond", "assist_respond",
        "assist_report", "assist_release", "resolve", "close"]

