"""Faults planted in a tiny project: the build ends within its timeout, fails naming the
file, or the fault is prevented. (The warm server's own faults: tests/test_preload.py.)"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from gtt import limits, runner


def make_project(root: Path, snippets: dict[str, str]) -> runner.Project:
    """A project in ``root`` holding the given snippets (path -> source) and the real style."""
    project = runner.Project(root)
    (root / "gtt").mkdir(parents=True)
    shutil.copy(runner.Project().style, project.style)
    for rel, source in snippets.items():
        path = project.snippets / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source), encoding="utf-8")
    return project


@pytest.fixture(autouse=True)
def fresh_interpreters(monkeypatch):
    """The GTT_PRELOAD=0 path, which every lab also takes; the warm one where named."""
    monkeypatch.setenv("GTT_PRELOAD", "0")
    monkeypatch.delenv(runner.MEASURED_AS_CPU, raising=False)


def failure_of(project: runner.Project, limit: float, **kwargs) -> str:
    """The message of a run that must fail, and within ``limit`` seconds."""
    start = time.monotonic()
    with pytest.raises(runner.RunnerError) as failure:
        runner.run(project, log=lambda _: None, jobs=2, **kwargs)
    assert time.monotonic() - start < limit
    return str(failure.value)


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def ends_soon(pid: int, what: str) -> None:
    """Fails the test if ``pid`` is still running 5 s from now."""
    deadline = time.monotonic() + 5
    while alive(pid):
        assert time.monotonic() < deadline, f"sleep 1000 (pid {pid}) survived {what}"
        time.sleep(0.02)


# --------------------------------------------------------------------------- every run ends


def test_input_gets_end_of_file_and_breakpoint_is_a_no_op(tmp_path):
    project = make_project(
        tmp_path,
        {
            "ch/asks.py": "name = input('your name? ')\nprint(name)\n",
            "ch/debugs.py": "breakpoint()\nprint('went on')\n",
        },
    )
    message = failure_of(project, 20, regen=True, timeout=10)
    assert "snippets/ch/asks.py: exited with status 1" in message
    assert "EOFError" in message
    assert "debugs" not in message
    assert (project.generated / "ch" / "debugs.txt").read_text() == "went on\n"


SPAWNER = """
import subprocess, time
child = subprocess.Popen(["sleep", "1000"])
open({pid_file!r}, "w").write(str(child.pid))
time.sleep({wait})
"""


@pytest.mark.skipif(sys.platform == "win32", reason="process groups are POSIX")
@pytest.mark.parametrize("wait", [1000, 0])
def test_what_a_snippet_started_ends_with_it(tmp_path, wait):
    """Planted: a snippet that starts ``sleep 1000`` and then sleeps itself (killed at its
    timeout) or returns at once (which must not wait for the sleeper). No survivor."""
    pid_file = tmp_path / "sleeper.pid"
    project = make_project(
        tmp_path / "p", {"ch/spawner.py": SPAWNER.format(pid_file=str(pid_file), wait=wait)}
    )
    if wait:
        assert "snippets/ch/spawner.py: timed out after 2 s" in failure_of(project, 15, timeout=2)
    else:
        start = time.monotonic()
        runner.run(project, log=lambda _: None, regen=True, timeout=30)
        assert time.monotonic() - start < 15
    ends_soon(int(pid_file.read_text()), "its snippet")


MUTE_SERVER = """
import subprocess, sys, time
sys.stdin.readline()
child = subprocess.Popen(["sleep", "1000"], start_new_session=True)  # a forked snippet
open({pid_file!r}, "w").write(str(child.pid))
time.sleep(1000)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the warm server is Linux only")
def test_a_warm_server_that_does_not_answer_fails_the_job_in_time(tmp_path, monkeypatch):
    """Planted: a server that reads the request, forks, and never replies (the runner read
    its reply with readline(), which waited forever). The server and its child are killed."""
    server = tmp_path / "mute.py"
    pid_file = tmp_path / "snippet.pid"
    server.write_text(MUTE_SERVER.format(pid_file=str(pid_file)), encoding="utf-8")
    monkeypatch.setattr(runner.Preloaded, "SERVER", server)
    monkeypatch.setattr(runner.Preloaded, "START_TIMEOUT", 0.0)
    monkeypatch.setenv("GTT_PRELOAD", "1")
    project = make_project(tmp_path / "p", {"ch/hello.py": "print(1)\n"})
    message = failure_of(project, 15, regen=True, timeout=2)
    assert "snippets/ch/hello.py: the snippet server (gtt/preload.py) did not answer" in message
    ends_soon(int(pid_file.read_text()), "the stuck server")


