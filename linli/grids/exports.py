"""A grid's register as .xlsx, in the import template's columns (so a full export imports back as
"unchanged"); ID-card numbers and phones masked unless the role may see them in full."""

import io

from django.db.models import Prefetch
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from linli.grids.imports import RELATIONS, TEMPLATE_HEADERS
from linli.jobs.exports import File
from linli.people import selectors as people_selectors
from linli.people.exports import safe_cell
from linli.people.models import Membership


def columns(full: bool) -> list[str]:
    ids = ["id_number", "phone"] if full else ["id_number_masked", "phone_masked"]
    # Masked, the age stands where the birth date would (with it the masked number could be rebuilt).
    return ["division", "address", "name", "relation", ids[0], "sex", "birth_date" if full else "age", ids[1],
            "care_tags", "start_date"]


def register_xlsx(*, user, grid, full: bool) -> tuple[bytes, list[int]]:
    """Return the workbook's bytes and the ids of the persons in it (for the access log)."""
    members = Prefetch("memberships", to_attr="current", queryset=Membership.objects.filter(
        end_date__isnull=True).select_related("person").prefetch_related("person__care_tags").order_by(
        "start_date", "pk"))
    households = people_selectors.household_list(user=user, division=grid).prefetch_related(members)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("户籍台账")
    for i, width in enumerate((18, 28, 10, 10, 22, 6, 12, 16, 20, 12), start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.append(TEMPLATE_HEADERS if full else [("年龄" if h == TEMPLATE_HEADERS[6] else h) for h in TEMPLATE_HEADERS])
    ids = []
    for h in households.order_by("address", "pk").iterator(chunk_size=500):
        for m in h.current:
            p = m.person
            ws.append([safe_cell(v) for v in (
                h.division.name, h.address, p.name, RELATIONS[m.relation][0],
                p.id_number if full else p.id_number_masked, {"M": "男", "F": "女"}.get(p.sex, ""),
                (p.birth_date.isoformat() if p.birth_date else "") if full else (p.age if p.age is not None else ""),
                p.phone if full else p.phone_masked,
                "、".join(t.name for t in p.care_tags.all()), m.start_date.isoformat())])
            ids.append(p.pk)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), ids


def register_export(*, user, grid_id: int, full: bool) -> File:
    """The job's build (linli.jobs.exports): a grid `user` may see, masked unless they may see it in full."""
    from django.core.exceptions import PermissionDenied
    from django.utils import timezone

    from linli.grids import selectors

    grid = selectors.grid_list(user=user).filter(pk=grid_id).first()
    if grid is None or (full and not people_selectors.can_see_full_in(user, grid)):
        raise PermissionDenied
    body, ids = register_xlsx(user=user, grid=grid, full=full)
    return File(body=body, name=f"register-{grid.code}-{timezone.localdate().isoformat()}.xlsx",
                audit_model=people_selectors.PERSON_MODEL, audit_ids=ids, audit_fields=columns(full),
                audit_query=f"grid={grid.code}")
