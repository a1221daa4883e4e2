"""Rotating LINLI_FIELD_KEY: while the old key is still listed, every ID number reads and is found by
exact search; `rotate` re-encrypts in batches under the new key; afterwards the old key can go."""

import base64
import secrets

from linli.accounts.models import Role
from linli.core import crypto, keyrotation
from linli.core.testing import PersonFactory
from linli.people.models import Person
from linli.people.selectors import person_list


def _new_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def test_rotation_re_encrypts_in_batches_and_keeps_search_working(county, make_user, settings):
    staff = make_user(Role.Kind.COMMUNITY_STAFF, county["A"])
    people = [PersonFactory(division=county["A1"]) for _ in range(7)]
    numbers = {p.pk: p.id_number for p in people}
    old = settings.FIELD_KEY
    settings.FIELD_KEY, settings.FIELD_KEYS_OLD = _new_key(), [old]

    # During the rotation: old rows read, and an exact search finds them.
    assert keyrotation.remaining() == {"people.Person": 7}
    assert Person.objects.get(pk=people[0].pk).id_number == numbers[people[0].pk]
    assert list(person_list(user=staff, q=numbers[people[0].pk])) == [people[0]]

    progress = list(keyrotation.rotate(batch=3))
    assert [done for label, done in progress if label == "people.Person"] == [3, 6, 7]
    assert keyrotation.remaining() == {}

    settings.FIELD_KEYS_OLD = []  # the old key is gone: everything still reads and is found
    for p in Person.objects.filter(pk__in=numbers):
        assert p.id_number == numbers[p.pk]
        assert p.id_number_encrypted.startswith(crypto.current_prefix())
    assert list(person_list(user=staff, q=numbers[people[3].pk])) == [people[3]]


def test_values_in_the_first_format_still_read(settings):
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = b"\x00" * 12
    sealed = AESGCM(crypto._keys(settings.FIELD_KEY)[0]).encrypt(nonce, b"360724196001010011", b"v1")
    token = "v1:" + base64.b64encode(nonce + sealed).decode()
    assert crypto.decrypt(token) == "360724196001010011"
    assert not crypto.is_current(token)
