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
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=None, help="corpus folder with filings/ and bulk/")
    ap.add_argument("--rounds", type=int, default=11)
    args = ap.parse_args(argv)
    corpus = args.corpus or find_corpus()
    if corpus is None or not (corpus / "filings").is_dir():
        print("corpus not found: pass --corpus DIR (the folder holding filings/ and bulk/)", file=sys.stderr)
        return 2
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