# --------------------------------------------------------------------------- timeouts


def test_a_job_timeout_follows_its_recorded_time():
    assert limits.timeout_for(None) == limits.FIRST_TIMEOUT
    assert limits.timeout_for(2.0) == limits.MIN_TIMEOUT
    assert limits.timeout_for(100.0) == 500.0
    assert limits.timeout_for(100.0, fixed=30.0) == 30.0


def test_a_job_that_became_slow_is_stopped_at_five_times_its_last_run(tmp_path, monkeypatch):
    """Planted: a quick snippet, recorded, then edited into one that sleeps."""
    project = make_project(tmp_path, {"ch/quick.py": "print(1)\n"})
    runner.run(project, log=lambda _: None, regen=True)
    monkeypatch.setattr(limits, "MIN_TIMEOUT", 1.0)
    (project.snippets / "ch" / "quick.py").write_text("import time\ntime.sleep(60)\n")
    message = failure_of(project, 15)
    assert "snippets/ch/quick.py: timed out after 1 s" in message
    assert "make build TIMEOUT=" in message


def test_gtt_timeout_sets_one_limit_and_a_bad_one_is_refused(tmp_path, monkeypatch):
    project = make_project(tmp_path, {"ch/slow.py": "import time\ntime.sleep(60)\n"})
    monkeypatch.setenv(limits.TIMEOUT_VARIABLE, "1")
    assert "snippets/ch/slow.py: timed out after 1 s" in failure_of(project, 15)
    monkeypatch.setenv(limits.TIMEOUT_VARIABLE, "soon")
    with pytest.raises(runner.RunnerError, match="GTT_TIMEOUT must be a positive number"):
        runner.run(project, log=lambda _: None)


def test_a_long_job_says_it_is_still_running(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "PROGRESS_EVERY", 0.5)
    project = make_project(tmp_path, {"ch/slow.py": "import time\ntime.sleep(1.4)\nprint(1)\n"})
    lines: list[str] = []
    runner.run(project, log=lines.append, regen=True)
    still = [
        n for n, line in enumerate(lines) if re.fullmatch(r"still running (\S+) \(\d+ s\)", line)
    ]
    assert still and all("snippets/ch/slow.py" in lines[n] for n in still)
    ran = next(n for n, line in enumerate(lines) if "ran  snippets/ch/slow.py" in line)
    assert max(still) < ran


# --------------------------------------------------------------------------- errors that name the file


