"""`mkdocs serve` never refuses: missing outputs are marked, drifted ones shown with a warning."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

from support import ROOT

from gtt import preview, runner

HELLO = 'print("hello", 6 * 7)\n'


def make_project(tmp_path: Path, snippets: dict[str, str]) -> runner.Project:
    project = runner.Project(tmp_path)
    (tmp_path / "gtt").mkdir(parents=True)
    shutil.copy(runner.Project().style, project.style)
    for rel, source in snippets.items():
        path = project.snippets / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")
    return project


PAGE = """# A chapter

Some prose.

```text title="Output"
--8<-- "docs/generated/ch/hello.txt"
```

![A figure](generated/ch/hello.svg){ width="600" }
"""


def test_missing_outputs_are_marked_where_they_belong(tmp_path):
    project = make_project(tmp_path, {"ch/hello.py": HELLO})
    shown = preview.Preview(project).annotate(PAGE)
    assert '--8<-- "docs/generated/ch/hello.txt"' not in shown  # no include of a missing file
    assert "⏳ Being computed: `snippets/ch/hello.py` is running in the background" in shown
    assert "![A figure]" not in shown and "(A figure…)" in shown
    assert shown.index("# A chapter") < shown.index('!!! info "⏳ Some outputs on this page')
    assert "2 of them are not there yet" in shown


def test_present_outputs_are_left_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("GTT_PRELOAD", "0")
    project = make_project(tmp_path, {"ch/hello.py": HELLO})
    (project.expected / "ch").mkdir(parents=True)
    (project.expected / "ch" / "hello.txt").write_text("hello 42\n")
    runner.run(project, log=lambda _: None)
    (project.generated / "ch" / "hello.svg").write_text("<svg/>")
    assert preview.Preview(project).annotate(PAGE) == PAGE


def test_a_drifted_output_is_shown_with_the_diff_and_a_warning(tmp_path, monkeypatch):
    monkeypatch.setenv("GTT_PRELOAD", "0")
    project = make_project(tmp_path, {"ch/hello.py": HELLO})
    (project.expected / "ch").mkdir(parents=True)
    (project.expected / "ch" / "hello.txt").write_text("hello 41\n")
    (project.generated / "ch").mkdir(parents=True)
    (project.generated / "ch" / "hello.svg").write_text("<svg/>")
    shown = preview.Preview(project)
    shown.start()
    shown.wait(timeout=120)
    page = shown.annotate(PAGE)
    assert (project.generated / "ch" / "hello.txt").read_text() == "hello 42\n"  # shown anyway
    assert '!!! failure "Problem in snippets/ch/hello.py"' in page
    assert "-hello 41" in page and "+hello 42" in page
    assert "`make build` and `make test` fail until it is fixed" in page


def test_a_failed_job_is_marked_as_failed_not_as_running(tmp_path, monkeypatch):
    monkeypatch.setenv("GTT_PRELOAD", "0")
    project = make_project(tmp_path, {"ch/hello.py": "raise SystemExit('boom')\n"})
    shown = preview.Preview(project)
    shown.start()
    shown.wait(timeout=120)
    page = shown.annotate(PAGE)
    assert "✗ `snippets/ch/hello.py` failed: see the warning at the top of this page." in page
    assert "boom" in page


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


MINI_CONFIG = """
site_name: Mini
docs_dir: docs
hooks:
  - gtt/hook.py
plugins: []
markdown_extensions:
  - pymdownx.superfences
  - pymdownx.snippets:
      base_path: !relative $config_dir
      check_paths: true
"""
MINI_PAGE = """# Mini

```text
--8<-- "docs/generated/ch/quick.txt"
```

