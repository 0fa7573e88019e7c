"""Routing: which rule wins for a new issue, what happens without one, and where an issue filed
through the services lands."""
import pytest
from django.core.exceptions import ValidationError

from dispatch.demo import demo_routing_rules_seed
from dispatch.models import RoutingRule
from dispatch.routing import rule_for
from grids.models import Department
from issues import routing, rules, services
from issues.lifecycle import Action, Status
from issues.models import DefaultHandler, Issue, Priority, Tier


@pytest.fixture
def place(grid_officer):
    """The officer's grid's community and street, as a new issue there carries them."""
    community = grid_officer.grid.community
    return {"community": community, "street": community.street}


@pytest.fixture
def new_issue(place):
    def make(category, *, priority=Priority.NORMAL):
        return Issue(category=category, priority=priority, **place)

    return make


def _rule(name, **fields):
    return RoutingRule.objects.create(name=name, **fields)


def test_dispatch_is_the_registered_provider():
    import dispatch.routing

    assert routing.provider is dispatch.routing


@pytest.mark.parametrize("code", ["garbage", "streetlight", "heating", "snow", "elevator"])
def test_the_district_wide_default_routes_everything_to_the_community(routing_rules, categories, new_issue, code):
    route = routing.route(issue=new_issue(categories.get(code=code)))
    assert route.owner_tier == Tier.COMMUNITY and route.default_handler == DefaultHandler.GRID_OFFICER
    assert RoutingRule.objects.get(pk=route.rule_id).category is None


def test_urgent_safety_hazards_go_to_the_street(routing_rules, categories, new_issue):
    fire = categories.get(code="fire")
    urgent = routing.route(issue=new_issue(fire, priority=Priority.URGENT))
    assert (urgent.owner_tier, urgent.default_handler) == (Tier.STREET, DefaultHandler.STREET)
    assert routing.route(issue=new_issue(fire)).owner_tier == Tier.COMMUNITY


def test_a_category_rule_beats_the_default_and_a_sub_category_its_top(routing_rules, categories, new_issue):
    heating = categories.get(code="heating")
    top = _rule("物业", category=heating.parent, owner_tier=Tier.STREET, default_handler=DefaultHandler.STREET)
    assert rule_for(new_issue(heating)) == top
    sub = _rule("供暖", category=heating, owner_tier=Tier.STREET, default_handler=DefaultHandler.COMMUNITY, order=500)
    assert rule_for(new_issue(heating)) == sub


def test_the_category_weighs_more_than_the_area(routing_rules, categories, new_issue, place):
    heating = categories.get(code="heating")
    here = _rule("本社区", community=place["community"], default_handler=DefaultHandler.COMMUNITY)
    assert rule_for(new_issue(heating)) == here
    heating_rule = _rule("供暖", category=heating, owner_tier=Tier.STREET, default_handler=DefaultHandler.STREET)
    assert rule_for(new_issue(heating)) == heating_rule


def test_a_community_rule_beats_a_street_rule(routing_rules, garbage, new_issue, place):
    street = _rule("街道", category=garbage, street=place["street"], order=1)
    assert rule_for(new_issue(garbage)) == street
    community = _rule("社区", category=garbage, community=place["community"], order=2)
    assert rule_for(new_issue(garbage)) == community


def test_an_area_rule_elsewhere_does_not_match(routing_rules, garbage, new_issue, place):
    other = place["street"].communities.exclude(pk=place["community"].pk).first()
    _rule("别的社区", category=garbage, community=other, owner_tier=Tier.STREET)
    assert rule_for(new_issue(garbage)).category is None


def test_a_priority_rule_beats_any_priority(routing_rules, garbage, new_issue):
    any_priority = _rule("垃圾", category=garbage, order=1)
    urgent = _rule("紧急垃圾", category=garbage, priority=Priority.URGENT, owner_tier=Tier.STREET, order=2)
    assert rule_for(new_issue(garbage, priority=Priority.URGENT)) == urgent
    assert rule_for(new_issue(garbage)) == any_priority


