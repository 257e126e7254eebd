"""MkDocs hook: bring docs/generated/ up to date before every build (a thin adapter).

All the work is in gtt.runner, which pytest and the command line call too; this file only
turns a runner failure into a PluginError so that `mkdocs build` fails with its message.
Set GTT_NO_EXEC=1 to build from the generated files already on disk, running nothing.
"""

from __future__ import annotations

import hashlib
import logging
import os
import posixpath
import re
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gtt import runner

log = logging.getLogger("mkdocs.hooks.gtt")


def on_startup(command: str, dirty: bool) -> None:
    if command == "serve":  # a rebuild after an edit should take a second or two, not five
        remember_search_entries()
        remember_highlighting()


def remember_highlighting() -> None:
    """Under `mkdocs serve`, highlight each distinct code block once, not on every rebuild.

    Pygments takes about a third of a rebuild here; its output depends only on the block
    and the highlighter's settings, which together form the key.
    """
    from pymdownx.highlight import Highlight

    highlight = Highlight.highlight
    if getattr(highlight, "remembers", False):
        return
    remembered: dict[str, str] = {}

    def remembering_highlight(self, src, language, *args, **kwargs):
        settings = sorted((k, v) for k, v in vars(self).items() if k != "md")  # md: per page
        key = repr((settings, src, language, args, sorted(kwargs.items())))
        if key not in remembered:
            remembered[key] = highlight(self, src, language, *args, **kwargs)
        return remembered[key]

    remembering_highlight.remembers = True
    Highlight.highlight = remembering_highlight


def remember_search_entries() -> None:
    """Under `mkdocs serve`, re-index only pages whose HTML changed since the last rebuild.

    Material's search plugin parses every page's HTML on every rebuild, about half of a
    rebuild's time here (the pages hold long highlighted listings). An entry depends only
    on the page's URL, title, metadata and HTML, so it is reused when those are unchanged.
    """
    from material.plugins.search.plugin import SearchIndex

    index_page = SearchIndex.add_entry_from_context
    if getattr(index_page, "remembers", False):
        return
    remembered: dict[tuple, list[dict]] = {}

    def add_entry_from_context(self, page) -> None:
        key = (
            page.url,
            str(page.title),
            repr(page.meta),
            hashlib.sha256(page.content.encode()).hexdigest(),
        )
        if key in remembered:
            self.entries.extend(dict(entry) for entry in remembered[key])
            return
        before = len(self.entries)
        index_page(self, page)
        remembered[key] = [dict(entry) for entry in self.entries[before:]]

    add_entry_from_context.remembers = True
    SearchIndex.add_entry_from_context = add_entry_from_context


def on_pre_build(config, **kwargs) -> None:
    if os.environ.get("GTT_NO_EXEC") == "1":
        log.info("GTT_NO_EXEC=1: using docs/generated/ as it is, running nothing")
        return
    try:
        runner.run(runner.Project(Path(config["config_file_path"]).resolve().parent), log=log.info)
    except runner.RunnerError as exc:
        raise PluginError(f"snippet runner failed\n{exc}") from None


# nbconvert's template adds a MathJax loader (empty src here; the site renders math with its
# own KaTeX), MathJax's config, and a Mermaid loader that imports from a CDN. Labs need none.
NOTEBOOK_SCRIPTS = re.compile(
    r'<script src="">\s*</script>'
    r'|<script type="text/x-mathjax-config">.*?</script>'
    r'|<script type="module">\s*document\.addEventListener\("DOMContentLoaded", async \(\) => \{'
    r'\s*const diagrams = document\.querySelectorAll\("\.jp-Mermaid.*?</script>',
    re.S,
)


def on_post_page(output: str, page, config) -> str:
    if page.file.src_uri.endswith(".ipynb"):
        return NOTEBOOK_SCRIPTS.sub("", output)
    return output


# mkdocs-jupyter inlines nbconvert's stylesheets (about 580 kB, the same on every lab) into
# each lab page. They move into one shared, cached file: smaller pages, and the search
# indexer no longer parses half a megabyte of CSS per lab.
NOTEBOOK_STYLES = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
NOTEBOOK_CSS_DIR = "assets/stylesheets"
_notebook_css: dict[str, str] = {}


def on_page_content(html: str, page, config, files) -> str:
    if not page.file.src_uri.endswith(".ipynb"):
        return html
    css = "\n".join(match.group(1) for match in NOTEBOOK_STYLES.finditer(html))
    if not css:
        return html
    name = f"{NOTEBOOK_CSS_DIR}/notebook.{hashlib.sha256(css.encode()).hexdigest()[:8]}.css"
    _notebook_css[name] = css
    href = posixpath.relpath(name, posixpath.dirname(page.file.dest_uri))
    return f'<link rel="stylesheet" href="{href}">\n' + NOTEBOOK_STYLES.sub("", html)


def on_post_build(config) -> None:
    for name, css in _notebook_css.items():
        target = Path(config["site_dir"]) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(css, encoding="utf-8")