The slow one says {{ slow.answer }}.
"""
SLOW = """
import json, time
time.sleep(4)
json.dump({"answer": 42}, open("slow.json", "w"))
print("done")
"""


def test_serve_is_up_at_once_and_fills_the_page_in_as_jobs_finish(tmp_path):
    """A site with nothing generated yet: `mkdocs serve` serves its page with marks at once,
    and the outputs arrive by themselves as the background runner finishes them."""
    project = make_project(tmp_path, {"ch/quick.py": HELLO, "ch/slow.py": SLOW})
    shutil.copytree(ROOT / "gtt", tmp_path / "gtt", dirs_exist_ok=True)
    (tmp_path / "mkdocs.yml").write_text(MINI_CONFIG)
    (tmp_path / "docs").mkdir(exist_ok=True)
    (tmp_path / "docs" / "index.md").write_text(MINI_PAGE)
    (project.expected / "ch").mkdir(parents=True)
    (project.expected / "ch" / "quick.txt").write_text("hello 42\n")
    (project.expected / "ch" / "slow.txt").write_text("done\n")
    (project.expected / "ch" / "slow.json").write_text('{"answer": 42}')
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "GTT_PRELOAD": "0"},
        start_new_session=True,
    )

    def get() -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as answer:
            return answer.read().decode("utf-8")

    try:
        pages = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                pages.append(get())
            except OSError:
                time.sleep(0.2)
                continue
            if "hello 42" in pages[-1] and "The slow one says 42." in pages[-1]:
                break
            time.sleep(0.3)
        assert pages, "mkdocs serve never served the page"
        assert "Being computed" in pages[0]  # served before the outputs existed
        assert "hello 42" in pages[-1] and "The slow one says 42." in pages[-1]
        assert "Being computed" not in pages[-1] and "⏳" not in pages[-1]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)


HOSTILE = "loss differs\n```\n<script>alert(1)</script>\n````\n"


def test_banner_text_is_shown_as_text_whatever_it_holds(tmp_path):
    """Planted: a failure message with fences and a script. It used to close the banner's
    fence and run as HTML in the preview."""
    import markdown

    project = make_project(tmp_path, {"ch/hello.py": HELLO})
    shown = preview.Preview(project)
    [job] = shown.jobs
    shown.results[job.rel] = runner.Result(job, "failed", problems=[HOSTILE])
    page = shown.annotate(PAGE)
    html = markdown.markdown(page, extensions=["admonition", "pymdownx.superfences"])
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "````\n" in html  # the message is shown whole, its own fences included


def test_a_crash_of_the_runner_is_a_banner_and_is_not_retried_until_inputs_change(
    tmp_path, monkeypatch
):
    """Planted: a runner that raises. It killed the thread with a traceback in the
    terminal; now every page says so, and the next pass waits for an input to change
    (each pass used to start again on the rebuild its own writes caused)."""
    project = make_project(tmp_path, {"ch/hello.py": HELLO})
    passes = []

    def broken(*args, **kwargs):
        passes.append(1)
        raise SyntaxError("invalid syntax", ("snippets/ch/hello.py", 1, 5, "def (:\n"))

    monkeypatch.setattr(runner, "run", broken)
    shown = preview.Preview(project)
    shown.start()
    shown.wait(timeout=60)
    page = shown.annotate("# A chapter\n\nProse.\n")
    assert '!!! failure "The background snippet runner stopped"' in page
    assert "SyntaxError: invalid syntax" in page and "snippets/ch/hello.py" in page
    shown.start()  # a rebuild with nothing changed
    shown.wait(timeout=60)
    assert passes == [1]
    (project.snippets / "ch" / "hello.py").write_text("print('fixed')\n", encoding="utf-8")
    shown.start()
    shown.wait(timeout=60)
    assert passes == [1, 1]


def test_a_failing_job_runs_again_only_when_its_inputs_change(tmp_path, monkeypatch):
    """Planted: a failing snippet. Each pass rewrote the timings in docs/generated/, whose
    rebuild started the next pass: a rebuild-and-reload cycle until the snippet was fixed."""
    monkeypatch.setenv("GTT_PRELOAD", "0")
    project = make_project(tmp_path, {"ch/hello.py": "raise SystemExit('boom')\n"})
    passes = []
    real_run = runner.run
    monkeypatch.setattr(runner, "run", lambda *a, **k: passes.append(1) or real_run(*a, **k))
    shown = preview.Preview(project)
    for _ in range(2):  # the second: the rebuild caused by the first pass's own writes
        shown.start()
        shown.wait(timeout=120)
    assert len(passes) == 1 and "boom" in shown.annotate(PAGE)
    (project.snippets / "ch" / "hello.py").write_text(HELLO, encoding="utf-8")
    shown.start()
    shown.wait(timeout=120)
    assert len(passes) == 2 and "boom" not in shown.annotate(PAGE)
