"""The routing rules the district starts with (editable in the admin afterwards).

- The district-wide default: any category, anywhere, any priority → the community tier accepts it
  and dispatches it to the grid's officer (the grassroots first: 群众吹哨、哨响人到). Order 1000, so
  it is also last among equals; no issue is ever left without an owner.
- Urgent safety hazards (安全隐患, the top category, so fire, unsafe buildings, falling icicles and
  illegal wiring too) → the street tier, handled by street staff: a community cannot close a road or
  evacuate a building on its own.

Rules that name a department need the departments, which the demo seed creates rather than a
migration: they are seeded by ``dispatch.demo`` (``seed_demo``).
"""
from django.db import migrations

RULES = [
    # name, category code (None: any), priority ("" any), tier, default handler, order
    ("全区默认：社区受理，网格员处置", None, "", "community", "grid_officer", 1000),
    ("紧急安全隐患：街道受理", "safety", "urgent", "street", "street", 10),
]


def seed(apps, schema_editor):
    RoutingRule = apps.get_model("dispatch", "RoutingRule")
    Category = apps.get_model("issues", "Category")
    categories = Category.objects.in_bulk([code for _, code, *_ in RULES if code], field_name="code")
    for name, code, priority, tier, handler, order in RULES:
        if code is not None and code not in categories:  # renamed or removed before this ran
            continue
        RoutingRule.objects.get_or_create(name=name, defaults={
            "category": categories.get(code), "priority": priority, "owner_tier": tier,
            "default_handler": handler, "order": order})


class Migration(migrations.Migration):

    dependencies = [
        ("dispatch", "0003_routing_rules"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
