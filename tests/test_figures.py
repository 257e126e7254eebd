"""Every figure the build generated: small, dated nowhere, legible in both palettes, and drawn
with the site's colour-blind-safe palette (Okabe & Ito) or greys."""

from __future__ import annotations

import re
from pathlib import Path

from support import ROOT

GENERATED = ROOT / "docs" / "generated"
MAX_BYTES = 200_000
OKABE_ITO = {"#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#f0e442"}
COLOUR = re.compile(r"(?:stroke|fill):\s*(#[0-9a-fA-F]{6})")


def figures() -> list[Path]:
    return sorted(GENERATED.rglob("*.svg"))


def is_grey(colour: str) -> bool:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return max(r, g, b) - min(r, g, b) <= 8


def test_every_figure_is_small_undated_and_opaque(built_site):
    """Checked after the build (the figures do not exist before it on a clean clone)."""
    problems = []
    for svg in figures():
        data = svg.read_text(encoding="utf-8")
        name = svg.relative_to(GENERATED).as_posix()
        if svg.stat().st_size >= MAX_BYTES:
            problems.append(f"{name}: {svg.stat().st_size} bytes (limit {MAX_BYTES})")
        if "<dc:date>" in data:
            problems.append(f"{name}: dated; save with metadata={{'Date': None}}")
        # A white background patch keeps the figure legible in dark mode.
        fill = re.search(r'id="patch_1".*?fill:\s*(#[0-9a-fA-F]{6})', data, re.S)
        if not fill or fill.group(1).lower() != "#ffffff":
            problems.append(f"{name}: figure background is not white")
    assert figures(), "no generated figures found"
    assert not problems, "\n".join(problems)


def test_every_figure_uses_colour_blind_safe_colours(built_site):
    problems = []
    for svg in figures():
        colours = {c.lower() for c in COLOUR.findall(svg.read_text(encoding="utf-8"))}
        other = sorted(c for c in colours if c not in OKABE_ITO and not is_grey(c))
        if other:
            name = svg.relative_to(GENERATED).as_posix()
            problems.append(f"{name}: colours outside the Okabe–Ito palette and greys: {other}")
    assert not problems, "\n".join(problems)
