"""Feed mode over a heavy day: streaming one `.nc.tar.gz` against `gzip -dc | wc -c` of the same file.

    python benchmarks/feed.py [--mb 500] [--work-dir DIR] [--json]

Builds a synthetic day (a small mirror with its daily index) whose Feed archive holds the
day's ownership filings among filler submissions of other forms (random bytes, so the
archive is as large as asked: ownership filings are ~3% of a real archive's bytes), then
times in the same run: `gzip -dc FILE | wc -c` (the floor: decompression alone), and
FeedSource.fetch_all over the day's index (decompress, walk the tar stream, keep and hash
the Forms 3/4/5). Prints MB/s of archive for both, the ratio, and the peak RSS of this
process (the target: >= 50 MB/s on one core, <= 300 MB RSS for a 500 MB archive).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from form4_assets.edgar.feed import FeedSource, feed_path
from form4_assets.edgar.source import MirrorSource
from form4_assets.synthetic.mirror import make_mirror

DAY = dt.date(2024, 7, 9)
FILLER_BYTES = 4 * 1024 * 1024


def build(root: Path, megabytes: int) -> Path:
    make_mirror(root, DAY, DAY, per_day=600, include_seed=False)
    listed = list(MirrorSource(root).list_filings(DAY))
    files = {p.stem: p for p in (root / "Archives" / "edgar" / "data").rglob("*.txt")}
    path = root / feed_path(DAY)
    path.parent.mkdir(parents=True, exist_ok=True)
    target = megabytes * 1024 * 1024
    with tarfile.open(path, "w:gz", compresslevel=1) as tar:
        for i, entry in enumerate(listed):
            data = files[entry.accession].read_bytes()
            info = tarfile.TarInfo(f"{entry.accession}.nc")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        i = 0
        while path.stat().st_size < target:
            data = os.urandom(FILLER_BYTES)
            info = tarfile.TarInfo(f"0009999999-24-{i:06d}.nc")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            i += 1
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=500, help="archive size in MB (default 500)")
    parser.add_argument("--work-dir", default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    root = Path(args.work_dir) if args.work_dir else Path(tempfile.mkdtemp(prefix="form4-feed-"))
    path = root / feed_path(DAY)
    if not path.exists() or path.stat().st_size < args.mb * 1024 * 1024 * 0.95:
        path = build(root, args.mb)
    size_mb = path.stat().st_size / 1e6

    start = time.perf_counter()
    subprocess.run(f"gzip -dc '{path}' | wc -c", shell=True, check=True, stdout=subprocess.DEVNULL)
    floor = time.perf_counter() - start

    listed = list(MirrorSource(root).list_filings(DAY))
    source = FeedSource(MirrorSource(root), root / "feed-store")
    start = time.perf_counter()
    fetched = list(source.fetch_all(listed))
    seconds = time.perf_counter() - start
    report = source.reports[DAY]
    assert report.archive_error is None and report.fallback == 0 and all(f.ok for f in fetched)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {
        "archive_mb": round(size_mb), "filings_kept": report.kept, "members_skipped": report.skipped,
        "gzip_seconds": round(floor, 2), "feed_seconds": round(seconds, 2),
        "gzip_mb_per_s": round(size_mb / floor), "feed_mb_per_s": round(size_mb / seconds),
        "ratio": round(seconds / floor, 2), "peak_rss_mb": round(peak),
    }
    if args.json:
        print(json.dumps(out))
    else:
        print(f"archive {out['archive_mb']} MB: {report.kept} ownership filings kept, {report.skipped} other members skipped")
        print(f"gzip -dc | wc -c: {floor:.2f} s ({out['gzip_mb_per_s']} MB/s)")
        print(f"feed mode:        {seconds:.2f} s ({out['feed_mb_per_s']} MB/s, {out['ratio']}x gzip; target >= 50 MB/s)")
        print(f"peak RSS:         {peak:.0f} MB (target <= 300 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
