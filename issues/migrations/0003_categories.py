"""The category tree the district starts with (editable in the admin afterwards)."""
from django.db import migrations

CATEGORIES = [
    ("environment", "环境卫生", "Environment and sanitation", [
        ("garbage", "垃圾清运", "Rubbish collection"), ("snow", "积雪清除", "Snow and ice clearing"),
        ("sewage", "污水外溢", "Sewage overflow"), ("littering", "乱堆乱放", "Dumping and clutter"),
    ]),
    ("municipal", "市政设施", "Municipal facilities", [
        ("road", "道路破损", "Damaged road"), ("streetlight", "路灯不亮", "Street light out"),
        ("manhole", "井盖缺失", "Missing manhole cover"), ("drainage", "排水不畅", "Blocked drainage"),
    ]),
    ("property", "物业管理", "Property management", [
        ("heating", "供暖不热", "Heating not warm"), ("water-power-gas", "水电气故障", "Water, power or gas fault"),
        ("elevator", "电梯故障", "Lift out of order"), ("property-service", "物业服务", "Property service"),
    ]),
    ("safety", "安全隐患", "Safety hazards", [
        ("fire", "消防隐患", "Fire hazard"), ("building", "房屋安全", "Unsafe building"),
        ("ice-fall", "冰溜子坠落", "Falling icicles"), ("electric", "私拉电线", "Illegal wiring"),
    ]),
    ("neighbours", "邻里纠纷", "Neighbour disputes", [
        ("noise", "噪音扰民", "Noise"), ("parking", "占道停车", "Parking disputes"),
        ("pets", "宠物扰民", "Pets"), ("leak", "楼上漏水", "Leak from upstairs"),
    ]),
    ("livelihood", "民生服务", "Livelihood services", [
        ("elderly", "养老助老", "Care for the elderly"), ("social-security", "社保医保", "Social and medical insurance"),
        ("assistance", "困难救助", "Hardship assistance"), ("employment", "就业帮扶", "Job help"),
    ]),
    ("business", "营商环境", "Business environment", [
        ("permits", "审批服务", "Permits and approvals"), ("market-order", "市场秩序", "Market order"),
        ("food-safety", "食品安全", "Food safety"), ("wage-arrears", "拖欠工资", "Unpaid wages"),
    ]),
    ("traffic", "交通出行", "Traffic and transport", [
        ("signals", "信号灯故障", "Traffic light fault"), ("bus", "公交出行", "Buses"),
    ]),
    ("other", "其他", "Other", [("other-matter", "其他事项", "Other matters")]),
]


def seed(apps, schema_editor):
    Category = apps.get_model("issues", "Category")
    for top_order, (code, name, name_en, children) in enumerate(CATEGORIES):
        parent, _ = Category.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "order": top_order, "parent": None}
        )
        for order, (child_code, child_name, child_en) in enumerate(children):
            Category.objects.update_or_create(
                code=child_code, defaults={"name": child_name, "name_en": child_en, "order": order, "parent": parent}
            )


class Migration(migrations.Migration):
    dependencies = [("issues", "0002_events_append_only")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
