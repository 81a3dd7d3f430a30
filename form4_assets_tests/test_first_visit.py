"""The README's first steps (issue 11, item 4): two set-up commands, in a virtual
environment, and a .gitignore that covers what they and the README's examples write."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def shell_lines() -> list[str]:
    blocks = re.findall(r"```(?:bash|console)\n(.*?)```", README, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_exactly_two_set_up_commands_both_in_a_virtual_environment() -> None:
    installs = [line for line in shell_lines() if "pip install" in line]
    assert installs == [
        "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/form4-assets demo",
        'python3 -m venv .venv && .venv/bin/pip install -e ".[test]" && .venv/bin/python -m pytest',
    ]
    assert "python3-venv" in README and "externally-managed-environment" in README


def test_readme_says_how_chromium_and_the_corpus_come_in() -> None:
    assert "/usr/bin/chromium" in README and "skips" in README
    assert "../shared/corpus" in README and "FORM4_CORPUS_DIR" in README


@pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".git").exists(), reason="not a git checkout")
def test_gitignore_covers_what_the_readme_commands_write() -> None:
    written = [
        ".venv/bin/python", "form4_data/warehouse.sqlite", "form4_data/demo.log", "form4_data/dagster_home/dagster.yaml",
        "mirror/synthetic-manifest.jsonl", "out/SUBMISSION.tsv", "test-artifacts/e2e/webserver.log",
        ".tmp_dagster_home_abc123/dagster.yaml", "form4_assets.egg-info/PKG-INFO", ".pytest_cache/README.md",
    ]
    done = subprocess.run(["git", "check-ignore", "--no-index", *written], cwd=REPO, capture_output=True, text=True)
    ignored = set(done.stdout.split())
    assert [p for p in written if p not in ignored] == []
