"""Execute one lab from a clean kernel: ``python -m gtt.labs <lab.py> <out.ipynb>``.

Labs live in docs/labs/ as jupytext percent-format .py files (no outputs in git). The
runner calls this in a worker process; any failing cell fails the run with its traceback.
The written notebook is byte-stable: cell ids are numbered, no timings are recorded and\nprinted text is merged into one output per stream.
Cells tagged ``solution`` are worked solutions: hidden by default in Jupyter, folded on the site.
"""

from __future__ import annotations

import sys
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

SOLUTION_TAG = "solution"
KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}


def execute_lab(source: Path, target: Path, timeout: float = 600) -> None:
    """Read ``source``, run every cell in a fresh kernel (cwd: target's folder), write ``target``."""
    notebook = jupytext.read(source)
    notebook.metadata["kernelspec"] = KERNEL
    notebook.metadata.pop("jupytext", None)
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
