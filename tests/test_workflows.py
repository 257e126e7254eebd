"""The GitHub workflows keep their guards: time limits, least privilege, pinned actions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

WORKFLOWS = Path(__file__).resolve().parents[1] / ".github" / "workflows"
# A full commit SHA, then the release it is, as in `uses: actions/x@<sha> # v4.2.2`.
PINNED = re.compile(r"^\s*(?:-\s*)?uses:\s*[\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+(?:\.\d+)*\s*$")


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.yml")), ids=lambda p: p.name)
def test_every_workflow_is_bounded_read_only_and_pinned(path):
    workflow = load(path.name)
    assert workflow["permissions"] == {"contents": "read"}
    for name, job in workflow["jobs"].items():
        assert 0 < job["timeout-minutes"] <= 120, f"{path.name}: job {name} has no time limit"
    for step in steps(workflow):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False
    uses = [line for line in path.read_text(encoding="utf-8").splitlines() if "uses:" in line]
    assert uses and all(PINNED.match(line) for line in uses), uses


def test_only_the_deploy_job_may_write_pages():
    jobs = load("pages.yml")["jobs"]
    granted = {name: job.get("permissions") for name, job in jobs.items()}
    assert granted == {"build": None, "deploy": {"pages": "write", "id-token": "write"}}


def test_pull_requests_run_make_test():
    workflow = load("test.yml")
    assert "pull_request" in workflow[True]  # YAML 1.1 reads the key `on` as True
    assert any(step.get("run") == "make test" for step in steps(workflow))
