"""The aggregates end to end: a generated mirror through the whole Dagster graph in one run.

Expected figures are computed here from the generator's manifest (what it wrote, which
filing each amendment corrects, each row's 10b5-1 status and owners), never from the
warehouse, and compared exactly: shares as Decimals, dollars to the cent.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterator
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import sqlalchemy as sa

from form4_assets.defs.resources import EdgarSourceResource, WarehouseResource
from form4_assets.runs import run_daily_job
from form4_assets.synthetic.mirror import make_mirror
from form4_assets.warehouse.engine import make_engine
from form4_assets.warehouse.schema import TABLES

FIRST, LAST = dt.date(2023, 10, 30), dt.date(2023, 11, 14)
SEED_DAY = dt.date(2023, 11, 8)
NLY = "0001043219"
#: TRANS_DOLLARS: shares × price to 4 places, half-even (the one rounding in the aggregates).
DOLLAR_PLACES = Decimal("0.0001")
AGGREGATES = ("supersessions", "effective_transactions", "issuer_daily_activity", "net_insider_selling", "cluster_buys")


# --------------------------------------------------------------------------- expectations from the manifest


def effective_records(manifest: list[dict], as_of: dt.date) -> list[dict]:
    """Filings that count as of `as_of`: filed by then, parsable, not amended by then."""
    filed = {r["accession"]: r for r in manifest if dt.date.fromisoformat(r["filing_date"]) <= as_of}
    out = []
    for r in filed.values():
        if r["broken"]:
            continue
        amended_by = r["amended_by"]
        if amended_by in filed:
            continue
        out.append(r)
    return out


def role(owner: dict) -> str:
    if owner["is_officer"]:
        return "OFFICER"
    if owner["is_director"]:
        return "DIRECTOR"
    if owner["is_ten_pct"]:
        return "TEN_PCT_OWNER"
    return "OTHER"


def dollars(shares: Decimal, price: str | None) -> Decimal:
    return (shares * Decimal(price or 0)).quantize(DOLLAR_PLACES, rounding=ROUND_HALF_EVEN)


def expected_days(manifest: list[dict], as_of: dt.date) -> dict[tuple[str, dt.date], dict[str, Any]]:
    """Issuer-day figures as of `as_of`, from the manifest's rows."""
    days: dict[tuple[str, dt.date], dict[str, Any]] = defaultdict(lambda: defaultdict(Decimal))
    people: dict[tuple[str, dt.date, str], set[str]] = defaultdict(set)
    for record in effective_records(manifest, as_of):
        first = record["owners"][0]
        for row in record["rows"]:
            if row["table"] != "nonderiv_trans" or not row["trans_date"]:
                continue
            key = (record["issuer"]["cik"], dt.date.fromisoformat(row["trans_date"]))
            day = days[key]
            shares = Decimal(row["shares"])
            code = row["code"]
            if code in ("P", "S"):
                side = "BUY" if code == "P" else "SELL"
                value = dollars(shares, row["price"]) if row["price"] is not None else None
                plan = "PLAN" if row["is_10b5_1"] else "DISCRETIONARY"
                for suffix in ("", f"_{plan}", f"_{role(first)}"):
                    day[f"{side}_SHARES{suffix}"] += shares
                    day[f"{side}_DOLLARS{suffix}"] += value or 0
                day[f"{side}_ROWS"] += 1
                day[f"{side}_ROWS_NO_PRICE"] += value is None
                people[(*key, side)].add(first["cik"])
            elif code in ("M", "X", "C"):
                day["EXERCISE_SHARES"] += shares
            elif code == "A":
                day["AWARD_SHARES"] += shares
            elif code == "F":
                day["TAX_WITHHOLDING_SHARES"] += shares
            elif code == "G":
                day["GIFT_SHARES_GIVEN" if row["acquired_disposed"] == "D" else "GIFT_SHARES_RECEIVED"] += shares
            day["TRANSACTION_ROWS"] += 1
    for (issuer, date, side), who in people.items():
        days[(issuer, date)]["BUYERS" if side == "BUY" else "SELLERS"] = Decimal(len(who))
    return days


# --------------------------------------------------------------------------- the run


