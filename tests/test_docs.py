"""No untested code on the site.

Every ```python fence on a page is either
  * a plain ```python block, which pytest-codeblocks runs (pytest --codeblocks), or
  * a titled include of a snippet (title="snippets/..."), whose body is only
    ``--8<-- "snippets/...py[:section]"`` lines and whose snippet has its own test module.
And every snippet has exactly one test module, tests/snippets/<chapter>/test_<name>.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import PROJECT, ROOT

from gtt import runner

DOCS = ROOT / "docs"
FENCE = re.compile(r"^(?P<indent>\s*)(?P<ticks>`{3,})(?P<info>.*)$")
INCLUDE = re.compile(r'^--8<-- "(?P<path>[^":]+)(?::(?P<section>[\w-]+))?"$')
SKIP_MARK = re.compile(r"<!--\s*(pytest\.mark\.skip|pytest-codeblocks:skip)")


@dataclass
class Fence:
    page: Path
    line: int
    info: str
    body: list[str]
    marker: str  # the nearest non-blank line above the fence
    after: str = ""  # the nearest non-blank line below it

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if "generated" not in p.relative_to(DOCS).parts)


def fences(page: Path) -> list[Fence]:
    """Every fenced block on a page, nested ones (in admonitions, tabs) included."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found, i = [], 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        ticks, start = match["ticks"], i
        above = next((ln.strip() for ln in reversed(lines[:start]) if ln.strip()), "")
        i += 1
        body = []
        while i < len(lines) and not lines[i].strip().startswith(ticks):
            body.append(lines[i].strip())
            i += 1
        below = next((ln.strip() for ln in lines[i + 1 :] if ln.strip()), "")
        found.append(Fence(page, start + 1, match["info"].strip(), body, above, below))
        i += 1
    return found


ALL_FENCES = [f for page in pages() for f in fences(page)]
PYTHON_FENCES = [f for f in ALL_FENCES if re.match(r"(python|py|python3|pycon|ipython)\b", f.info)]


def test_pages_have_python_fences_to_check():
    assert PYTHON_FENCES, "the fence check found no ```python fences at all"


@pytest.mark.parametrize("fence", PYTHON_FENCES, ids=lambda f: f.where)
def test_every_python_fence_is_run_or_a_tested_include(fence: Fence):
    language, _, attributes = fence.info.partition(" ")
    assert language == "python", f"{fence.where}: write ```python, not ```{language}"
    if not attributes:
        assert not SKIP_MARK.search(fence.marker), (
            f"{fence.where}: inline python skipped from pytest-codeblocks; "
            "make it run, or move it into a snippet with a test"
        )
        return
    title = re.fullmatch(
        r'title="((?:snippets|rnnbook)/[^" ]+\.py)(?: \([^)]*\))?"', attributes.strip()
    )
    assert title, (
        f"{fence.where}: a python fence with attributes must be a titled include of a snippet "
        f'or a library module, ```python title="snippets/<chapter>/<name>.py"; got {attributes!r}'
    )
    includes = [INCLUDE.match(line) for line in fence.body if line]
    assert includes and all(includes), f"{fence.where}: body must be only --8<-- includes"
    for include in includes:
        path = ROOT / include["path"]
        assert include["path"] == title[1], f"{fence.where}: title names another file"
        assert path.is_file(), f"{fence.where}: {include['path']} does not exist"
        if include["section"]:
            marker = f"# --8<-- [start:{include['section']}]"
            assert marker in path.read_text(encoding="utf-8"), (
                f"{fence.where}: no section {include['section']!r} in {include['path']}"
            )
        test = snippet_test_path(path)
        assert test.is_file(), f"{fence.where}: {include['path']} has no test ({test})"


def snippet_test_path(snippet: Path) -> Path:
    """The test module of a snippet; for a library module, that of the snippet that runs it."""
    if snippet.parent == ROOT / "rnnbook":
        doc = snippet.read_text(encoding="utf-8")
        snippet = ROOT / re.search(r"run by (snippets/\w+/\w+\.py)", doc)[1]
    chapter = snippet.parent.relative_to(PROJECT.snippets)
    return ROOT / "tests" / "snippets" / chapter / f"test_{snippet.stem}.py"


