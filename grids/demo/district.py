"""The facts of Jianhua District (建华区), Qiqihar, that the demo data is built from (see DOMAIN.md).

Street names and codes, the district's figures and the eleven departments come from the seed
article; community names marked "known" do too, the rest are invented in the same style.
"""

DISTRICT = {
    "code": "230203",
    "name": "建华区",
    "population": 230_000,
    "area_m2": 81_000_000,
    "centre": (47.35, 123.95),  # lat, lng
}

# Street code → (name, community names). Five streets, 34 communities.
STREETS = [
    ("230203002", "中华街道", ["东市场", "东盛", "中华", "南苑", "永安", "新华", "光明"]),
    ("230203004", "西大桥街道", ["亨达", "名人", "西桥", "富强", "和平", "龙华", "铁锋"]),
    ("230203005", "卜奎街道", ["解放门回民", "王仔花苑", "卜奎", "龙沙", "正阳", "团结", "新兴"]),
    ("230203006", "建设街道", ["高炉一", "北民强", "建设", "红星", "长青", "机车", "曙光"]),
    ("230203007", "文化街道", ["浏园", "安居", "文化", "书香", "明月", "育才"]),
]
GRID_COUNT = 840
INFORMATION_OFFICERS_PER_GRID = 5

# The eleven departments that made public commitments and report for duty.
DEPARTMENTS = [
    ("urban-management", "建华区城市管理局", "城管", "市容环境、占道经营、违章建筑、环境卫生"),
    ("housing-construction", "建华区住房和城乡建设局", "住建", "物业管理、老旧小区改造、供热、市政设施"),
    ("education", "建华区教育局", "教育", "学校周边、入学、校外培训"),
    ("health", "建华区卫生健康局", "卫健", "医疗卫生、疫情防控、公共卫生"),
    ("market-regulation", "建华区市场监督管理局", "市监", "食品安全、价格、消费维权、营商环境"),
    ("human-resources", "建华区人力资源和社会保障局", "人社", "就业、社保、欠薪"),
    ("civil-affairs", "建华区民政局", "民政", "低保、养老、救助、社区建设"),
    ("petitions", "建华区信访局", "信访", "信访事项、矛盾调处"),
    ("emergency-management", "建华区应急管理局", "应急", "安全生产、消防隐患、自然灾害"),
    ("traffic-police", "齐齐哈尔市公安局交通警察支队建华大队", "交警", "交通秩序、停车、道路安全"),
    ("public-security", "齐齐哈尔市公安局建华分局", "公安", "治安、邻里纠纷、户籍"),
]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰红梅建国建华淑珍凤兰桂兰丹丹海燕志强国庆立新春梅"