@pytest.fixture(scope="module")
def manifest_and_root(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict], Path]:
    root = tmp_path_factory.mktemp("aggmirror") / "mirror"
    manifest = make_mirror(root, FIRST, LAST, per_day=40)
    return [json.loads(line) for line in manifest.read_text().splitlines()], root


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def pipeline(request: pytest.FixtureRequest, manifest_and_root, tmp_path_factory: pytest.TempPathFactory, new_warehouse_url) -> Iterator[dict[str, Any]]:
    """The whole graph over FIRST..LAST in one run, on SQLite or PostgreSQL."""
    manifest, root = manifest_and_root
    base = tmp_path_factory.mktemp(f"agg_{request.param}")
    url = new_warehouse_url(request.param, base, "agg")
    warehouse = WarehouseResource(url=url, data_dir=str(base / "data"))
    edgar = EdgarSourceResource(mirror_dir=str(root))
    result = run_daily_job(FIRST.isoformat(), LAST.isoformat(), warehouse=warehouse, edgar=edgar,
                           instance=dg.DagsterInstance.ephemeral())
    assert result.success
    engine = make_engine(url)
    yield {"manifest": manifest, "engine": engine, "result": result, "warehouse": warehouse, "edgar": edgar, "base": base}
    engine.dispose()


def rows(engine: sa.Engine, name: str, *where: Any) -> list[dict[str, Any]]:
    t = TABLES[name]
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(t).where(*(w(t) for w in where)).order_by(*t.primary_key.columns)).mappings()]


def latest_days(engine: sa.Engine, as_of: dt.date) -> dict[tuple[str, dt.date], dict[str, Any]]:
    latest: dict[tuple[str, dt.date], dict[str, Any]] = {}
    for r in rows(engine, "issuer_daily_activity", lambda t: t.c.FILING_DATE <= as_of):
        latest[(r["ISSUERCIK"], r["TRANS_DATE"])] = r  # ordered by FILING_DATE first: the last one wins
    return latest


COMPARED = [
    *(f"{side}_{what}{suffix}" for side in ("BUY", "SELL") for what in ("SHARES", "DOLLARS")
      for suffix in ("", "_PLAN", "_DISCRETIONARY", "_OFFICER", "_DIRECTOR", "_TEN_PCT_OWNER", "_OTHER")),
    "BUY_ROWS", "SELL_ROWS", "BUY_ROWS_NO_PRICE", "SELL_ROWS_NO_PRICE", "BUYERS", "SELLERS", "EXERCISE_SHARES",
    "AWARD_SHARES", "TAX_WITHHOLDING_SHARES", "GIFT_SHARES_GIVEN", "GIFT_SHARES_RECEIVED", "TRANSACTION_ROWS",
]


def normal(column: str, value: Any) -> Decimal:
    """Exact: Decimal(float) keeps every binary digit, so float noise shows as a mismatch."""
    return Decimal(value or 0)


# --------------------------------------------------------------------------- tests


def test_issuer_days_match_the_manifest_as_of_each_date(pipeline) -> None:
    manifest, engine = pipeline["manifest"], pipeline["engine"]
    amendments = [r for r in manifest if r["amends"]]
    later = [a for a in amendments if a["filing_date"] > next(r for r in manifest if r["accession"] == a["amends"])["filing_date"]]
    assert any(r["table"] == "nonderiv_trans" for a in later for r in a["rows"]), "no amendment of trades in a later partition"
    for as_of in (dt.date(2023, 11, 3), SEED_DAY, LAST):
        expected = expected_days(manifest, as_of)
        got = latest_days(engine, as_of)
        assert set(got) >= set(expected)
        for key, row in got.items():
            want = expected.get(key, {})
            for column in COMPARED:
                assert normal(column, row[column]) == normal(column, want.get(column)), (as_of, key, column)


def test_net_selling_windows_match_the_manifest(pipeline) -> None:
    manifest, engine = pipeline["manifest"], pipeline["engine"]
    for as_of in (SEED_DAY, LAST):
        days = expected_days(manifest, as_of)
        want: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        for (issuer, date), d in days.items():
            for window in (30, 90):
                if as_of - dt.timedelta(days=window - 1) <= date <= as_of:
                    w = f"{window}D"
                    want[issuer][f"NET_SELL_SHARES_{w}"] += d["SELL_SHARES"] - d["BUY_SHARES"]
                    want[issuer][f"NET_SELL_DOLLARS_{w}"] += d["SELL_DOLLARS"] - d["BUY_DOLLARS"]
                    want[issuer][f"NET_SELL_DOLLARS_DISCRETIONARY_{w}"] += d["SELL_DOLLARS_DISCRETIONARY"] - d["BUY_DOLLARS_DISCRETIONARY"]
                    want[issuer][f"rows_{w}"] += d["BUY_ROWS"] + d["SELL_ROWS"]
        got = {r["ISSUERCIK"]: r for r in rows(engine, "net_insider_selling", lambda t: t.c.FILING_DATE == as_of)}
        assert set(got) == {i for i, w in want.items() if w["rows_90D"] > 0}
        for issuer, row in got.items():
            for column, value in want[issuer].items():
                if not column.startswith("rows"):
                    assert normal(column, row[column]) == normal(column, value), (as_of, issuer, column)


