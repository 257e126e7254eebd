"""The runner on a tiny throw-away project: run, cache, compare, regen, collect failures."""

from __future__ import annotations

import json
import os
import shutil
import textwrap
import zipfile
from pathlib import Path

import pytest

from gtt import runner, store


def make_project(tmp_path: Path, snippets: dict[str, str]) -> runner.Project:
    """A project in tmp_path holding the given snippets (path -> source) and the real style."""
    project = runner.Project(tmp_path)
    (tmp_path / "gtt").mkdir(parents=True)
    shutil.copy(runner.Project().style, project.style)
    for rel, source in snippets.items():
        path = project.snippets / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")
    return project


@pytest.fixture(autouse=True)
def fresh_interpreters(monkeypatch):
    """Runner logic does not depend on how a snippet is launched, and these tiny snippets
    run faster as fresh interpreters than the warm server starts; one test covers it."""
    monkeypatch.setenv("GTT_PRELOAD", "0")
    monkeypatch.delenv(runner.MEASURED_AS_CPU, raising=False)


def quiet(project: runner.Project, **kwargs) -> list[runner.Result]:
    return runner.run(project, log=lambda _: None, jobs=2, **kwargs)


HELLO = 'print("hello", 6 * 7)\n'
FIGURE = """
import matplotlib.pyplot as plt
fig, ax = plt.subplots()
ax.plot([0, 1, 2], [1, 10, 100])
ax.set_yscale("log")
fig.savefig("plotter.svg", metadata={"Date": None})
print("saved")
"""


def test_regen_writes_expected_then_a_plain_run_passes(tmp_path):
    project = make_project(tmp_path, {"ch/hello.py": HELLO})
    with pytest.raises(runner.RunnerError, match="no committed output"):
        quiet(project)
    [result] = quiet(project, regen=True)
    assert "hello 42" in result.changed[0]
    assert (project.expected / "ch" / "hello.txt").read_text() == "hello 42\n"
    assert (project.generated / "ch" / "hello.txt").read_text() == "hello 42\n"
    [result] = quiet(project)
    assert result.status == "cached"


def test_unchanged_snippet_is_not_rerun_and_changed_one_is(tmp_path):
    project = make_project(tmp_path, {"ch/hello.py": HELLO, "ch/other.py": "print(1)\n"})
    quiet(project, regen=True)
    assert {r.status for r in quiet(project)} == {"cached"}
    (project.snippets / "ch" / "hello.py").write_text('print("hello", 6 * 7)  # same output\n')
    statuses = {r.job.name: r.status for r in quiet(project)}
    assert statuses == {"hello": "ran", "other": "cached"}


def test_changing_an_imported_helper_reruns_its_importers(tmp_path):
    project = make_project(
        tmp_path,
        {
            "a/helper_mod.py": "VALUE = 3\n",
            "b/user.py": "from helper_mod import VALUE\nprint(VALUE)\n",
            "b/loner.py": "print(0)\n",
        },
    )
    quiet(project, regen=True)
    (project.snippets / "a" / "helper_mod.py").write_text("VALUE = 4\n")
    with pytest.raises(runner.RunnerError) as failure:
        quiet(project)
    assert "snippets/b/user.py: output differs" in str(failure.value)
    assert "-3\n+4" in str(failure.value)
    assert "loner" not in str(failure.value)


def test_changed_number_fails_with_a_diff_naming_the_snippet(tmp_path):
    project = make_project(tmp_path, {"ch/hello.py": HELLO})
    quiet(project, regen=True)
    (project.snippets / "ch" / "hello.py").write_text('print("hello", 6 * 8)\n')
    with pytest.raises(runner.RunnerError) as failure:
        quiet(project)
    message = str(failure.value)
    assert "snippets/ch/hello.py: output differs from tests/expected/ch/hello.txt" in message
    assert "-hello 42\n+hello 48" in message
    assert "make regen" in message


