"""`form4-assets demo`: the whole pipeline on a laptop in one command, no network.

It writes a synthetic EDGAR mirror for the week of 2023-11-06 (the real seed filing,
Annaly/NLY, on 2023-11-08) and SYNTHETIC daily prices for its tickers (a random walk
with a drift planted after officers' purchases: form4_assets.synthetic.prices),
materializes those five filing dates as ONE run of `daily_filings_job` into the SQLite
warehouse in the data directory, then the outcome assets as one run of `outcomes_job`
over the weeks after it (to the 21-day horizon), and prints what was loaded and where
to look next. The runs are recorded in a persistent Dagster
instance (`<data dir>/dagster_home`, or $DAGSTER_HOME when set), prepared by
form4_assets.instance (its dagster.yaml: no community pop-up, telemetry only with
--telemetry, run monitoring) and recorded with the code location's origin, so
`dagster dev` started with the same DAGSTER_HOME shows it on the Overview, with its
metadata and checks.

The terminal gets a few progress lines and the summary; Dagster's own event stream
(DEBUG) goes to `<data dir>/demo.log`, and Dagster's beta/preview warnings about the
APIs the project uses on purpose are not repeated to the user.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from form4_assets import settings
from form4_assets.synthetic.mirror import SEED_ACCESSION

if TYPE_CHECKING:  # for annotations only: the demo imports Dagster when it runs
    import dagster as dg

FIRST, LAST = dt.date(2023, 11, 6), dt.date(2023, 11, 10)
#: The synthetic prices' span, and the outcome run's last filing date: past the week's 5- and 21-day
#: horizons (the 63- and 126-day ones stay empty: a longer run costs the demo a minute per quarter).
PRICES_FIRST, PRICES_LAST, OUTCOMES_LAST = dt.date(2023, 10, 2), dt.date(2024, 6, 28), dt.date(2023, 12, 29)


def _counts(engine: sa.Engine) -> dict[str, int]:
    from form4_assets.warehouse.schema import TABLES

    out = {}
    with engine.connect() as conn:
        for name, table in TABLES.items():
            if "FILING_DATE" in table.c:
                query = sa.select(sa.func.count()).select_from(table).where(table.c.FILING_DATE.between(FIRST, LAST))
                out[name] = int(conn.execute(query).scalar_one())
    return out


def _check_lines(evaluations: list[dg.AssetCheckEvaluation]) -> list[str]:
    """One line per asset: its checks that passed on every date together, then each one that
    did not, with its severity, offending rows and dates (short enough to read at a glance)."""
    by_check: dict[tuple[str, str], list[dg.AssetCheckEvaluation]] = {}
    for e in evaluations:
        by_check.setdefault((e.asset_key.to_user_string(), e.check_name), []).append(e)
    assets = list(dict.fromkeys(asset for asset, _ in by_check))
    width = max(map(len, assets), default=0) + 2
    lines = []
    for asset in assets:
        checks = {name: found for (a, name), found in by_check.items() if a == asset}
        passed = [name for name, found in checks.items() if all(e.passed for e in found)]
        if passed:
            lines.append(f"{asset:<{width}}passed on every date: {', '.join(passed)}")
        for name, found in checks.items():
            failed = [e for e in found if not e.passed]
            if failed:
                rows = sum(e.metadata["failures"].value for e in failed if "failures" in e.metadata)
                lines.append(
                    f"{asset:<{width}}{failed[0].severity.value.lower()} {name}: {rows} row{'' if rows == 1 else 's'} on "
                    + ", ".join(str(e.partition) for e in failed)
                )
    return lines


def _quarantine_reasons(engine: sa.Engine) -> dict[str, int]:
    from form4_assets.warehouse.schema import TABLES

    q = TABLES["quarantine"]
    query = (
        sa.select(q.c.REASON_CODE, sa.func.count())
        .where(q.c.FILING_DATE.between(FIRST, LAST))
        .group_by(q.c.REASON_CODE)
        .order_by(q.c.REASON_CODE)
    )
    with engine.connect() as conn:
        return {reason: int(n) for reason, n in conn.execute(query)}


def _seed_row(engine: sa.Engine) -> dict | None:
    from form4_assets.warehouse.schema import TABLES

    t, s = TABLES["nonderiv_trans"], TABLES["submission"]
    query = (
        sa.select(s.c.ISSUERTRADINGSYMBOL, t.c.TRANS_DATE, t.c.TRANS_CODE, t.c.TRANS_SHARES, t.c.TRANS_PRICEPERSHARE,
                  t.c.TRANS_PRICEPERSHARE_FN, t.c.TRANS_ACQUIRED_DISP_CD, t.c.SHRS_OWND_FOLWNG_TRANS,
                  t.c.DIRECT_INDIRECT_OWNERSHIP)
        .join(s, s.c.ACCESSION_NUMBER == t.c.ACCESSION_NUMBER)
        .where(t.c.ACCESSION_NUMBER == SEED_ACCESSION)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return dict(row._mapping) if row else None


def _track_records(engine: sa.Engine) -> list[dict]:
    """The insiders' current all-issuer track records, best 21-day mean excess first."""
    from form4_assets.warehouse.schema import TABLES

    t = TABLES["insider_track_records"]
    query = sa.select(t).where(t.c.ISSUERCIK == "ALL", t.c.SEGMENT == "all", t.c.MEASURED_21D > 0).order_by(
        t.c.RPTOWNERCIK, t.c.FILING_DATE)
    with engine.connect() as conn:
        latest = {r["RPTOWNERCIK"]: dict(r) for r in conn.execute(query).mappings()}
    return sorted(latest.values(), key=lambda r: -r["MEAN_EXCESS_21D"])