def test_a_syntax_error_is_reported_with_the_other_failures(tmp_path):
    """Planted: a snippet that does not parse, beside a crash and a drifted output. It
    was a traceback out of the runner that hid the other two."""
    project = make_project(
        tmp_path,
        {
            "ch/broken.py": "x = 1\nprint((x)\n",
            "ch/crash.py": "raise SystemExit('boom')\n",
            "ch/drift.py": "print(2)\n",
            "ch/uses_lib.py": "from rnnbook import bad\nprint(bad)\n",
        },
    )
    (tmp_path / "rnnbook").mkdir()
    (tmp_path / "rnnbook" / "__init__.py").write_text("")
    (tmp_path / "rnnbook" / "bad.py").write_text("def f(:\n    pass\n")
    (project.expected / "ch").mkdir(parents=True)
    (project.expected / "ch" / "drift.txt").write_text("1\n")
    message = failure_of(project, 30)
    assert message.startswith("4 problem(s) in 4 job(s)")
    assert (
        "snippets/ch/broken.py, line 2: SyntaxError: '(' was never closed\n    print((x)" in message
    )
    assert "snippets/ch/uses_lib.py: imports rnnbook/bad.py, line 1: SyntaxError:" in message
    assert "snippets/ch/crash.py: exited with status 1" in message
    assert "snippets/ch/drift.py: output differs" in message


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # cut short
        lambda text: "[1, 2]",  # not an object
        lambda text: text.replace('"files": {', '"files": [0], "was": {', 1),  # one bad entry
    ],
    ids=["truncated", "not-an-object", "bad-entry"],
)
def test_a_damaged_cache_index_is_named_and_its_jobs_rerun(tmp_path, damage):
    project = make_project(tmp_path, {"ch/one.py": "print(1)\n", "ch/two.py": "print(2)\n"})
    runner.run(project, log=lambda _: None, regen=True)
    index = project.cache / runner.MANIFEST
    whole = index.read_text()
    index.write_text(damage(whole))
    lines: list[str] = []
    runner.run(project, log=lines.append)
    reports = [line for line in lines if runner.MANIFEST_REL in line]
    assert len(reports) == 1 and "checking them again" in reports[0], lines
    assert index.read_text() == whole  # rebuilt from the outputs the store vouches for
    assert {r.status for r in runner.run(project, log=lambda _: None)} == {"cached"}


# --------------------------------------------------------------------------- output size


def test_outputs_over_the_size_limit_fail_naming_the_file_and_its_size(tmp_path, monkeypatch):
    """Planted: a file just over a (reduced) limit, and a runaway print loop."""
    monkeypatch.setattr(limits, "MAX_OUTPUT_BYTES", 2_000_000)
    project = make_project(
        tmp_path,
        {
            "ch/big.py": "open('big_data.bin', 'wb').write(bytes(2_000_001))\n",
            "ch/chatty.py": "for n in range(400_000):\n    print(f'step {n:8d}')\n",
            "ch/small.py": "open('small.bin', 'wb').write(bytes(1000))\nprint('ok')\n",
        },
    )
    message = failure_of(project, 30, regen=True)
    assert message.startswith("2 problem(s) in 2 job(s)")
    assert (
        "snippets/ch/big.py: outputs total 2,000,001 bytes (2.0 MB), over the limit of "
        "2,000,000 bytes (2.0 MB) (MAX_OUTPUT_BYTES in gtt/limits.py); "
        "largest: big_data.bin: 2,000,001 bytes (2.0 MB)"
    ) in message
    assert "snippets/ch/chatty.py: outputs total 2,000,001 bytes" in message
    assert "chatty.txt (stdout): 2,000,001 bytes" in message
    assert not (project.generated / "ch" / "big_data.bin").exists()
    assert (project.generated / "ch" / "small.bin").stat().st_size == 1000


# --------------------------------------------------------------------------- work tree


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        check=True,
        capture_output=True,
    )