def test_order_decides_between_equally_specific_rules(routing_rules, garbage, new_issue):
    _rule("后", category=garbage, order=20)
    first = _rule("先", category=garbage, order=10)
    assert rule_for(new_issue(garbage)) == first


def test_inactive_rules_are_ignored(routing_rules, garbage, new_issue):
    _rule("停用", category=garbage, owner_tier=Tier.STREET, active=False)
    assert rule_for(new_issue(garbage)).category is None


# The process's rulebook -------------------------------------------------------------------------------

def test_routing_reads_the_rules_once_then_answers_from_memory(routing_rules, garbage, new_issue, settings,
                                                                django_assert_num_queries):
    settings.DISPATCH_RULES_CHECK_SECONDS = 3600
    issue = new_issue(garbage)
    with django_assert_num_queries(3):  # the revision, the routing rules, the deadline rules
        first = routing.route(issue=issue)
    with django_assert_num_queries(0):
        assert routing.route(issue=issue) == first


def test_a_rule_saved_in_this_process_routes_the_next_issue(routing_rules, garbage, new_issue, settings,
                                                           django_capture_on_commit_callbacks):
    settings.DISPATCH_RULES_CHECK_SECONDS = 3600
    issue = new_issue(garbage)
    assert routing.route(issue=issue).owner_tier == Tier.COMMUNITY
    with django_capture_on_commit_callbacks(execute=True):
        rule = _rule("垃圾 → 街道", category=garbage, owner_tier=Tier.STREET, default_handler=DefaultHandler.STREET)
    assert routing.route(issue=issue).rule_id == rule.pk
    assert routing.route(issue=issue).owner_tier == Tier.STREET


def test_a_rule_changed_elsewhere_counts_once_its_revision_is_checked(routing_rules, garbage, new_issue, settings,
                                                                     django_assert_num_queries):
    """Another process's change shows in the revision (here: an UPDATE that no signal sees)."""
    settings.DISPATCH_RULES_CHECK_SECONDS = 3600
    issue = new_issue(garbage)
    rule = routing.route(issue=issue).rule_id
    RoutingRule.objects.filter(pk=rule).update(active=False)
    assert routing.route(issue=issue).rule_id == rule  # still the process's copy: not checked yet
    settings.DISPATCH_RULES_CHECK_SECONDS = 0
    assert routing.route(issue=issue).rule_id != rule
    with django_assert_num_queries(1):  # unchanged since: the revision only
        routing.route(issue=issue)


# Validation -------------------------------------------------------------------------------------------

def test_a_department_rule_must_be_district_tier_and_name_its_department(categories):
    heating = categories.get(code="heating")
    with pytest.raises(ValidationError) as refused:
        RoutingRule(name="供暖", category=heating, owner_tier=Tier.COMMUNITY,
                    default_handler=DefaultHandler.DEPARTMENT).full_clean()
    assert set(refused.value.message_dict) == {"owner_tier", "department"}
    department = Department.objects.get(code="housing-construction")
    RoutingRule(name="供暖", category=heating, owner_tier=Tier.DISTRICT, default_handler=DefaultHandler.DEPARTMENT,
                department=department).full_clean()
    with pytest.raises(ValidationError) as refused:  # a department only for a department handler
        RoutingRule(name="供暖", category=heating, owner_tier=Tier.DISTRICT, default_handler=DefaultHandler.STREET,
                    department=department).full_clean()
    assert set(refused.value.message_dict) == {"department"}


def test_a_community_cannot_dispatch_to_the_street_nor_lie_outside_the_rules_street(place):
    other_street = type(place["street"]).objects.exclude(pk=place["street"].pk).first()
    with pytest.raises(ValidationError) as refused:
        RoutingRule(name="错", owner_tier=Tier.COMMUNITY, default_handler=DefaultHandler.STREET,
                    street=other_street, community=place["community"]).full_clean()
    assert set(refused.value.message_dict) == {"default_handler", "community"}


