"""Row-level lineage: `form4-assets explain` on a warehouse built by the real asset graph.

The warehouse is materialized from a generated mirror (with the real seed filing on
2023-11-08) by the project's own job, in one single-run range, so every stage — raw
bytes, header, document, transactions, effective transactions, issuer-day activity —
is what a user would have. The expected values come from the seed filing and from the
generator's manifest, never from the code under test.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from form4_assets.cli import main
from form4_assets.explain import explain
from form4_assets.warehouse.engine import make_engine

SEED_ACCESSION = "0001628280-23-037880"
FIRST_DAY, LAST_DAY = dt.date(2023, 11, 6), dt.date(2023, 11, 10)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A SQLite warehouse holding 2023-11-06..10 of a generated mirror, and that mirror."""
    import dagster as dg

    from form4_assets.definitions import defs
    from form4_assets.synthetic.mirror import make_mirror

    root = tmp_path_factory.mktemp("lineage")
    mirror = root / "mirror"
    manifest = make_mirror(mirror, FIRST_DAY, LAST_DAY, per_day=20)
    url = f"sqlite:///{root / 'warehouse.sqlite'}"
    run_config = {
        "resources": {
            "warehouse": {"config": {"url": url}},
            "edgar": {"config": {"mode": "mirror", "mirror_dir": str(mirror)}},
        }
    }
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("daily_filings_job").execute_in_process(
            run_config=run_config,
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": FIRST_DAY.isoformat(),
                "dagster/asset_partition_range_end": LAST_DAY.isoformat(),
            },
        )
        assert result.success
    entries = [json.loads(line) for line in manifest.read_text().splitlines() if line.strip()]
    yield {"url": url, "mirror": mirror, "manifest": {e["accession"]: e for e in entries}}


def _explain_cli(url: str, issuer: str, day: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["explain", issuer, day, "--warehouse-url", url])
    return code, out.getvalue()


def test_explain_seed_prints_the_chain_down_to_verified_bytes(built: dict, seed_bytes: bytes) -> None:
    code, text = _explain_cli(built["url"], "NLY", "2023-11-06")
    assert code == 0, text
    seed_sha = hashlib.sha256(seed_bytes).hexdigest()
    # aggregate -> transactions -> document -> header -> raw file, in that order
    positions = [
        text.index("issuer_daily_activity"),
        text.index(f"accession {SEED_ACCESSION}"),
        text.index("code=S D shares=50000 price=17.04 owned_after=545259"),
        text.index("RPTOWNERNAME=Finkelstein David L  RPTOWNER_RELATIONSHIP=Director,Officer  RPTOWNER_TITLE=CEO and CIO"),
        text.index("CONFORMED_SUBMISSION_TYPE=4"),
        text.index(f"SHA256={seed_sha}  re-hashed: verified"),
    ]
    assert positions == sorted(positions), text
    assert "ACCEPTANCE_DATETIME=2023-11-08 16:28:09" in text
    assert "[effective]" in text
    assert "SELL_SHARES=50000" in text and SEED_ACCESSION in text.split("issuer_daily_activity")[1].split("accession ")[0]
    # The signals of the same rows (issue 13), built by the same run.
    assert "BUSINESS_DAYS_TO_FILE=2  DEADLINE_BUSINESS_DAYS=2  IS_LATE=no" in text
    assert "trading_plans: PLAN_STATUS=plan  PLAN_EVIDENCE=flag  ADOPTION_DATE=2023-08-02" in text
    assert "DAYS_SINCE_ADOPTION=96  COOLING_OFF_STATUS=likely_met" in text
    assert "RPTOWNERCIK=0001688537  YEAR=2023  PURCHASES_Y=0  SALES_Y=1" in text and "CLASS=unclassified" in text
    assert "insider_signals" in text and "PLAN_SALE_SHARE_90D=1" in text


def test_explain_returns_the_structured_chain_for_cik_or_ticker(built: dict, seed_bytes: bytes) -> None:
    engine = make_engine(built["url"])
    try:
        by_ticker = explain(engine, "nly", dt.date(2023, 11, 6))
        by_cik = explain(engine, "1043219", dt.date(2023, 11, 6))
        padded = explain(engine, "0001043219", dt.date(2023, 11, 6))
    finally:
        engine.dispose()
    for expl in (by_ticker, by_cik, padded):
        assert expl.issuer_ciks == ["0001043219"]
        seed = [d for d in expl.documents if d.accession == SEED_ACCESSION]
        assert len(seed) == 1
        (doc,) = seed
        (sale,) = [t for t in doc.transactions if t["TABLE"] == "nonderiv_trans"]
        assert (sale["TRANS_CODE"], sale["TRANS_SHARES"], sale["TRANS_PRICEPERSHARE"]) == ("S", Decimal(50000), Decimal("17.04"))
        assert doc.submission is not None and doc.submission["ISSUERTRADINGSYMBOL"] == "NLY"
        assert doc.header is not None and doc.header["CONFORMED_SUBMISSION_TYPE"] == "4"
        assert doc.raw is not None and doc.raw.status == "verified"
        assert doc.raw.recorded_sha256 == hashlib.sha256(seed_bytes).hexdigest()
        assert Path(doc.raw.local_path).read_bytes() == seed_bytes
        assert [r["SELL_SHARES"] for r in expl.aggregate_rows] == [sale["TRANS_SHARES"]]


