"""Reads for divisions: the tree of the user's scope."""

from linli.divisions.models import Division


def division_tree(*, user) -> list[tuple[Division, int]]:
    """The divisions the user may see, in path order, each with its depth below the shallowest one."""
    rows = list(Division.objects.visible_to(user).order_by("path"))
    if not rows:
        return []
    top = min(r.path.count("/") for r in rows)
    return [(d, d.path.count("/") - top) for d in rows]
