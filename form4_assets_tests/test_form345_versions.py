"""The data-set import records its partitions like every write, so what was built from them goes stale.

The aggregates of a date without fetched filings are built from the sec_* rows; a re-import
that changes those rows must mark them (and what is downstream of them) stale, so the remedy
re-materializes them, and a re-import of the same file must change nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import dagster as dg
import sqlalchemy as sa

from form4_assets.aggregates.staleness import stale_partitions
from form4_assets.defs.resources import EdgarSourceResource, WarehouseResource
from form4_assets.runs import import_form345, refresh_stale_aggregates
from form4_assets.warehouse.engine import make_engine
from form4_assets.warehouse.schema import PARTITION_VERSIONS_TABLE, TABLES

SUB_HEADER = "ACCESSION_NUMBER\tFILING_DATE\tPERIOD_OF_REPORT\tDOCUMENT_TYPE\tISSUERCIK\tISSUERNAME\tISSUERTRADINGSYMBOL"
OWNER_HEADER = "ACCESSION_NUMBER\tRPTOWNERCIK\tRPTOWNERNAME\tRPTOWNER_RELATIONSHIP"
TRANS_HEADER = ("ACCESSION_NUMBER\tNONDERIV_TRANS_SK\tSECURITY_TITLE\tTRANS_DATE\tTRANS_CODE\tTRANS_SHARES\t"
                "TRANS_PRICEPERSHARE\tTRANS_ACQUIRED_DISP_CD\tSHRS_OWND_FOLWNG_TRANS\tDIRECT_INDIRECT_OWNERSHIP")


def _write(directory: Path, first_shares: str) -> Path:
    """Two purchases by one director, filed on 2024-08-01 and 2024-08-02."""
    directory.mkdir(parents=True, exist_ok=True)
    filings = (("0000000001-24-000001", "01-AUG-2024", "31-JUL-2024", first_shares),
               ("0000000001-24-000002", "02-AUG-2024", "01-AUG-2024", "50.0"))
    (directory / "SUBMISSION.tsv").write_text("\n".join(
        [SUB_HEADER] + [f"{acc}\t{filed}\t{traded}\t4\t0000000042\tAcme\tACME" for acc, filed, traded, _ in filings]) + "\n")
    (directory / "REPORTINGOWNER.tsv").write_text("\n".join(
        [OWNER_HEADER] + [f"{acc}\t0000000101\tDoe Jane\tDirector" for acc, *_ in filings]) + "\n")
    (directory / "NONDERIV_TRANS.tsv").write_text("\n".join(
        [TRANS_HEADER] + [f"{acc}\t{n}\tCommon Stock\t{traded}\tP\t{shares}\t10.0\tA\t{shares}\tD"
                          for n, (acc, _, traded, shares) in enumerate(filings, 1)]) + "\n")
    return directory


def _versions(engine: sa.Engine) -> dict[tuple[str, dt.date], tuple[int, str | None]]:
    v = PARTITION_VERSIONS_TABLE
    with engine.connect() as conn:
        return {(r.TABLE_NAME, r.FILING_DATE): (r.CHANGED_SEQ, r.DIGEST) for r in conn.execute(sa.select(v))}


def _stale(engine: sa.Engine) -> dict[str, list[dt.date]]:
    with engine.connect() as conn:
        return {name: [s.filing_date for s in found] for name, found in stale_partitions(conn).items() if found}


def _bought(engine: sa.Engine, day: dt.date) -> Decimal:
    activity = TABLES["issuer_daily_activity"]
    with engine.connect() as conn:
        return conn.execute(sa.select(activity.c.BUY_SHARES).where(
            activity.c.FILING_DATE == day, activity.c.TRANS_DATE == dt.date(2024, 7, 31))).scalar_one()


def test_a_changed_reimport_makes_the_aggregates_stale_and_an_unchanged_one_changes_nothing(
    tmp_path: Path, warehouse_url: str
) -> None:
    dataset = _write(tmp_path / "2024q3_form345", "100.0")
    warehouse = WarehouseResource(url=warehouse_url)
    instance = dg.DagsterInstance.ephemeral()

    def run(aggregates: bool) -> None:
        result, _ = import_form345([dataset], warehouse=warehouse, instance=instance, aggregates=aggregates)
        assert result is not None and result.success

    run(aggregates=True)
    engine = make_engine(warehouse_url)
    try:
        day1 = dt.date(2024, 8, 1)
        versions = _versions(engine)
        assert {name for name, _ in versions} >= {"sec_submission", "sec_reportingowner", "sec_nonderiv_trans",
                                                  "effective_transactions", "insider_signals"}
        assert _stale(engine) == {}
        assert _bought(engine, day1) == Decimal(100)

        run(aggregates=False)  # the same file again: no partition changed, nothing is stale
        assert {k: seq for k, (seq, _) in _versions(engine).items()} == {k: seq for k, (seq, _) in versions.items()}
        assert _stale(engine) == {}

        _write(dataset, "300.0")  # the SEC corrects the first filing's shares
        run(aggregates=False)
        changed = {(name, day) for (name, day), (seq, _) in _versions(engine).items() if seq != versions[(name, day)][0]}
        assert ("sec_nonderiv_trans", day1) in changed  # a changed data set changes every partition it fills
        assert all(name.startswith("sec_") for name, _ in changed)
        stale = _stale(engine)
        for name in ("effective_transactions", "issuer_daily_activity", "net_insider_selling", "cluster_buys",
                     "filing_timeliness", "trading_plans", "insider_patterns", "insider_signals"):
            assert stale[name] == [day1, dt.date(2024, 8, 2)], name  # 08-02 reads 08-01 too
        assert _bought(engine, day1) == Decimal(100)  # not yet re-materialized

        result = refresh_stale_aggregates(warehouse=warehouse, edgar=EdgarSourceResource(), instance=instance)
        assert result is not None and result.success
        assert _stale(engine) == {}
        assert _bought(engine, day1) == Decimal(300)
    finally:
        engine.dispose()
