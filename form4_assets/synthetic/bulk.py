"""The synthetic mirror's bulk files: daily Feed archives and quarterly Form 345 data sets.

`make_mirror` hands every filing it writes to a `BulkWriter`, which keeps the day's
filings for the day's Feed archive (`synthetic.feed`) and their rows for the quarter's
data set (`synthetic.form345`), so both say what the daily indexes and the manifest say.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from form4_assets.synthetic.feed import DEFAULT_SHARE, write_feed_archive
from form4_assets.synthetic.form345 import DatasetWriter
from form4_assets.synthetic.indexes import IndexLine
from form4_assets.synthetic.ownership_xml import Document, Envelope


@dataclass(frozen=True)
class BulkOptions:
    """Which bulk files a mirror gets: Feed archives (with the ownership filings' share of
    their bytes, and a floor on each archive's size for a heavy benchmark day) and data sets."""

    feed: bool = False
    data_sets: bool = False
    feed_share: float = DEFAULT_SHARE
    feed_min_bytes: int = 0


class BulkWriter:
    def __init__(self, root: Path, seed: int, options: BulkOptions) -> None:
        self.root, self.seed, self.options = root, seed, options
        self.datasets = DatasetWriter(root) if options.data_sets else None
        self.day_filings: list[tuple[str, bytes]] = []

    def filing(self, accession: str, data: bytes, env: Envelope | None = None, doc: Document | None = None,
               broken: bool = False) -> None:
        """One filing as written; `env`/`doc` None for the real seed filing (no data-set rows)."""
        if self.options.feed:
            self.day_filings.append((accession, data))
        if self.datasets is not None and env is not None and doc is not None and not broken:
            self.datasets.add(env, doc)

    def day_done(self, day: dt.date, other_lines: list[IndexLine]) -> None:
        if self.options.feed:
            others = [(line.accession, line.form_type) for line in other_lines]
            write_feed_archive(self.root, day, self.day_filings, others, self.seed,
                               self.options.feed_share, self.options.feed_min_bytes)
        self.day_filings = []

    def close(self) -> list[Path]:
        """Finish the last quarter's data set; the data sets written."""
        if self.datasets is None:
            return []
        self.datasets.finish_quarter()
        return self.datasets.written

