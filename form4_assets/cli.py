"""`form4-assets` command line: thin argument parsing over the library modules.

Each sub-command imports its implementation lazily so that `form4-assets parse`
does not pay for importing Dagster, pandas or SQLAlchemy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date (YYYY-MM-DD): {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="form4-assets", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "parse",
        help="parse filings and print one JSON object per filing (JSON Lines)",
        description="Parse Form 3/4/5 filings (.txt, .nc or bare XML) and print one JSON object per file. "
        "A filing that cannot be parsed prints with status 'quarantined' and its reason; the exit code "
        "is still 0. The exit code is 2 when a FILE cannot be read (it is named on stderr).",
    )
    p.add_argument("files", nargs="+", metavar="FILE")

    p = sub.add_parser("make-mirror", help="write a deterministic synthetic EDGAR mirror")
    p.add_argument("--start", type=_date, required=True)
    p.add_argument("--end", type=_date, required=True)
    p.add_argument("--per-day", type=int, default=1200, help="mean Form 3/4/5 filings per business day")
    p.add_argument("--seed", type=int, default=345)
    p.add_argument("--no-seed-filing", action="store_true", help="do not place the real seed filing on 2023-11-08")
    p.add_argument("dir", metavar="DIR")

    p = sub.add_parser("export", help="write the warehouse in the SEC Form 345 data-set layout")
    p.add_argument("--start", type=_date, required=True)
    p.add_argument("--end", type=_date, required=True)
    p.add_argument("--warehouse-url", default=None, help="default: FORM4_WAREHOUSE_URL or the SQLite file in the data directory")
    p.add_argument("dir", metavar="DIR")

    p = sub.add_parser("explain", help="trace an issuer-day aggregate back to transactions, documents and raw bytes")
    p.add_argument("issuer", metavar="ISSUER", help="issuer CIK or trading symbol")
    p.add_argument("date", type=_date, metavar="DATE", help="transaction date")
    p.add_argument("--warehouse-url", default=None)

    p = sub.add_parser(
        "import-form345",
        help="load the SEC's quarterly Form 345 data sets into the sec_* tables",
        description="Materialize the form345 assets (sec_submission ... sec_owner_signature, sec_rejected_rows) "
        "for every filing date in the given data sets, as one run of form345_import_job. Re-running changes "
        "nothing. The run is recorded in the Dagster instance of DAGSTER_HOME when set.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="a YYYYqN_form345.zip as the SEC publishes it, or its unpacked directory")
    p.add_argument("--warehouse-url", default=None, help="default: FORM4_WAREHOUSE_URL or the SQLite file in the data directory")

    p = sub.add_parser("demo", help="build a synthetic mirror around 2023-11-08 and materialize it into SQLite")
    p.add_argument("--data-dir", default=None, help="default: FORM4_DATA_DIR or ./form4_data")
    p.add_argument("--per-day", type=int, default=300)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "parse":
        from form4_assets.parsing.command import run_parse

        return run_parse(args.files, sys.stdout)
    if args.command == "make-mirror":
        from form4_assets.synthetic.mirror import run_make_mirror

        return run_make_mirror(args)
    if args.command == "export":
        from form4_assets.export import run_export

        return run_export(args)
    if args.command == "explain":
        from form4_assets.explain import run_explain

        return run_explain(args)
    if args.command == "import-form345":
        from form4_assets.form345.command import run_import

        return run_import(args.paths, args.warehouse_url, sys.stdout)
    if args.command == "demo":
        from form4_assets.demo import run_demo

        return run_demo(args)
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
