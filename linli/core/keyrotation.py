"""Re-encrypt personal fields under the current LINLI_FIELD_KEY, in batches, while the site runs.

Steps (docs/deployment.md): set the new key as LINLI_FIELD_KEY and the old one in LINLI_FIELD_KEY_OLD,
restart (both are readable; new writes use the new key), run `linli rotate-field-key`, then remove
LINLI_FIELD_KEY_OLD. Each batch locks its rows, so a concurrent edit is neither lost nor overwritten."""

from __future__ import annotations

from collections.abc import Iterator

from django.apps import apps
from django.db import transaction

from linli.core import crypto

# (model, encrypted field, blind-index field or None). The index is recomputed from the clear value.
FIELDS = [
    ("people.Person", "id_number_encrypted", "id_number_index"),
    ("grids.RegisterImport", "payload_encrypted", None),
]


def _stale(model, field):
    return model.objects.exclude(**{f"{field}__startswith": crypto.current_prefix()}).exclude(**{field: ""})


def remaining() -> dict[str, int]:
    out = {}
    for label, field, _ in FIELDS:
        model = apps.get_model(label)
        left = _stale(model, field).count()
        if left:
            out[label] = left
    return out


def rotate(*, batch: int = 500) -> Iterator[tuple[str, int]]:
    """Yield (model, rows re-encrypted so far) after each batch."""
    for label, field, index in FIELDS:
        model = apps.get_model(label)
        done, last_pk = 0, 0
        while True:
            with transaction.atomic():
                rows = list(_stale(model, field).filter(pk__gt=last_pk).order_by("pk")
                            .select_for_update()[:batch])
                if not rows:
                    break
                for row in rows:
                    clear = crypto.decrypt(getattr(row, field))
                    setattr(row, field, crypto.encrypt(clear))
                    if index:
                        setattr(row, index, crypto.blind_index(clear))
                model.objects.bulk_update(rows, [field, index] if index else [field])
            done += len(rows)
            last_pk = rows[-1].pk
            yield label, done

