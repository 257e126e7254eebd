"""Execute one lab from a clean kernel: ``python -m gtt.labs <lab.py> <out.ipynb>``.

Labs live in docs/labs/ as jupytext percent-format .py files (no outputs in git). The
runner calls this in a worker process; any failing cell fails the run with its traceback.
The written notebook is byte-stable: cell ids are numbered, no timings are recorded and
printed text is merged into one output per stream. Cells tagged ``solution`` are worked
solutions: hidden by default in Jupyter, folded on the site.

Two notebooks are written: ``<name>.ipynb``, which the site renders (its links to chapters
are relative, so they work wherever the site is served), and ``<name>.download.ipynb``,
which the lab page's download button serves: the same notebook with every link to the site
made absolute (``GTT_SITE_URL``, the published site's address; by default the local
preview's), so that the links still open the right chapter from a reader's own Jupyter.
Both start with a cell that says what to install.
"""

from __future__ import annotations

import os
import posixpath
import re
import sys
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

SOLUTION_TAG = "solution"
KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}
PREVIEW_URL = "http://127.0.0.1:8000/"  # where `make serve` shows the site
INSTALL = (
    "**To run this notebook yourself** you need Python 3.11 or newer with NumPy, PyTorch and "
    "matplotlib:\n\n"
    "```console\n"
    "pip install numpy matplotlib torch --extra-index-url https://download.pytorch.org/whl/cpu\n"
    "```\n\n"
    "(the extra index gives PyTorch's CPU build, a few hundred MB instead of several GB; a GPU "
    "is not needed). The notebook is self-contained: it imports none of the site's files."
)
LINK = re.compile(r"\]\((?P<target>(?:\.\./)+[^)\s]*)\)")


def site_url() -> str:
    """The published site's address (GTT_SITE_URL), ending in a slash."""
    url = os.environ.get("GTT_SITE_URL") or PREVIEW_URL
    return url if url.endswith("/") else url + "/"


def absolute_links(text: str, page: str, base: str) -> str:
    """Markdown with every relative link, written from the page at ``page`` (a site path such
    as ``generated/labs/bptt/``), made absolute against ``base``."""

    def one(match: re.Match) -> str:
        target = posixpath.normpath(posixpath.join(page, match["target"]))
        if target.startswith(".."):
            raise ValueError(f"link {match['target']!r} leaves the site")
        slash = "/" if match["target"].endswith("/") else ""
        return f"]({base}{'' if target == '.' else target + slash})"

    return LINK.sub(one, text)


def for_download(notebook, name: str, base: str):
    """A copy of the executed notebook whose links open the published site."""
    copy = nbformat.reads(nbformat.writes(notebook), as_version=4)
    for cell in copy.cells:
        if cell.cell_type == "markdown":
            cell.source = absolute_links(cell.source, f"generated/labs/{name}/", base)
    return copy


def execute_lab(source: Path, target: Path, timeout: float = 600) -> None:
    """Read ``source``, run every cell in a fresh kernel (cwd: target's folder), write ``target``."""
    notebook = jupytext.read(source)
    notebook.metadata["kernelspec"] = KERNEL
    notebook.metadata.pop("jupytext", None)
    notebook.cells.insert(0, nbformat.v4.new_markdown_cell(INSTALL))
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number}"
        if SOLUTION_TAG in cell.metadata.get("tags", []):
            # Folded by default in Jupyter too: readers try the exercise first.
            cell.metadata["jupyter"] = {"source_hidden": True, "outputs_hidden": True}
    client = NotebookClient(
        notebook,
        timeout=int(timeout),
        kernel_name=KERNEL["name"],
        allow_errors=False,
        record_timing=False,
        resources={"metadata": {"path": str(target.parent)}},
    )
    client.execute()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = coalesce_streams(cell.outputs)
    nbformat.write(notebook, target)
    name = target.name.removesuffix(".ipynb")
    nbformat.write(
        for_download(notebook, name, site_url()), target.with_name(f"{name}.download.ipynb")
    )


def coalesce_streams(outputs: list) -> list:
    """Merge neighbouring stdout (or stderr) outputs into one.

    The kernel sends printed text in chunks whose boundaries depend on timing, so without
    this two runs of the same lab can write the same text split differently.
    """
    merged: list = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            output.get("output_type") == "stream"
            and previous is not None
            and previous.get("output_type") == "stream"
            and previous.get("name") == output.get("name")
        ):
            previous["text"] += output["text"]
        else:
            merged.append(output)
    return merged


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m gtt.labs <lab.py> <out.ipynb>", file=sys.stderr)
        return 2
    source, target = Path(argv[0]), Path(argv[1])
    if not source.is_file():
        print(f"no such lab: {source}", file=sys.stderr)
        return 2
    try:
        execute_lab(source, target)
    except CellExecutionError as exc:
        print(f"{source}: a cell failed\n{exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