def committed(project: runner.Project, files: dict[str, str]) -> runner.Project:
    """The project, with these files and a .gitignore like the real one, committed."""
    for rel, text in {".gitignore": "/docs/generated/\n", **files}.items():
        (project.root / rel).parent.mkdir(parents=True, exist_ok=True)
        (project.root / rel).write_text(text, encoding="utf-8")
    git(project.root, "init", "-q")
    git(project.root, "add", "-A")
    git(project.root, "commit", "-q", "-m", "start")
    return project


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_job_that_changes_the_checkout_fails_the_build(tmp_path):
    """Planted: a snippet that writes its own expected output (which then compares equal),
    one that deletes a committed file, one that leaves a file in the checkout."""
    root = tmp_path / "p"
    sources = {
        "ch/cheat.py": f"print(2)\nopen({str(root / 'tests/expected/ch/cheat.txt')!r}, 'w').write('2\\n')\n",
        "ch/wiper.py": f"import os\nos.remove({str(root / 'README.md')!r})\nprint(1)\n",
        "ch/litter.py": f"open({str(root / 'notes.txt')!r}, 'w').write('x')\nprint(1)\n",
        "ch/fine.py": "print(1)\n",
    }
    project = committed(
        make_project(root, sources),
        {
            "README.md": "keep me\n",
            **{f"tests/expected/ch/{n}.txt": "1\n" for n in ("cheat", "wiper", "litter", "fine")},
        },
    )
    message = failure_of(project, 30)
    assert "the checkout changed while the jobs ran" in message
    assert (
        "README.md (deleted); notes.txt (appeared); tests/expected/ch/cheat.txt (changed)"
        in message
    )
    assert "snippets/ch/fine.py" in message  # among the jobs that ran


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_regen_and_an_edit_made_before_the_build_are_not_changes(tmp_path):
    project = make_project(tmp_path, {"ch/one.py": "print(2)\n"})
    committed(project, {"tests/expected/ch/one.txt": "1\n", "README.md": "draft\n"})
    (tmp_path / "README.md").write_text("edited before the build\n")
    [result] = runner.run(project, log=lambda _: None, regen=True)
    assert result.rewrote == ["tests/expected/ch/one.txt"]
    assert runner.run(project, log=lambda _: None)[0].status == "cached"


def test_a_root_that_is_not_a_checkout_is_said_to_be_unchecked(tmp_path):
    project = make_project(tmp_path, {"ch/one.py": "print(1)\n"})
    lines: list[str] = []
    runner.run(project, log=lines.append, regen=True)
    assert (
        f"runner: {tmp_path} is not a git checkout: not checking that jobs leave it alone" in lines
    )


def test_a_committed_copy_that_is_not_text_is_named(tmp_path):
    """Planted: binary junk in tests/expected/ (a UnicodeDecodeError out of the run)."""
    project = make_project(tmp_path, {"ch/one.py": "print(1)\n", "ch/two.py": "print(2)\n"})
    (project.expected / "ch").mkdir(parents=True)
    (project.expected / "ch" / "one.txt").write_bytes(b"1\xff\n")
    (project.expected / "ch" / "two.txt").write_text("3\n")
    message = failure_of(project, 30)
    assert message.startswith("2 problem(s) in 2 job(s)")
    assert "tests/expected/ch/one.txt: not UTF-8 text (byte 1)" in message
    runner.run(project, log=lambda _: None, regen=True)
    assert (project.expected / "ch" / "one.txt").read_text() == "1\n"


HANGING_LAB = """# %%
import subprocess, time
child = subprocess.Popen(["sleep", "1000"])
open({pid_file!r}, "w").write(str(child.pid))
time.sleep(1000)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="descendants are found in /proc")
def test_a_hanging_lab_and_what_its_kernel_started_end_at_the_timeout(tmp_path):
    """Planted: a lab cell that starts ``sleep 1000`` and hangs. Its Jupyter kernel runs in
    a session of its own, so killing the lab's process group alone left the sleeper."""
    pid_file = tmp_path / "sleeper.pid"
    project = make_project(tmp_path / "p", {})
    shutil.copy(runner.ROOT / "gtt" / "labs.py", project.root / "gtt" / "labs.py")
    project.labs.mkdir(parents=True)
    (project.labs / "hang.py").write_text(HANGING_LAB.format(pid_file=str(pid_file)))
    assert "docs/labs/hang.py: timed out after 15 s" in failure_of(project, 40, timeout=15)
    ends_soon(int(pid_file.read_text()), "its lab")