def test_net_selling_carried_through_the_run_equals_each_date_computed_alone(pipeline) -> None:
    """The run's sweep carries each issuer's window from date to date; a fresh sweep of any one
    date (a one-partition re-materialization) must give exactly the rows the run wrote."""
    from form4_assets.aggregates.net_selling import NetSellingSweep

    engine = pipeline["engine"]
    with engine.connect() as conn:
        dates = sorted({r["FILING_DATE"] for r in rows(engine, "net_insider_selling")})
        assert len(dates) > 5
        for day in dates:
            alone = NetSellingSweep(last=day).rows_for(conn, day)
            written = rows(engine, "net_insider_selling", lambda t, day=day: t.c.FILING_DATE == day)
            assert alone == written, day


def test_seed_nly_net_selling_on_2023_11_06(pipeline) -> None:
    engine = pipeline["engine"]
    day = latest_days(engine, LAST)[(NLY, dt.date(2023, 11, 6))]
    assert (day["NET_SELL_SHARES"], day["NET_SELL_DOLLARS"]) == (Decimal("50000"), Decimal("852000"))
    assert day["SELL_SHARES_PLAN"] == Decimal("50000") and day["SELL_SHARES_DISCRETIONARY"] == 0
    assert day["SELL_SHARES_OFFICER"] == Decimal("50000") and day["SELLERS"] == 1 and day["ISSUERTRADINGSYMBOL"] == "NLY"
    [trade] = rows(engine, "effective_transactions", lambda t: t.c.ISSUERCIK == NLY)
    assert (trade["IS_OFFICER"], trade["IS_DIRECTOR"], trade["IS_TEN_PCT_OWNER"], trade["ROLE"]) == (True, True, False, "OFFICER")
    assert (trade["PLAN_10B5_1"], trade["PLAN_EVIDENCE"], trade["RPTOWNERNAME"]) == (True, "flag", "Finkelstein David L")
    [net] = rows(engine, "net_insider_selling", lambda t: t.c.FILING_DATE == SEED_DAY, lambda t: t.c.ISSUERCIK == NLY)
    assert (net["NET_SELL_SHARES_30D"], net["NET_SELL_DOLLARS_30D"]) == (Decimal("50000"), Decimal("852000.00"))
    assert net["NET_SELL_DOLLARS_DISCRETIONARY_30D"] == 0 and net["ISSUERNAME"] == "ANNALY CAPITAL MANAGEMENT INC"


def test_amendments_joint_filings_and_exercises(pipeline) -> None:
    manifest, engine = pipeline["manifest"], pipeline["engine"]
    links = {r["AMENDMENT_ACCESSION"]: r for r in rows(engine, "supersessions")}
    amendments = [r for r in manifest if r["amends"]]
    assert amendments
    for a in amendments:
        link = links[a["accession"]]
        assert (link["SUPERSEDED_ACCESSION"], link["MATCH_RULE"]) == (a["amends"], "period_and_orig_date")
    effective = rows(engine, "effective_transactions")
    by_accession = defaultdict(list)
    for r in effective:
        by_accession[r["ACCESSION_NUMBER"]].append(r)
    joint = [r for r in manifest if r["joint"] and not r["broken"] and r["rows"] and any(x["table"].endswith("trans") for x in r["rows"])]
    assert joint, "the mirror has no joint filing with transactions"
    for record in joint:
        got = by_accession[record["accession"]]
        assert len(got) == sum(1 for x in record["rows"] if x["table"].endswith("trans"))
        others = ",".join(o["cik"] for o in record["owners"][1:])
        assert {(r["RPTOWNERCIK"], r["CO_FILERS"]) for r in got} == {(record["owners"][0]["cik"], others)}
    pairs = [r for r in manifest if {"M", "S"} <= {x["code"] for x in r["rows"] if x["table"] == "nonderiv_trans"}]
    assert pairs, "the mirror has no exercise-and-sale filing"
    for record in pairs:
        activity = {r["TRANS_CODE"]: r["ACTIVITY"] for r in by_accession.get(record["accession"], [])}
        if activity:
            assert activity["M"] == "exercise" and activity["S"] == "sale"


