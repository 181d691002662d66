"""`make help` lists every target the Makefile declares, each with what it does."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_make_help_lists_every_phony_target() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    declared = re.search(r"^\.PHONY: (.+)$", makefile, re.MULTILINE)
    assert declared is not None
    shown = subprocess.run(
        ["make", "--no-print-directory", "help"],  # noqa: S607 - make from PATH, as a user runs it
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    described = dict(re.findall(r"^  make (\S+) +(\S.*)$", shown, re.MULTILINE))
    assert sorted(described) == sorted(declared.group(1).split())
