"""A year of the SEC's Form 345 data sets into the warehouse, against a bare csv read.

    python benchmarks/bulk.py [--submissions N] [--quarters Q] [--warehouse-url URL] [--work-dir DIR] [--json]

Writes Q synthetic quarterly data sets (`YYYYqN_form345.zip`, the SEC's layout: DD-MON-YYYY
dates, `F1, F2` ids, two-decimal numbers, flags as filed, a quoted field now and then) with
about N submissions in all and the real mix of rows per submission (2024 Q3: 0.53 deriv
transactions, 0.23 deriv holdings, 0.50 non-deriv holdings per submission; about 1.3
non-deriv transactions, 1.1 owners, 1.7 footnotes, 1.1 signatures), then times, in the same
run: a bare `csv.reader` pass over every file of every zip (the floor), and
`form4-assets import-form345` of all of them (one run of form345_import_job through
Dagster, reconciliation included) into a fresh warehouse. Prints seconds, rows, peak RSS,
the ratio and the load average; the targets are 60 s and 1 GiB for a year (200,000
submissions, ~1.5M rows). The rows' values are random within their kinds (a CIK column holds
any text), so they exercise the import, not the aggregates.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import random
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import dagster as dg

from form4_assets.defs.partitions import filing_date_partitions
from form4_assets.defs.resources import WarehouseResource
from form4_assets.form345.dataset import TABLE_FILES
from form4_assets.form345.values import sec_date
from form4_assets.runs import import_form345
from form4_assets.tables import SEC_TABLES_BY_FILE

#: Rows per submission, by table (2024 Q3 figures where the SEC published them).
PER_SUBMISSION = {
    "REPORTINGOWNER.tsv": 1.1, "NONDERIV_TRANS.tsv": 1.3, "NONDERIV_HOLDING.tsv": 0.5,
    "DERIV_TRANS.tsv": 0.53, "DERIV_HOLDING.tsv": 0.23, "FOOTNOTES.tsv": 1.7, "OWNER_SIGNATURE.tsv": 1.1,
}


def _value(kind: str, name: str, rng: random.Random, day: dt.date, n: int) -> str:
    if rng.random() < 0.25 and kind != "date" and not name.endswith("_SK"):  # the SEC's keys are never empty
        return ""
    if kind == "date":
        return sec_date(day - dt.timedelta(days=rng.randint(0, 5)))
    if kind == "decimal":
        return f"{rng.randint(0, 500000)}.{rng.choice(['0', '5', '25', '99'])}"
    if kind == "flag":
        return rng.choice(["0", "1", "true", "false"])
    if kind == "fn":
        return ", ".join(f"F{i}" for i in range(1, rng.randint(1, 3) + 1))
    if kind == "int":
        return str(n)
    if name in ("TRANS_CODE",):
        return rng.choice("PSAMFG")
    if name == "REMARKS" and rng.random() < 0.02:
        return '"Shares held by ""Trust A"""'
    return rng.choice(["Common Stock", "Class A Common Stock", "D", "I", "Director", "See footnote"])


def write_datasets(directory: Path, submissions: int, quarters: int, seed: int = 345) -> list[Path]:
    rng = random.Random(seed)
    keys = [dt.date.fromisoformat(k) for k in filing_date_partitions.get_partition_keys()
            if "2023-01-01" <= k <= "2023-12-31"]
    per_quarter = submissions // quarters
    sk = 1
    paths = []
    for q in range(1, quarters + 1):
        days = [d for d in keys if (d.month - 1) // 3 + 1 == q]
        accessions = [(f"000{rng.randint(1000000, 9999999)}-23-{q:02d}{i:04d}", rng.choice(days)) for i in range(per_quarter)]
        path = directory / f"2023q{q}_form345.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for name in TABLE_FILES:
                spec = SEC_TABLES_BY_FILE[name]
                columns = [c for c in spec.columns if not c.extra and c.name != "AFF10B5ONE"]
                out = io.StringIO()
                out.write("\t".join(c.name for c in columns) + "\n")
                rate = PER_SUBMISSION.get(name, 1.0)
                for accession, day in accessions:
                    count = int(rate) + (rng.random() < rate - int(rate))
                    for i in range(count):
                        fields = []
                        for c in columns:
                            if c.name == "ACCESSION_NUMBER":
                                fields.append(accession)
                            elif c.name == "FILING_DATE":
                                fields.append(sec_date(day))
                            elif c.name == "FOOTNOTE_ID":
                                fields.append(f"F{i + 1}")
                            else:
                                fields.append(_value(c.kind, c.name, rng, day, sk))
                        sk += 1
                        out.write("\t".join(fields) + "\n")
                z.writestr(name, out.getvalue())
        paths.append(path)
    return paths


def bare_read(paths: list[Path]) -> tuple[float, int]:
    start, rows = time.perf_counter(), 0
    for path in paths:
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                with z.open(name) as raw:
                    for _ in csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline=""), delimiter="\t"):
                        rows += 1
    return time.perf_counter() - start, rows - len(paths) * len(TABLE_FILES)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=200_000)
    parser.add_argument("--quarters", type=int, default=4)
    parser.add_argument("--warehouse-url", default=None, help="default: a fresh SQLite file in the work directory")
    parser.add_argument("--work-dir", default=None, help="keep the data sets here (reused when present)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    work = Path(args.work_dir) if args.work_dir else Path(tempfile.mkdtemp(prefix="form4-bulk-"))
    work.mkdir(parents=True, exist_ok=True)
    paths = sorted(work.glob("2023q*_form345.zip"))
    if len(paths) != args.quarters:
        paths = write_datasets(work, args.submissions, args.quarters)
    url = args.warehouse_url or f"sqlite:///{work / f'warehouse-{time.time_ns()}.sqlite'}"

    floor, rows = bare_read(paths)
    start = time.perf_counter()
    result, dates = import_form345(paths, warehouse=WarehouseResource(url=url), instance=dg.DagsterInstance.ephemeral())
    seconds = time.perf_counter() - start
    assert result is not None and result.success
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report = {
        "data_sets": len(paths), "rows": rows, "filing_dates": len(dates), "seconds": round(seconds, 2),
        "bare_csv_seconds": round(floor, 2), "ratio": round(seconds / floor, 1), "peak_rss_mb": round(peak_mb),
        "warehouse": url.split(":", 1)[0], "load_average": [round(x, 2) for x in os.getloadavg()],
    }

    if args.json:
        print(json.dumps(report))
    else:
        print(f"{rows} rows in {len(paths)} data sets, {len(dates)} filing dates ({report['warehouse']})")
        print(f"bare csv read: {floor:.2f} s")
        print(f"import:        {seconds:.2f} s  ({report['ratio']}x the bare read; target 60 s for a year)")
        print(f"peak RSS:      {peak_mb:.0f} MB (target 1024)")
        print(f"load average:  {report['load_average']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
