"""A center's public page shows its canteen's menu for the coming days (the public pages' block)."""

from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from linli.canteen import services


def test_the_center_public_page_shows_the_coming_menu(client, world):
    cache.clear()
    c = world["canteen"]
    services.dish_add(by=world["staff"], canteen=c, date=timezone.localdate(), slot="lunch", name="清蒸鲈鱼")
    body = client.get(reverse("public:site", args=[c.site_id])).content.decode()
    assert 'data-testid="canteen-menu"' in body and "清蒸鲈鱼" in body
    assert reverse("canteen:menu", args=[c.pk]) in body