def test_all_failures_are_collected_before_failing(tmp_path):
    project = make_project(
        tmp_path,
        {
            "ch/crash.py": "raise SystemExit('boom: bad constant')\n",
            "ch/drift.py": "print(2)\n",
            "ch/fine.py": "print(3)\n",
        },
    )
    (project.expected / "ch").mkdir(parents=True)
    (project.expected / "ch" / "drift.txt").write_text("1\n")
    (project.expected / "ch" / "fine.txt").write_text("3\n")
    with pytest.raises(runner.RunnerError) as failure:
        quiet(project)
    message = str(failure.value)
    assert "2 problem(s) in 2 job(s)" in message
    assert "snippets/ch/crash.py: exited with status 1" in message
    assert "boom: bad constant" in message
    assert "snippets/ch/drift.py: output differs" in message
    # The good snippet still produced its output.
    assert (project.generated / "ch" / "fine.txt").read_text() == "3\n"


def test_figures_are_collected_and_byte_stable(tmp_path):
    project = make_project(tmp_path, {"ch/plotter.py": FIGURE})
    quiet(project, regen=True)
    svg = project.generated / "ch" / "plotter.svg"
    first = svg.read_bytes()
    quiet(project, force=True)
    assert svg.read_bytes() == first
    assert b"<svg" in first
    assert b"<dc:date>" not in first


def test_unchanged_output_is_not_rewritten(tmp_path):
    project = make_project(tmp_path, {"ch/hello.py": HELLO})
    quiet(project, regen=True)
    out = project.generated / "ch" / "hello.txt"
    stamp = out.stat().st_mtime_ns
    quiet(project, force=True)
    assert out.stat().st_mtime_ns == stamp


def test_outputs_must_carry_the_snippet_name(tmp_path):
    project = make_project(tmp_path, {"ch/sloppy.py": 'open("figure.svg", "w").write("x")\n'})
    with pytest.raises(runner.RunnerError, match=r"wrote 'figure.svg'.*named sloppy\*"):
        quiet(project, regen=True)


def test_timeout_is_reported(tmp_path):
    project = make_project(tmp_path, {"ch/slow.py": "import time\ntime.sleep(30)\n"})
    with pytest.raises(runner.RunnerError, match=r"slow\.py: timed out after 1 s"):
        quiet(project, timeout=1)


def test_duplicate_names_are_refused(tmp_path):
    project = make_project(tmp_path, {"a/same.py": HELLO, "b/same.py": HELLO})
    with pytest.raises(runner.RunnerError, match="two snippets are both named 'same'"):
        quiet(project)


def test_tampered_output_is_restored_from_the_store_or_rerun(tmp_path):
    project = make_project(tmp_path, {"ch/hello.py": HELLO})
    quiet(project, regen=True)
    (project.generated / "ch" / "hello.txt").write_text("edited by hand\n")
    [result] = quiet(project)
    assert result.status == "cached"  # the store's copy, checked against its hash
    assert (project.generated / "ch" / "hello.txt").read_text() == "hello 42\n"
    [stored] = (project.cache / "snippets__ch__hello.py").iterdir()
    (stored / "hello.txt").write_text("edited by hand\n")
    (project.generated / "ch" / "hello.txt").write_text("edited by hand\n")
    [result] = quiet(project)
    assert result.status == "ran"  # neither copy can be vouched for
    assert (project.generated / "ch" / "hello.txt").read_text() == "hello 42\n"


def test_stale_outputs_are_pruned(tmp_path):
    project = make_project(tmp_path, {"ch/hello.py": HELLO, "ch/gone.py": "print(0)\n"})
    quiet(project, regen=True)
    (project.snippets / "ch" / "gone.py").unlink()
    quiet(project)
    assert not (project.generated / "ch" / "gone.txt").exists()
    assert (project.generated / "ch" / "hello.txt").exists()


def test_timing_table_lists_every_job(tmp_path):
    project = make_project(tmp_path, {"ch/hello.py": HELLO, "ch/other.py": "print(1)\n"})
    quiet(project, regen=True)
    table = (project.generated / "_runner" / "timings.md").read_text()
    assert "`snippets/ch/hello.py`" in table and "`snippets/ch/other.py`" in table
    assert "2 ran, 0 cached" in table


