"""Numbers in a page's prose, taken from the snippet that computed them.

A snippet that a page quotes in running text writes ``<name>.json``, a flat object of
named values, already rounded as the page states them::

    {"nan_seeds": 5, "seeds": 5, "median_nan_step": 31}

and the page writes ``{{ exploding_run.median_nan_step }}`` where the number goes. The
runner compares that file with its committed copy, like the snippet's stdout (exactly,
or within declared tolerances), and this module puts the values into the Markdown
before it is rendered. So no number a snippet computes is typed by hand, and editing
one in a page means editing a placeholder, which ``tests/test_values.py`` resolves
against the generated files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

# A placeholder right after a backtick is shown as written (a page explaining the syntax).
PLACEHOLDER = re.compile(r"(?<!`)\{\{\s*(?P<name>[A-Za-z_]\w*)\.(?P<key>[A-Za-z_]\w*)\s*\}\}")


class UnknownValue(ValueError):
    """A placeholder names a snippet or a value that does not exist."""


def values_file(generated: Path, name: str) -> Path | None:
    """``docs/generated/<chapter>/<name>.json`` for the snippet called ``name``."""
    found = sorted(generated.glob(f"*/{name}.json"))
    return found[0] if found else None


def load(generated: Path, name: str) -> dict[str, object] | None:
    """The values snippet ``name`` wrote, or None if it has not written them (yet)."""
    path = values_file(generated, name)
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UnknownValue(f"{path}: not valid JSON ({exc}); run the snippet again") from None
    if not isinstance(data, dict):
        raise UnknownValue(f"{path}: must hold one JSON object of named values")
    return data


def show(value: object) -> str:
    """How a value appears in prose: strings as written, numbers as Python prints them."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise UnknownValue(f"a prose value must be a string or a number, got {value!r}")
    return value if isinstance(value, str) else repr(value)


def placeholders(markdown: str) -> list[tuple[str, str]]:
    """Every (snippet name, key) a page quotes."""
    return [(m["name"], m["key"]) for m in PLACEHOLDER.finditer(markdown)]


def render(
    markdown: str,
    generated: Path,
    where: str = "page",
    missing: Callable[[str, str], str] | None = None,
) -> str:
    """``markdown`` with every placeholder replaced by its value.

    A snippet that has not written its values raises, unless ``missing(name, key)`` says
    what to show instead (``mkdocs serve`` shows a "being computed" mark). An unknown key
    always raises: it is a typo, not a job still running."""
    cache: dict[str, dict[str, object] | None] = {}

    def one(match: re.Match) -> str:
        name, key = match["name"], match["key"]
        if name not in cache:
            try:
                cache[name] = load(generated, name)
            except UnknownValue as exc:
                raise UnknownValue(f"{where}: {match[0]}: {exc}") from None
        data = cache[name]
        if data is None:
            if missing is not None:
                return missing(name, key)
            raise UnknownValue(
                f"{where}: {match[0]} quotes snippet {name!r}, which wrote no {name}.json "
                "in docs/generated/ (is the name right, and does the snippet write it?)"
            )
        if key not in data:
            known = ", ".join(sorted(data)) or "none"
            raise UnknownValue(f"{where}: {match[0]}: {name}.json has no {key!r} (it has: {known})")
        return show(data[key])

    return PLACEHOLDER.sub(one, markdown)
