"""The lock file pins every package by version and by hash, and make requires the hashes."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(
    r"^[A-Za-z0-9][\w.-]*==\S+ \\\n(?:    --hash=sha256:[0-9a-f]{64}(?: \\\n|\n))+", re.M
)


def test_every_pin_carries_a_hash():
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    requirements = [line for line in text.splitlines() if re.match(r"[A-Za-z0-9]", line)]
    pins = PIN.findall(text)
    assert len(requirements) > 100 and len(pins) == len(requirements), [
        line for line in requirements if not line.endswith(" \\")
    ]
    assert re.search(r"^torch==\S+\+cpu \\$", text, re.M), "torch must be its CPU build"


def test_make_installs_with_require_hashes_and_no_extra_index():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    install = re.search(r"pip install (.*\\\n)*.*-r \$\(LOCK\)", makefile)
    assert install and "--require-hashes" in install[0]
    assert "extra-index" not in makefile + (ROOT / "requirements.lock").read_text("utf-8")
