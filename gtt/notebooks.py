"""Lab pages as mkdocs-jupyter renders them, made light and offline.

* nbconvert's template adds a MathJax loader (with an empty src here: the site renders
  math with its own KaTeX), MathJax's configuration, and a Mermaid loader that imports
  from a CDN. Labs need none of them: they are removed.
* mkdocs-jupyter inlines nbconvert's stylesheets (about 580 kB, the same on every lab)
  into each lab page. They move into one shared, cached file: smaller pages, and the
  search indexer no longer parses half a megabyte of CSS per lab.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from pathlib import Path

NOTEBOOK_SCRIPTS = re.compile(
    r'<script src="">\s*</script>'
    r'|<script type="text/x-mathjax-config">.*?</script>'
    r'|<script type="module">\s*document\.addEventListener\("DOMContentLoaded", async \(\) => \{'
    r'\s*const diagrams = document\.querySelectorAll\("\.jp-Mermaid.*?</script>',
    re.S,
)
NOTEBOOK_STYLES = re.compile(r"<style[^>]*>(.*?)</style>", re.S)
CSS_DIR = "assets/stylesheets"


def is_lab(page) -> bool:
    return page.file.src_uri.endswith(".ipynb")


def drop_scripts(html: str) -> str:
    """A rendered lab page without the MathJax and Mermaid loaders."""
    return NOTEBOOK_SCRIPTS.sub("", html)


def share_styles(html: str, dest_uri: str, shared: dict[str, str]) -> str:
    """Move a lab's inline styles into one shared file, recorded in ``shared`` (name -> css)."""
    css = "\n".join(match.group(1) for match in NOTEBOOK_STYLES.finditer(html))
    if not css:
        return html
    name = f"{CSS_DIR}/notebook.{hashlib.sha256(css.encode()).hexdigest()[:8]}.css"
    shared[name] = css
    href = posixpath.relpath(name, posixpath.dirname(dest_uri))
    return f'<link rel="stylesheet" href="{href}">\n' + NOTEBOOK_STYLES.sub("", html)


def write_shared(site_dir: Path, shared: dict[str, str]) -> None:
    for name, css in shared.items():
        target = site_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(css, encoding="utf-8")
