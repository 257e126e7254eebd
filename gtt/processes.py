"""Run one command as a job: stdin closed, its own process group, a hard timeout.

What ``GTT_PRELOAD=0`` (and every lab) uses; the warm server (``gtt/preload.py``) gives
its forked children the same three guarantees:

* stdin is /dev/null, so ``input()`` (or a debugger) gets EOF instead of waiting for a
  keyboard that a build does not have;
* the command leads a process group of its own (a new session), and when it ends, by
  itself or killed at its timeout, the whole group is killed: a ``sleep 1000`` it
  started cannot outlive it, or hold the build open;
* at a timeout, processes that left the group but descend from the command (a Jupyter
  kernel starts a session of its own) are killed with their groups too (Linux);
* stdout and stderr go to files, not pipes, so a process it left behind cannot keep the
  runner waiting for an end of file.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
from pathlib import Path

from gtt import limits


def end_group(pgid: int) -> None:
    """Kill what is left of a process group (nothing, usually)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, from /proc (none where there is no /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        below = children.get(todo.pop(), [])
        found += below
        todo += below
    return found


def end_tree(pid: int) -> None:
    """Kill ``pid``'s group, and every descendant's group (while the tree still holds)."""
    groups = {pid}
    for below in descendants(pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            groups.add(os.getpgid(below))
    groups.discard(os.getpgrp())  # never the runner's own
    for group in groups:
        end_group(group)


def run(
    cmd: list[str], cwd: Path, env: dict[str, str], timeout: float
) -> tuple[int | None, bytes, bytes]:
    """Exit code (None: killed at ``timeout`` seconds), stdout and stderr of ``cmd``."""
    with tempfile.TemporaryDirectory(prefix="gtt-io-") as io_dir:
        out_path, err_path = Path(io_dir, "stdout"), Path(io_dir, "stderr")
        with out_path.open("wb") as out, err_path.open("wb") as err:
            proc = subprocess.Popen(
                cmd,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,  # pgid == pid
            )
        try:
            code: int | None = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            code = None
            end_tree(proc.pid)
        finally:
            end_group(proc.pid)
            proc.wait()
        return code, limits.read_capped(out_path), limits.read_capped(err_path)
