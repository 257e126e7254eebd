"""Small helpers the test modules share."""

from __future__ import annotations

import functools
import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GENERATED = ROOT / "docs" / "generated"
# The build `make test` checks runs every measured job (float32 training, whose digits depend
# on the CPU's kernels) as on another CPU, and it must pass with the outputs committed on the
# contributor's: the proof that the site builds anywhere (gtt/runner.py, SIMULATED_CPUS).
OTHER_CPU = "default"


def _project():
    from gtt import runner

    return runner.Project(ROOT)


PROJECT = _project()  # the project the tests check (gtt.runner reads no numpy or torch)


def mkdocs_build(config: Path, site_dir: Path, **env: str) -> subprocess.CompletedProcess:
    """Run ``mkdocs build --strict`` for ``config`` into ``site_dir``; return the finished process."""
    from gtt import checkout

    return checkout.build(config, site_dir, **env)


def expected_output(rel: str) -> str:
    """The committed output of a snippet, e.g. ``expected_output("first_look/norm_decay")``.

    As the snippet printed it: tolerances declared after numbers are left out. For exact
    outputs; a test of what a measurement shows on this machine reads ``generated_output``."""
    from gtt.compare import strip_tolerances

    return strip_tolerances(
        (ROOT / "tests" / "expected" / f"{rel}.txt").read_text(encoding="utf-8")
    )


@functools.cache
def generated(rel: str) -> Path:
    """``docs/generated/<rel>``, brought up to date first (cached jobs cost nothing).

    Tests of a training snippet read what the build produced instead of training again;
    the runner has already checked it against the committed copy, within its tolerances."""
    from gtt import runner

    runner.run(runner.Project(ROOT), only=[rel.split("/")[-1]], log=lambda _: None)
    return GENERATED / rel


def generated_output(rel: str) -> str:
    """What the snippet printed in this build: ``generated_output("exploding/exploding_run")``."""
    return generated(rel).with_suffix(".txt").read_text(encoding="utf-8")


def generated_values(rel: str) -> dict:
    """The values (``<name>.json``) the snippet wrote in this build, for pages and tests."""
    return json.loads(generated(rel).with_suffix(".json").read_text(encoding="utf-8"))


def copy_project(dst: Path, *, with_generated: bool = True) -> Path:
    """Copy what a build needs (not the venv, not site/) into ``dst``; return ``dst``."""
    from gtt import checkout

    return checkout.copy(dst, with_generated=with_generated)


def site_pages() -> list[str]:
    """URL path of every page the site builds, from its sources (``""`` is the home page)."""
    docs = ROOT / "docs"
    urls = []
    for page in sorted(docs.rglob("*.md")):
        rel = page.relative_to(docs)
        if rel.parts[0] == "generated":
            continue
        stem = rel.with_suffix("").as_posix()
        urls.append("" if stem == "index" else stem.removesuffix("/index") + "/")
    for lab in sorted((docs / "labs").glob("*.py")):
        urls.append(f"generated/labs/{lab.stem}/")
    return urls
