"""The book's library (rnnbook/) and the snippets that use it: who may import what."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rnnbook.report import median_range, scientific

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "rnnbook"
SNIPPETS = sorted(p for p in (ROOT / "snippets").rglob("*.py") if "__pycache__" not in p.parts)
MODULES = sorted(p for p in LIBRARY.glob("*.py") if p.name != "__init__.py")
# What a snippet or a library module may import: the standard library, the book's library
# and the project's declared dependencies (scikit-learn only for its bundled digits, tqdm for progress).
ALLOWED = set(sys.stdlib_module_names) | {
    "numpy",
    "torch",
    "matplotlib",
    "rnnbook",
    "sklearn",
    "tqdm",
}


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module ``path`` imports (absolute imports only)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.relative_to(ROOT)}: relative import"
            found.add((node.module or "").split(".")[0])
    return found


@pytest.mark.parametrize("path", SNIPPETS + MODULES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_imports_only_the_library_and_declared_dependencies(path):
    snippet_names = {p.stem for p in SNIPPETS}
    imported = imported_modules(path)
    assert not imported & snippet_names - {"rnnbook"}, "a snippet imports another snippet"
    assert imported <= ALLOWED, f"imports {sorted(imported - ALLOWED)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_each_module_names_the_page_that_teaches_it_and_that_page_shows_it(path):
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    match = re.search(r"Taught in (docs/[\w-]+\.md); run by (snippets/\w+/\w+\.py)", doc)
    assert match, "the docstring should say 'Taught in docs/<page>.md; run by snippets/...'"
    page, runner = (ROOT / match.group(1)), (ROOT / match.group(2))
    assert f'--8<-- "rnnbook/{path.name}' in page.read_text(encoding="utf-8")
    assert f"rnnbook.{path.stem}" in {
        n for n in imported_names(runner) if n.startswith("rnnbook.")
    }, f"{match.group(2)} does not import rnnbook.{path.stem}"


def imported_names(path: Path) -> set[str]:
    """Dotted names of the modules ``path`` imports, ``from rnnbook import x`` as ``rnnbook.x``."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_the_package_docstring_lists_every_module():
    listing = ast.get_docstring(ast.parse(LIBRARY.joinpath("__init__.py").read_text())) or ""
    missing = [p.stem for p in MODULES if not re.search(rf"\b{p.stem}\b", listing)]
    assert not missing, f"rnnbook/__init__.py does not list {missing}"


def test_a_snippet_runs_from_its_own_folder_with_the_project_installed():
    """`cd snippets/<chapter> && python <name>.py` finds the library by its installed name."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    folder = ROOT / "snippets" / "vanishing"
    where = subprocess.run(
        [sys.executable, "-c", "import rnnbook; print(rnnbook.__file__)"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert where.returncode == 0, f"rnnbook is not installed (make installs it):\n{where.stderr}"
    assert Path(where.stdout.strip()) == LIBRARY / "__init__.py"
    run = subprocess.run(
        [sys.executable, "step_grads.py"],
        cwd=folder,
        env={**env, "MPLBACKEND": "Agg"},
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        assert run.returncode == 0, run.stderr
        expected = (ROOT / "tests" / "expected" / "vanishing" / "step_grads.txt").read_text()
        assert run.stdout == expected
    finally:
        (folder / "step_grads.json").unlink(missing_ok=True)


def test_median_range_in_the_three_styles_the_pages_use():
    assert median_range([3.0, 1.0, 2.0], "{:.1f}", " to ") == "2.0 (1.0 to 3.0)"
    assert median_range([1, 2, 3, 4], "{:.0f}", label="range ") == "2 (range 1–4)"  # 2.5 to even
    assert median_range([0.5, 2e-5], "{:.0e}") == "3e-01 (2e-05–5e-01)"
    assert median_range([], "{:.1f}") == "-"


def test_scientific_writes_powers_of_ten_as_prose_does():
    assert scientific(4.4e-5) == "4 × 10⁻⁵"
    assert scientific(7.46e-18, 1) == "7.5 × 10⁻¹⁸"
    assert scientific(1.389e9, 1) == "1.4 × 10⁹"
    with pytest.raises(ValueError, match="finite"):
        scientific(float("nan"))