def test_unknown_only_name_and_bad_jobs_are_clear_errors(tmp_path, monkeypatch):
    project = make_project(tmp_path, {"ch/hello.py": HELLO})
    with pytest.raises(runner.RunnerError, match="no snippet or lab named nope"):
        quiet(project, only=["nope"])
    monkeypatch.setenv("GTT_JOBS", "zero")
    with pytest.raises(runner.RunnerError, match="GTT_JOBS must be a positive integer"):
        runner.default_jobs()


def test_command_line_reports_failure_with_status_1(capsys, tmp_path):
    make_project(tmp_path, {"ch/hello.py": HELLO})
    root = ["--root", str(tmp_path)]
    assert runner.main([*root, "--jobs", "1"]) == 1
    assert "no committed output" in capsys.readouterr().err
    assert runner.main([*root, "--regen"]) == 0
    assert runner.main(root) == 0
    assert (tmp_path / "tests" / "expected" / "ch" / "hello.txt").read_text() == "hello 42\n"


def test_labs_run_in_a_fresh_kernel_and_a_failing_cell_fails_the_run(tmp_path):
    project = make_project(tmp_path, {})
    shutil.copy(runner.ROOT / "gtt" / "labs.py", tmp_path / "gtt" / "labs.py")
    project.labs.mkdir(parents=True)
    (project.labs / "good.py").write_text(
        '# %%\nx = 6 * 7\nprint(x)\n\n# %% tags=["solution"]\nx\n'
    )
    (project.labs / "bad.py").write_text('# %%\nraise ValueError("cell boom")\n')
    with pytest.raises(runner.RunnerError) as failure:
        quiet(project)
    message = str(failure.value)
    assert "1 problem(s) in 1 job(s)" in message
    assert "docs/labs/bad.py: exited with status 1" in message and "cell boom" in message
    cells = json.loads((project.generated / "labs" / "good.ipynb").read_text())["cells"]
    assert cells[0]["cell_type"] == "markdown" and "pip install" in "".join(cells[0]["source"])
    assert cells[1]["outputs"][0]["text"] == ["42\n"]
    assert cells[2]["metadata"]["jupyter"]["source_hidden"] is True
    assert (project.generated / "labs" / "good.download.ipynb").exists()


def test_printed_text_is_one_output_per_stream_whatever_the_chunking():
    from nbformat.v4 import new_output

    from gtt.labs import coalesce_streams

    chunked = [
        new_output("stream", name="stdout", text="a\n"),
        new_output("stream", name="stdout", text="b\n"),
        new_output("stream", name="stderr", text="warn\n"),
        new_output("stream", name="stdout", text="c\n"),
        new_output("execute_result", data={"text/plain": "1"}, execution_count=1),
        new_output("stream", name="stdout", text="d\n"),
    ]
    merged = coalesce_streams(chunked)
    assert [(o["output_type"], o.get("text")) for o in merged] == [
        ("stream", "a\nb\n"),
        ("stream", "warn\n"),
        ("stream", "c\n"),
        ("execute_result", None),
        ("stream", "d\n"),
    ]
    one_chunk = [new_output("stream", name="stdout", text="a\nb\n")]
    assert coalesce_streams(one_chunk) == merged[:1]


WHO_AM_I = """
import sys
from pathlib import Path

import numpy as np
import torch

here = Path(__file__).parent
print(__name__, Path(sys.argv[0]).name, Path(sys.path[0]) == here, Path.cwd() == here)
print(np.random.default_rng(0).integers(100), torch.manual_seed(0) and torch.rand(1).item())
"""


