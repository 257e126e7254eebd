"""The jobs leave the checkout as they found it.

A snippet runs in an empty folder of its own, but nothing stops it from writing
elsewhere: into its own committed output in tests/expected/ (which would then compare
equal, whatever it printed), or deleting a file of the checkout. Before the jobs run
and after, the runner takes a snapshot: every path ``git status`` lists (untracked
files one by one, ignored ones not; docs/generated/ and .cache/runner/ are the runner's own),
with a hash of its content, since a file already edited by hand keeps its status when
a job edits it again. Any difference fails the build, naming each path. A root that is
not the top of a git checkout is not checked (the runner says so).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

OWN = ("docs/generated/", ".cache/runner/")  # written by the runner itself (outputs, store)


def git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["git", "--no-optional-locks", "-C", str(root), *args],
        capture_output=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def is_checkout(root: Path) -> bool:
    """True if ``root`` is the top folder of a git work tree (and git is installed)."""
    if shutil.which("git") is None:
        return False
    top = git(root, "rev-parse", "--show-toplevel")
    return top.returncode == 0 and Path(top.stdout.decode().strip()).resolve() == root.resolve()


def snapshot(root: Path) -> dict[str, str]:
    """Path -> ``<status> <sha256>`` for every file git reports as not committed as is."""
    status = git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all")
    if status.returncode != 0:
        raise OSError(status.stderr.decode("utf-8", "replace").strip())
    fields = iter(status.stdout.decode("utf-8", "surrogateescape").split("\0"))
    state = {}
    for field in fields:
        if not field:
            continue
        code, path = field[:2], field[3:]
        if "R" in code or "C" in code:
            next(fields, None)  # a rename or copy also names where it came from
        if not path.startswith(OWN):
            state[path] = f"{code} {content_hash(root / path)}"
    return state


def content_hash(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except (IsADirectoryError, FileNotFoundError):
        return "-"


def changes(before: dict[str, str], after: dict[str, str], allowed: set[str]) -> list[str]:
    """``<path> (changed|deleted|appeared)`` for each path that differs, but ``allowed``."""
    found = []
    for path in sorted(before.keys() | after.keys()):
        if before.get(path) == after.get(path) or path in allowed:
            continue
        code = after.get(path, "   ")[:2]
        if "D" in code:
            what = "deleted"
        elif code == "??" and path not in before:
            what = "appeared"
        else:
            what = "changed"
        found.append(f"{path} ({what})")
    return found


class Guard:
    """A snapshot taken when it is made, compared with the checkout by ``problem()``."""

    def __init__(self, root: Path, log: Callable[[str], None]):
        self.root = root
        self.before = snapshot(root) if is_checkout(root) else None
        if self.before is None:
            log(f"runner: {root} is not a git checkout: not checking that jobs leave it alone")

    def problem(self, allowed: set[str], ran: Iterable[str]) -> str | None:
        """What changed since the snapshot (but the ``allowed`` paths), or None."""
        if self.before is None:
            return None
        changed = changes(self.before, snapshot(self.root), allowed)
        if not changed:
            return None
        return (
            "the checkout changed while the jobs ran (a job wrote outside its own folder, or "
            f"a file was edited meanwhile): {'; '.join(changed)}. "
            f"Jobs that ran: {', '.join(ran) or 'none'}. "
            "Restore it (git status, git restore) and build again."
        )
