"""The extra questions some categories ask when a whistle is filed (Open311 service attributes)."""
from django.db import migrations

YES_NO = [{"key": "yes", "name": "是"}, {"key": "no", "name": "否"}]
ATTRIBUTES = [
    # category, code, datatype, required, question, how to answer, choices, urgent answers
    ("heating", "indoor-temperature", "number", True, "室内温度（℃）",
     "测得的室内温度，摄氏度，例如 14", [], []),
    ("heating", "building-unit", "string", False, "楼号、单元",
     "例如 3号楼2单元", [], []),
    ("elevator", "people-trapped", "singlevaluelist", True, "是否有人被困在电梯内？",
     "有人被困按紧急处理", YES_NO, ["yes"]),
    ("elevator", "building-unit", "string", False, "楼号、单元",
     "例如 3号楼2单元", [], []),
    ("snow", "location-type", "singlevaluelist", True, "积雪位置",
     "选择积雪所在的位置", [{"key": "road", "name": "道路"}, {"key": "sidewalk", "name": "人行道"},
                         {"key": "courtyard", "name": "小区院内"}], []),
]


def seed(apps, schema_editor):
    Category = apps.get_model("issues", "Category")
    CategoryAttribute = apps.get_model("issues", "CategoryAttribute")
    for order, (category, code, datatype, required, question, how, values, urgent) in enumerate(ATTRIBUTES):
        found = Category.objects.filter(code=category).first()
        if found is None:
            continue
        CategoryAttribute.objects.update_or_create(category=found, code=code, defaults={
            "datatype": datatype, "required": required, "description": question, "datatype_description": how,
            "values": values, "urgent_keys": urgent, "order": order})


class Migration(migrations.Migration):
    dependencies = [("issues", "0004_open311_intake")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
