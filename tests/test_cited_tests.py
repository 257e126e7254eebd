"""Every test a page names (``tests/....py::test_name``) exists, so a renamed or deleted
test cannot leave a correction or a claim pointing at nothing."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CITED = re.compile(r"(tests/[\w/]+\.py)(?:::(\w+))?")


def citations() -> list[tuple[str, str, str | None]]:
    found = []
    for page in sorted((ROOT / "docs").rglob("*.md")):
        if "generated" in page.relative_to(ROOT / "docs").parts:
            continue
        for match in CITED.finditer(page.read_text(encoding="utf-8")):
            found.append((str(page.relative_to(ROOT)), match[1], match[2]))
    return found


def test_pages_cite_tests():
    assert len(citations()) > 20  # the corrections page alone names dozens


@pytest.mark.parametrize(("page", "module", "name"), citations())
def test_a_cited_test_exists(page, module, name):
    path = ROOT / module
    assert path.is_file(), f"{page} cites {module}, which does not exist"
    if name is not None:
        defined = re.search(rf"^\s*def {name}\(", path.read_text(encoding="utf-8"), re.M)
        assert defined, f"{page} cites {module}::{name}, which {module} does not define"
