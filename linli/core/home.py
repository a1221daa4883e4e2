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
