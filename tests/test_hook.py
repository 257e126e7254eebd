"""The MkDocs hook's extras: shared notebook CSS, and the caches `mkdocs serve` uses."""

from __future__ import annotations

import re
from types import SimpleNamespace

import markdown
import pygments
import pytest
from material.plugins.search.plugin import SearchIndex
from pymdownx.highlight import Highlight

from gtt import hook

FENCES = '```python title="a.py"\nx = [1, 2, 3]\nprint(sum(x))\n```\n\n```text\nplain\n```\n'


def render(text: str) -> str:
    return markdown.markdown(text, extensions=["pymdownx.superfences", "pymdownx.highlight"])


def test_remembered_highlighting_is_identical_and_runs_pygments_once(monkeypatch):
    monkeypatch.setattr(Highlight, "highlight", Highlight.highlight)  # restored afterwards
    plain = render(FENCES)
    hook.remember_highlighting()
    hook.remember_highlighting()  # idempotent: one layer of caching, not two
    calls = []
    real = pygments.highlight
    monkeypatch.setattr(
        "pymdownx.highlight.highlight", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    assert render(FENCES) == plain
    first = len(calls)
    assert first >= 1
    assert render(FENCES) == plain and len(calls) == first  # second page build: no Pygments
    assert render(FENCES.replace("1, 2, 3", "4, 5")) != plain and len(calls) > first


def page(content: str) -> SimpleNamespace:
    return SimpleNamespace(url="ch/", title="Chapter", meta={}, content=content, toc=[])


def test_remembered_search_entries_are_identical_and_follow_edits(monkeypatch):
    monkeypatch.setattr(SearchIndex, "add_entry_from_context", SearchIndex.add_entry_from_context)
    html = '<h1 id="ch">Chapter</h1><p>Clip the gradient.</p><h2 id="b">Then</h2><p>Gates.</p>'
    plain = SearchIndex()
    plain.add_entry_from_context(page(html))
    hook.remember_search_entries()
    for _ in range(2):  # the second rebuild reuses the first one's entries
        index = SearchIndex()
        index.add_entry_from_context(page(html))
        assert index.entries == plain.entries and len(index.entries) == 2
    edited = SearchIndex()
    edited.add_entry_from_context(page(html.replace("Gates", "LSTM gates")))
    assert edited.entries[1]["text"] == "<p>LSTM gates.</p>"


@pytest.mark.parametrize("src, expected", [("first.md", False), ("generated/labs/a.ipynb", True)])
def test_notebook_styles_move_to_one_shared_file(src, expected, monkeypatch):
    monkeypatch.setattr(hook, "_notebook_css", {})
    html = "<style>.jupyter-wrapper{color:red}</style><div>cell</div><style>pre{}</style>"
    nb_page = SimpleNamespace(
        file=SimpleNamespace(src_uri=src, dest_uri=src.replace(".ipynb", "/index.html"))
    )
    out = hook.on_page_content(html, nb_page, {}, None)
    if not expected:
        assert out == html and not hook._notebook_css
        return
    [(name, css)] = hook._notebook_css.items()
    assert re.fullmatch(r"assets/stylesheets/notebook\.[0-9a-f]{8}\.css", name)
    assert ".jupyter-wrapper{color:red}" in css and "pre{}" in css
    assert "<style" not in out and "<div>cell</div>" in out
    assert f'<link rel="stylesheet" href="../../../{name}">' in out
