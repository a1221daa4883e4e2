"""Blocks on the home page: each feature registers what its users need first (my sign-ups, hours to
confirm, my requests). A block's function returns a context dict, or None to stay hidden."""

from collections.abc import Callable

_BLOCKS: list[tuple[int, str, Callable]] = []


def register_block(*, order: int, template: str, context: Callable) -> None:
    if all(t != template for _, t, _ in _BLOCKS):
        _BLOCKS.append((order, template, context))
        _BLOCKS.sort(key=lambda b: b[0])


def blocks_for(request) -> list[tuple[str, dict]]:
    out = []
    for _, template, context in _BLOCKS:
        ctx = context(request)
        if ctx is not None:
            out.append((template, ctx))
    return out


CHART_ROLES = {"county_admin", "community_staff", "site_manager"}


def charts_block(request):
    """The main figures by month and by community, for the county's and the communities' staff."""
    from linli.core import trends
    from linli.core.scoping import role_kinds

    user = request.user
    if not (user.is_superuser or role_kinds(user) & CHART_ROLES):
        return None
    charts = trends.charts(user=user)
    rows = [(m, [(f["label"], f["by_month"][i]) for f in charts["figures"]]) for i, m in enumerate(charts["months"])]
    return {"charts": charts, "rows": rows}
