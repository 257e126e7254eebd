"""The warm server (gtt/preload.py) with planted faults: each child reads an empty stdin,
exits like ``python x.py`` and takes what it started with it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gtt import preload, runner

pytestmark = pytest.mark.skipif(not runner.use_preload(), reason="the warm server is Linux only")


class Server:
    """A client as small as the runner's: one request, one reply, then poll the status."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, preload.__file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )

    def start(self, folder: Path, source: str) -> dict:
        folder.mkdir()
        (folder / "snippet.py").write_text(source, encoding="utf-8")
        request = {"script": str(folder / "snippet.py"), "cwd": str(folder)}
        request |= {key: str(folder / key) for key in ("stdout", "stderr", "status")}
        self.proc.stdin.write((json.dumps(request) + "\n").encode())
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def wait(self, folder: Path, timeout: float = 20) -> int:
        """The child's exit code; fails the test if it has not ended within ``timeout``."""
        deadline = time.monotonic() + timeout
        while not (folder / "status").exists():
            assert time.monotonic() < deadline, (folder / "stderr").read_text()
            time.sleep(0.02)
        return int((folder / "status").read_text())


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    started = Server()
    yield started
    started.proc.stdin.close()
    started.proc.wait(timeout=60)
    started.proc.stdout.close()


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.parametrize("call", ["input()", "breakpoint()"])
def test_a_snippet_reading_stdin_gets_eof_not_the_next_request(server, tmp_path, call):
    """Planted: a snippet that reads stdin. It used to inherit the server's request pipe
    and wait for ever (or eat the runner's next request); now it reads /dev/null."""
    server.start(tmp_path / "reader", f"{call}\nprint('went on')\n")
    code = server.wait(tmp_path / "reader")
    if call == "input()":
        assert code == 1
        assert "EOFError" in (tmp_path / "reader" / "stderr").read_text()
    server.start(tmp_path / "next", "print('next')\n")
    assert server.wait(tmp_path / "next") == 0
    assert (tmp_path / "next" / "stdout").read_text() == "next\n"


def test_a_child_exits_like_python_x_py(server, tmp_path):
    """Planted: a file written and never closed, and an atexit handler. ``os._exit`` left
    the table 0 bytes and skipped the handler; normal shutdown writes both."""
    table = "<table>" + "<tr><td>0.25</td></tr>" * 20 + "</table>\n"  # < one 8 KiB buffer
    source = (
        "import atexit, sys\n"
        f"handle = open('table.html', 'w')\nhandle.write({table!r})\n"
        "atexit.register(lambda: open('atexit.txt', 'w').write('ran'))\n"
        "sys.exit(3)\n"
    )
    server.start(tmp_path / "open", source)
    assert server.wait(tmp_path / "open") == 3
    assert (tmp_path / "open" / "table.html").read_text() == table
    assert (tmp_path / "open" / "atexit.txt").read_text() == "ran"


SPAWNER = """\
import subprocess, time
child = subprocess.Popen(["sleep", "1000"])
print(child.pid, flush=True)
time.sleep({wait})
"""


@pytest.mark.parametrize("wait", [1000, 0])
def test_what_a_child_started_ends_with_it(server, tmp_path, wait):
    """Planted: a snippet that starts ``sleep 1000``, then hangs (killed at its timeout as
    the runner kills it: SIGKILL to the pid in the reply) or returns. No survivor either way."""
    folder = tmp_path / "spawner"
    reply = server.start(folder, SPAWNER.format(wait=wait))
    assert reply["pgid"] == reply["pid"] == os.getpgid(reply["pid"])
    stdout = folder / "stdout"
    deadline = time.monotonic() + 20
    while not stdout.exists() or not stdout.read_text().endswith("\n"):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    sleeper = int(stdout.read_text())
    if wait:
        os.kill(reply["pid"], signal.SIGKILL)
    assert server.wait(folder) == (-signal.SIGKILL if wait else 0)
    deadline = time.monotonic() + 5
    while alive(sleeper):
        assert time.monotonic() < deadline, f"sleep 1000 (pid {sleeper}) survived its snippet"
        time.sleep(0.02)
