"""Filing sources: where a day's Forms 3/4/5 come from, offline or live.

Both sources answer the same two questions — which ownership filings were made on a day,
and what are their bytes — so the ingest asset does not care whether it reads a mirror
directory (the embedded default, no network at all) or EDGAR itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from form4_assets.edgar.errors import EdgarError
from form4_assets.edgar.index import IndexEntry, IndexListing, is_missing_index_body, parse_daily_index
from form4_assets.edgar.paths import InvalidIdentifier, daily_index_path, filing_path, legacy_filing_path


@dataclass(frozen=True)
class FetchedFiling:
    """The outcome for one index entry: its unmodified bytes, or why they are missing."""

    entry: IndexEntry
    local_path: Path | None
    sha256: str | None
    size: int | None
    data: bytes | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@runtime_checkable
class FilingSource(Protocol):
    def list_filings(self, day: dt.date) -> list[IndexEntry]:
        """Forms 3/4/5 and /A filed on `day`, one per accession; [] when there is no index."""
        ...

    def fetch_all(self, entries: Iterable[IndexEntry]) -> Iterator[FetchedFiling]:
        """One FetchedFiling per entry, in input order."""
        ...


def filing_candidates(entry: IndexEntry) -> list[str]:
    """EDGAR paths that may hold the submission: the current folder layout, then the
    index's own (older) path. Raises InvalidIdentifier for an entry that was not validated."""
    return [filing_path(entry.cik, entry.accession), legacy_filing_path(entry.cik, entry.accession)]


def fetched(entry: IndexEntry, path: Path, data: bytes) -> FetchedFiling:
    return FetchedFiling(entry, path, hashlib.sha256(data).hexdigest(), len(data), data, None)


class MirrorSource:
    """A directory laid out like EDGAR (`ROOT/Archives/edgar/...`), read without any HTTP."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def _check_root(self) -> None:
        if not self.root.is_dir():
            raise EdgarError(f"mirror directory {self.root} does not exist")

    def list_filings(self, day: dt.date) -> IndexListing:
        self._check_root()
        for kind in ("master", "form"):
            rel = daily_index_path(day, kind)
            path = self.root / rel
            if path.is_file():
                data = path.read_bytes()
                if is_missing_index_body(data):
                    return IndexListing(source=str(path))
                return parse_daily_index(data, str(path)).unique()
        return IndexListing(source=str(self.root / daily_index_path(day)))

    def fetch(self, entry: IndexEntry) -> FetchedFiling:
        try:
            candidates = filing_candidates(entry)
        except InvalidIdentifier as exc:
            return FetchedFiling(entry, None, None, None, None, f"invalid index entry: {exc}")
        for rel in candidates:
            path = self.root / rel
            try:
                return fetched(entry, path, path.read_bytes())
            except FileNotFoundError:
                continue
            except OSError as exc:
                return FetchedFiling(entry, None, None, None, None, f"cannot read {path}: {exc}")
        return FetchedFiling(entry, None, None, None, None, f"not in mirror {self.root}: tried {', '.join(candidates)}")

    def fetch_all(self, entries: Iterable[IndexEntry]) -> Iterator[FetchedFiling]:
        self._check_root()
        for entry in entries:
            yield self.fetch(entry)
