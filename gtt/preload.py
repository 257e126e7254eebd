"""A warm start for snippets: import numpy, torch and matplotlib once, fork once per snippet.

Importing torch and matplotlib takes seconds on a small machine, longer than most
snippets take to run, and a build runs dozens of snippets. The runner therefore starts
this server once per build, with the same environment a snippet gets
(``runner.run_env``: style file, backend, hash seed, threads), and asks it to run each
snippet. The server forks; the child does what ``python <snippet>.py`` does (cwd, argv,
``sys.path[0]``, stdout and stderr to files, ``__name__ == "__main__"``) on top of the
already imported libraries, and exits. A test checks that a snippet's output and figure
are byte-identical whichever way it ran.

Protocol, one JSON object per line on stdin, one line back on stdout:
``{"script", "cwd", "stdout", "stderr", "status"}`` -> ``{"pid": N}``. When the child has
ended, its exit status (negative: killed by that signal) is written to the ``status``
file. Linux only (the runner falls back to one ``python`` process per snippet elsewhere).
"""

from __future__ import annotations

import contextlib
import json
import os
import runpy
import select
import sys
import traceback

# torch._dynamo: the first optimizer a snippet builds imports it, which costs seconds.
PRELOAD = ("numpy", "torch", "torch._dynamo", "matplotlib.pyplot")


def child(request: dict) -> None:
    """In the forked child: become ``python <script>`` and never return."""
    code = 1
    try:
        os.chdir(request["cwd"])
        for fd, key in ((1, "stdout"), (2, "stderr")):
            target = os.open(request[key], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
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
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a closed or broken stream: exit anyway
                stream.flush()
        os._exit(code)


def write_status(path: str, status: int) -> None:
    """Record a child's exit code atomically (the runner polls for this file)."""
    code = os.waitstatus_to_exitcode(status)
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        handle.write(str(code))
    os.replace(path + ".tmp", path)


def serve() -> None:
    for name in PRELOAD:
        __import__(name)
    pending: dict[int, str] = {}  # child pid -> its status file
    stdin = sys.stdin.fileno()
    buffer = b""
    open_input = True
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
                    child(request)
                pending[pid] = request["status"]
                sys.stdout.write(json.dumps({"pid": pid}) + "\n")
                sys.stdout.flush()
        while pending:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            if pid in pending:
                write_status(pending.pop(pid), status)


if __name__ == "__main__":
    serve()
