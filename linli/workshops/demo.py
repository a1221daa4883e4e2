def extend(*, rng, logins):
    return None