def test_checks_pass_and_metadata_is_attached(pipeline) -> None:
    result = pipeline["result"]
    evaluations: dict[tuple[str, str], list[dg.AssetCheckEvaluation]] = {}
    for e in result.get_asset_check_evaluations():
        evaluations.setdefault((e.asset_key.to_user_string(), e.check_name), []).append(e)
    for key in [("effective_transactions", "superseded_rows_excluded"), ("effective_transactions", "cofilers_counted_once"),
                ("issuer_daily_activity", "reconciles_with_effective_transactions"),
                ("issuer_daily_activity", "no_superseded_filing_counted"),
                ("net_insider_selling", "reconciles_with_issuer_daily_activity")]:
        assert all(e.passed for e in evaluations[key]), [e.metadata for e in evaluations[key] if not e.passed]
        assert sum(e.metadata["checked"].value for e in evaluations[key]) > 0
    metadata = {(e.asset_key.to_user_string(), e.partition): e.materialization.metadata
                for e in result.get_asset_materialization_events()}
    net = metadata[("net_insider_selling", LAST.isoformat())]
    top = net["top_net_sellers_and_buyers"].value
    [leader] = rows(pipeline["engine"], "net_insider_selling", lambda t: t.c.FILING_DATE == LAST,
                    lambda t: t.c.NET_SELL_DOLLARS_30D == sa.select(sa.func.max(t.c.NET_SELL_DOLLARS_30D)).where(t.c.FILING_DATE == LAST).scalar_subquery())
    assert f"| {leader['ISSUERTRADINGSYMBOL']} |" in top.split("### Top")[1]
    assert net["net_selling_plot"].value.startswith("![30-day net insider selling")
    assert "](data:image/png;base64," in net["net_selling_plot"].value
    assert net["net_selling_overview"].value.startswith("![30-day net insider selling")
    png = Path(net["net_selling_plot_path"].value)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.is_relative_to(pipeline["base"])
    earlier = [p for a, p in metadata if a == "net_insider_selling" and p != LAST.isoformat()]
    assert earlier and all("net_selling_plot" not in metadata[("net_insider_selling", p)] for p in earlier)
    for (name, partition), meta in metadata.items():
        if name not in ("effective_transactions", "issuer_daily_activity", "net_insider_selling", "cluster_buys"):
            continue
        day = dt.date.fromisoformat(partition)
        on_day = rows(pipeline["engine"], name, lambda t, day=day: t.c.FILING_DATE == day)
        assert meta["dagster/row_count"].value == len(on_day), (name, partition)
        assert {c.name for c in meta["dagster/column_schema"].schema.columns} == set(TABLES[name].columns.keys())
    assert sum(meta["row_count/supersessions"].value for (a, _), meta in metadata.items()
               if a == "effective_transactions") == len(rows(pipeline["engine"], "supersessions"))
    clusters = metadata[("cluster_buys", LAST.isoformat())]["clusters"].value
    assert clusters.startswith(f"### Cluster buys as of {LAST}")


