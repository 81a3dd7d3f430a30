"""trade_outcomes and insider_track_records on hand-built filings and prices, on both databases.

Prices are linear (close k = 100 + k on the k-th weekday) and the benchmark flat, so
every expected return is written down from the dates alone.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from form4_assets.outcomes import reconcile
from form4_assets.outcomes.build import build_all_outcomes
from form4_assets.prices import read_prices
from form4_assets.signals.build import build_all_signals
from form4_assets_tests.aggregates_support import Filing, Owner, Trade, build_all, insert, select_all

D = Decimal
FIRST, LAST = dt.date(2024, 1, 2), dt.date(2024, 3, 29)  # the price data's span
WEEKDAYS = [FIRST + dt.timedelta(days=n) for n in range((LAST - FIRST).days + 1)
            if (FIRST + dt.timedelta(days=n)).weekday() < 5]
K = {day: k for k, day in enumerate(WEEKDAYS)}


def close(day: dt.date) -> D:
    return D(100 + K[day])


def write_prices(root: Path, skip: dict[str, set[dt.date]] | None = None) -> Path:
    """BEN flat at 50; ONE and NEWT linear; ONE lacks the days in `skip` (a gap)."""
    root.mkdir()
    (root / "BEN.csv").write_text("Date,Close\n" + "".join(f"{d},50\n" for d in WEEKDAYS))
    for ticker in ("ONE", "NEWT"):
        rows = [d for d in WEEKDAYS if d not in (skip or {}).get(ticker, set())]
        (root / f"{ticker}.csv").write_text("Date,Close\n" + "".join(f"{d},{close(d)}\n" for d in rows))
    return root


def ret(entry: dt.date, days: int) -> D:
    return (close(WEEKDAYS[K[entry] + days]) / close(entry) - 1).quantize(D("0.0001"))


def current(engine: sa.Engine, accession: str) -> dict:
    rows = select_all(engine, "trade_outcomes", ACCESSION_NUMBER=accession)
    return max(rows, key=lambda r: r["FILING_DATE"])


def _filings() -> list[Filing]:
    buyer, seller = Owner("0000000101", "Buyer One"), Owner("0000000102", "Seller Two")
    jan10 = dt.date(2024, 1, 10)
    return [
        Filing("0000000001-24-000001", jan10, owners=[buyer], trades=[Trade("P", "100", "10", dt.date(2024, 1, 8))],
               accepted=dt.datetime(2024, 1, 10, 10, 0)),
        # Accepted after the close (header time): enters at the next trading day's close.
        Filing("0000000001-24-000002", jan10, owners=[seller], trades=[Trade("S", "50", "10", dt.date(2024, 1, 9))],
               accepted=dt.datetime(2024, 1, 10, 16, 30, 5)),
        # Ticker change: filed as OLDT; the price source only knows the new symbol, which a later filing names.
        Filing("0000000002-24-000001", dt.date(2024, 1, 16), issuer="0000000002", ticker="OLDT", owners=[buyer],
               trades=[Trade("P", "10", "5", dt.date(2024, 1, 12))], accepted=dt.datetime(2024, 1, 16, 9, 0)),
        Filing("0000000002-24-000002", dt.date(2024, 2, 1), issuer="0000000002", ticker="NEWT", owners=[seller],
               trades=[Trade("P", "10", "5", dt.date(2024, 1, 30))], accepted=dt.datetime(2024, 2, 1, 9, 0)),
        # No prices for this issuer at all: a mapping miss.
        Filing("0000000003-24-000001", dt.date(2024, 1, 10), issuer="0000000003", ticker="ZZZ", owners=[buyer],
               trades=[Trade("P", "1", "1", dt.date(2024, 1, 8))], accepted=dt.datetime(2024, 1, 10, 11, 0)),
    ]


def _load(engine: sa.Engine, tmp_path: Path, through: dt.date, skip: dict | None = None) -> list[dt.date]:
    filings = _filings()
    insert(engine, *filings)
    filed = sorted({f.filed for f in filings})
    build_all(engine, filed)
    build_all_signals(engine, filed)
    dates = [d for d in (FIRST + dt.timedelta(days=n) for n in range((through - FIRST).days + 1)) if d.weekday() < 5]
    build_all_outcomes(engine, dates, read_prices(write_prices(tmp_path / "prices", skip), "BEN"))
    return dates


def test_entry_after_close_horizons_and_no_look_ahead(engine: sa.Engine, tmp_path: Path) -> None:
    dates = _load(engine, tmp_path, dt.date(2024, 4, 30))
    jan10, jan11 = dt.date(2024, 1, 10), dt.date(2024, 1, 11)
    rows = {r["FILING_DATE"]: r for r in select_all(engine, "trade_outcomes", ACCESSION_NUMBER="0000000001-24-000001")}
    # Written on the filing (= entry) day and on each horizon's exit day, nothing else.
    assert sorted(rows) == [jan10, *(WEEKDAYS[K[jan10] + h] for h in (5, 21))] + [dt.date(2024, 3, 29)] * 0
    filed = rows[jan10]
    assert (filed["ENTRY_RULE"], filed["ENTRY_DATE"], filed["ENTRY_PRICE"], filed["DAYS_AVAILABLE"]) == (
        "filing_date_close", jan10, str(close(jan10)), 0)
    assert filed["RETURN_5D"] is None and filed["EXIT_DATE_5D"] is None  # not reached as of the filing date
    five = rows[WEEKDAYS[K[jan10] + 5]]
    assert (five["RETURN_5D"], five["BENCH_RETURN_5D"], five["EXCESS_5D"], five["RETURN_21D"]) == (ret(jan10, 5), 0, ret(jan10, 5), None)
    # The horizon past the end of the price data stays empty, however late the partition.
    last = current(engine, "0000000001-24-000001")
    assert last["RETURN_21D"] == ret(jan10, 21) and last["RETURN_63D"] is None and last["EXIT_DATE_63D"] is None
    assert last["DAYS_AVAILABLE"] == 21  # its last event: the 21-day exit (63 days lie past 2024-03-29)

    after = {r["FILING_DATE"]: r for r in select_all(engine, "trade_outcomes", ACCESSION_NUMBER="0000000001-24-000002")}
    assert after[jan10]["PRICE_STATUS"] == "pending_entry" and after[jan10]["ENTRY_DATE"] is None
    assert (after[jan11]["ENTRY_RULE"], after[jan11]["ENTRY_DATE"], after[jan11]["ENTRY_PRICE"]) == (
        "after_close_next_day", jan11, str(close(jan11)))
    assert current(engine, "0000000001-24-000002")["RETURN_21D"] == ret(jan11, 21)
    with engine.connect() as conn:
        finding = reconcile.outcomes_reconcile(conn, dates, read_prices(tmp_path / "prices", "BEN"))
        assert finding.passed and finding.checked > 10, finding.examples[:3]
        assert reconcile.records_reconcile(conn, dates).passed


def test_ticker_change_and_missing_prices(engine: sa.Engine, tmp_path: Path) -> None:
    dates = _load(engine, tmp_path, dt.date(2024, 3, 29))
    jan16 = dt.date(2024, 1, 16)
    old = {r["FILING_DATE"]: r for r in select_all(engine, "trade_outcomes", ACCESSION_NUMBER="0000000002-24-000001")}
    # As of its filing, nothing names a symbol the prices have: a recorded miss.
    assert (old[jan16]["TICKER"], old[jan16]["PRICE_STATUS"]) == (None, "ticker_not_in_prices")
    # Once the issuer files as NEWT, the old trade is measured on NEWT's series, saying so.
    later = current(engine, "0000000002-24-000001")
    assert (later["TICKER"], later["TICKER_SOURCE"]) == ("NEWT", "issuer_filing 0000000002-24-000002")
    assert later["FILING_DATE"] >= dt.date(2024, 2, 1) and later["RETURN_21D"] == ret(jan16, 21)
    new = current(engine, "0000000002-24-000002")
    assert (new["TICKER"], new["TICKER_SOURCE"], new["ISSUERTRADINGSYMBOL"]) == ("NEWT", "filing", "NEWT")
    miss = select_all(engine, "trade_outcomes", ACCESSION_NUMBER="0000000003-24-000001")
    assert [(r["PRICE_STATUS"], r["TICKER"], r["RETURN_5D"]) for r in miss] == [("ticker_not_in_prices", None, None)]
    with engine.connect() as conn:
        mapped = reconcile.prices_mapped(conn, [dt.date(2024, 1, 10), jan16])
    assert not mapped.passed
    assert sorted((p["accession"], p["code"]) for p in mapped.examples) == [
        ("0000000002-24-000001", "ticker_not_in_prices"), ("0000000003-24-000001", "ticker_not_in_prices")]


def test_a_gap_on_an_exit_day_is_reported_not_filled(engine: sa.Engine, tmp_path: Path) -> None:
    jan10 = dt.date(2024, 1, 10)
    gap_day = WEEKDAYS[K[jan10] + 5]
    _load(engine, tmp_path, dt.date(2024, 2, 29), skip={"ONE": {gap_day}})
    row = next(r for r in select_all(engine, "trade_outcomes", ACCESSION_NUMBER="0000000001-24-000001")
               if r["FILING_DATE"] == gap_day)
    assert row["EXIT_DATE_5D"] == gap_day and row["RETURN_5D"] is None and row["EXCESS_5D"] is None
    assert f"gap ONE {gap_day}" in row["PRICE_ISSUES"]
    assert current(engine, "0000000001-24-000001")["RETURN_21D"] == ret(jan10, 21)


def test_track_records_by_insider_issuer_and_segment(engine: sa.Engine, tmp_path: Path) -> None:
    _load(engine, tmp_path, dt.date(2024, 3, 29))
    rows = select_all(engine, "insider_track_records", RPTOWNERCIK="0000000101")
    latest = max(r["FILING_DATE"] for r in rows)
    now = {(r["ISSUERCIK"], r["SEGMENT"]): r for r in rows if r["FILING_DATE"] == latest}
    everything = now[("ALL", "all")]
    # Three purchases (ONE, OLDT→NEWT, ZZZ without prices); the 21-day edge of the two measured ones.
    assert (everything["TRADES"], everything["PURCHASES"], everything["SALES"]) == (3, 3, 0)
    jan10, jan16 = dt.date(2024, 1, 10), dt.date(2024, 1, 16)
    edges = sorted([ret(jan10, 21), ret(jan16, 21)])
    assert everything["MEASURED_21D"] == 2 and everything["HIT_RATE_21D"] == 1
    assert everything["MEAN_EXCESS_21D"] == ((edges[0] + edges[1]) / 2).quantize(D("0.0001"))
    assert everything["MEDIAN_EXCESS_21D"] == everything["MEAN_EXCESS_21D"]
    assert now[("ALL", "discretionary")]["TRADES"] == 3 and ("ALL", "plan") not in now
    assert now[("0000000001", "all")]["MEAN_EXCESS_21D"] == ret(jan10, 21)
    # The seller's sale: its edge is minus its excess (the price rose after the sale: a miss).
    seller = [r for r in select_all(engine, "insider_track_records", RPTOWNERCIK="0000000102", ISSUERCIK="0000000001")]
    sale = max(seller, key=lambda r: r["FILING_DATE"])
    assert sale["SALES"] == 1 and sale["MEAN_EXCESS_21D"] == -ret(dt.date(2024, 1, 11), 21) and sale["HIT_RATE_21D"] == 0


def test_event_windows_select_exactly_the_trades_a_full_lookback_writes(
    engine: sa.Engine, tmp_path: Path, monkeypatch
) -> None:
    """The benchmark-calendar windows are an index, not a rule: the rows equal those of reading every
    trade of the lookback on every date."""
    from form4_assets.outcomes import measure, trades

    dates = _load(engine, tmp_path, dt.date(2024, 3, 29))
    fast = select_all(engine, "trade_outcomes")
    book = read_prices(tmp_path / "prices", "BEN")
    monkeypatch.setattr(trades, "event_windows", lambda b, day, lookback: [(day - lookback, day)])
    with engine.connect() as conn:
        slow = [row for day in dates for row in trades.compute_trade_outcomes(conn, day, book)]
    key = ("FILING_DATE", "ACCESSION_NUMBER", "TRANS_SK")
    assert sorted(tuple(r[k] for k in key) for r in fast) == sorted(tuple(r[k] for k in key) for r in slow)
    # 2024-03-01: filed that day, entering that day, 5 and 21 sessions before (63 and 126 precede the data).
    d = dt.date
    assert measure.event_windows(book, d(2024, 3, 1), dt.timedelta(days=200)) == [
        (d(2024, 3, 1), d(2024, 3, 1)), (d(2024, 2, 29), d(2024, 3, 1)), (d(2024, 2, 22), d(2024, 2, 23)),
        (d(2024, 1, 31), d(2024, 2, 1))]


def test_without_a_benchmark_returns_use_the_tickers_own_dates(engine: sa.Engine, tmp_path: Path) -> None:
    filings = _filings()[:1]
    insert(engine, *filings)
    build_all(engine, [filings[0].filed])
    build_all_signals(engine, [filings[0].filed])
    book = read_prices(write_prices(tmp_path / "prices"))
    build_all_outcomes(engine, WEEKDAYS[:30], book)
    row = current(engine, "0000000001-24-000001")
    jan10 = dt.date(2024, 1, 10)
    assert (row["BENCHMARK"], row["RETURN_21D"], row["BENCH_RETURN_21D"], row["EXCESS_21D"]) == (None, ret(jan10, 21), None, None)


def test_cluster_and_ceo_buys_with_their_subsequent_returns(engine: sa.Engine, tmp_path: Path) -> None:
    """Three insiders buy ONE on 2024-01-10, the CEO's filing accepted last, after the close: both
    signals of the day enter at the next day's close and carry its returns."""
    from form4_assets.warehouse.schema import TABLES

    jan10, jan11 = dt.date(2024, 1, 10), dt.date(2024, 1, 11)
    buyers = [Owner(f"00000002{n:02d}", f"Buyer {n}") for n in range(3)]
    filings = [Filing(f"0000000009-24-00000{n}", jan10, owners=[o], trades=[Trade("P", "100", "10", dt.date(2024, 1, 8))],
                      accepted=dt.datetime(2024, 1, 10, 12 + 2 * n, 0)) for n, o in enumerate(buyers)]
    insert(engine, *filings)
    ro = TABLES["reporting_owner"]
    with engine.begin() as conn:
        conn.execute(ro.update().where(ro.c.RPTOWNERCIK == buyers[2].cik).values(RPTOWNER_TITLE="Chief Executive Officer"))
    build_all(engine, [jan10])
    build_all_signals(engine, [jan10])
    weekdays = [d for d in WEEKDAYS if d <= dt.date(2024, 2, 29)]
    build_all_outcomes(engine, weekdays, read_prices(write_prices(tmp_path / "prices"), "BEN"))
    rows = select_all(engine, "signal_outcomes")
    latest = {}
    for r in rows:
        latest[r["SIGNAL"]] = r if r["SIGNAL"] not in latest or r["FILING_DATE"] > latest[r["SIGNAL"]]["FILING_DATE"] else latest[r["SIGNAL"]]
    assert set(latest) == {"cluster_buy", "exec_buy"}
    for signal, r in latest.items():
        assert (r["SIGNAL_DATE"], r["TICKER"], r["ACCEPTANCE_DATETIME"]) == (jan10, "ONE", dt.datetime(2024, 1, 10, 16, 0))
        # 16:00:00 is not after the close: the day's own close.
        assert (r["ENTRY_RULE"], r["ENTRY_DATE"], r["RETURN_21D"], r["EXCESS_21D"]) == (
            "filing_date_close", jan10, ret(jan10, 21), ret(jan10, 21)), signal
    assert latest["exec_buy"]["ACCESSIONS"] == "0000000009-24-000002"
    assert latest["cluster_buy"]["ACCESSIONS"].split(",") == [f.accession for f in filings]
    # One second later is after the close: the next day.
    fh = TABLES["filing_headers"]
    with engine.begin() as conn:
        conn.execute(fh.update().where(fh.c.ACCESSION_NUMBER == "0000000009-24-000002").values(
            ACCEPTANCE_DATETIME=dt.datetime(2024, 1, 10, 16, 0, 1)))
    build_all_outcomes(engine, weekdays, read_prices(tmp_path / "prices", "BEN"))
    exec_buy = max((r for r in select_all(engine, "signal_outcomes", SIGNAL="exec_buy")), key=lambda r: r["FILING_DATE"])
    assert (exec_buy["ENTRY_RULE"], exec_buy["ENTRY_DATE"], exec_buy["RETURN_21D"]) == ("after_close_next_day", jan11, ret(jan11, 21))
