"""The unified social credit code (统一社会信用代码, GB 32100-2015) on a business licence: 18 characters
from 0-9 and the capitals without I, O, Z, S, V; registering authority (1), kind (1), division code (6),
organisation code (9), and a check character: weights 3^i mod 31 over the first 17, C = 31 - (sum mod 31),
31 written as 0."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_PATTERN = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def normalize(code: str) -> str:
    return (code or "").strip().replace(" ", "").upper()


def check_char(first17: str) -> str:
    total = sum(CHARS.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARS[(31 - total % 31) % 31]


def validate(code: str) -> str:
    """Return the normalised code, or raise ValidationError saying what is wrong with it."""
    c = normalize(code)
    if not _PATTERN.match(c):
        raise ValidationError(_("A unified social credit code has 18 characters: digits and capital letters "
                                "(no I, O, Z, S or V)."), code="credit_code_format")
    if check_char(c[:17]) != c[17]:
        raise ValidationError(_("The check character of this unified social credit code is wrong; please check "
                                "for a typo."), code="credit_code_check")
    return c


def make(division_code: str, org_code: str, *, authority: str = "9", kind: str = "1") -> str:
    """Build a valid code (for demo data and tests): org_code is 9 characters."""
    first17 = f"{authority}{kind}{division_code[:6]}{org_code[:9]}"
    return first17 + check_char(first17)
