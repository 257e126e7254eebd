"""The site as a whole: strict build, numbers on the page, cache, failure on drift, determinism."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from support import ROOT, copy_project, mkdocs_build

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
    from support import OTHER_CPU

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


def listings(built_site: Path) -> list[tuple[str, str, Path, str, str]]:
    """(page, listing text, zip, chapter, snippet name) for every titled listing on a built
    page, the text as a reader's copy button gives it."""
    from bs4 import BeautifulSoup

    found = []
    for html in sorted(built_site.rglob("index.html")):
        soup = BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")
        for title in soup.select("span.filename"):
            match = re.fullmatch(r"snippets/([\w/]+)/(\w+)\.py", title.get_text().strip())
            if not match:
                continue
            code = title.find_parent("div").find("code").get_text()
            link = html.parent / "generated" / match[1] / f"{match[2]}.zip"
            found.append((str(html.relative_to(built_site)), code, link, match[1], match[2]))
    return found


def test_every_whole_file_listing_is_the_file_and_its_download_holds_what_ran(built_site):
    """What a reader copies from a whole-file listing is the snippet (less the section
    markers, which pymdownx.snippets leaves out), and the zip beside it holds that file and
    every file it imports, as the runner ran them."""
    import zipfile

    modules = runner.snippet_modules(runner.Project(ROOT))
    marker = re.compile(r"^\s*#\s*-+8<-+\s*\[(start|end):[\w-]+\]\s*$")
    checked = 0
    for page, code, _, chapter, name in listings(built_site):
        source = ROOT / "snippets" / chapter / f"{name}.py"
        lines = source.read_text(encoding="utf-8").splitlines()
        shown = "\n".join(line for line in lines if not marker.match(line))
        if code.strip() != shown.strip():
            continue  # a section of the file, not the whole file
        archive = built_site / "generated" / chapter / f"{name}.zip"
        assert archive.exists(), f"{page}: no download for {name}.py"
        with zipfile.ZipFile(archive) as bundle:
            expected = runner.bundle(source, modules)
            names = [runner.bundle_name(p) for p in expected]
            assert bundle.namelist() == names, f"{page}: {name}.zip"
            for path, inside in zip(expected, names, strict=True):
                assert bundle.read(inside) == path.read_bytes(), f"{name}.zip: {inside}"
        checked += 1
    assert checked >= 40, f"only {checked} whole-file listings found"


def test_a_downloaded_snippet_runs_in_an_empty_folder_and_prints_the_page(built_site, tmp_path):
    """Unzip downloads from the built site into empty folders and run them as a reader would:
    the output is the page's (exactly, or within the committed tolerances). The quick ones
    run here; every snippet runs this way in the build itself (runner: bundle in an empty
    folder), which the test above ties to the downloads."""
    import subprocess
    import sys
    import zipfile

    from gtt import compare

    manifest = runner.load_manifest(runner.Project(ROOT))
    quick = [
        (chapter, name)
        for _, _, _, chapter, name in listings(built_site)
        if manifest.get(f"snippets/{chapter}/{name}.py", {}).get("seconds", 99) < 2
    ]
    quick = sorted(set(quick))[:8]
    assert len(quick) >= 8
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1"}
    env["MATPLOTLIBRC"] = str(ROOT / "gtt" / "matplotlibrc")
    env.pop("PYTHONPATH", None)
    for chapter, name in quick:
        folder = tmp_path / name
        folder.mkdir()
        with zipfile.ZipFile(built_site / "generated" / chapter / f"{name}.zip") as bundle:
            bundle.extractall(folder)
        proc = subprocess.run(
            [sys.executable, f"{name}.py"], cwd=folder, env=env, capture_output=True, text=True
        )
        assert proc.returncode == 0, f"{name}.py failed from its download:\n{proc.stderr[-2000:]}"
        expected = (ROOT / "tests" / "expected" / chapter / f"{name}.txt").read_text()
        assert compare.mismatches(expected, proc.stdout) == [], f"{name}.py printed otherwise"
