"""How long a job may run, and the line a long job prints while it runs.

A job's timeout is ``max(MIN_TIMEOUT, TIMEOUT_FACTOR x its last recorded time)``, or
``FIRST_TIMEOUT`` for a job never timed; ``--timeout``, or ``GTT_TIMEOUT`` (which ``make
build TIMEOUT=...`` sets), gives every job one fixed limit instead.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator

MIN_TIMEOUT = 60.0
TIMEOUT_FACTOR = 5.0
FIRST_TIMEOUT = 600.0  # a job with no recorded time (new, or never passed)
TIMEOUT_VARIABLE = "GTT_TIMEOUT"
MORE_TIME = "allow more with --timeout SECONDS or make build TIMEOUT=SECONDS"
PROGRESS_EVERY = 30.0  # seconds between "still running" lines of one job


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