@pytest.mark.skipif(not runner.use_preload(), reason="the warm server is Linux only")
def test_a_forked_snippet_behaves_like_python_snippet_py(tmp_path, monkeypatch):
    """Same stdout and byte-identical figure whether forked from the warm server or run as
    a fresh interpreter; a crash gives the traceback and a timeout kills only that job."""
    sources = {"ch/plotter.py": FIGURE, "ch/who.py": WHO_AM_I}
    outputs = {}
    for preload in ("1", "0"):
        monkeypatch.setenv("GTT_PRELOAD", preload)
        project = make_project(tmp_path / preload, sources)
        quiet(project, regen=True)
        outputs[preload] = {
            p.relative_to(project.generated).as_posix(): p.read_bytes()
            for p in sorted(project.generated.rglob("*"))
            if p.is_file() and p.parent.name == "ch"
        }
    assert sorted(outputs["1"]) == [
        "ch/plotter.download.md",
        "ch/plotter.svg",
        "ch/plotter.txt",
        "ch/plotter.zip",
        "ch/who.download.md",
        "ch/who.txt",
        "ch/who.zip",
    ]
    assert outputs["1"] == outputs["0"]
    assert outputs["1"]["ch/who.txt"].startswith(b"__main__ who.py True True\n")

    monkeypatch.setenv("GTT_PRELOAD", "1")
    project = make_project(
        tmp_path / "bad",
        {
            "ch/boom.py": "print('before')\nraise ValueError('a clear message')\n",
            "ch/stuck.py": "import time\ntime.sleep(120)\n",
            "ch/fine.py": HELLO,
        },
    )
    with pytest.raises(runner.RunnerError) as failure:  # 15 s: the warm server starts under load
        quiet(project, regen=True, timeout=15)
    message = str(failure.value)
    assert "boom.py: exited with status 1" in message and "ValueError: a clear message" in message
    assert "stuck.py: timed out after 15 s" in message
    assert (project.expected / "ch" / "fine.txt").read_text() == "hello 42\n"


# --------------------------------------------------------------------------- bundles


def test_a_snippet_runs_from_its_bundle_and_readers_get_the_same_zip(tmp_path):
    """A snippet importing a helper from another chapter runs in a folder holding just the
    two files (no path to the other chapter), and <name>.zip holds exactly those files."""
    project = make_project(
        tmp_path,
        {
            "a/helper_mod.py": "VALUE = 3\n",
            "b/user.py": "import sys\nfrom helper_mod import VALUE\nprint(VALUE, len(sys.path[0]) > 0)\n",
        },
    )
    quiet(project, regen=True)
    assert (project.generated / "b" / "user.txt").read_text() == "3 True\n"
    with zipfile.ZipFile(project.generated / "b" / "user.zip") as archive:
        assert archive.namelist() == ["user.py", "helper_mod.py"]
        assert archive.read("helper_mod.py") == b"VALUE = 3\n"
    note = (project.generated / "b" / "user.download.md").read_text()
    assert "[Download `user.zip`](generated/b/user.zip){ download }" in note
    assert "`user.py` and the file it imports (`helper_mod.py`)" in note
    lone = (project.generated / "a" / "helper_mod.download.md").read_text()
    assert "`helper_mod.py` on its own" in lone
    first = (project.generated / "b" / "user.zip").read_bytes()
    quiet(project, force=True)
    assert (project.generated / "b" / "user.zip").read_bytes() == first  # byte-stable


def test_a_snippet_may_not_change_its_own_bundle(tmp_path):
    project = make_project(
        tmp_path,
        {
            "a/helper_mod.py": "VALUE = 3\n",
            "a/vandal.py": "import helper_mod\nopen('helper_mod.py', 'w').write('x')\n",
        },
    )
    with pytest.raises(
        runner.RunnerError, match=r"changed helper_mod\.py, a file of its own bundle"
    ):
        quiet(project, regen=True, only=["vandal"])


def test_gpus_are_hidden_from_snippets(tmp_path, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    project = make_project(
        tmp_path, {"ch/gpu.py": "import os\nprint(repr(os.environ['CUDA_VISIBLE_DEVICES']))\n"}
    )
    quiet(project, regen=True)
    assert (project.generated / "ch" / "gpu.txt").read_text() == "''\n"


def test_a_build_under_another_cpu_setting_reruns(tmp_path, monkeypatch):
    project = make_project(tmp_path, {"ch/hello.py": HELLO})
    quiet(project, regen=True)
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "default")
    [result] = quiet(project)
    assert result.status == "ran"
    [result] = quiet(project)
    assert result.status == "cached"


