"""What other features add to a center's public page, without this app knowing them.

THE CANTEEN HOOK: the canteen app shows the week's menu on a center's public page by registering
    register_site_block(order=50, template="canteen/_public_menu.html", context=fn)
where fn(site) returns a dict for the template, or None when the center has no canteen. Until a feature
registers, the page shows nothing there. A block's data must hold no personal data (the page is public).
"""

from collections.abc import Callable

_BLOCKS: list[tuple[int, str, Callable]] = []


def register_site_block(*, order: int, template: str, context: Callable) -> None:
    if all(t != template for _, t, _ in _BLOCKS):
        _BLOCKS.append((order, template, context))
        _BLOCKS.sort(key=lambda b: b[0])


def site_blocks(site) -> list[tuple[str, dict]]:
    out = []
    for _, template, context in _BLOCKS:
        ctx = context(site)
        if ctx is not None:
            out.append((template, ctx))
    return out
