"""The navigation each role sees: every place on the top bar (desktop), the role's four main places
on the bottom bar (phone). Entries whose feature is not installed are left out."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from linli.core.scoping import DUTY_KINDS, role_kinds

STAFF = {"county_admin", "community_staff"}
# Roles that work in the platform (API docs, "you work in"); residents and volunteers only use it.
WORKERS = STAFF | {"site_manager", "grid_worker", "tutor"}
ENTRIES = [
    # key, label, url name, roles that see it (None: everyone), icon
    ("home", _("Home"), "core:home", None, "⌂"),
    ("sites", _("Sites"), "places:site_list", None, "▣"),
    ("activities", _("Activities"), "activities:list", None, "★"),
    ("volunteers", _("Volunteering"), "volunteers:home", None, "♥"),
    ("cases", _("Requests"), "cases:home", None, "✉"),
    ("residents", _("Residents"), "people:household_list", STAFF | {"grid_worker"}, "☰"),
    ("grids", _("Grids"), "grids:home", STAFF | {"grid_worker"}, "▦"),
    ("classroom", _("Classroom"), "classroom:home", STAFF | {"site_manager", "tutor", "resident"}, "✎"),
    ("canteen", _("Canteen"), "canteen:home", STAFF | {"site_manager", "grid_worker", "volunteer", "resident"}, "♨"),
    ("workshops", _("Workshops"), "workshops:home", STAFF | {"site_manager", "resident"}, "⚒"),
    ("coverage", _("15-min circle"), "coverage:index", STAFF | {"site_manager", "grid_worker"}, "◎"),
    ("map", _("Map"), "core:map", None, "◉"),
    ("jobs", _("Background jobs"), "jobs:list", STAFF, "⚙"),
    ("users", _("Accounts"), "accounts:users", {"system_admin"}, "☺"),
    ("roles", _("Role grants"), "accounts:roles", {"security_admin"}, "⚿"),
    ("audit", _("Audit trail"), "accounts:audit", {"auditor"}, "☑"),
]
# Separated duties see their own page and nothing of the records (core.scoping.DUTY_KINDS).
DUTY_KEYS = {"home", "users", "roles", "audit"}
BOTTOM = [  # the first role the user holds decides their bottom bar
    (STAFF, ["home", "activities", "cases", "residents"]),
    ({"site_manager"}, ["home", "sites", "activities", "cases"]),
    ({"grid_worker"}, ["home", "grids", "residents", "cases"]),
    ({"tutor"}, ["home", "classroom", "activities", "volunteers"]),
    ({"volunteer"}, ["home", "activities", "volunteers", "cases"]),
    ({"resident"}, ["home", "activities", "cases", "sites"]),
    ({"system_admin", "security_admin", "auditor"}, ["home", "users", "roles", "audit"]),
]


def _url(name):
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def is_worker(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (user.is_superuser or bool(role_kinds(user) & WORKERS))


def nav_for(user, path: str = "/") -> tuple[list[dict], list[dict]]:
    if not getattr(user, "is_authenticated", False):
        return [], []
    kinds = STAFF if user.is_superuser else role_kinds(user)
    duty_only = bool(kinds) and kinds <= DUTY_KINDS
    items = {}
    for key, label, name, roles, icon in ENTRIES:
        url = _url(name)
        if duty_only and key not in DUTY_KEYS:
            continue
        if url and (roles is None or kinds & roles):
            current = path == url if url == "/" else path.startswith(url)
            items[key] = {"key": key, "label": label, "url": url, "icon": icon, "current": current}
    keys = next((keys for roles, keys in BOTTOM if kinds & roles), ["home", "sites", "activities", "map"])
    # The bottom bar holds four places; every other place of the role sits in its "more" sheet.
    return list(items.values()), [items[k] for k in keys if k in items]
