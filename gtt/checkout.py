"""A scratch copy of this checkout, and a strict build of it: shared by the tests and `make bench`.

Both need the same two things: a copy of what a build reads (never the venv, never site/),
with or without the generated outputs, and ``mkdocs build --strict`` run on it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PARTS = (
    "gtt",
    "rnnbook",
    "snippets",
    "docs",
    "tests",
    "tools",
    "overrides",
    "mkdocs.yml",
    "pyproject.toml",
)


def copy(dst: Path, *, with_generated: bool = False) -> Path:
    """Copy what a build needs into ``dst`` (with docs/generated/ only if asked); return it.

    With the outputs goes the runner's index of them (not its store), so that the copy's
    build knows they are current and re-runs only what the copy changes."""
    from gtt.runner import MANIFEST_REL

    def skip(folder: str, names: list[str]) -> set[str]:
        skipped = {"__pycache__"} & set(names)
        if not with_generated and Path(folder) == ROOT / "docs":
            skipped.add("generated")
        return skipped

    for name in PARTS:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=skip)
        else:
            shutil.copy(src, dst / name)
    index = ROOT / MANIFEST_REL
    if with_generated and index.is_file():
        (dst / MANIFEST_REL).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(index, dst / MANIFEST_REL)
    return dst


def build(config: Path, site_dir: Path, **env: str) -> subprocess.CompletedProcess:
    """``mkdocs build --strict`` for ``config`` into ``site_dir``; the finished process."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-f",
            str(config),
            "-d",
            str(site_dir),
        ],
        cwd=config.parent,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **env},
        check=False,
    )
