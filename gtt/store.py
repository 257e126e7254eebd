"""The runner's store: every job's outputs kept by cache key, outside docs/.

``docs/generated/`` holds one build's outputs, the ones the pages show. The store
(``.cache/runner/`` in the checkout, ignored by git) keeps the outputs of the last few
keys of each job, so that switching between builds that differ only in their settings
re-runs nothing: `make test` runs the measured jobs as another CPU (``--as-cpu
default``) and `make serve` as this one; with one entry per job they threw away each
other's work (about 1,000 of a cold run's 1,174 job-seconds here). Now the second one
copies the files back from the store, after checking their hashes.

Layout: ``<job>/<key>/index.json`` (the files' SHA-256 sums, the seconds the run took,
the settings it ran under and its key without the CPU part) beside the files. An entry
whose files are missing or altered is not used (and is removed); a job keeps at most
``KEEP`` entries, the least recently used going first.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

KEEP = 4  # per job: two CPU settings (native, simulated) × the current and previous source
INDEX = "index.json"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One stored run of a job."""

    key: str
    files: dict[str, bytes]
    seconds: float
    cpu: dict[str, str]


class Store:
    """Outputs by (job, key), in ``root``."""

    def __init__(self, root: Path):
        self.root = root

    def folder(self, job: str, key: str | None = None) -> Path:
        """``snippets/ch/x.py`` -> ``<root>/snippets__ch__x.py[/<key>]``."""
        base = self.root / job.replace("/", "__")
        return base / key if key else base

    def save(
        self, job: str, key: str, content: str, files: dict[str, bytes], seconds: float, cpu: dict
    ) -> None:
        """Keep ``files`` as the outputs of ``job`` under ``key`` (written whole, then renamed)."""
        final = self.folder(job, key)
        tmp = final.with_name(f".{key}.tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        for name, data in files.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_bytes(data)
        index = {
            "content": content,
            "cpu": cpu,
            "seconds": seconds,
            "files": {name: sha(data) for name, data in files.items()},
        }
        tmp.mkdir(parents=True, exist_ok=True)
        (tmp / INDEX).write_text(json.dumps(index, indent=1, sort_keys=True) + "\n")
        shutil.rmtree(final, ignore_errors=True)
        tmp.replace(final)
        self._trim(job)

    def load(self, job: str, key: str) -> Entry | None:
        """The stored outputs of ``job`` under ``key``, or None (never a damaged copy)."""
        folder = self.folder(job, key)
        try:
            index = json.loads((folder / INDEX).read_text(encoding="utf-8"))
            files = {name: (folder / name).read_bytes() for name in index["files"]}
            ok = all(sha(files[name]) == digest for name, digest in index["files"].items())
            entry = Entry(key, files, float(index["seconds"]), dict(index["cpu"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            ok = False
        if not ok:
            shutil.rmtree(folder, ignore_errors=True)
            return None
        os.utime(folder / INDEX)  # recently used: kept longest
        return entry

    def load_any_cpu(self, job: str, content: str) -> Entry | None:
        """A stored run of ``job`` with this key apart from the CPU settings, newest first."""
        for folder in self._entries(job):
            try:
                index = json.loads((folder / INDEX).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(index, dict) and index.get("content") == content:
                entry = self.load(job, folder.name)
                if entry is not None:
                    return entry
        return None

    def _entries(self, job: str) -> list[Path]:
        """The job's stored runs, most recently used first."""
        base = self.folder(job)
        if not base.is_dir():
            return []
        found = [p for p in base.iterdir() if (p / INDEX).is_file()]
        return sorted(found, key=lambda p: (p / INDEX).stat().st_mtime_ns, reverse=True)

    def _trim(self, job: str) -> None:
        for old in self._entries(job)[KEEP:]:
            shutil.rmtree(old, ignore_errors=True)
