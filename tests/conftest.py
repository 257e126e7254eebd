"""Shared test set-up: snippets importable by name, figures headless and in the site's style."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # for `from support import ...`

from support import OTHER_CPU, PROJECT, mkdocs_build  # noqa: E402

from gtt import runner  # noqa: E402

# What tests compute themselves uses the kernels the runner's jobs use (PINNED_KERNELS):
# set before anything imports NumPy or PyTorch, which read these variables once.
PINS = runner.pinned_kernels()
if PINS and {"numpy", "torch"} & set(sys.modules):
    raise RuntimeError("numpy or torch was imported before tests/conftest.py pinned kernels")
os.environ.update(PINS)
# Tests import snippets by name from their folders (the runner instead runs each snippet
# from its bundle, copied into an empty folder, as a reader does).
for folder in reversed(runner.snippet_dirs(PROJECT)):
    sys.path.insert(0, str(folder))
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("MATPLOTLIBRC", str(PROJECT.style))
# `make test` checks the build with measured jobs run as on another CPU (support.OTHER_CPU).
os.environ.setdefault(runner.MEASURED_AS_CPU, OTHER_CPU)


@pytest.fixture(scope="session")
def project() -> runner.Project:
    return PROJECT


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The site, built once per test session exactly as `make build` builds it."""
    site = tmp_path_factory.mktemp("site")
    proc = mkdocs_build(ROOT / "mkdocs.yml", site)
    if proc.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}", pytrace=False)
    return site
