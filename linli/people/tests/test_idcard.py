import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from linli.core import idcard

codes = st.from_regex(r"\A[1-6]\d{5}\Z")
dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date.today())
sequences = st.integers(min_value=0, max_value=999)


@given(codes, dates, sequences)
def test_every_number_made_by_make_validates(code, born, seq):
    number = idcard.make(code, born, seq)
    assert idcard.validate(number) == number
    assert idcard.birth_date(number) == born


@given(codes, dates, sequences, st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_any_single_digit_change_in_the_first_17_is_rejected(code, born, seq, pos, delta):
    number = idcard.make(code, born, seq)
    changed = number[:pos] + str((int(number[pos]) + delta) % 10) + number[pos + 1:]
    with pytest.raises(ValidationError):
        idcard.validate(changed)


@pytest.mark.parametrize("bad", ["", "123", "36072419600101123", "3607241960010112345", "36072419601301001X",
                                 "360724196001010010"])
def test_malformed_numbers_are_rejected(bad):
    with pytest.raises(ValidationError):
        idcard.validate(bad)


def test_lowercase_x_and_spaces_are_normalised():
    number = next(idcard.make("360724", dt.date(1970, 5, 6), s) for s in range(1000)
                  if idcard.make("360724", dt.date(1970, 5, 6), s).endswith("X"))
    assert idcard.validate(" " + number[:6] + " " + number[6:].lower()) == number
