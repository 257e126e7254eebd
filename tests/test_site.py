"""The site as a whole: strict build, numbers on the page, cache, failure on drift, determinism."""

from __future__ import annotations

import re

from conftest import ROOT, mkdocs_build
from support import copy_project

from gtt import runner


def test_built_page_shows_the_snippet_numbers(built_site):
    html = (built_site / "first-look" / "index.html").read_text(encoding="utf-8")
    for number in ["0.00605599 0.00302811", "0.032885", "0.000982", "14.03", "8.43", "2.08"]:
        assert number in html
    assert 'src="../generated/first_look/norm_decay.svg"' in html
    assert (built_site / "generated" / "first_look" / "norm_decay.svg").stat().st_size > 1000


def test_site_requests_nothing_from_outside(built_site):
    """No page references a script, style or font on another host (the browser test checks
    what is actually requested; this catches it at build time)."""
    pattern = re.compile(r"""(?:src|href)=["'](?:https?:)?//""")
    for page in built_site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for match in pattern.finditer(text):
            tag_start = text.rfind("<", 0, match.start())
            assert text[tag_start : tag_start + 2] == "<a", f"{page}: external resource {match}"


def test_second_build_reruns_no_snippet(built_site, tmp_path):
    proc = mkdocs_build(ROOT / "mkdocs.yml", tmp_path / "again")
    assert proc.returncode == 0, proc.stderr
    summary = re.search(r"runner: (\d+) jobs, (\d+) cached, (\d+) executed", proc.stderr)
    assert summary, proc.stderr
    jobs, cached, executed = map(int, summary.groups())
    assert jobs > 0 and cached == jobs and executed == 0


def test_changed_constant_fails_the_build_with_a_diff(built_site, tmp_path):
    copy = copy_project(tmp_path / "copy")
    snippet = copy / "snippets" / "first_look" / "norm_decay.py"
    source = snippet.read_text(encoding="utf-8")
    assert "W_VANISH = np.diag([0.5, 0.4])" in source
    snippet.write_text(source.replace("np.diag([0.5, 0.4])", "np.diag([0.6, 0.4])"))
    proc = mkdocs_build(copy / "mkdocs.yml", tmp_path / "site")
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "snippets/first_look/norm_decay.py: output differs from" in output
    assert "-Norm after 5 steps (vanishing case): 0.032885" in output
    assert "+Norm after 5 steps (vanishing case): 0.078" in output


def test_two_builds_write_byte_identical_files(built_site, tmp_path):
    """Everything the runner writes, regenerated from scratch, is identical to the build's."""
    copy = copy_project(tmp_path / "copy", with_generated=False)
    runner.run(runner.Project(copy), log=lambda _: None)
    fresh = copy / "docs" / "generated"
    built = ROOT / "docs" / "generated"

    def files(root):
        return {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in root.rglob("*")
            if p.is_file() and "_runner" not in p.parts and p.name != runner.MANIFEST
        }

    ours, theirs = files(fresh), files(built)
    assert ours.keys() == theirs.keys()
    different = [name for name in ours if ours[name] != theirs[name]]
    assert not different, f"not byte-identical across builds: {different}"
