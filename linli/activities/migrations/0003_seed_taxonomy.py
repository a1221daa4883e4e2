"""The 365 format's six service platforms and five work methods, and the six deliveries (六送), as data
the county can extend in the admin."""

from django.db import migrations

PLATFORMS = [
    ("theory_policy", "理论政策宣讲", "Theory and policy lectures"),
    ("culture_education", "文化教育服务", "Culture and education"),
    ("science_skills", "科技科普技能培训", "Science popularisation and skills training"),
    ("health_care", "健康保健服务", "Health care"),
    ("volunteer_legal", "志愿服务法律服务", "Volunteer and legal services"),
    ("joint_building", "同心共建", "Joint co-building"),
]
METHODS = [
    ("thorough_lectures", "全面深入宣讲", "Thorough lectures"),
    ("ceremony_heritage", "庆典礼仪传承", "Ceremonies and etiquette heritage"),
    ("colourful_culture", "多彩文化乐民", "Colourful culture for the people"),
    ("caring_help", "真情关爱帮扶", "Caring help"),
    ("interactive_review", "居民互动评议", "Residents' interactive review"),
]
DELIVERIES = [
    ("service", "送服务", "Delivering services", "党员志愿者"),
    ("education", "送教育", "Delivering education", "教师"),
    ("health", "送健康", "Delivering health", "医生"),
    ("safety", "送平安", "Delivering safety", "民警"),
    ("legal_aid", "送法援", "Delivering legal aid", "律师"),
    ("care", "送关爱", "Delivering care", "社工"),
]


def seed(apps, schema_editor):
    Platform, Method, Delivery = (apps.get_model("activities", n) for n in ("Platform", "Method", "Delivery"))
    for i, (code, name, en) in enumerate(PLATFORMS, start=1):
        Platform.objects.update_or_create(code=code, defaults={"name": name, "name_en": en, "order": i})
    for i, (code, name, en) in enumerate(METHODS, start=1):
        Method.objects.update_or_create(code=code, defaults={"name": name, "name_en": en, "order": i})
    for i, (code, name, en, provider) in enumerate(DELIVERIES, start=1):
        Delivery.objects.update_or_create(code=code, defaults={"name": name, "name_en": en, "order": i,
                                                               "provider": provider})


class Migration(migrations.Migration):
    dependencies = [("activities", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
