"""Parser speed against its floor: full `parse_filing` versus a bare `lxml.etree.fromstring`
of the same filings' ownership XML, measured in the same run.

    python benchmarks/parse.py [--corpus DIR] [--rounds N]

The corpus is the real-filing corpus (`filings/` and `bulk/`); by default it is found
as `shared/corpus` in a parent folder of the repository (or FORM4_CORPUS_DIR), like the
tests do. Each round times both over every filing that has an ownershipDocument,
interleaved in small chunks; the medians over the rounds are printed as ms per filing,
with the median of the per-round ratios. The
target is a ratio of at most 2.5 (full extraction costs at most 1.5 parses more).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
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


def load(corpus: Path) -> tuple[list[bytes], list[bytes]]:
    """Whole filings and their ownership XML parts, for the filings that have one."""
    filings, xml_parts = [], []
    for path in sorted([*(corpus / "filings").iterdir(), *(corpus / "bulk").glob("*.xml")]):
        data = path.read_bytes()
        try:
            clean = normalise_bom(data)
            part = locate_xml(clean, detect_container(clean))
        except FilingError:
            continue  # no ownershipDocument (pre-XML, header only): nothing for lxml to parse
        filings.append(data)
        xml_parts.append(part.data)
    return filings, xml_parts


def time_round(filings: list[bytes], xml_parts: list[bytes], chunk: int = 8) -> tuple[float, float]:
    """One round: (parser seconds, bare-lxml seconds) over all filings.

    The two are interleaved in small chunks of filings, so a burst of load from another
    process on the machine hits both sides alike instead of skewing the ratio."""
    parser_s = lxml_s = 0.0
    parsed = 0
    clock = time.perf_counter
    for i in range(0, len(filings), chunk):
        xml_chunk, filing_chunk = xml_parts[i : i + chunk], filings[i : i + chunk]
        t0 = clock()
        for xml in xml_chunk:
            etree.fromstring(xml)
        t1 = clock()
        for data in filing_chunk:
            parsed += isinstance(parse_filing(data), ParsedFiling)
        t2 = clock()
        lxml_s += t1 - t0
        parser_s += t2 - t1
    if parsed != len(filings):
        raise SystemExit(f"only {parsed} of {len(filings)} filings parsed; the benchmark needs all of them")
    return parser_s, lxml_s


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=None, help="corpus folder with filings/ and bulk/")
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args(argv)
    corpus = args.corpus or find_corpus()
    if corpus is None or not (corpus / "filings").is_dir():
        print("corpus not found: pass --corpus DIR (the folder holding filings/ and bulk/)", file=sys.stderr)
        return 2
    filings, xml_parts = load(corpus)
    n = len(filings)
    time_round(filings, xml_parts)  # warm-up: imports, parser creation, caches
    parser_ms, lxml_ms, ratios = [], [], []
    for _ in range(args.rounds):
        gc.collect()
        full, base = time_round(filings, xml_parts)
        lxml_ms.append(base * 1e3 / n)
        parser_ms.append(full * 1e3 / n)
        ratios.append(full / base)
    ratio = statistics.median(ratios)
    print(f"corpus: {corpus} ({n} filings with an ownershipDocument, {sum(map(len, filings)) / n / 1024:.1f} KiB mean)")
    print(f"rounds: {args.rounds} (median reported)")
    print(f"bare lxml.etree.fromstring of the XML part: {statistics.median(lxml_ms):.4f} ms/filing")
    print(f"parse_filing (full extraction):            {statistics.median(parser_ms):.4f} ms/filing")
    print(f"ratio parser/lxml: {ratio:.2f}x (target <= {TARGET_RATIO}x) -> {'OK' if ratio <= TARGET_RATIO else 'OVER TARGET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
