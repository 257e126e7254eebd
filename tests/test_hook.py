"""Lab pages made light (gtt.notebooks) and the caches `mkdocs serve` uses (gtt.preview)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import markdown
import pygments
import pytest
from material.plugins.search.plugin import SearchIndex
from pymdownx.highlight import Highlight

from gtt import notebooks, preview

FENCES = '```python title="a.py"\nx = [1, 2, 3]\nprint(sum(x))\n```\n\n```text\nplain\n```\n'


def render(text: str) -> str:
    return markdown.markdown(text, extensions=["pymdownx.superfences", "pymdownx.highlight"])


def test_remembered_highlighting_is_identical_and_runs_pygments_once(monkeypatch):
    monkeypatch.setattr(Highlight, "highlight", Highlight.highlight)  # restored afterwards
    plain = render(FENCES)
    preview.remember_highlighting()
    preview.remember_highlighting()  # idempotent: one layer of caching, not two
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
    preview.remember_search_entries()
    for _ in range(2):  # the second rebuild reuses the first one's entries
        index = SearchIndex()
        index.add_entry_from_context(page(html))
        assert index.entries == plain.entries and len(index.entries) == 2
    edited = SearchIndex()
    edited.add_entry_from_context(page(html.replace("Gates", "LSTM gates")))
    assert edited.entries[1]["text"] == "<p>LSTM gates.</p>"


def test_notebook_styles_move_to_one_shared_file():
    shared: dict[str, str] = {}
    html = "<style>.jupyter-wrapper{color:red}</style><div>cell</div><style>pre{}</style>"
    out = notebooks.share_styles(html, "generated/labs/a/index.html", shared)
    [(name, css)] = shared.items()
    assert re.fullmatch(r"assets/stylesheets/notebook\.[0-9a-f]{8}\.css", name)
    assert ".jupyter-wrapper{color:red}" in css and "pre{}" in css
    assert "<style" not in out and "<div>cell</div>" in out
    assert f'<link rel="stylesheet" href="../../../{name}">' in out
    assert notebooks.share_styles("<div>no style</div>", "x/index.html", shared) == (
        "<div>no style</div>"
    )


def test_lab_pages_lose_the_mathjax_and_cdn_loaders():
    html = (
        '<p>a</p><script src=""> </script><script type="text/x-mathjax-config">cfg</script>'
        '<script type="module">\ndocument.addEventListener("DOMContentLoaded", async () => {\n'
        'const diagrams = document.querySelectorAll(".jp-Mermaid"); import("https://cdn")</script>'
        "<p>b</p>"
    )
    assert notebooks.drop_scripts(html) == "<p>a</p><p>b</p>"


def test_serve_watches_what_the_snippets_are_made_of(tmp_path):
    """Snippets, expected outputs and the library (if there is one) trigger a rebuild."""
    from gtt import hook

    for folder in ("snippets", "tests/expected", "gtt"):
        (tmp_path / folder).mkdir(parents=True)
    config = {"config_file_path": str(tmp_path / "mkdocs.yml")}
    watched: list[str] = []
    server = SimpleNamespace(watch=watched.append)
    assert hook.on_serve(server, config, builder=None) is server
    assert watched == [str(tmp_path / f) for f in ("snippets", "tests/expected", "gtt")]
    (tmp_path / "rnnbook").mkdir()
    watched.clear()
    hook.on_serve(server, config, builder=None)
    assert str(tmp_path / "rnnbook") in watched


def test_a_placeholder_typo_is_a_banner_in_serve_and_an_error_in_build(tmp_path, monkeypatch):
    from mkdocs.exceptions import PluginError

    from gtt import hook, runner

    (tmp_path / "docs" / "generated" / "ch").mkdir(parents=True)
    (tmp_path / "docs" / "generated" / "ch" / "run.json").write_text('{"loss": 0.1}')
    config = {"config_file_path": str(tmp_path / "mkdocs.yml")}
    chapter = SimpleNamespace(file=SimpleNamespace(src_uri="ch.md"))
    text = "# Chapter\n\nA loss of {{ run.los }}.\n"
    monkeypatch.setitem(hook.STATE, "serving", False)
    with pytest.raises(PluginError, match=r"docs/ch.md: \{\{ run.los \}\}: run.json has no 'los'"):
        hook.on_page_markdown(text, chapter, config, files=None)
    monkeypatch.setitem(hook.STATE, "serving", True)
    monkeypatch.setitem(hook.STATE, "preview", preview.Preview(runner.Project(tmp_path)))
    shown = hook.on_page_markdown(text, chapter, config, files=None)
    assert shown.startswith('# Chapter\n\n!!! failure "A value is missing"')
    assert "docs/ch.md: {{ run.los }}: run.json has no 'los' (it has: loss)" in shown
