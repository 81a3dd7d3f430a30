"""A year of the SEC's Form 345 data sets into the warehouse, aggregates included, against a bare csv read.

    python benchmarks/bulk.py [--submissions N] [--quarters Q] [--import-only] [--warehouse-url URL]
                              [--work-dir DIR] [--json]

The data sets are the synthetic mirror's own (`form4-assets make-mirror`, untimed, in a child
process, kept in the work directory and reused when its parameters match): Q quarters of 2024
at the median-day volume that gives about N filings (the generator's year is ~190,000 filings
at its default 508 a day), written from the generator's documents in the SEC's layout and
quirks. So the rows are consistent filings: real-looking issuers filing ~2.8 times a month,
share chains that add up, amendments of earlier filings, joint filings, 10b5-1 plans, the
footnotes they cite.

Times, in the same run: a bare `csv.reader` pass over every file of every zip (the floor), and
`form4-assets import-form345 --aggregates` of all of them into a fresh warehouse: ONE run of
form345_history_job through Dagster, the path a UI backfill of that job takes, i.e. the
import with its reconciliation check, then effective_transactions built from the sec_* rows
and everything downstream of it (issuer_daily_activity, net_insider_selling, cluster_buys,
the four signals), every check included. `--import-only` runs form345_import_job alone.
Prints seconds per step, rows, peak RSS, the ratio and the load average; the targets are 60 s
and 1 GiB for a year (about 200,000 submissions, ~1.5M rows).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import dagster as dg

from form4_assets.defs.resources import WarehouseResource
from form4_assets.form345.dataset import TABLE_FILES
from form4_assets.runs import import_form345
from form4_assets.synthetic import DEFAULT_PER_DAY

from steps import step_seconds

#: Filings of the generator's year at its default median day (synthetic.volume).
YEAR_FILINGS_AT_DEFAULT = 190_000
_QUARTER_END = {1: "2024-03-31", 2: "2024-06-30", 3: "2024-09-30", 4: "2024-12-31"}
_PARAMS = "bulk-benchmark.json"


def data_sets(work: Path, submissions: int, quarters: int) -> list[Path]:
    """The mirror's data sets for these parameters, generated (in a child process, so its memory
    is not the import's) unless the work directory already holds them."""
    per_day = max(1, round(DEFAULT_PER_DAY * submissions / YEAR_FILINGS_AT_DEFAULT))
    params = {"per_day": per_day, "quarters": quarters, "start": "2024-01-01", "end": _QUARTER_END[quarters]}
    mirror = work / "mirror"
    found = sorted(mirror.glob("files/**/2024q*_form345.zip"))
    marker = work / _PARAMS
    if len(found) != quarters or not marker.exists() or json.loads(marker.read_text()) != params:
        print(f"generating the mirror and its data sets ({params}) ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "form4_assets.cli", "make-mirror", "--start", params["start"],
                        "--end", params["end"], "--per-day", str(per_day), "--no-seed-filing", str(mirror)],
                       check=True, stdout=subprocess.DEVNULL)
        marker.write_text(json.dumps(params))
        found = sorted(mirror.glob("files/**/2024q*_form345.zip"))
    return found


def bare_read(paths: list[Path]) -> tuple[float, dict[str, int]]:
    """Seconds of a bare csv.reader pass over every table file, and the data lines per file name."""
    start, rows = time.perf_counter(), dict.fromkeys(TABLE_FILES, 0)
    for path in paths:
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                with z.open(name) as raw:
                    reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline=""), delimiter="\t")
                    rows[name] += sum(1 for _ in reader) - 1
    return time.perf_counter() - start, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=200_000)
    parser.add_argument("--quarters", type=int, default=4, choices=(1, 2, 3, 4))
    parser.add_argument("--import-only", action="store_true", help="the import alone (form345_import_job)")
    parser.add_argument("--warehouse-url", default=None, help="default: a fresh SQLite file in the work directory")
    parser.add_argument("--work-dir", default=None, help="keep the mirror and its data sets here (reused when present)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    work = Path(args.work_dir) if args.work_dir else Path(tempfile.mkdtemp(prefix="form4-bulk-"))
    work.mkdir(parents=True, exist_ok=True)
    paths = data_sets(work, args.submissions, args.quarters)
    url = args.warehouse_url or f"sqlite:///{work / f'warehouse-{time.time_ns()}.sqlite'}"

    load_before = [round(x, 2) for x in os.getloadavg()]
    floor, per_file = bare_read(paths)
    instance = dg.DagsterInstance.ephemeral()
    start, cpu = time.perf_counter(), time.process_time()
    result, dates = import_form345(paths, warehouse=WarehouseResource(url=url), instance=instance,
                                   aggregates=not args.import_only)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    assert result is not None and result.success
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    steps = {k: round(v, 2) for k, v in step_seconds(instance, result.run_id).items()}
    report = {
        "data_sets": len(paths), "submissions": per_file["SUBMISSION.tsv"], "rows": sum(per_file.values()),
        "filing_dates": len(dates), "aggregates": not args.import_only, "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2), "bare_csv_seconds": round(floor, 2), "ratio": round(seconds / floor, 1),
        "peak_rss_mb": round(peak_mb), "steps": steps,
        "import_seconds": steps.get("import_form345"),
        "aggregate_seconds": round(sum(v for k, v in steps.items() if k != "import_form345"), 2),
        "warehouse": url.split(":", 1)[0], "load_average": [load_before, [round(x, 2) for x in os.getloadavg()]],
    }

    if args.json:
        print(json.dumps(report))
    else:
        print(f"{report['rows']} rows ({report['submissions']} submissions) in {len(paths)} data sets, "
              f"{len(dates)} filing dates ({report['warehouse']})")
        print(f"bare csv read: {floor:.2f} s")
        print(f"run:           {seconds:.2f} s, {cpu_seconds:.1f} s CPU  ({report['ratio']}x the bare read; "
              "target 60 s for a year)")
        for step, took in steps.items():
            print(f"  {step:<24} {took:8.2f} s")
        print(f"peak RSS:      {peak_mb:.0f} MB (target 1024)")
        print(f"load average:  {report['load_average'][0]} before, {report['load_average'][1]} after")
    return 0


if __name__ == "__main__":
    sys.exit(main())
