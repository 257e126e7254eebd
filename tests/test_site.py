"""The site as a whole: strict build, numbers on the page, cache, failure on drift, determinism."""

from __future__ import annotations

import json
import re

import pytest
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


# A snippet may report how long it took in <name>_timing.md: shown on a page, never compared.
TIMING_SUFFIX = "_timing.md"


@pytest.fixture(scope="session")
def fresh_copy(built_site, tmp_path_factory) -> runner.Project:
    """A copy of the project with nothing generated: fresh processes, an empty cache."""
    return runner.Project(copy_project(tmp_path_factory.mktemp("fresh"), with_generated=False))


@pytest.fixture(scope="session")
def fresh_generation(fresh_copy) -> tuple[runner.Project, list[runner.Result]]:
    """Every exact job and every lab generated again from scratch, on this CPU: fresh
    processes, fresh kernels for the labs, an empty cache. (The measured jobs ran as on
    another CPU in the build; their determinism is tested on short runs.)"""
    jobs = runner.discover(fresh_copy)
    again = [j.name for j in jobs if not runner.measured(j)]
    return fresh_copy, runner.run(fresh_copy, only=again, log=lambda _: None)


def test_measured_outputs_hold_on_another_cpu(built_site):
    """The build ran every measured job as on another CPU (PyTorch's portable kernels instead
    of this machine's vectorised ones), and passed: their committed outputs, recorded on a
    contributor's machine, hold within their declared tolerances."""
    from conftest import OTHER_CPU

    project = runner.Project(ROOT)
    manifest = runner.load_manifest(project)
    measured = [j for j in runner.discover(project) if runner.measured(j)]
    assert len(measured) >= 10 and any(j.chapter == "benchmark" for j in measured)
    for job in measured:
        cpu = manifest[job.rel]["cpu"]
        assert cpu.items() >= runner.SIMULATED_CPUS[OTHER_CPU].items(), f"{job.rel}: ran as {cpu}"


def test_two_builds_write_byte_identical_files(fresh_generation):
    """Every file a job wrote, regenerated from scratch, is byte-identical to the build's."""
    project, results = fresh_generation
    assert all(r.status == "ran" for r in results)
    compared = 0
    for result in results:
        entry = runner.load_manifest(project)[result.job.rel]
        for name in entry["files"]:
            if name.endswith(TIMING_SUFFIX):  # wall-clock reports differ by design
                continue
            fresh = project.generated / result.job.chapter / name
            built = ROOT / "docs" / "generated" / result.job.chapter / name
            same = fresh.read_bytes() == built.read_bytes()  # no pytest diff of big files
            assert same, f"{result.job.rel}: {name} differs between two generations"
            compared += 1
    assert compared >= len(results)


def test_every_lab_runs_from_a_clean_kernel(fresh_generation):
    """Each lab was executed again in a new kernel: every code cell ran, none raised."""
    project, results = fresh_generation
    labs = [r for r in results if r.job.kind == "lab"]
    assert {r.job.name for r in labs} == {p.stem for p in (ROOT / "docs" / "labs").glob("*.py")}
    for result in labs:
        notebook = json.loads((project.generated / "labs" / f"{result.job.name}.ipynb").read_text())
        code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
        assert code, f"{result.job.rel}: no code cells"
        assert all(c["execution_count"] for c in code), f"{result.job.rel}: a cell did not run"
        errors = [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
        assert not errors, f"{result.job.rel}: {errors}"
        solutions = [c for c in code if "solution" in c["metadata"].get("tags", [])]
        assert solutions, f"{result.job.rel}: no worked solutions (cells tagged 'solution')"
        assert all(c["metadata"]["jupyter"]["source_hidden"] for c in solutions)


def test_every_chapter_links_an_executed_downloadable_lab(built_site):
    """Each lab is linked from a chapter's "Try it yourself" tip, has its page, and the
    page's download button serves the executed notebook."""
    labs = sorted(p.stem for p in (ROOT / "docs" / "labs").glob("*.py"))
    linked = {}
    for page in (ROOT / "docs").glob("*.md"):
        for name in re.findall(r"\]\(generated/labs/(\w+)\.ipynb\)", page.read_text("utf-8")):
            linked.setdefault(name, []).append(page.name)
    assert sorted(linked) == labs, "every lab linked from a chapter, no link to a missing lab"
    for name in labs:
        html = (built_site / "generated" / "labs" / name / "index.html").read_text("utf-8")
        link = f"../{name}.download.ipynb"
        assert f'href="{link}" title="Download this lab as a Jupyter notebook"' in html
        notebook = json.loads((built_site / "generated" / "labs" / name / link).read_text())
        code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
        assert code and all(c["execution_count"] for c in code), f"{name}: not executed"


def test_a_downloaded_lab_says_what_to_install_and_links_to_the_site(built_site):
    """Opened in a reader's own Jupyter, every link of a downloaded lab opens the right
    chapter of the published site (GTT_SITE_URL; the local preview's address by default)."""
    from gtt.labs import site_url

    base = site_url()
    for path in sorted((built_site / "generated" / "labs").glob("*.download.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        assert cells[0]["cell_type"] == "markdown" and "pip install" in "".join(cells[0]["source"])
        text = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        links = re.findall(r"\]\(([^)\s]+)\)", text)
        assert links, f"{path.name}: no link to a chapter"
        for link in links:
            assert link.startswith(base), f"{path.name}: {link} is not absolute"
            page = link.removeprefix(base).split("#")[0]
            assert (built_site / page / "index.html").exists(), f"{path.name}: {link} leads nowhere"
