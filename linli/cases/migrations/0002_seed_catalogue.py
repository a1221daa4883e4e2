"""The service catalogue (the six deliveries and common county items), and the categories of concerns,
disputes and night-talk opinions: data the county can change in the admin. Orders and concerns are the
Open311 services."""

from django.db import migrations


def _choices(*pairs):
    return [{"key": k, "name": n} for k, n in pairs]


# (code, kind, group, name, English name, delivery, usual team, open311, attributes)
ITEMS = [
    ("home_repair", "order", "送服务", "上门小修（水电门窗）", "Small home repairs (water, power, doors)", "service",
     "party_member", True,
     [{"code": "what", "datatype": "singlevaluelist", "required": True, "order": 1,
       "description": "需要修什么 / What needs fixing", "datatype_description": "",
       "values": _choices(("water", "水管龙头"), ("power", "电路灯具"), ("door", "门窗锁具"), ("other", "其他"))}]),
    ("errand", "order", "送服务", "代购代办", "Shopping and errands", "service", "youth", True, []),
    ("elderly_visit", "order", "送关爱", "陪伴探访老人", "Visiting an elderly person", "care", "women", True, []),
    ("tutoring", "order", "送教育", "课业辅导", "Homework tutoring", "education", "teachers", True,
     [{"code": "grade", "datatype": "number", "required": False, "order": 1,
       "description": "孩子年级 / Child's school grade", "datatype_description": "1–12", "values": []}]),
    ("health_check", "order", "送健康", "上门健康检查", "Health check at home", "health", "doctors", True,
     [{"code": "mobility", "datatype": "singlevaluelist", "required": False, "order": 1,
       "description": "行动能力 / Mobility", "datatype_description": "",
       "values": _choices(("walks", "能自行走动"), ("assisted", "需要搀扶"), ("bedridden", "卧床"))}]),
    ("safety_check", "order", "送平安", "居家安全检查（燃气、用电）", "Home safety check (gas, power)", "safety",
     "police", True, []),
    ("legal_consult", "order", "送法援", "法律咨询", "Legal advice", "legal_aid", "lawyers", True, []),
    ("counselling", "order", "送关爱", "心理疏导", "Counselling", "care", "social_workers", True, []),
    ("haircut", "order", "县定服务", "上门义剪", "Free haircut at home", None, "youth", True, []),
    ("environment", "concern", "人居环境", "环境卫生", "Rubbish and cleanliness", None, None, True, []),
    ("facilities", "concern", "公共设施", "公共设施损坏", "Broken public facilities", None, None, True, []),
    ("street_lighting", "concern", "公共设施", "路灯照明", "Street lighting", None, None, True, []),
    ("parking", "concern", "交通出行", "停车秩序", "Parking", None, None, True, []),
    ("noise", "concern", "邻里生活", "噪音扰民", "Noise", None, None, True, []),
    ("property_service", "concern", "物业服务", "物业服务", "Property management service", None, None, True, []),
    ("safety_hazard", "concern", "安全隐患", "安全隐患", "Safety hazard", None, None, True, []),
    ("other_concern", "concern", "其他", "其他诉求", "Other concern", None, None, True, []),
    ("neighbour_dispute", "dispute", "人民调解", "邻里纠纷", "Neighbour dispute", None, None, False, []),
    ("family_dispute", "dispute", "人民调解", "婚姻家庭纠纷", "Marriage and family dispute", None, None, False, []),
    ("property_dispute", "dispute", "人民调解", "物业纠纷", "Property management dispute", None, None, False, []),
    ("labour_dispute", "dispute", "人民调解", "劳务纠纷", "Wages and labour dispute", None, None, False, []),
    ("damage_dispute", "dispute", "人民调解", "损害赔偿纠纷", "Damages dispute", None, None, False, []),
    ("other_dispute", "dispute", "人民调解", "其他纠纷", "Other dispute", None, None, False, []),
    ("opinion_environment", "opinion", "城市夜话", "人居环境", "Living environment", None, None, False, []),
    ("opinion_services", "opinion", "城市夜话", "公共服务", "Public services", None, None, False, []),
    ("opinion_traffic", "opinion", "城市夜话", "交通出行", "Getting around", None, None, False, []),
    ("opinion_care", "opinion", "城市夜话", "一老一小", "Elderly care and childcare", None, None, False, []),
    ("opinion_other", "opinion", "城市夜话", "其他意见", "Other opinion", None, None, False, []),
]


def seed(apps, schema_editor):
    Item = apps.get_model("cases", "ServiceItem")
    Delivery = apps.get_model("activities", "Delivery")
    Team = apps.get_model("volunteers", "Team")
    deliveries = {d.code: d for d in Delivery.objects.all()}
    teams = {t.code: t for t in Team.objects.all()}
    for i, (code, kind, group, name, en, delivery, team, open311, attributes) in enumerate(ITEMS, start=1):
        Item.objects.update_or_create(code=code, defaults={
            "kind": kind, "group": group, "name": name, "name_en": en, "delivery": deliveries.get(delivery),
            "default_team": teams.get(team), "open311": open311, "attributes": attributes, "order": i})


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
