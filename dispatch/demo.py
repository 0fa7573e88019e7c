"""Dispatch's part of the demo (``seed_demo``): the routing rules that name a department. Departments
are created by the demo seed, not by migrations, so these rules cannot be seeded with the
department-free ones (``dispatch/migrations/0004_seed_routing_rules.py``). Registered in
``DispatchConfig.ready``."""
from collections.abc import Callable

from grids.models import Department
from issues.models import Category, DefaultHandler, Tier

from .models import RoutingRule

# name, category code, department code: the district tier accepts these and dispatches to the
# department at once ("部门报到"). Heating (住建) is deliberately not here: the grid officer checks
# a cold flat first; the district can add the rule in the admin.
DEPARTMENT_RULES = [
    ("营商环境 → 市监", "business", "market-regulation", 20),
    ("拖欠工资 → 人社", "wage-arrears", "human-resources", 20),
    ("房屋安全 → 住建", "building", "housing-construction", 20),
]


def demo_routing_rules_seed(options: dict, progress: Callable[[str], None]) -> list[str]:
    """Create or update the department rules (skipping any whose category or department is missing)."""
    categories = Category.objects.in_bulk([code for _, code, _, _ in DEPARTMENT_RULES], field_name="code")
    departments = Department.objects.in_bulk([code for _, _, code, _ in DEPARTMENT_RULES], field_name="code")
    created = 0
    for name, category_code, department_code, order in DEPARTMENT_RULES:
        if category_code not in categories or department_code not in departments:
            continue
        RoutingRule.objects.update_or_create(name=name, defaults={
            "category": categories[category_code], "street": None, "community": None, "priority": "",
            "owner_tier": Tier.DISTRICT, "default_handler": DefaultHandler.DEPARTMENT,
            "department": departments[department_code], "order": order, "active": True,
        })
        created += 1
    progress(f"{created} routing rules for departments")
    return []
