"""The aggregates over 220 real ownership documents (one issuer family, 2004–2023)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from form4_assets.aggregates.reconcile import (
    cofilers_counted_once,
    reconcile_activity,
    reconcile_cluster_buys,
    superseded_in_activity,
    superseded_in_effective,
)
from form4_assets.aggregates.net_selling_check import reconcile_net_selling
from form4_assets.warehouse.engine import create_schema, make_engine
from form4_assets.warehouse.schema import TABLES
from form4_assets_tests.aggregates_support import build_all, load_bulk_corpus


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def loaded(request: pytest.FixtureRequest, corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory, new_warehouse_url):
    """The corpus loaded and aggregated once per backend (about 200 filing dates)."""
    url = new_warehouse_url(request.param, tmp_path_factory.mktemp("corpus"), "corpus")
    engine = make_engine(url)
    create_schema(engine)
    dates = load_bulk_corpus(engine, corpus_dir / "bulk")
    build_all(engine, dates)
    yield engine, dates
    engine.dispose()


def test_real_documents_satisfy_every_aggregate_invariant(loaded) -> None:
    engine, dates = loaded
    with engine.connect() as conn:
        for check in (reconcile_activity, superseded_in_effective, superseded_in_activity, cofilers_counted_once,
                      reconcile_cluster_buys, reconcile_net_selling):
            finding = check(conn, dates)
            assert finding.passed and finding.checked > 0, (check.__name__, finding.examples[:5])


def test_real_joint_filings_and_pre_flag_10b5_1_footnotes(loaded) -> None:
    engine, _ = loaded
    et, nd, own, fn, sub = (TABLES[n] for n in ("effective_transactions", "nonderiv_trans", "reporting_owner", "footnotes", "submission"))
    with engine.connect() as conn:
        # One effective row per transaction row, however many owners signed the document.
        assert conn.execute(sa.select(sa.func.count()).select_from(et)).scalar_one() == sum(
            conn.execute(sa.select(sa.func.count()).select_from(TABLES[t])).scalar_one() for t in ("nonderiv_trans", "deriv_trans")
        )
        joint = conn.execute(
            sa.select(own.c.ACCESSION_NUMBER).group_by(own.c.ACCESSION_NUMBER).having(sa.func.count() > 1)
        ).scalars().all()
        assert joint, "the corpus has joint filings"
        co_filed = conn.execute(sa.select(et.c.ACCESSION_NUMBER, et.c.CO_FILERS).where(et.c.ACCESSION_NUMBER.in_(joint))).all()
        assert co_filed and all(c for _, c in co_filed)
        # Sales in documents without the aff10b5One flag count as planned exactly when a
        # footnote bound to one of the row's fields cites Rule 10b5-1 (a plain substring test here).
        notes = {(r.ACCESSION_NUMBER, r.FOOTNOTE_ID): r.FOOTNOTE_TXT or "" for r in conn.execute(sa.select(fn))}
        unflagged = set(conn.execute(sa.select(sub.c.ACCESSION_NUMBER).where(sub.c.AFF10B5ONE.is_(None))).scalars())
        cited = set()
        for row in conn.execute(sa.select(nd).where(nd.c.TRANS_CODE == "S")).mappings():
            if row["ACCESSION_NUMBER"] not in unflagged:
                continue
            ids = {i.strip() for k, v in row.items() if k.endswith("_FN") and v for i in v.split(",")}
            if any("10b5-1" in notes.get((row["ACCESSION_NUMBER"], i), "").lower() for i in ids):
                cited.add((row["ACCESSION_NUMBER"], row["NONDERIV_TRANS_SK"]))
        planned = set(tuple(row) for row in conn.execute(
            sa.select(et.c.ACCESSION_NUMBER, et.c.TRANS_SK).where(
                et.c.TRANS_TABLE == "nonderiv", et.c.TRANS_CODE == "S", et.c.PLAN_EVIDENCE == "row_footnote")
        ))
        assert cited and planned == cited
