"""A warm start for snippets: import numpy, torch and matplotlib once, fork once per snippet.

Importing torch and matplotlib takes seconds on a small machine, longer than most
snippets take to run, and a build runs dozens of snippets. The runner therefore starts
this server once per build, with the same environment a snippet gets
(``runner.run_env``: style file, backend, hash seed, threads), and asks it to run each
snippet. The server forks; the child does what ``python <snippet>.py`` does (cwd, argv,
``sys.path[0]``, stdin from /dev/null, stdout and stderr to files, ``__name__ ==
"__main__"``) on top of the already imported libraries, and exits through normal
interpreter shutdown (atexit handlers run, files left open are flushed and closed). A test
checks that a snippet's output and figure are byte-identical whichever way it ran.

Each child leads a process group of its own (pgid == pid). When it ends, whatever it
started and left running is killed with the group, then its exit status (negative: killed
by that signal) is written to the ``status`` file; a client that kills a child at its
timeout therefore ends the whole group. If the server itself stops, it kills every group
still running.

Protocol, one JSON object per line on stdin, one line back on stdout:
``{"script", "cwd", "stdout", "stderr", "status"}`` -> ``{"pid": N, "pgid": N}``. Linux
only (the runner falls back to one ``python`` process per snippet elsewhere).
"""

from __future__ import annotations

import contextlib
import json
import os
import runpy
import select
import signal
import sys
import traceback
from typing import NoReturn

# torch._dynamo: the first optimizer a snippet builds imports it, which costs seconds.
PRELOAD = ("numpy", "torch", "torch._dynamo", "matplotlib.pyplot")


def child(request: dict) -> NoReturn:
    """In the forked child: become ``python <script>`` and never return.

    The exit is ``SystemExit`` raised out of the server's loop, so the interpreter shuts
    down as it does after ``python <script>``: atexit handlers, flushing and closing of
    files the snippet left open, exit code.
    """
    code = 1
    try:
        os.setpgid(0, 0)
        os.chdir(request["cwd"])
        redirects = (
            (0, os.devnull, os.O_RDONLY),
            (1, request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
            (2, request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
        )
        for fd, path, flags in redirects:
            target = os.open(path, flags, 0o644)
            os.dup2(target, fd)
            os.close(target)
        script = request["script"]
        sys.argv = [script]
        sys.path[0] = os.path.dirname(os.path.abspath(script))
        try:
            runpy.run_path(script, run_name="__main__")
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
            if not isinstance(stop.code, int | None):
                print(stop.code, file=sys.stderr)
        except BaseException:
            traceback.print_exc()
    finally:
        raise SystemExit(code)  # the child leaves, whatever happened


def write_status(path: str, status: int) -> None:
    """Record a child's exit code atomically (the runner polls for this file)."""
    code = os.waitstatus_to_exitcode(status)
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        handle.write(str(code))
    os.replace(path + ".tmp", path)


def end_group(pgid: int) -> None:
    """Kill what is left of a child's process group (nothing, usually)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def serve() -> None:
    for name in PRELOAD:
        __import__(name)
    pending: dict[int, str] = {}  # child pid (== its pgid) -> its status file
    stdin = sys.stdin.fileno()
    buffer = b""
    open_input = True
    try:
        while open_input or pending:
            ready, _, _ = select.select([stdin] if open_input else [], [], [], 0.02)
            if ready:
                chunk = os.read(stdin, 65536)
                open_input = bool(chunk)
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    request = json.loads(line)
                    sys.stdout.flush()
                    pid = os.fork()
                    if pid == 0:
                        pending.clear()  # its siblings are not the child's to kill on exit
                        child(request)
                    # Also here, so that the group exists before the client can kill it.
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.setpgid(pid, pid)
                    pending[pid] = request["status"]
                    sys.stdout.write(json.dumps({"pid": pid, "pgid": pid}) + "\n")
                    sys.stdout.flush()
            while pending:
                pid, status = os.waitpid(-1, os.WNOHANG)
                if pid == 0:
                    break
                if pid in pending:
                    end_group(pid)
                    write_status(pending.pop(pid), status)
    finally:
        for pid in pending:
            end_group(pid)


if __name__ == "__main__":
    serve()
