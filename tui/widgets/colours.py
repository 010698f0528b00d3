"""Colour helpers the views share: mixing two colours, and the background they are mixed on."""

from __future__ import annotations

from textual.widget import Widget

FALLBACK_BACKGROUND = (30, 30, 30)  # before mount, or on a transparent background


def blend(base: tuple[int, int, int], colour: tuple[int, int, int], share: float) -> str:
    """``share`` of ``colour`` over ``base``, as a Rich colour ("rgb(r,g,b)")."""
    r, g, b = (round(x + (y - x) * share) for x, y in zip(base, colour, strict=True))
    return f"rgb({r},{g},{b})"


def background_rgb(widget: Widget) -> tuple[int, int, int]:
    """The colour the widget is drawn on (what its cells' colours are blended with)."""
    background = widget.background_colors[1] if widget.is_mounted else None
    if background is None or background.a == 0:
        return FALLBACK_BACKGROUND
    return background.rgb