def test_builds_under_two_cpu_settings_share_the_store(tmp_path, monkeypatch):
    """`make test` (measured jobs as another CPU) then `make serve` and back: once each."""
    project = make_project(tmp_path, {"ch/hello.py": HELLO, "ch/other.py": "print(1)\n"})
    quiet(project, regen=True)
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "default")
    assert {r.status for r in quiet(project)} == {"ran"}
    for setting in ("", "default", "", "default"):
        monkeypatch.setenv("ATEN_CPU_CAPABILITY", setting)
        if not setting:
            monkeypatch.delenv("ATEN_CPU_CAPABILITY")
        assert {r.status for r in quiet(project)} == {"cached"}, setting
    assert not (project.generated / runner.MANIFEST).exists()  # the index is outside docs/


def test_a_preview_may_show_a_run_under_other_cpu_settings_a_build_may_not(tmp_path, monkeypatch):
    project = make_project(tmp_path, {"ch/hello.py": HELLO})
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "default")
    quiet(project, regen=True)
    monkeypatch.delenv("ATEN_CPU_CAPABILITY")
    [preview] = quiet(project, strict=False)
    assert preview.status == "cached"
    [build] = quiet(project)
    assert build.status == "ran"


def test_the_store_keeps_the_last_few_keys_of_a_job(tmp_path):
    project = make_project(tmp_path, {"ch/hello.py": HELLO})
    source = project.snippets / "ch" / "hello.py"
    for value in range(store.KEEP + 2):
        source.write_text(f"print({value})\n")
        quiet(project, regen=True)
    assert len(list((project.cache / "snippets__ch__hello.py").iterdir())) == store.KEEP
    source.write_text("print(0)\n")  # the oldest: gone from the store, so it runs again
    assert {r.status for r in quiet(project, regen=True)} == {"ran"}
    source.write_text(f"print({store.KEEP + 1})\n")  # the newest: still there
    assert {r.status for r in quiet(project, regen=True)} == {"cached"}


# --------------------------------------------------------------------------- tolerances

MEASURED = """
import sys
value = float(sys.argv[1]) if len(sys.argv) > 1 else VALUE
print(f"median loss {value:.3f} in 5 of 5 seeds")
"""


def measured(project: runner.Project, value: float) -> None:
    (project.snippets / "ch" / "measure.py").write_text(f"VALUE = {value}\n" + MEASURED)


def test_a_measurement_passes_within_its_tolerance_and_fails_outside(tmp_path):
    project = make_project(tmp_path, {"ch/measure.py": "VALUE = 0.14\n" + MEASURED})
    quiet(project, regen=True)
    expected = project.expected / "ch" / "measure.txt"
    assert expected.read_text() == "median loss 0.140 in 5 of 5 seeds\n"
    expected.write_text("median loss 0.140{±0.05} in 5 of 5 seeds\n")  # declared by hand
    measured(project, 0.18)
    [result] = quiet(project)
    assert result.status == "ran" and not result.problems
    assert (project.generated / "ch" / "measure.txt").read_text().startswith("median loss 0.180")
    measured(project, 0.25)
    with pytest.raises(runner.RunnerError) as failure:
        quiet(project)
    message = str(failure.value)
    assert "snippets/ch/measure.py: output differs from tests/expected/ch/measure.txt" in message
    assert "(compared within its declared tolerances)" in message
    assert "line 1: 0.250 is outside 0.140 ± 0.05" in message
    assert "-median loss 0.140 in 5 of 5 seeds\n+median loss 0.250 in 5 of 5 seeds" in message


def test_text_and_untoleranced_numbers_stay_exact_beside_a_tolerance(tmp_path):
    project = make_project(tmp_path, {"ch/measure.py": "VALUE = 0.14\n" + MEASURED})
    quiet(project, regen=True)
    (project.expected / "ch" / "measure.txt").write_text(
        "median loss 0.140{±50%} in 4 of 5 seeds\n"
    )
    with pytest.raises(runner.RunnerError, match=r"line 1: 5 is outside 4 \(exact\)"):
        quiet(project)


def test_regen_keeps_declared_tolerances_and_a_value_inside_them_is_not_rewritten(tmp_path):
    project = make_project(tmp_path, {"ch/measure.py": "VALUE = 0.14\n" + MEASURED})
    quiet(project, regen=True)
    expected = project.expected / "ch" / "measure.txt"
    expected.write_text("median loss 0.140{±0.05} in 5 of 5 seeds\n")
    measured(project, 0.16)
    [result] = quiet(project, regen=True)
    assert not result.changed and expected.read_text().startswith("median loss 0.140{±0.05}")
    measured(project, 0.5)
    [result] = quiet(project, regen=True)
    assert expected.read_text() == "median loss 0.500{±0.05} in 5 of 5 seeds\n"


