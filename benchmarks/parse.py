"""Parser speed against its floor: full `parse_filing` versus a bare `lxml.etree.fromstring`
of the same filings' ownership XML, measured in the same run.

    python benchmarks/parse.py [--corpus DIR] [--rounds N]

The corpus is the real-filing corpus (`filings/` and `bulk/`); by default it is found
as `shared/corpus` in a parent folder of the repository (or FORM4_CORPUS_DIR), like the
tests do. Each round times both, filing by filing back to back (fastest of five
alternating tries each), over every filing that has an ownershipDocument; the medians
over the rounds are printed as ms per filing, with the median of the per-round ratios,
for all filings and for the complete submissions alone (which also pay for the SEC
header). The
target is a ratio of at most 2.5 (full extraction costs at most 1.5 parses more).

    python benchmarks/parse.py --step WAREHOUSE.sqlite

splits instead the CPU of the parse_filings step's own work over a warehouse a
`benchmarks/year.py --work-dir DIR` run left (DIR/year.sqlite, copied first: nothing is
changed in it): per day, the raw filings read back, then reading and hashing their stored
bytes, `parse_filing` alone, `parsed_rows` (read, hash, parse, the bounds, the rows) and
`write_parsed_day` (the day's transaction), each in CPU and wall seconds. Dagster's own
part of the step is what the step's seconds in year.py add to these.

    python benchmarks/parse.py --pathological [--corpus DIR]

times instead the pathological filings of issue 14, each made from the seed at a size
and at 8 times that size: 25,000 vs 200,000 footnote ids in one field, 31 vs 250
footnotes (or remarks) nested in one another with 160 KB of text at each level (40 MB). The
parser must scale linearly: the CPU-time ratio of the two sizes is 8 for linear work
(somewhat more for the 40 MB texts, which no longer fit a cache) and 64 for quadratic
work; over 24 is OVER TARGET. The peak of Python memory (tracemalloc) of the large one
is printed against its size. (Before the fixes: 39x, 112x and 132x, and 4.8 GiB of
peak memory for the nested footnotes.)
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from form4_assets.parsing import ParsedFiling, parse_filing
from form4_assets.parsing.container import detect_container, locate_xml, normalise_bom
from form4_assets.parsing.errors import FilingError

REPO_ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 2.5


def find_corpus() -> Path | None:
    env = os.environ.get("FORM4_CORPUS_DIR")
    candidates = [Path(env)] if env else []
    candidates += [p / "shared" / "corpus" for p in REPO_ROOT.parents]
    return next((c for c in candidates if (c / "MANIFEST.tsv").is_file()), None)


@dataclass(frozen=True)
class Sample:
    """One filing: its bytes, its ownership XML part, and whether it has an SEC header."""

    data: bytes
    xml: bytes
    with_header: bool


def load(corpus: Path) -> list[Sample]:
    """Every corpus filing that has an ownershipDocument (the others give lxml nothing)."""
    samples = []
    for path in sorted([*(corpus / "filings").iterdir(), *(corpus / "bulk").glob("*.xml")]):
        data = path.read_bytes()
        clean = normalise_bom(data)
        container = detect_container(clean)
        try:
            part = locate_xml(clean, container)
        except FilingError:
            continue  # pre-XML text form or header only
        samples.append(Sample(data, part.data, container != "xml"))
    return samples


def time_round(samples: list[Sample], repeats: int = 5) -> tuple[list[float], list[float]]:
    """One round: per filing, the bare-lxml seconds and the parser seconds.

    The two are measured back to back on the same filing, `repeats` times alternately,
    keeping the fastest of each (as `timeit` advises): a time slice lost to another
    process on the machine then inflates neither side, instead of one at random."""
    clock = time.perf_counter
    fromstring = etree.fromstring
    lxml_s, parser_s = [], []
    for sample in samples:
        best_lxml = best_parser = float("inf")
        for _ in range(repeats):
            t0 = clock()
            fromstring(sample.xml)
            t1 = clock()
            result = parse_filing(sample.data)
            t2 = clock()
            best_lxml = min(best_lxml, t1 - t0)
            best_parser = min(best_parser, t2 - t1)
        if not isinstance(result, ParsedFiling):
            raise SystemExit(f"a filing did not parse ({result.reason}); the benchmark needs real extractions")
        lxml_s.append(best_lxml)
        parser_s.append(best_parser)
    return lxml_s, parser_s


def report(label: str, rounds: list[tuple[list[float], list[float]]], keep: list[bool]) -> None:
    """Median over rounds of ms/filing for both sides and of the per-round ratio."""
    n = sum(keep)
    lxml_ms, parser_ms, ratios = [], [], []
    for lxml_s, parser_s in rounds:
        base = sum(t for t, k in zip(lxml_s, keep) if k)
        full = sum(t for t, k in zip(parser_s, keep) if k)
        lxml_ms.append(base * 1e3 / n)
        parser_ms.append(full * 1e3 / n)
        ratios.append(full / base)
    ratio = statistics.median(ratios)
    verdict = "OK" if ratio <= TARGET_RATIO else "OVER TARGET"
    print(f"{label} ({n} filings)")
    print(f"  bare lxml.etree.fromstring of the XML part: {statistics.median(lxml_ms):.4f} ms/filing")
    print(f"  parse_filing (full extraction):            {statistics.median(parser_ms):.4f} ms/filing")
    print(f"  ratio parser/lxml: {ratio:.2f}x, best round {min(ratios):.2f}x (target <= {TARGET_RATIO}x) -> {verdict}")


def _footnote_ids(seed: bytes, n: int) -> bytes:
    refs = b"".join(b'<footnoteId id="F%d"/>' % (i % 2 + 1) for i in range(n))
    return seed.replace(b"<value>50000</value>", b"<value>50000</value>" + refs, 1)


def _nested(seed: bytes, levels: int, tag: bytes) -> bytes:
    chunk = b"x" * 160_000
    if tag == b"footnote":
        nested = b"".join(b'<footnote id="N%d">' % i + chunk for i in range(levels)) + b"</footnote>" * levels
        return seed.replace(b'<footnote id="F1">', b'<footnote id="F1">' + nested, 1)
    nested = (b"<remarks>" + chunk) * levels + b"</remarks>" * levels
    return seed.replace(b"<remarks></remarks>", nested, 1)


PATHOLOGICAL: tuple[tuple[str, Callable[[bytes, int], bytes], int], ...] = (
    ("footnote ids in one field", _footnote_ids, 25_000),
    ("footnotes nested in a footnote", lambda seed, n: _nested(seed, n, b"footnote"), 31),
    ("remarks nested in remarks", lambda seed, n: _nested(seed, n, b"remarks"), 31),
)
LINEAR_LIMIT = 24.0


def _best_parse(data: bytes, repeats: int = 5) -> float:
    """Fewest CPU seconds of `repeats` parses (CPU time: other processes do not count)."""
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        t0 = time.process_time()
        result = parse_filing(data)
        best = min(best, time.process_time() - t0)
    if not isinstance(result, ParsedFiling):
        raise SystemExit(f"a pathological filing did not parse ({result.reason}: {result.message})")
    return best


def pathological(seed: bytes) -> int:
    """Each pathological filing at n and 8n: seconds, the ratio, and the peak memory."""
    over = False
    for label, make, n in PATHOLOGICAL:
        small, large = make(seed, n), make(seed, 8 * n)
        t_small, t_large = _best_parse(small), _best_parse(large)
        tracemalloc.start()
        parse_filing(large)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        ratio = t_large / t_small
        over |= ratio > LINEAR_LIMIT
        verdict = "OK" if ratio <= LINEAR_LIMIT else "OVER TARGET"
        print(f"{label}: {n} -> {8 * n}: {t_small:.3f} -> {t_large:.3f} CPU s, ratio {ratio:.1f}x "
              f"(linear 8x, limit {LINEAR_LIMIT:.0f}x) -> {verdict}; "
              f"peak Python memory {peak / 2**20:.0f} MiB for {len(large) / 2**20:.1f} MiB")
    return 1 if over else 0


def step(warehouse: Path) -> int:
    """CPU and wall seconds of the parse step's parts over every day of `warehouse`'s raw_filings."""
    import datetime as dt
    import hashlib
    import shutil
    import tempfile

    import sqlalchemy as sa

    from form4_assets.edgar.safe_read import read_regular_file
    from form4_assets.parsing import MAX_FILING_BYTES
    from form4_assets.pipeline.day import parsed_rows
    from form4_assets.pipeline.relisting import write_parsed_day
    from form4_assets.warehouse.store import read_partition

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "warehouse.sqlite"
        shutil.copyfile(warehouse, copy)
        engine = sa.create_engine(f"sqlite:///{copy}")
        with engine.connect() as conn:
            days = [dt.date.fromisoformat(str(d)) for (d,) in
                    conn.execute(sa.text("SELECT DISTINCT FILING_DATE FROM raw_filings ORDER BY 1"))]
        parts = ("read and hash the stored bytes", "parse_filing", "parsed_rows (all of the above and the rows)",
                 "write_parsed_day")
        spent = {part: [0.0, 0.0] for part in parts}
        filings = 0
        for day in days:
            raws = read_partition(engine, "raw_filings", day)
            filings += len(raws)
            marks = [(time.process_time(), time.perf_counter())]
            stored = [(raw, read_regular_file(raw["LOCAL_PATH"], MAX_FILING_BYTES)) for raw in raws if raw["LOCAL_PATH"]]
            for _, data in stored:
                hashlib.sha256(data).hexdigest()
            marks.append((time.process_time(), time.perf_counter()))
            for raw, data in stored:
                parse_filing(data, source=raw["LOCAL_PATH"], accession=raw["ACCESSION_NUMBER"])
            marks.append((time.process_time(), time.perf_counter()))
            tables = parsed_rows(raws, day)
            marks.append((time.process_time(), time.perf_counter()))
            write_parsed_day(engine, day, raws, tables)
            marks.append((time.process_time(), time.perf_counter()))
            for part, (cpu0, wall0), (cpu1, wall1) in zip(parts, marks, marks[1:]):
                spent[part][0] += cpu1 - cpu0
                spent[part][1] += wall1 - wall0
        engine.dispose()
    print(f"{warehouse}: {filings} raw filings over {len(days)} days (load average {os.getloadavg()[0]:.1f})")
    for part, (cpu, wall) in spent.items():
        print(f"  {part:45s} CPU {cpu:6.2f} s ({cpu / filings * 1e3:.3f} ms/filing), wall {wall:6.2f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=None, help="corpus folder with filings/ and bulk/")
    ap.add_argument("--rounds", type=int, default=11)
    ap.add_argument("--pathological", action="store_true", help="time the issue-14 pathological filings instead")
    ap.add_argument("--step", type=Path, default=None, metavar="WAREHOUSE.sqlite",
                    help="split the parse step's CPU over the raw filings of this SQLite warehouse instead")
    args = ap.parse_args(argv)
    if args.step is not None:
        return step(args.step)
    corpus = args.corpus or find_corpus()
    if corpus is None or not (corpus / "filings").is_dir():
        print("corpus not found: pass --corpus DIR (the folder holding filings/ and bulk/)", file=sys.stderr)
        return 2
    if args.pathological:
        return pathological((corpus / "seed" / "0001628280-23-037880.txt").read_bytes())
    samples = load(corpus)
    time_round(samples)  # warm-up: imports, parser creation, caches
    rounds = []
    for _ in range(args.rounds):
        gc.collect()
        rounds.append(time_round(samples))
    mean_kib = sum(len(s.data) for s in samples) / len(samples) / 1024
    print(f"corpus: {corpus} ({len(samples)} filings with an ownershipDocument, {mean_kib:.1f} KiB mean)")
    print(f"rounds: {args.rounds}, medians reported")
    report("all filings", rounds, [True] * len(samples))
    report("complete submissions with an SEC header (.txt/.nc)", rounds, [s.with_header for s in samples])
    return 0


if __name__ == "__main__":
    sys.exit(main())
