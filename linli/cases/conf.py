"""Settings of the cases app, with their defaults (a deployment overrides them in settings)."""

from django.conf import settings

# Hours from receipt to the deadline, per kind and priority. A dispute's default follows people's
# mediation practice: it normally ends within one month (LINLI_DISPUTE_DEADLINE_DAYS, 30).
DEFAULT_DEADLINE_HOURS = {
    "order": {"urgent": 24, "normal": 72, "low": 168},
    "concern": {"urgent": 48, "normal": 168, "low": 336},
    "opinion": {"urgent": 168, "normal": 720, "low": 720},
}
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# How far (km) outside every community's boundary or centre a location may lie and still be placed in
# the nearest community; further is "outside the county".
MAX_DISTANCE_KM = 3.0


def deadline_hours(kind: str, priority: str) -> int:
    if kind == "dispute":
        return int(getattr(settings, "LINLI_DISPUTE_DEADLINE_DAYS", 30)) * 24
    table = {k: dict(v) for k, v in DEFAULT_DEADLINE_HOURS.items()}
    for k, v in getattr(settings, "LINLI_CASE_DEADLINE_HOURS", {}).items():
        table.setdefault(k, {}).update(v)
    return int(table.get(kind, {}).get(priority, 168))


def max_upload_bytes() -> int:
    return int(getattr(settings, "LINLI_CASE_MAX_UPLOAD_BYTES", MAX_UPLOAD_BYTES))


def max_distance_km() -> float:
    return float(getattr(settings, "LINLI_CASE_MAX_DISTANCE_KM", MAX_DISTANCE_KM))