def test_explain_marks_rows_an_amendment_superseded(built: dict) -> None:
    """An original filing corrected by a 4/A inside the range is shown as superseded by it."""
    manifest = built["manifest"]
    pairs = [
        (amendment, manifest[amendment["amends"]])
        for amendment in manifest.values()
        if amendment.get("amends") in manifest
        and not amendment.get("broken")
        and not manifest[amendment["amends"]].get("broken")
        and any(r.get("trans_date") for r in manifest[amendment["amends"]]["rows"])
    ]
    assert pairs, "the generated mirror should contain an amendment of a filing in range"
    amendment, original = pairs[0]
    trade_day = next(r["trans_date"] for r in original["rows"] if r.get("trans_date"))
    code, text = _explain_cli(built["url"], original["issuer"]["cik"], trade_day)
    assert code == 0, text
    block = text.split(f"accession {original['accession']}")[1].split("\naccession ")[0]
    assert f"[superseded by {amendment['accession']}]" in block, text


def test_explain_detects_changed_bytes(built: dict) -> None:
    engine = make_engine(built["url"])
    try:
        doc = next(d for d in explain(engine, "NLY", dt.date(2023, 11, 6)).documents if d.accession == SEED_ACCESSION)
    finally:
        engine.dispose()
    path = Path(doc.raw.local_path)
    original = path.read_bytes()
    try:
        path.write_bytes(original.replace(b"17.04", b"17.05"))
        code, text = _explain_cli(built["url"], "NLY", "2023-11-06")
    finally:
        path.write_bytes(original)
    assert code == 2
    assert "re-hashed: MISMATCH" in text
    assert f"file now hashes to {hashlib.sha256(original.replace(b'17.04', b'17.05')).hexdigest()}" in text


def test_explain_unknown_issuer_or_warehouse_says_so(built: dict, tmp_path: Path) -> None:
    code, text = _explain_cli(built["url"], "ZZZZZZ", "2023-11-06")
    assert code == 1
    assert "no issuer matching 'ZZZZZZ'" in text
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        code, _ = _explain_cli(f"sqlite:///{tmp_path / 'absent.sqlite'}", "NLY", "2023-11-06")
    assert code == 1
    assert "no warehouse at" in stderr.getvalue()
    assert not (tmp_path / "absent.sqlite").exists()


def test_transaction_and_aggregate_assets_declare_column_lineage() -> None:
    """dagster/column_lineage on the transaction and aggregate assets names real upstream columns."""
    import dagster as dg

    from form4_assets.definitions import defs

    graph = defs.resolve_asset_graph()

    def ancestors(key: dg.AssetKey) -> set[dg.AssetKey]:
        found, todo = set(), list(graph.get(key).parent_keys)
        while todo:
            parent = todo.pop()
            if parent not in found:
                found.add(parent)
                todo.extend(graph.get(parent).parent_keys)
        return found

    def columns_of(key: dg.AssetKey) -> set[str]:
        """Every column of every table the asset declares (dagster/column_schema, schema/<table>)."""
        schemas = [v for v in graph.get(key).metadata.values() if isinstance(v, dg.TableSchema)]
        assert schemas, key
        return {c.name for schema in schemas for c in schema.columns}

    for asset in ("transactions", "effective_transactions", "issuer_daily_activity", "filing_timeliness",
                  "trading_plans", "insider_patterns", "insider_signals"):
        node = graph.get(dg.AssetKey(asset))
        lineage = node.metadata.get("dagster/column_lineage")
        assert isinstance(lineage, dg.TableColumnLineage), (asset, sorted(node.metadata))
        assert lineage.deps_by_column, asset
        upstream = ancestors(node.key)
        for column, deps in lineage.deps_by_column.items():
            for dep in deps:
                assert dep.asset_key in upstream, (asset, column, dep)
                assert dep.column_name in columns_of(dep.asset_key), (asset, column, dep)
        schema = node.metadata["dagster/column_schema"]
        assert set(lineage.deps_by_column) <= {c.name for c in schema.columns}, asset
