"""Run one command as a job: stdin closed, its own process group, a hard timeout.

What ``GTT_PRELOAD=0`` (and every lab) uses; the warm server (``gtt/preload.py``) gives
its forked children the same three guarantees:

* stdin is /dev/null, so ``input()`` (or a debugger) gets EOF instead of waiting for a
  keyboard that a build does not have;
* the command leads a process group of its own (a new session), and when it ends, by
  itself or killed at its timeout, the whole group is killed: a ``sleep 1000`` it
  started cannot outlive it, or hold the build open;
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
        finally:
            end_group(proc.pid)
            proc.wait()
        return code, limits.read_capped(out_path), limits.read_capped(err_path)