def test_aggregates_are_exact_and_net_is_sell_minus_buy_in_every_row(pipeline) -> None:
    """Issue 14, finding 8: every window figure is the exact sum of the day rows it covers
    (no rounding to cents after summing), and NET = SELL − BUY in every row, Decimal-equal."""
    engine = pipeline["engine"]
    days = rows(engine, "issuer_daily_activity")
    assert days and all(isinstance(r["SELL_DOLLARS"], Decimal) for r in days)
    for r in days:
        assert r["NET_SELL_SHARES"] == r["SELL_SHARES"] - r["BUY_SHARES"], r
        assert r["NET_SELL_DOLLARS"] == r["SELL_DOLLARS"] - r["BUY_DOLLARS"], r
    windows = rows(engine, "net_insider_selling")
    sub_cent = 0
    for as_of in sorted({r["FILING_DATE"] for r in windows}):
        latest = latest_days(engine, as_of)
        for w in (r for r in windows if r["FILING_DATE"] == as_of):
            for span in (30, 90):
                covered = [d for (issuer, date), d in latest.items()
                           if issuer == w["ISSUERCIK"] and as_of - dt.timedelta(days=span - 1) <= date <= as_of]
                for unit in ("SHARES", "DOLLARS"):
                    sell, buy = (sum((d[f"{side}_{unit}"] for d in covered), Decimal(0)) for side in ("SELL", "BUY"))
                    assert (w[f"SELL_{unit}_{span}D"], w[f"BUY_{unit}_{span}D"]) == (sell, buy), (as_of, w["ISSUERCIK"])
                    assert w[f"NET_SELL_{unit}_{span}D"] == sell - buy, (as_of, w["ISSUERCIK"], unit, span)
                    sub_cent += (sell - buy) != (sell - buy).quantize(Decimal("0.01"))
    assert sub_cent > 0, "no window with fractions of a cent: the comparison above could not see cent rounding"
    checks = {e.check_name: e for e in pipeline["result"].get_asset_check_evaluations()}
    assert checks["reconciles_with_issuer_daily_activity"].passed


def test_rematerializing_a_day_changes_nothing(pipeline) -> None:
    engine = pipeline["engine"]
    before = {name: rows(engine, name) for name in AGGREGATES}
    result = run_daily_job(SEED_DAY.isoformat(), SEED_DAY.isoformat(), warehouse=pipeline["warehouse"],
                           edgar=pipeline["edgar"], instance=dg.DagsterInstance.ephemeral())
    assert result.success
    assert {name: rows(engine, name) for name in AGGREGATES} == before


def test_cluster_buys_match_the_manifest(pipeline) -> None:
    manifest, engine = pipeline["manifest"], pipeline["engine"]
    seen = 0
    for as_of in sorted({dt.date.fromisoformat(r["filing_date"]) for r in manifest}):
        buys: dict[str, dict[str, list[Decimal]]] = defaultdict(lambda: defaultdict(lambda: [Decimal(0), Decimal(0)]))
        for record in effective_records(manifest, as_of):
            for row in record["rows"]:
                if row["table"] == "nonderiv_trans" and row["code"] == "P":
                    if as_of - dt.timedelta(days=9) <= dt.date.fromisoformat(row["trans_date"]) <= as_of:
                        amounts = buys[record["issuer"]["cik"]][record["owners"][0]["cik"]]
                        amounts[0] += Decimal(row["shares"])
                        amounts[1] += dollars(Decimal(row["shares"]), row["price"])
        want = {(issuer, owner): (a[0], a[1], len(owners))
                for issuer, owners in buys.items() if len(owners) >= 3 for owner, a in owners.items()}
        got = {(r["ISSUERCIK"], r["RPTOWNERCIK"]): (r["BUY_SHARES"], r["BUY_DOLLARS"], r["CLUSTER_INSIDERS"])
               for r in rows(engine, "cluster_buys", lambda t: t.c.FILING_DATE == as_of)}
        assert got == want, as_of
        seen += len(got)
    assert seen > 0, "no cluster buy in the mirror: the comparison above proved nothing"


def test_aggregate_assets_declare_schema_lineage_and_single_run_backfills() -> None:
    from form4_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    for name, upstream in [("effective_transactions", {"transactions", "ownership_documents", "sec_form345"}),
                           ("issuer_daily_activity", {"effective_transactions"}),
                           ("net_insider_selling", {"issuer_daily_activity"}), ("cluster_buys", {"effective_transactions"})]:
        node = graph.get(dg.AssetKey(name))
        assert {k.to_user_string() for k in node.parent_keys} == upstream
        assert node.group_name == "aggregates" and node.backfill_policy == dg.BackfillPolicy.single_run()
        assert node.partitions_def is not None
        meta = node.metadata
        columns = {c.name for c in meta["dagster/column_schema"].columns}
        assert columns == set(TABLES[name].columns.keys())
        lineage = meta["dagster/column_lineage"].deps_by_column
        assert set(lineage) <= columns and lineage
        assert {d.asset_key.to_user_string() for deps in lineage.values() for d in deps} == upstream
    lineage = graph.get(dg.AssetKey("issuer_daily_activity")).metadata["dagster/column_lineage"].deps_by_column
    assert {(d.asset_key.to_user_string(), d.column_name) for d in lineage["SELL_DOLLARS_PLAN"]} == {
        ("effective_transactions", "TRANS_DOLLARS"), ("effective_transactions", "ACTIVITY"), ("effective_transactions", "PLAN_10B5_1")}


