"""What a contributor is told to run exists and does what it says."""

import subprocess

import yaml
from support import ROOT


def test_pre_commit_runs_the_checks_make_test_starts_with():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    entries = [hook["entry"] for repo in config["repos"] for hook in repo["hooks"]]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for command in ("ruff check", "ruff format --check"):
        assert f"$(BIN)/{command} ." in makefile
        assert any(entry.startswith(f".venv/bin/{command}") for entry in entries), command


def make_check(name: str) -> subprocess.CompletedProcess:
    """`make -n check NAME=name` (dry run: prints the commands, runs only the guards)."""
    return subprocess.run(
        ["make", "--no-print-directory", "-n", "check", f"NAME={name}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_make_check_runs_one_job_and_its_test_module():
    done = make_check("norm_decay")
    assert done.returncode == 0, done.stderr
    assert "gtt.runner --only norm_decay" in done.stdout
    assert "pytest -q tests/snippets/*/test_norm_decay.py" in done.stdout


def test_contributing_names_the_commands_that_exist():
    guide = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("test", "serve", "check", "regen"):
        assert f"make {target}" in guide
        assert f"\n{target}:" in makefile
    assert "rnnbook/protocol.py" in guide and "rnnbook/stats.py" in guide
