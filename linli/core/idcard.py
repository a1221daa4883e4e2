"""Resident ID-card numbers (GB 11643-1999): 6-digit division code, 8-digit birth date, 3-digit
sequence (odd = male), and a check character over the first 17 digits (ISO 7064 MOD 11-2)."""

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_PATTERN = re.compile(r"^\d{17}[\dX]$")


def check_char(first17: str) -> str:
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def normalize(number: str) -> str:
    return (number or "").strip().replace(" ", "").upper()


def birth_date(number: str) -> dt.date:
    return dt.datetime.strptime(number[6:14], "%Y%m%d").date()


def is_male(number: str) -> bool:
    return int(number[16]) % 2 == 1


def validate(number: str) -> str:
    """Return the normalised number, or raise ValidationError saying what is wrong with it."""
    n = normalize(number)
    if not _PATTERN.match(n):
        raise ValidationError(_("An ID-card number has 18 characters: 17 digits and a digit or X."),
                              code="id_format")
    try:
        born = birth_date(n)
    except ValueError:
        raise ValidationError(_("The birth date inside this ID-card number is not a real date."),
                              code="id_birth_date") from None
    if born.year < 1900 or born > dt.date.today():
        raise ValidationError(_("The birth date inside this ID-card number is out of range."),
                              code="id_birth_date")
    if check_char(n[:17]) != n[17]:
        raise ValidationError(_("The check digit of this ID-card number is wrong; please check for a typo."),
                              code="id_check_digit")
    return n


def make(division_code: str, born: dt.date, sequence: int) -> str:
    """Build a valid number (for demo data and tests)."""
    first17 = f"{division_code[:6]}{born:%Y%m%d}{sequence % 1000:03d}"
    return first17 + check_char(first17)
