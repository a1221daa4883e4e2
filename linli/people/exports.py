"""Spreadsheet export of persons. Cells that a spreadsheet would read as a formula are escaped."""

import io

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook

from linli.jobs.exports import File
from linli.people.models import Membership

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text starting with = + - @ (or a tab/CR) is prefixed with ' so no spreadsheet runs it."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def columns(full: bool) -> list[str]:
    ids = ["id_number", "phone"] if full else ["id_number_masked", "phone_masked"]
    # Masked, the age stands where the birth date would (with it the masked number could be rebuilt).
    return ["name", "sex", "birth_date" if full else "age", *ids, "division", "household", "relation", "care_tags"]


def persons_xlsx(*, persons, full: bool) -> tuple[bytes, list[int]]:
    """Return the workbook's bytes and the ids of the persons in it."""
    current = Prefetch("memberships", to_attr="current", queryset=Membership.objects.filter(
        end_date__isnull=True).select_related("household"))
    wb = Workbook()
    ws = wb.active
    ws.title = _("Persons")
    ws.append([_("Name"), _("Sex"), _("Birth date") if full else _("Age"), _("ID-card number"), _("Phone"), _("Grid or community"),
               _("Household address"), pgettext("to the head of household", "Relation"), _("Care tags")])
    ids = []
    for p in persons.prefetch_related(current).iterator(chunk_size=500):
        m = p.current[0] if p.current else None
        row = [p.name, str(p.get_sex_display()), p.birth_date if full else p.age,
               p.id_number if full else p.id_number_masked, p.phone if full else p.phone_masked,
               p.division.name, m.household.address if m else "", str(m.get_relation_display()) if m else "",
               "、".join(str(t) for t in p.care_tags.all())]
        ws.append([safe_cell(v) for v in row])
        ids.append(p.pk)
    for letter, width in zip("ABCDEFGHI", (10, 6, 12, 22, 16, 16, 32, 10, 24), strict=True):
        ws.column_dimensions[letter].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), ids


def persons_export(*, user, division_id: int, full: bool) -> File:
    """The job's build (linli.jobs.exports): the persons of a division `user` keeps, as they may see them."""
    from django.core.exceptions import PermissionDenied
    from django.utils import timezone

    from linli.accounts.models import Role
    from linli.divisions.models import Division
    from linli.people import selectors

    division = Division.objects.visible_to(user, roles=Role.PEOPLE_KEEPERS).filter(pk=division_id).first()
    if division is None or (full and not selectors.can_see_full_in(user, division)):
        raise PermissionDenied
    body, ids = persons_xlsx(persons=selectors.person_list(user=user, division=division), full=full)
    return File(body=body, name=f"persons-{division.code}-{timezone.localdate().isoformat()}.xlsx",
                audit_model=selectors.PERSON_MODEL, audit_ids=ids, audit_fields=columns(full),
                audit_query=f"division={division.code}")
