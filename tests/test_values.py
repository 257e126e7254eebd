"""Numbers in prose come from the snippets (gtt/values.py): placeholders, rendering, errors."""

from __future__ import annotations

import json

import pytest
from support import ROOT

from gtt import values

PAGES = sorted(p for p in (ROOT / "docs").glob("*.md"))


def write(tmp_path, name: str, data) -> None:
    (tmp_path / "ch").mkdir(exist_ok=True)
    (tmp_path / "ch" / f"{name}.json").write_text(json.dumps(data))


def test_a_placeholder_becomes_the_snippets_value(tmp_path):
    write(tmp_path, "exploding_run", {"nan_step": 31, "loss": 0.14, "ratio": "2.5 × 10⁻⁹"})
    text = "NaN at step {{ exploding_run.nan_step }}, loss {{exploding_run.loss}} ({{ exploding_run.ratio }})."
    assert values.render(text, tmp_path) == "NaN at step 31, loss 0.14 (2.5 × 10⁻⁹)."
    assert values.placeholders(text) == [
        ("exploding_run", "nan_step"),
        ("exploding_run", "loss"),
        ("exploding_run", "ratio"),
    ]


def test_unknown_snippet_or_key_is_a_clear_error(tmp_path):
    write(tmp_path, "exploding_run", {"nan_step": 31})
    with pytest.raises(
        values.UnknownValue,
        match=r"docs/x.md: \{\{ exploding_run.nan \}\}: .*has no 'nan' \(it has: nan_step\)",
    ):
        values.render("{{ exploding_run.nan }}", tmp_path, where="docs/x.md")
    with pytest.raises(values.UnknownValue, match=r"wrote no typo_name\.json"):
        values.render("{{ typo_name.nan_step }}", tmp_path)
    write(tmp_path, "listy", [1, 2])
    with pytest.raises(values.UnknownValue, match="one JSON object"):
        values.render("{{ listy.a }}", tmp_path)
    write(tmp_path, "booly", {"a": True})
    with pytest.raises(values.UnknownValue, match="a string or a number"):
        values.render("{{ booly.a }}", tmp_path)


def test_a_preview_shows_a_mark_for_values_not_computed_yet(tmp_path):
    shown = values.render("step {{ later.x }}", tmp_path, missing=lambda n, k: f"[{n}.{k}?]")
    assert shown == "step [later.x?]"


def test_math_and_other_braces_are_left_alone(tmp_path):
    text = r"\(e^{{x}}\) and {{ not a placeholder }} and {{1.2}} and `{{ shown.as_written }}`"
    assert values.render(text, tmp_path) == text
    assert values.placeholders(text) == []


def test_every_placeholder_on_every_page_resolves(built_site):
    """Each number a page quotes exists in the values its snippet wrote in this build."""
    found = 0
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        found += len(values.placeholders(text))
        values.render(text, ROOT / "docs" / "generated", where=str(page.relative_to(ROOT)))
    assert found > 0, "no page quotes a computed number through a placeholder"


def test_rendered_pages_show_no_placeholder(built_site):
    """Every placeholder was replaced, except one a page shows as code (how-built.md's example)."""
    shown = 0
    for html in built_site.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        for match in values.PLACEHOLDER.finditer(text):
            assert text[: match.start()].endswith("<code>"), (html, match.group(0))
            shown += 1
    assert shown >= 1, "how-built.md's example placeholder is no longer shown as code"


def test_a_hand_typed_number_in_place_of_a_placeholder_fails(tmp_path):
    """The guard that catches a hand edit: a page cannot quote a number that a values file
    holds under a name while writing it by hand, because the test above renders every
    placeholder; replacing one by a literal drops it from the page's list, which the
    per-page counts below pin."""
    counts = {p.name: len(values.placeholders(p.read_text(encoding="utf-8"))) for p in PAGES}
    pinned = json.loads((ROOT / "tests" / "expected" / "placeholders.json").read_text())
    assert counts == pinned, (
        "the number of computed values quoted on a page changed; if on purpose, update "
        "tests/expected/placeholders.json"
    )


def test_a_damaged_values_file_names_the_page_the_placeholder_and_the_file(tmp_path):
    """Planted: a values file cut short. It raised a bare JSONDecodeError naming nothing."""
    (tmp_path / "ch").mkdir()
    (tmp_path / "ch" / "cut.json").write_text('{"a": 1', encoding="utf-8")
    with pytest.raises(values.UnknownValue) as caught:
        values.render("{{ cut.a }}", tmp_path, where="docs/x.md")
    message = str(caught.value)
    assert message.startswith("docs/x.md: {{ cut.a }}: ")
    assert "ch/cut.json: not valid JSON" in message
