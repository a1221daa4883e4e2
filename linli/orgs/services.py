"""Writes for organizations: only staff (Role.STAFF) over the organization's division."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from linli.accounts.models import Role
from linli.core.scoping import has_role_over
from linli.divisions.models import Division
from linli.orgs.models import Organization

FIELDS = {"name", "kind", "division", "contact_name", "contact_phone", "address"}


def _require_staff(by, division) -> None:
    if not has_role_over(by, Role.STAFF, division):
        raise PermissionDenied(_("Only county or community staff of this division may manage its organizations."))


@transaction.atomic
def organization_create(*, by, name: str, kind: str, division: Division, contact_name: str = "",
                        contact_phone: str = "", address: str = "") -> Organization:
    """Register an organization in a division the user is staff of."""
    _require_staff(by, division)
    org = Organization(name=name.strip(), kind=kind, division=division, contact_name=contact_name.strip(),
                       contact_phone=contact_phone.strip(), address=address.strip())
    org.full_clean()
    org.save()
    return org


@transaction.atomic
def organization_update(*, by, organization: Organization, data: dict) -> Organization:
    """Change an organization; moving it needs staff rights at both divisions."""
    unknown = set(data) - FIELDS
    if unknown:
        raise ValueError(f"unknown organization fields {unknown}")
    _require_staff(by, organization.division)
    if "division" in data:
        _require_staff(by, data["division"])
    for field, value in data.items():
        setattr(organization, field, value.strip() if isinstance(value, str) else value)
    organization.full_clean()
    organization.save()
    return organization
