import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from linli.core import crypto, geo, idcard
from linli.core.masking import mask_id_number, mask_phone


def test_reference_id_number_check_digit():
    # GB 11643 worked example: 11010519491231002X
    assert idcard.validate("11010519491231002x") == "11010519491231002X"


@pytest.mark.parametrize("bad,code", [
    ("3607241990010112", "id_format"),
    ("36072419900230123X", "id_birth_date"),
    ("110105194912310021", "id_check_digit"),
])
def test_invalid_id_numbers_say_what_is_wrong(bad, code):
    with pytest.raises(ValidationError) as err:
        idcard.validate(bad)
    assert err.value.code == code


@given(st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2020, 12, 31)), st.integers(0, 999))
def test_made_numbers_validate_and_encode_birth_and_sex(born, seq):
    n = idcard.make("360724", born, seq)
    assert idcard.validate(n) == n
    assert idcard.birth_date(n) == born
    assert idcard.is_male(n) == (seq % 2 == 1)


def test_encryption_round_trip_and_randomised():
    a, b = crypto.encrypt("36072419900101123X"), crypto.encrypt("36072419900101123X")
    assert a != b and "36072419900101123X" not in a
    assert crypto.decrypt(a) == "36072419900101123X"


def test_blind_index_is_deterministic_and_keyed(settings):
    first = crypto.blind_index("36072419900101123X")
    assert first == crypto.blind_index("36072419900101123X")
    settings.FIELD_KEY = "A" * 43 + "="  # another 32-byte key
    assert crypto.blind_index("36072419900101123X") != first


def test_tampered_ciphertext_is_refused():
    token = crypto.encrypt("x")
    raw = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(Exception):  # noqa: B017 - cryptography raises InvalidTag
        crypto.decrypt(raw)


def test_masks():
    assert mask_id_number("36072419900101123X") == "3607************3X"
    assert mask_phone("13812341234") == "138****1234"


def test_gcj02_round_trip_is_within_a_centimetre():
    lat, lng = 25.7935, 114.5430
    glat, glng = geo.wgs84_to_gcj02(lat, lng)
    assert abs(glat - lat) + abs(glng - lng) > 1e-3  # the offset is real (hundreds of metres)
    back = geo.gcj02_to_wgs84(glat, glng)
    assert abs(back[0] - lat) < 1e-7 and abs(back[1] - lng) < 1e-7


def test_coordinates_outside_china_are_refused():
    with pytest.raises(ValidationError):
        geo.validate_in_china(114.54, 25.79)  # swapped
    geo.validate_in_china(25.79, 114.54)
