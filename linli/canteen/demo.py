"""Demo data for the elderly canteen (filled in below)."""


def extend(*, rng, logins):
    return None
