"""Layout and language checks for a page as it stands, at whatever size its viewport has: what a person sees
wrong at a glance on a phone, a laptop or a wall screen, in either language.

- nothing makes the page scroll sideways, and no control sticks out past the right edge of the screen;
- no control's text is cut off (text that is shortened on purpose ends in an ellipsis and is allowed);
- no two controls overlap (a button under a badge cannot be pressed);
- no raw translation key (``status.new``) is on screen;
- in English, no Chinese words of the interface are left: what remains after removing the data (place and
  people's names, descriptions and notes, which stay as they were written) must hold no Chinese character.
"""

from __future__ import annotations

from pathlib import Path

SIZES = {"phone": (360, 740), "laptop": (1366, 768), "wall": (1920, 1080)}

_CHECK = (Path(__file__).parent / "layout.js").read_text()


def layout_problems(page, name: str, lang: str, data: list[str]) -> list[str]:  # noqa: ANN001
    """The page's problems (see the module), each line prefixed with the name given."""
    w = page.viewport_size["width"]
    found = page.evaluate(_CHECK, [lang, sorted(set(data), key=len, reverse=True)])
    return [f"{name} {lang} {w}px: {p}" for p in found]


def at_every_size(page, name: str, lang: str, data: list[str], settle=None) -> list[str]:  # noqa: ANN001
    """The page checked at the phone, laptop and wall sizes in turn (the viewport resized, the page kept);
    settle(page) is called after each resize, for what the page redraws."""
    problems: list[str] = []
    for w, h in SIZES.values():
        page.set_viewport_size({"width": w, "height": h})
        # two frames: the resize's layout, then what ResizeObserver callbacks and media queries redrew
        page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
        if settle:
            settle(page)
        problems += layout_problems(page, name, lang, data)
    return problems
