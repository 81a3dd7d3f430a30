"""Shared fixtures: where the real-filing corpus is, and how its absence is handled.

Real filings are read from ../shared/corpus at test time and never committed. When the
folder is absent the tests that need it skip with a reason, except under CI=true, where
an absent corpus is a failure (CI always has it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
#: The seed filing (Annaly, NLY, accession 0001628280-23-037880) ships inside the package
#: so the synthetic mirror can place it on its real date 2023-11-08.
SEED_FIXTURE = REPO_ROOT / "form4_assets" / "edgar" / "seed_filing.txt"


def _find_corpus() -> Path | None:
    env = os.environ.get("FORM4_CORPUS_DIR")
    candidates = [Path(env)] if env else []
    candidates += [p / "shared" / "corpus" for p in REPO_ROOT.parents]
    for candidate in candidates:
        if (candidate / "MANIFEST.tsv").is_file():
            return candidate
    return None


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The real-filing corpus (../shared/corpus), or skip (fail under CI=true)."""
    found = _find_corpus()
    if found is None:
        message = "real-filing corpus ../shared/corpus not found (set FORM4_CORPUS_DIR)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " — CI must have it")
        pytest.skip(message)
    return found


@pytest.fixture(scope="session")
def seed_bytes() -> bytes:
    """The seed filing (Annaly, NLY, 2023-11-08), committed as a fixture."""
    return SEED_FIXTURE.read_bytes()
