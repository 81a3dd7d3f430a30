"""Shared fixtures: where the real-filing corpus is, and how its absence is handled.

Real filings are read from ../shared/corpus at test time and never committed. When the
folder is absent the tests that need it skip with a reason, except under CI=true, where
an absent corpus is a failure (CI always has it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
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


# --- Warehouse backends: every warehouse test runs on SQLite and on PostgreSQL ---------


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this session, dropped afterwards.

    Uses FORM4_TEST_POSTGRES_URL (CI starts a throwaway cluster and exports it); skips
    when unset, except under CI=true where PostgreSQL is required.
    """
    import uuid

    import sqlalchemy as sa

    server = os.environ.get("FORM4_TEST_POSTGRES_URL")
    if not server:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("FORM4_TEST_POSTGRES_URL is not set — CI must test against PostgreSQL")
        pytest.skip("FORM4_TEST_POSTGRES_URL not set: PostgreSQL tests skipped")
    name = f"form4_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty warehouse: a SQLite file, or a fresh schema in the session's PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    import uuid

    import sqlalchemy as sa

    database = request.getfixturevalue("postgres_database")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(database)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return sa.engine.make_url(database).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )
