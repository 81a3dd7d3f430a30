"""Shared fixtures: where the real-filing corpus is, and how its absence is handled.

Real filings are read from ../shared/corpus at test time and never committed. When the
folder is absent the tests that need it skip with a reason, except under CI=true, where
an absent corpus is a failure (CI always has it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING
from pathlib import Path

import pytest

if TYPE_CHECKING:
    import sqlalchemy as sa

REPO_ROOT = Path(__file__).resolve().parent.parent
#: The seed filing (Annaly, NLY, accession 0001628280-23-037880) ships inside the package
#: so the synthetic mirror can place it on its real date 2023-11-08.
SEED_FIXTURE = REPO_ROOT / "form4_assets" / "synthetic" / "seed_filing.txt"


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


def _fresh_schema_url(database: str, prefix: str) -> str:
    """A new schema in `database`, as a URL whose search_path is that schema."""
    import uuid

    import sqlalchemy as sa

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(database)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return sa.engine.make_url(database).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


@pytest.fixture(scope="session")
def new_warehouse_url(request: pytest.FixtureRequest) -> Callable[[str, Path, str], str]:
    """Makes empty warehouses for a backend ("sqlite" or "postgres"): a SQLite file in
    `directory`, or a fresh schema named after `prefix` in the session's PostgreSQL database.
    For fixtures of any scope; `warehouse_url` is the per-test one."""

    def make(backend: str, directory: Path, prefix: str = "t") -> str:
        if backend == "sqlite":
            return f"sqlite:///{directory / 'warehouse.sqlite'}"
        return _fresh_schema_url(request.getfixturevalue("postgres_database"), prefix)

    return make


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse_url(request: pytest.FixtureRequest, tmp_path: Path, new_warehouse_url: Callable[[str, Path, str], str]) -> str:
    """An empty warehouse: a SQLite file, or a fresh schema in the session's PostgreSQL database."""
    return new_warehouse_url(request.param, tmp_path, "t")


@pytest.fixture
def engine(warehouse_url: str) -> Iterator["sa.Engine"]:
    """An engine on an empty warehouse whose tables exist."""
    from form4_assets.warehouse.engine import create_schema, make_engine

    engine = make_engine(warehouse_url)
    create_schema(engine)
    yield engine
    engine.dispose()