# Through the services -----------------------------------------------------------------------------------

def test_a_heating_whistle_routed_to_the_housing_bureau(routing_rules, categories, file_issue, command_centre,
                                                      community_staff):
    heating = categories.get(code="heating")
    bureau = Department.objects.get(code="housing-construction")
    rule = _rule("供暖 → 住建", category=heating, owner_tier=Tier.DISTRICT,
                 default_handler=DefaultHandler.DEPARTMENT, department=bureau)
    issue = file_issue(category=heating, title="暖气不热", description="家里只有十四度。")
    issue = Issue.objects.get(pk=issue.pk)
    assert issue.owner_tier == Tier.DISTRICT
    assert (issue.default_handler, issue.default_department) == (DefaultHandler.DEPARTMENT, bureau)
    submitted = issue.events.get(action=Action.SUBMIT)
    assert submitted.data["owner_tier"] == "district" and submitted.data["default_handler"] == "department"
    assert submitted.data["rule"] == rule.pk
    assert rules.is_owner(command_centre, issue) and not rules.is_owner(community_staff, issue)
    issue = services.issue_accept(issue=issue, actor=command_centre)
    issue = services.issue_dispatch(issue=issue, actor=command_centre, department=issue.default_department)
    assert issue.status == Status.DISPATCHED and issue.handler_department == bureau


def test_a_garbage_whistle_stays_with_the_community(routing_rules, file_issue, community_staff):
    issue = file_issue()
    assert (issue.owner_tier, issue.default_handler) == (Tier.COMMUNITY, DefaultHandler.GRID_OFFICER)
    assert issue.events.get(action=Action.SUBMIT).data["rule"] is not None
    assert rules.is_owner(community_staff, issue)


def test_without_any_rule_the_fallback_answers(routing_rules, file_issue, community_staff):
    RoutingRule.objects.all().delete()
    issue = file_issue()
    assert (issue.owner_tier, issue.default_handler) == (Tier.COMMUNITY, DefaultHandler.GRID_OFFICER)
    assert issue.events.get(action=Action.SUBMIT).data["rule"] is None
    assert rules.is_owner(community_staff, issue)


# The demo and the admin -----------------------------------------------------------------------------------

def test_the_demo_routes_business_complaints_to_market_regulation(routing_rules, categories, new_issue):
    demo_routing_rules_seed({}, lambda message: None)
    demo_routing_rules_seed({}, lambda message: None)  # idempotent
    assert RoutingRule.objects.filter(department__isnull=False).count() == 3
    permits = routing.route(issue=new_issue(categories.get(code="permits")))
    assert permits.owner_tier == Tier.DISTRICT
    assert permits.default_department_id == Department.objects.get(code="market-regulation").pk
    wages = routing.route(issue=new_issue(categories.get(code="wage-arrears")))
    assert wages.default_department_id == Department.objects.get(code="human-resources").pk


def test_the_rules_are_listed_and_a_wrong_rule_is_refused_in_the_admin(routing_rules, categories, grid_admin,
                                                                       signed_in):
    client = signed_in(grid_admin)
    listed = client.get("/admin/dispatch/routingrule/?owner_tier__exact=community")
    assert listed.status_code == 200 and listed.context["cl"].result_count >= 1
    before = RoutingRule.objects.count()
    page = client.post("/admin/dispatch/routingrule/add/", {
        "name": "供暖", "category": categories.get(code="heating").pk, "priority": "", "owner_tier": "community",
        "default_handler": "department", "department": Department.objects.get(code="housing-construction").pk,
        "order": "10", "active": "on",
    })
    assert page.status_code == 200  # the form again, with the error
    assert "owner_tier" in page.context["adminform"].form.errors
    assert RoutingRule.objects.count() == before
