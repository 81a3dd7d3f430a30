"""`form4-assets` command line: argument parsing and the sub-commands' handlers.

Each handler turns its arguments into a call of a library function and its result into
output and an exit code. Implementations are imported lazily, so `form4-assets parse`
does not pay for importing Dagster, pandas or SQLAlchemy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import inspect
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from form4_assets import settings
from form4_assets.synthetic import DEFAULT_PER_DAY, DEFAULT_SEED

DEMO_PER_DAY = 300


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date (YYYY-MM-DD): {text!r}") from None


def _filing_dates(p: argparse.ArgumentParser) -> None:
    """--start and --end: the filing dates a command covers."""
    p.add_argument("--start", type=_date, required=True, help="first filing date (YYYY-MM-DD)")
    p.add_argument("--end", type=_date, required=True, help="last filing date (YYYY-MM-DD), inclusive")


def _version() -> str:
    try:
        return importlib.metadata.version("form4_assets")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"


# --------------------------------------------------------------------------- handlers


def _parse(args: argparse.Namespace) -> int:
    """Parse filings and print one JSON object per filing (JSON Lines).

    Parse Form 3/4/5 filings (.txt, .nc or bare XML) and print one JSON object per file. A
    filing that cannot be parsed prints with status 'quarantined' and its reason; the exit code
    is still 0. The exit code is 2 when a FILE cannot be read (it is named on stderr).
    """
    from form4_assets.parsing.command import run_parse

    return run_parse(args.files, sys.stdout)


def _make_mirror(args: argparse.Namespace) -> int:
    """Write a deterministic synthetic EDGAR mirror.

    Write daily indexes and Forms 3/4/5 for every EDGAR business day START..END, laid out like
    EDGAR's archive, plus synthetic-manifest.jsonl (what every filing contains), each quarter's
    SEC Form 345 data set (YYYYqN_form345.zip, where the SEC publishes it) and, with --feed,
    each day's Feed archive (Archives/edgar/Feed/YYYY/QTRn/YYYYMMDD.nc.tar.gz). The same
    arguments give the same bytes. A previous synthetic mirror in DIR is replaced; any other
    EDGAR tree there is refused (exit code 2).
    """
    from form4_assets.synthetic.mirror import SUMMARY_NAME, BulkOptions, make_mirror

    began = time.perf_counter()
    bulk = BulkOptions(feed=args.feed, data_sets=not args.no_data_sets, feed_share=args.feed_share,
                       feed_min_bytes=args.feed_mb * 1024 * 1024)
    try:
        manifest = make_mirror(Path(args.dir), args.start, args.end, per_day=args.per_day, seed=args.seed,
                               include_seed=not args.no_seed_filing, bulk=bulk)
    except (ValueError, FileExistsError) as exc:
        print(f"make-mirror: {exc}", file=sys.stderr)
        return 2
    summary = json.loads((manifest.parent / SUMMARY_NAME).read_text(encoding="utf-8"))
    t = summary["totals"]
    print(f"make-mirror: {summary['business_days']} business days, {t['filings']} filings "
          f"({t['amendments']} amendments, {t['joint']} joint, {t['nc']} .nc), {t['broken']} broken, "
          f"{t['inconsistent']} inconsistent, in {time.perf_counter() - began:.1f}s -> {manifest.parent}")
    return 0


def _export(args: argparse.Namespace) -> int:
    """Write the warehouse in the SEC Form 345 data-set layout.

    Write SUBMISSION.tsv, REPORTINGOWNER.tsv and the other files of the SEC's Form 345 data set
    for the rows filed START..END, byte for byte in the SEC's layout (its columns, two-decimal
    numbers, F1, F2, quoting, ASCII; dates known only from a data set come from its rows), or
    with --lossless the parse as stored. Exit code 2 when the range or the warehouse is wrong.
    """
    import sqlalchemy as sa

    from form4_assets.export import export
    from form4_assets.warehouse.engine import make_engine

    engine = make_engine(settings.warehouse_url(args.warehouse_url))
    try:
        counts = export(engine, args.start, args.end, Path(args.dir), lossless=args.lossless)
    except (ValueError, sa.exc.OperationalError, sa.exc.ProgrammingError) as exc:
        print(f"form4-assets export: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    for name, count in counts.items():
        print(f"{Path(args.dir) / name}\t{count} rows")
    return 0


def _explain(args: argparse.Namespace) -> int:
    """Trace an issuer-day aggregate back to transactions, documents and raw bytes.

    Print, for one issuer and transaction date, the issuer_daily_activity row, the transactions
    that make it, their documents and headers, and the raw files re-hashed now. Exit code 1 when
    the issuer or its day is unknown, 2 when a raw file no longer matches its SHA-256.
    """
    import sqlalchemy as sa

    from form4_assets.explain import explain, format_explanation, missing_warehouse
    from form4_assets.warehouse.engine import make_engine

    url = settings.warehouse_url(args.warehouse_url)
    problem = missing_warehouse(url)
    if problem:
        print(f"form4-assets explain: {problem}", file=sys.stderr)
        return 1
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("submission"):
                print(f"form4-assets explain: {url} has no warehouse tables yet (materialize a partition first)", file=sys.stderr)
                return 1
        expl = explain(engine, args.issuer, args.date)
    finally:
        engine.dispose()
    sys.stdout.write(format_explanation(expl))
    if not expl.found:
        return 1
    if any(d.raw is not None and d.raw.status != "verified" for d in expl.documents):
        return 2
    return 0


def _explain_outcome(args: argparse.Namespace) -> int:
    """Trace a trade's outcome back to the price rows it was computed from.

    Print the accession's open-market trades, their trade_outcomes rows and the price rows
    (file and line) of the current row's entry and exits, re-read from the price source.
    Exit code 1 when there is no outcome, 2 when the price file no longer matches.
    """
    from form4_assets.explain import missing_warehouse
    from form4_assets.explain_outcome import explain_outcome
    from form4_assets.prices import PriceFileError, read_prices
    from form4_assets.warehouse.engine import make_engine

    url = settings.warehouse_url(args.warehouse_url)
    problem = missing_warehouse(url)
    if problem:
        print(f"form4-assets explain-outcome: {problem}", file=sys.stderr)
        return 1
    path, benchmark = settings.prices(args.prices, args.benchmark)
    try:
        book = read_prices(path, benchmark) if path else None
    except PriceFileError as exc:
        print(f"form4-assets explain-outcome: {exc}", file=sys.stderr)
        return 2
    engine = make_engine(url)
    try:
        text, status = explain_outcome(engine, args.accession, book)
    finally:
        engine.dispose()
    sys.stdout.write(text)
    return status


def _import_form345(args: argparse.Namespace) -> int:
    """Load the SEC's quarterly Form 345 data sets into the sec_* tables.

    Materialize the form345 assets (sec_submission ... sec_owner_signature, sec_rejected_rows)
    for every filing date in the given data sets, as one run of form345_import_job. Re-running
    changes nothing. With --aggregates the same run (form345_history_job) also builds the
    aggregates and signals of those dates from the imported rows. The run is recorded in the
    Dagster instance of DAGSTER_HOME when set. With --download each PATH is a quarter (YYYYqN) fetched from EDGAR into the live cache.
    """
    from form4_assets.edgar.errors import EdgarError
    from form4_assets.form345.command import download, run_import

    paths = args.paths
    if args.download:
        try:
            paths = download(paths)
        except (ValueError, OSError, EdgarError) as exc:
            print(f"form4-assets import-form345: {exc}", file=sys.stderr)
            return 2
    return run_import(paths, args.warehouse_url, sys.stdout, aggregates=args.aggregates)


def _demo(args: argparse.Namespace) -> int:
    """Build a synthetic mirror around 2023-11-08 and materialize it into SQLite.

    Write a synthetic mirror for the week of 2023-11-06 (with the real seed filing on
    2023-11-08), materialize it as one run of daily_filings_job into the SQLite warehouse of the
    data directory (Dagster instance: $DAGSTER_HOME, else <data dir>/dagster_home) and print
    what was loaded.
    """
    from form4_assets.demo import run_demo

    return run_demo(args.per_day, Path(args.data_dir) if args.data_dir else None, telemetry=args.telemetry)


def _init_instance(args: argparse.Namespace) -> int:
    """Set up a local Dagster instance (dagster.yaml, storage) before its first run.

    Write DIR/dagster.yaml (community pop-up off, telemetry off unless --telemetry, run
    monitoring that marks killed runs failed) unless DIR has its own, and create the instance
    storage, so the first runs and `dagster dev` do not race in creating it. Exit code 2 when
    neither DIR nor DAGSTER_HOME is given.
    """
    from form4_assets.instance import prepare_home

    home = settings.dagster_home(args.dir)
    if home is None:
        print("form4-assets init-instance: give DIR or set DAGSTER_HOME", file=sys.stderr)
        return 2
    prepare_home(home, telemetry=args.telemetry).dispose()
    print(f"Dagster instance ready at {home} (dagster.yaml, storage); use it with: export DAGSTER_HOME={home}")
    return 0


# --------------------------------------------------------------------------- parser


def _command(sub: Any, name: str, handler: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
    """The sub-command `name`, run by `handler`; its help is the handler's docstring (first line: the summary)."""
    summary, _, description = inspect.cleandoc(handler.__doc__ or "").partition("\n\n")
    summary = summary.rstrip(".")
    p = sub.add_parser(name, help=summary[:1].lower() + summary[1:], description=description)
    p.set_defaults(func=handler)
    return p


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="form4-assets",
        description="SEC Forms 3/4/5 into an insider-trading warehouse: parse filings, write a synthetic EDGAR "
        "mirror, run the demo, export and explain the warehouse. `form4-assets COMMAND --help` explains each command.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = _command(sub, "parse", _parse)
    p.add_argument("files", nargs="+", metavar="FILE", help="a filing: EDGAR .txt, dissemination .nc or bare XML")

    p = _command(sub, "make-mirror", _make_mirror)
    _filing_dates(p)
    p.add_argument("--per-day", type=int, default=DEFAULT_PER_DAY,
                   help="Form 3/4/5 filings on a median business day, before the month's season "
                   "(default: %(default)s, EDGAR's 2024 Q3 median)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default: %(default)s)")
    p.add_argument("--no-seed-filing", action="store_true",
                   help="do not place the real seed filing on 2023-11-08 (default: placed when in range)")
    p.add_argument("--no-data-sets", action="store_true", help="do not write the quarters' Form 345 data sets (default: written)")
    p.add_argument("--feed", action="store_true",
                   help="write each business day's Feed archive, about 30 times the day's ownership filings' size "
                   "(default: none)")
    p.add_argument("--feed-share", type=float, default=0.03,
                   help="the ownership filings' share of a Feed archive's bytes (default: %(default)s, as on EDGAR)")
    p.add_argument("--feed-mb", type=int, default=0,
                   help="pad each Feed archive to at least this many MB, for a heavy benchmark day (default: no padding)")
    p.add_argument("dir", metavar="DIR", help="the mirror's root directory (created)")

    warehouse_help = settings.WAREHOUSE_URL.describe()
    p = _command(sub, "export", _export)
    _filing_dates(p)
    p.add_argument("--lossless", action="store_true",
                   help="write the parse as stored (exact decimals, AFF10B5ONE, F1,F3, UTF-8) instead of the SEC's "
                   "own layout (default: the SEC's, byte for byte)")
    p.add_argument("--warehouse-url", default=None, help=warehouse_help)
    p.add_argument("dir", metavar="DIR", help="where the files go (created)")

    p = _command(sub, "explain", _explain)
    p.add_argument("issuer", metavar="ISSUER", help="issuer CIK (leading zeros optional) or trading symbol")
    p.add_argument("date", type=_date, metavar="DATE", help="transaction date (YYYY-MM-DD)")
    p.add_argument("--warehouse-url", default=None, help=warehouse_help)

    p = _command(sub, "explain-outcome", _explain_outcome)
    p.add_argument("accession", metavar="ACCESSION", help="accession number of a filing with open-market trades")
    p.add_argument("--prices", default=None, help=settings.PRICES_PATH.describe())
    p.add_argument("--benchmark", default=None, help=settings.PRICES_BENCHMARK.describe())
    p.add_argument("--warehouse-url", default=None, help=warehouse_help)

    p = _command(sub, "import-form345", _import_form345)
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="a YYYYqN_form345.zip as the SEC publishes it, or its unpacked directory (with "
                   "--download: a quarter, YYYYqN)")
    p.add_argument("--download", action="store_true",
                   help="download each quarter's data set from EDGAR, with the live settings FORM4_USER_AGENT, "
                   "FORM4_EDGAR_BASE_URL, FORM4_MAX_RPS and FORM4_CACHE_DIR (default: read local files)")
    p.add_argument("--aggregates", action="store_true",
                   help="also build the aggregates and signals of the data sets' filing dates, in the same run "
                   "(form345_history_job; default: the sec_* tables only, form345_import_job)")
    p.add_argument("--warehouse-url", default=None, help=warehouse_help)

    p = _command(sub, "demo", _demo)
    p.add_argument("--data-dir", default=None, help=settings.DATA_DIR.describe())
    p.add_argument("--per-day", type=int, default=DEMO_PER_DAY,
                   help="mean Form 3/4/5 filings per business day (default: %(default)s)")
    p.add_argument("--telemetry", action="store_true",
                   help="let Dagster send its anonymous usage statistics (written to the instance's dagster.yaml; default: off)")

    p = _command(sub, "init-instance", _init_instance)
    p.add_argument("dir", metavar="DIR", nargs="?", default=None,
                   help=f"the Dagster instance directory (default: {settings.DAGSTER_HOME.env}; no other default)")
    p.add_argument("--telemetry", action="store_true", help="let Dagster send its anonymous usage statistics (default: off)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
