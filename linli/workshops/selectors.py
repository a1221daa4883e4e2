def figures(user=None) -> dict:
    return {}