def test_values_for_prose_are_compared_like_stdout(tmp_path):
    source = "import json\njson.dump({'nan_step': STEP}, open('valued.json', 'w'))\nprint('ok')\n"
    project = make_project(tmp_path, {"ch/valued.py": "STEP = 31\n" + source})
    quiet(project, regen=True)
    assert (project.expected / "ch" / "valued.json").read_text() == '{"nan_step": 31}'
    (project.snippets / "ch" / "valued.py").write_text("STEP = 30\n" + source)
    with pytest.raises(
        runner.RunnerError,
        match=r"valued.json \(compared byte for byte\)\n  line 1: '\{\"nan_step\": 30\}', expected",
    ):
        quiet(project)


def test_non_strict_run_reports_instead_of_raising(tmp_path):
    project = make_project(tmp_path, {"ch/hello.py": HELLO})
    seen = []
    results = runner.run(project, log=lambda _: None, strict=False, on_result=seen.append)
    assert [r.job.name for r in seen] == ["hello"]
    assert "no committed output" in results[0].problems[0]
    assert (project.generated / "ch" / "hello.txt").read_text() == "hello 42\n"


def test_outputs_belong_to_the_job_with_the_longest_matching_name(tmp_path):
    project = make_project(tmp_path, {"ch/clip.py": "print(1)\n", "ch/clip_runs.py": "print(2)\n"})
    assert runner.owner(project, project.generated / "ch" / "clip_runs.svg").name == "clip_runs"
    assert runner.owner(project, project.generated / "ch" / "clip.txt").name == "clip"
    assert runner.owner(project, project.generated / "other" / "clip.txt") is None


def test_downloaded_labs_link_to_the_site_by_absolute_address():
    from gtt.labs import absolute_links

    text = "see [the chapter](../../../bptt/), [a section](../../../explorer/#turn) and [x](https://a.b/)"
    assert absolute_links(text, "generated/labs/bptt/", "https://example.org/gtt/") == (
        "see [the chapter](https://example.org/gtt/bptt/), "
        "[a section](https://example.org/gtt/explorer/#turn) and [x](https://a.b/)"
    )
    with pytest.raises(ValueError, match="leaves the site"):
        absolute_links("[up](../../../../x/)", "generated/labs/bptt/", "https://example.org/")


def test_measured_jobs_can_run_as_another_cpu(tmp_path, monkeypatch):
    """GTT_MEASURED_AS_CPU runs the jobs whose outputs carry tolerances with a simulated
    CPU's kernels (and re-runs them when it changes); exact jobs run as they are."""
    script = "import os\nprint(os.environ.get('ATEN_CPU_CAPABILITY', 'native'), 0.5)\n"
    project = make_project(tmp_path, {"ch/measured.py": script, "ch/exact.py": script})
    (project.expected / "ch").mkdir(parents=True)
    (project.expected / "ch" / "measured.txt").write_text("default 0.5{±0.1}\n")
    # Exact jobs run with this machine's kernels (pinned where runner.PINNED_KERNELS apply).
    own = os.environ.get("ATEN_CPU_CAPABILITY") or runner.pinned_kernels().get(
        "ATEN_CPU_CAPABILITY", "native"
    )
    (project.expected / "ch" / "exact.txt").write_text(f"{own} 0.5\n")
    monkeypatch.setenv(runner.MEASURED_AS_CPU, "default")
    quiet(project)
    manifest = runner.load_manifest(project)
    other = runner.SIMULATED_CPUS["default"]
    assert manifest["snippets/ch/measured.py"]["cpu"] == {**runner.cpu_settings(), **other}
    assert manifest["snippets/ch/exact.py"]["cpu"] == runner.cpu_settings()
    monkeypatch.setenv(runner.MEASURED_AS_CPU, "pentium")
    with pytest.raises(runner.RunnerError, match="GTT_MEASURED_AS_CPU must be one of"):
        quiet(project)
