"""Benchmark: how long the synthetic mirror generator takes for N business days.

    python benchmarks/make_mirror.py [--days 20] [--per-day 1200] [--seed 345]

Generates the mirror into a temporary directory and, as the baseline measured in the same
run, writes the very same files (same folders, same bytes) into another temporary
directory with plain ``open().write()``: the file-system cost any generator must pay. It
prints both times, the ratio, and filings per second, so the figure means something on
any disk (generation should stay within a small multiple of the raw write).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=20)
    parser.add_argument("--per-day", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=345)
    parser.add_argument("--start", type=dt.date.fromisoformat, default=dt.date(2024, 7, 1))
    args = parser.parse_args()

    from form4_assets.synthetic.mirror import SUMMARY_NAME, make_mirror
    from form4_assets.edgar.business_days import business_days

    days = list(business_days(args.start, args.start + dt.timedelta(days=args.days * 2 + 14)))[: args.days]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "mirror"
        began = time.perf_counter()
        make_mirror(root, days[0], days[-1], per_day=args.per_day, seed=args.seed)
        generate = time.perf_counter() - began

        files = [(p.relative_to(root), p.read_bytes()) for p in sorted(root.rglob("*")) if p.is_file()]
        copy_root = Path(tmp) / "copy"
        began = time.perf_counter()
        made: set[Path] = set()
        for rel, data in files:
            folder = copy_root / rel.parent
            if folder not in made:
                os.makedirs(folder, exist_ok=True)
                made.add(folder)
            with open(copy_root / rel, "wb") as out:
                out.write(data)
        baseline = time.perf_counter() - began

        import json

        totals = json.loads((root / SUMMARY_NAME).read_text())["totals"]
    size = sum(len(d) for _, d in files)
    print(f"days={len(days)} per_day={args.per_day} filings={totals['filings']} files={len(files)} "
          f"bytes={size / 1e6:.1f}MB")
    print(f"generate: {generate:.2f}s ({totals['filings'] / generate:.0f} filings/s)")
    print(f"baseline (write the same files): {baseline:.2f}s")
    print(f"ratio generate/baseline: {generate / baseline:.1f}x")


if __name__ == "__main__":
    main()
