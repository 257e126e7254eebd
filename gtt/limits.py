"""How long a job may run, how much it may write, and the line a long job prints.

A job's timeout is ``max(MIN_TIMEOUT, TIMEOUT_FACTOR x its last recorded time)``, or
``FIRST_TIMEOUT`` for a job never timed; ``--timeout``, or ``GTT_TIMEOUT`` (which ``make
build TIMEOUT=...`` sets), gives every job one fixed limit instead.

A job's outputs (its stdout and the files it writes) may total MAX_OUTPUT_BYTES: they
are copied into docs/generated/ and the site, and a runaway loop writing a log or a
figure with millions of points should fail the build, not fill the disk or the page.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

MIN_TIMEOUT = 60.0
TIMEOUT_FACTOR = 5.0
FIRST_TIMEOUT = 600.0  # a job with no recorded time (new, or never passed)
TIMEOUT_VARIABLE = "GTT_TIMEOUT"
MORE_TIME = "allow more with --timeout SECONDS or make build TIMEOUT=SECONDS"
MAX_OUTPUT_BYTES = 20_000_000
PROGRESS_EVERY = 30.0  # seconds between "still running" lines of one job


def size_text(size: int) -> str:
    """``20,000,001 bytes (20.0 MB)``: exact, since a limit is missed by one byte too."""
    return f"{size:,} bytes ({size / 1e6:.1f} MB)"


def read_capped(path: Path) -> bytes:
    """A captured stream, read up to just over MAX_OUTPUT_BYTES (enough to know it is
    too big, without reading a runaway log into memory)."""
    with path.open("rb") as handle:
        return handle.read(MAX_OUTPUT_BYTES + 1)


def output_problem(sizes: dict[str, int]) -> str | None:
    """Why outputs of these sizes (name -> bytes) are too big, or None."""
    total = sum(sizes.values())
    if total <= MAX_OUTPUT_BYTES:
        return None
    largest = sorted(sizes.items(), key=lambda item: -item[1])[:3]
    return (
        f"outputs total {size_text(total)}, over the limit of {size_text(MAX_OUTPUT_BYTES)} "
        "(MAX_OUTPUT_BYTES in gtt/limits.py); largest: "
        + ", ".join(f"{name}: {size_text(size)}" for name, size in largest)
    )


class LimitError(ValueError):
    """A limit set to something that is not one."""


def fixed_timeout() -> float | None:
    """``GTT_TIMEOUT`` as seconds, or None when it is not set."""
    value = os.environ.get(TIMEOUT_VARIABLE, "")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise LimitError(f"{TIMEOUT_VARIABLE} must be a positive number of seconds, got {value!r}")
    return seconds


def timeout_for(recorded: float | None, fixed: float | None = None) -> float:
    """Seconds a job may run: ``fixed`` if given, else derived from its last recorded time."""
    if fixed is not None:
        return fixed
    if not isinstance(recorded, int | float) or recorded <= 0:
        return FIRST_TIMEOUT
    return max(MIN_TIMEOUT, TIMEOUT_FACTOR * recorded)


class Progress:
    """Logs ``still running <file> (45 s)`` every PROGRESS_EVERY seconds of a long job.

    Use as a context manager around the whole run, and ``with progress.job(rel):`` around
    each job."""

    def __init__(self, log: Callable[[str], None]):
        self.log, self.every = log, PROGRESS_EVERY
        self.running: dict[str, list[float]] = {}  # rel -> [start, lines printed]
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, name="gtt-progress", daemon=True)

    def __enter__(self) -> Progress:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()

    @contextlib.contextmanager
    def job(self, rel: str) -> Iterator[None]:
        with self.lock:
            self.running[rel] = [time.monotonic(), 0]
        try:
            yield
        finally:
            with self.lock:
                self.running.pop(rel, None)

    def _watch(self) -> None:
        while not self.stop.wait(min(1.0, self.every / 4)):
            now, lines = time.monotonic(), []
            with self.lock:
                for rel, state in self.running.items():
                    elapsed = now - state[0]
                    if elapsed >= (state[1] + 1) * self.every:
                        state[1] += 1
                        lines.append(f"still running {rel} ({elapsed:.0f} s)")
            for line in lines:
                self.log(line)