def _officer_purchase(record: dict, row: dict) -> bool:
    """Where the demo's synthetic prices plant a drift: after purchases by officers."""
    return bool(record["owners"] and record["owners"][0].get("is_officer"))


def _num(value: object) -> str:
    from decimal import Decimal

    return format(Decimal(str(value)).normalize(), ",f") if value is not None else "-"


@contextlib.contextmanager
def _quiet(log: Path) -> Iterator[None]:
    """Dagster's console output (its event stream, warnings) into `log` instead of the terminal."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as f, contextlib.redirect_stderr(f), warnings.catch_warnings():
        warnings.simplefilter("ignore", category=Warning)  # Beta/Preview warnings of Dagster APIs used on purpose
        yield


def _dagster_dev() -> str:
    """How to start the UI on this code location from any directory: the repository's
    workspace.yaml when there is one (its location name is the demo run's), else the module."""
    dagster = Path(sys.executable).parent / "dagster"
    command = str(dagster) if dagster.exists() else "dagster"
    workspace = Path(__file__).resolve().parents[1] / "workspace.yaml"
    return f"{command} dev -w {workspace}" if workspace.is_file() else f"{command} dev -m form4_assets.definitions"


def run_demo(per_day: int, data_dir_option: Path | None = None, telemetry: bool = False) -> int:
    """Mirror, one run, a report; 0 when the run succeeded. The data directory: the option, else settings."""
    data_dir = settings.data_dir(str(data_dir_option) if data_dir_option else None)
    mirror = data_dir / "mirror"
    home = settings.dagster_home(default=data_dir / "dagster_home")
    sqlite_path = settings.sqlite_file(data_dir)
    url = f"sqlite:///{sqlite_path}"
    log = data_dir / "demo.log"

    price_dir = data_dir / "prices"

    began = time.perf_counter()
    print(f"1/3 synthetic EDGAR mirror {FIRST}..{LAST}, ~{per_day} filings per day plus the seed -> {mirror}, and "
          f"SYNTHETIC prices {PRICES_FIRST}..{PRICES_LAST} (a random walk, drift planted after officers' purchases; "
          f"not market data) -> {price_dir}")
    with _quiet(log):
        from form4_assets.instance import prepare_home
        from form4_assets.runs import execute_range_as_code_location
        from form4_assets.synthetic.mirror import make_mirror
        from form4_assets.synthetic.prices import BENCHMARK, prices_for_mirror
        from form4_assets.warehouse.engine import make_engine

        manifest = make_mirror(mirror, FIRST, LAST, per_day=per_day)
        prices_for_mirror(manifest, price_dir, PRICES_FIRST, PRICES_LAST, _officer_purchase)
        print(f"2/3 daily_filings_job over {FIRST}..{LAST} as one run (Dagster instance {home}, log {log})",
              file=sys.stdout, flush=True)
        instance = prepare_home(home, telemetry=telemetry)
        resources = {"warehouse": {"config": {"url": url}},
                     "edgar": {"config": {"mode": "mirror", "mirror_dir": str(mirror)}},
                     "prices": {"config": {"path": str(price_dir), "benchmark": BENCHMARK}}}
        result = execute_range_as_code_location(FIRST.isoformat(), LAST.isoformat(), instance, {"resources": resources})
        after = dt.date(2023, 11, 13)
        print(f"3/3 outcomes_job over {after}..{OUTCOMES_LAST} as one run: the returns after the week, as the prices "
              "arrive", file=sys.stdout, flush=True)
        outcomes = execute_range_as_code_location(after.isoformat(), OUTCOMES_LAST.isoformat(), instance,
                                                  {"resources": resources}, job="outcomes_job")
    engine = make_engine(url)
    ok = result.success and outcomes.success
    print(f"    {'done' if ok else 'FAILED'} in {time.perf_counter() - began:.1f}s, runs {result.run_id}, {outcomes.run_id}\n")

    counts = _counts(engine)
    print("rows loaded (filing dates 2023-11-06..2023-11-10):")
    for name, n in counts.items():
        if n or not name.startswith("sec_"):
            print(f"  {name:<24}{n:>8}")
    if not any(n for name, n in counts.items() if name.startswith("sec_")):
        print("  (sec_*: the SEC's Form 345 data sets, loaded by `form4-assets import-form345`, not by the demo)")
    reasons = _quarantine_reasons(engine)
    print(f"\nquarantined: {sum(reasons.values())} " + (", ".join(f"{r}={n}" for r, n in reasons.items()) or ""))

    seed = _seed_row(engine)
    if seed:
        print(
            f"\nseed filing {SEED_ACCESSION} ({seed['ISSUERTRADINGSYMBOL']}): {seed['TRANS_DATE']} code "
            f"{seed['TRANS_CODE']} {_num(seed['TRANS_SHARES'])} shares at ${_num(seed['TRANS_PRICEPERSHARE'])} "
            f"(footnote {seed['TRANS_PRICEPERSHARE_FN']}), {seed['TRANS_ACQUIRED_DISP_CD']}, "
            f"{_num(seed['SHRS_OWND_FOLWNG_TRANS'])} owned after ({seed['DIRECT_INDIRECT_OWNERSHIP']})"
        )
    else:
        print(f"\nseed filing {SEED_ACCESSION}: NOT in nonderiv_trans (see the quarantine table)")

    print("\nchecks, one verdict per filing date (details and offending rows in the UI):")
    for line in _check_lines(result.get_asset_check_evaluations()):
        print(f"  {line}")
    records = _track_records(engine)
    best = (f"; best {records[0]['RPTOWNERNAME']}: 21-day mean excess {records[0]['MEAN_EXCESS_21D']}, hit rate "
            f"{records[0]['HIT_RATE_21D']} over {records[0]['TRADES']} trade(s)") if records else ""
    print(f"\ninsider track records as of {OUTCOMES_LAST} (SYNTHETIC prices): {len(records)} insiders measured at 21 "
          f"days{best}; all of them, and the excess-by-horizon plot, under Catalog -> insider_track_records in the UI")
    engine.dispose()

    instance.dispose()

    print(f"\nwarehouse: {sqlite_path}   Dagster's event log of the run: {log}")
    print(f"next: export DAGSTER_HOME={home} FORM4_DATA_DIR={data_dir}")
    print(f"      {_dagster_dev()}")
    print("      then open http://127.0.0.1:3000 for the asset graph, partitions, checks and these runs")
    return 0 if ok else 1
