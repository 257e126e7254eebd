"""MkDocs hook: bring docs/generated/ up to date before every build (a thin adapter).

All the work is in gtt.runner, which pytest and the command line call too; this file only
turns a runner failure into a PluginError so that `mkdocs build` fails with its message.
Set GTT_NO_EXEC=1 to build from the generated files already on disk, running nothing.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gtt import runner

log = logging.getLogger("mkdocs.hooks.gtt")


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
