"""The deadline matrix the district starts with (editable in the admin afterwards).

- Normal priority: report for duty within 120 minutes (Beijing 12345: 2 hours); resolve within 5
  working days at the community and street tiers (a working week, inside 12345's 7 days for general
  requests) and 7 at the district tier (what reaches the command centre is the harder cross-
  department case).
- Urgent: report within 30 minutes (Pinggu's 吹哨报到), resolve within 1 working day, every tier.
- Heating (供暖不热) and water, power, gas (水电气故障) at normal priority: resolve within 1 working day
  ("24 hours" in Beijing practice), report within 120 minutes. Urgent ones of these categories keep
  the stricter urgent default, so the category rules are seeded for normal priority only.
"""
from django.db import migrations

DEFAULTS = [
    # tier, priority, response minutes, resolution working days
    ("community", "normal", 120, 5),
    ("street", "normal", 120, 5),
    ("district", "normal", 120, 7),
    ("community", "urgent", 30, 1),
    ("street", "urgent", 30, 1),
    ("district", "urgent", 30, 1),
]
CATEGORY_RULES = [
    # category code, priority, response minutes, resolution working days – for every tier
    ("heating", "normal", 120, 1),
    ("water-power-gas", "normal", 120, 1),
]
TIERS = ["community", "street", "district"]


def seed(apps, schema_editor):
    DeadlineRule = apps.get_model("dispatch", "DeadlineRule")
    Category = apps.get_model("issues", "Category")
    for tier, priority, minutes, days in DEFAULTS:
        DeadlineRule.objects.get_or_create(
            tier=tier, priority=priority, category=None,
            defaults={"response_minutes": minutes, "resolution_working_days": days})
    categories = Category.objects.in_bulk([code for code, *_ in CATEGORY_RULES], field_name="code")
    for code, priority, minutes, days in CATEGORY_RULES:
        if code not in categories:  # renamed or removed by the district before this ran
            continue
        for tier in TIERS:
            DeadlineRule.objects.get_or_create(
                tier=tier, priority=priority, category=categories[code],
                defaults={"response_minutes": minutes, "resolution_working_days": days})


class Migration(migrations.Migration):

    dependencies = [
        ("dispatch", "0001_deadline_rules_calendar_days"),
        ("issues", "0003_categories"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
