"""How personal identifiers are shown to roles that may not see them in full.

An ID-card number is 6 digits of division (known from where the person lives), 8 of birth date, 3 of
sequence and a check character. The masked form keeps the first 4 and the last 2 (6 of 18), and a
role without full access is shown the age, never the birth date, beside it: what is shown leaves
tens of thousands of candidates, and an exact-number search (which would confirm one) is itself
reserved to roles that may see full numbers (people.selectors.id_number_search)."""

import datetime as dt

ID_KEEP_START, ID_KEEP_END = 4, 2


def mask_id_number(number: str) -> str:
    if not number:
        return ""
    return number[:ID_KEEP_START] + "*" * (len(number) - ID_KEEP_START - ID_KEEP_END) + number[-ID_KEEP_END:]


def remask(masked: str) -> str:
    """A mask of the old, wider form (first 4, last 4) narrowed to this one, without the number."""
    if len(masked) <= ID_KEEP_START + ID_KEEP_END:
        return masked
    return masked[:ID_KEEP_START] + "*" * (len(masked) - ID_KEEP_START - ID_KEEP_END) + masked[-ID_KEEP_END:]


def shown_birth_date(birth_date: dt.date | None, *, full: bool) -> dt.date | None:
    """The birth date for a role with full access; None (show the age instead) for the others."""
    return birth_date if full else None


def mask_phone(phone: str) -> str:
    digits = (phone or "").strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_email(email: str) -> str:
    """The first character of the mailbox and the whole domain: w***@example.cn."""
    local, at, domain = (email or "").strip().partition("@")
    if not at:
        return mask_phone(local)
    return f"{local[:1]}***@{domain}"