def _number(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).normalize()


def _by_accession(engine: sa.Engine, name: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows(engine, name):  # in key order: accession, then row position
        out[r["ACCESSION_NUMBER"]].append(r)
    return out


def test_every_parsed_table_matches_the_manifest(pipeline) -> None:
    """A scaled-down year (the fixture's business days, one run): every table the parse step
    writes holds exactly what the generator says it wrote, filing by filing and row by row."""
    manifest, engine = pipeline["manifest"], pipeline["engine"]
    records = {r["accession"]: r for r in manifest}
    raw = {r["ACCESSION_NUMBER"]: r for r in rows(engine, "raw_filings")}
    assert set(raw) == set(records)  # each filing once, though the index lists it under ~2 CIKs
    for acc, r in raw.items():
        rec = records[acc]
        assert (r["FILING_DATE"].isoformat(), r["CIK"], r["FORM_TYPE"], r["SHA256"], r["SIZE_BYTES"]) == \
            (rec["filing_date"], rec["index_cik"], rec["form_type"], rec["sha256"], rec["size"])
    assert {r["ACCESSION_NUMBER"] for r in rows(engine, "quarantine")} == {a for a, r in records.items() if r["broken"]}
    parsed = {a: r for a, r in records.items() if not r["broken"]}
    submissions = {r["ACCESSION_NUMBER"]: r for r in rows(engine, "submission")}
    assert set(submissions) == set(parsed)
    headers = {r["ACCESSION_NUMBER"]: r for r in rows(engine, "filing_headers")}
    # Every generated filing's SEC header is readable (a broken one is broken in its XML or
    # its body), so quarantined filings keep their header and its parties too.
    assert set(headers) == set(records)
    owners, parties = _by_accession(engine, "reporting_owner"), _by_accession(engine, "header_parties")
    for acc, rec in records.items():
        assert sorted(p["CIK"] for p in parties[acc]) == sorted([rec["issuer"]["cik"], *(o["cik"] for o in rec["owners"])])
    notes, signatures = _by_accession(engine, "footnotes"), _by_accession(engine, "owner_signature")
    tables = {name: _by_accession(engine, name)
              for name in ("nonderiv_trans", "deriv_trans", "nonderiv_holding", "deriv_holding")}
    for acc, rec in parsed.items():
        s = submissions[acc]
        assert (s["DOCUMENT_TYPE"], s["ISSUERCIK"], s["ISSUERTRADINGSYMBOL"], s["PERIOD_OF_REPORT"].isoformat()) == \
            (rec["form_type"], rec["issuer"]["cik"], rec["issuer"]["ticker"], rec["period"]), acc
        assert headers[acc]["CONTAINER"] == rec["container"]
        assert [o["RPTOWNERCIK"] for o in owners[acc]] == [o["cik"] for o in rec["owners"]]
        assert {n["FOOTNOTE_ID"]: n["FOOTNOTE_TXT"] for n in notes[acc]} == rec["footnotes"]
        assert signatures[acc], acc
        for name, found in tables.items():
            sk = f"{name.upper()}_SK"
            want = [x for x in rec["rows"] if x["table"] == name]
            got = found.get(acc, [])
            assert [g[sk] for g in got] == [x["sk"] for x in want], (acc, name)
            for g, x in zip(got, want):
                assert g["SECURITY_TITLE"] == x["security"] and g["DIRECT_INDIRECT_OWNERSHIP"] == x["direct_indirect"]
                assert _number(g["SHRS_OWND_FOLWNG_TRANS"]) == _number(x["shares_following"]), (acc, name, x["sk"])
                if name.endswith("trans"):
                    assert (g["TRANS_CODE"], g["TRANS_ACQUIRED_DISP_CD"]) == (x["code"], x["acquired_disposed"])
                    assert _number(g["TRANS_SHARES"]) == _number(x["shares"])
                    assert _number(g["TRANS_PRICEPERSHARE"]) == _number(x["price"])
                    assert g["TRANS_DATE"].isoformat() == x["trans_date"]
    for name, found in tables.items():  # nothing for a broken filing, nothing made up
        assert set(found) <= set(parsed), name
