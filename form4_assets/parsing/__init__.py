"""Pure parsing of Forms 3/4/5: bytes of one filing in, typed rows or a quarantine reason out.

    from form4_assets.parsing import parse_filing, ParsedFiling, Quarantined
    result = parse_filing(data, source="path/or/url", accession="0001628280-23-037880")

No Dagster here: the asset code calls this library, tests and the `form4-assets parse`
command call it directly.
"""

from form4_assets.parsing.filing import MAX_FILING_BYTES, parse_filing
from form4_assets.parsing.model import ParsedFiling, Quarantined

__all__ = ["MAX_FILING_BYTES", "ParsedFiling", "Quarantined", "parse_filing"]