def test_every_snippet_has_one_test_module_and_every_test_module_a_snippet():
    snippets = {j.source for j in runner.discover(PROJECT) if j.kind == "snippet"}
    missing = sorted(
        str(s.relative_to(ROOT)) for s in snippets if not snippet_test_path(s).is_file()
    )
    assert not missing, f"snippets without a test module: {missing}"
    tests = sorted((ROOT / "tests" / "snippets").rglob("test_*.py"))
    orphans = [
        str(t.relative_to(ROOT))
        for t in tests
        if PROJECT.snippets
        / t.parent.relative_to(ROOT / "tests" / "snippets")
        / f"{t.stem.removeprefix('test_')}.py"
        not in snippets
    ]
    assert not orphans, f"test modules without a snippet: {orphans}"


def test_shell_fences_are_not_run_by_accident():
    """pytest-codeblocks also executes ```sh and ```bash; pages show commands as ```console."""
    bad = [f.where for f in ALL_FENCES if f.info.split(" ")[0] in {"sh", "bash", "zsh", "shell"}]
    assert not bad, f"use ```console for commands shown to readers: {bad}"


TEST_REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")


def test_tests_named_on_pages_exist():
    """A page that cites a test as evidence (the corrected-claims page does) cites a real one."""
    cited = [(page, m) for page in pages() for m in TEST_REFERENCE.finditer(page.read_text())]
    assert cited, "no page cites a test"
    missing = []
    for page, match in cited:
        path, name = ROOT / match[1], match[2]
        if not path.is_file() or not re.search(rf"^def {name}\(", path.read_text(), re.M):
            missing.append(f"{page.relative_to(ROOT)}: {match[0]}")
    assert not missing, f"pages cite tests that do not exist: {missing}"


WHOLE_FILES = [
    f
    for f in PYTHON_FENCES
    if re.fullmatch(r'python title="(snippets|rnnbook)/[^" ]+\.py"', f.info)
    and all(INCLUDE.match(line) and not INCLUDE.match(line)["section"] for line in f.body if line)
]


def test_pages_show_whole_files():
    assert WHOLE_FILES, "no page shows a whole snippet"


@pytest.mark.parametrize("fence", WHOLE_FILES, ids=lambda f: f.where)
def test_every_whole_file_listing_has_its_download_beside_it(fence: Fence):
    """A reader who copies a whole file gets a program that runs: the download right below
    the listing holds it with every file it imports (written by the runner)."""
    snippet = Path(INCLUDE.match(fence.body[0])["path"])
    if snippet.parts[0] == "rnnbook":  # a library module: the demo that runs it comes next
        assert fence.after.startswith("`snippets/") or fence.page.name == "how-built.md", (
            f"{fence.where}: follow the library listing with the snippet that runs it"
        )
        return
    chapter, name = snippet.parent.relative_to("snippets").as_posix(), snippet.stem
    wanted = f'--8<-- "docs/generated/{chapter}/{name}.download.md"'
    assert fence.after == wanted, f"{fence.where}: put {wanted} right below the listing"


def test_every_imported_snippet_is_shown_in_full_somewhere():
    """What a download bundles is also readable on a page, not only inside a zip."""
    modules = runner.snippet_modules(PROJECT)
    shown = {Path(INCLUDE.match(f.body[0])["path"]).stem for f in WHOLE_FILES}
    needed = {
        dep.stem
        for f in WHOLE_FILES
        for dep in runner.local_imports(ROOT / INCLUDE.match(f.body[0])["path"], modules)
        if dep.name != "__init__.py"  # the package's docstring only lists its modules
    }
    assert needed <= shown, (
        f"imported by a listing but never shown in full: {sorted(needed - shown)}"
    )
