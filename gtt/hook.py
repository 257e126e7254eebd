"""MkDocs hook: a thin adapter from MkDocs' events to this project's modules.

* before a build, ``gtt.runner`` brings docs/generated/ up to date and a failure becomes
  a PluginError, so ``mkdocs build`` fails with the runner's message;
  under ``mkdocs serve``, ``gtt.preview`` runs it in the background instead and marks
  what is missing or drifted on the pages;
* numbers in the prose come from the snippets' values (``gtt.values``); under
  ``mkdocs serve`` a bad values file or placeholder is a warning on its page;
* ``mkdocs serve`` also watches what the snippets are made of (``preview.INPUTS``);
* lab pages get lighter (``gtt.notebooks``).

Set GTT_NO_EXEC=1 to build from the generated files already on disk, running nothing.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gtt import notebooks, preview, runner, values

log = logging.getLogger("mkdocs.hooks.gtt")
STATE: dict = {"serving": False, "preview": None, "css": {}}


def on_startup(command: str, dirty: bool) -> None:
    STATE["serving"] = command == "serve"
    if STATE["serving"]:
        preview.speed_up_rebuilds()


def on_pre_build(config, **kwargs) -> None:
    if os.environ.get("GTT_NO_EXEC") == "1":
        log.info("GTT_NO_EXEC=1: using docs/generated/ as it is, running nothing")
        return
    project = preview.project_of(config)
    if STATE["serving"]:
        if STATE["preview"] is None:
            STATE["preview"] = preview.Preview(project)
        STATE["preview"].start()
        return
    try:
        runner.run(project, log=log.info)
    except runner.RunnerError as exc:
        raise PluginError(f"snippet runner failed\n{exc}") from None


def on_serve(server, config, builder):
    """Rebuild (and so rerun what changed) when a snippet, expected output or library changes."""
    root = preview.project_of(config).root
    for folder in preview.INPUTS:
        if (root / folder).is_dir():
            server.watch(str(root / folder))
    return server


def on_page_markdown(markdown: str, page, config, files) -> str:
    if notebooks.is_lab(page):
        return markdown
    project = preview.project_of(config)
    shown = STATE["preview"] if STATE["serving"] else None
    if shown is not None:
        markdown = shown.annotate(markdown)
    try:
        return values.render(
            markdown,
            project.generated,
            where=f"docs/{page.file.src_uri}",
            missing=shown.missing_value if shown is not None else None,
        )
    except values.UnknownValue as exc:
        if shown is None:
            raise PluginError(str(exc)) from None
        log.warning("%s", exc)
        intro = (
            "Placeholders on this page are shown as written; `make build` fails until it is fixed."
        )
        return preview.after_title(
            markdown, preview.banner("failure", "A value is missing", intro, str(exc))
        )


def on_page_content(html: str, page, config, files) -> str:
    if notebooks.is_lab(page):
        return notebooks.share_styles(html, page.file.dest_uri, STATE["css"])
    return html


def on_post_page(output: str, page, config) -> str:
    return notebooks.drop_scripts(output) if notebooks.is_lab(page) else output


def on_post_build(config) -> None:
    notebooks.write_shared(Path(config["site_dir"]), STATE["css"])
