"""EDGAR's daily Feed archives as a one-request-a-day source of raw filings.

`Archives/edgar/Feed/YYYY/QTRn/YYYYMMDD.nc.tar.gz` holds every submission disseminated
that day, one `<accession>.nc` member each. Real archives are 100-500 MB and ownership
filings a few percent of them, so the archive is **streamed**: gzip and tar are read
incrementally (`tarfile` mode ``r|gz``), each member's header is checked, and only the
members the day's index lists as Forms 3/4/5 are read and stored (unmodified, with their
SHA-256), one at a time, so memory holds one filing whatever the archive's size. Every
other member is skipped unread. An index entry the archive lacks, or whose member is
corrupt or unsafe, is fetched per filing from the wrapped source instead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import tarfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from form4_assets.edgar.errors import EdgarError
from form4_assets.edgar.index import IndexEntry, IndexListing
from form4_assets.edgar.paths import ACCESSION_RE, InvalidIdentifier, quarter
from form4_assets.edgar.safe_read import UnsafeFile, open_regular_file, real_path_inside
from form4_assets.edgar.source import (
    FetchedFiling,
    LiveSource,
    MirrorSource,
    filing_candidates,
)

#: A member larger than this is not a filing the parser would take (its own cap).
MAX_MEMBER_BYTES = 50 * 1024 * 1024
#: A live archive is refused past this many bytes (real ones are 100-500 MB a day) ...
ARCHIVE_MAX_BYTES = 4 * 1024**3
#: ... or when its download takes longer than this many seconds (each read is also bounded
#: by the client's timeout).
ARCHIVE_DEADLINE = 3600.0


def feed_path(day: dt.date) -> str:
    """The archive's path below the EDGAR root."""
    return f"Archives/edgar/Feed/{day.year}/QTR{quarter(day)}/{day:%Y%m%d}.nc.tar.gz"


@dataclass
class FeedReport:
    """What one day's archive gave: members kept, skipped, refused (with why), and the fallbacks."""

    archive: str
    kept: int = 0
    skipped: int = 0
    refused: dict[str, str] = field(default_factory=dict)
    fallback: int = 0
    archive_error: str | None = None


def _accession_of(member: tarfile.TarInfo) -> str | None:
    """The accession a member is named for, or None when its name is not `<accession>.nc`
    at the archive's top level."""
    name = member.name.removeprefix("./")
    if "/" in name or "\\" in name or not name.endswith(".nc"):
        return None
    stem = name[: -len(".nc")]
    return stem if ACCESSION_RE.fullmatch(stem) else None


def _escapes(name: str) -> bool:
    """A member path that would land outside the archive's folder if extracted."""
    return name.startswith(("/", "\\")) or ".." in name.replace("\\", "/").split("/")


def stream_members(archive: BinaryIO, wanted: set[str], report: FeedReport) -> Iterator[tuple[str, bytes]]:
    """(accession, bytes) for each wanted member of a streamed archive, one at a time.

    Raises tarfile.TarError / OSError / EOFError when the archive itself is corrupt (or,
    live, its download breaks off); the members yielded before that point are whole.
    """
    with tarfile.open(fileobj=archive, mode="r|gz") as tar:
        for member in tar:
            accession = _accession_of(member)
            if _escapes(member.name):
                report.refused[member.name] = "path outside its folder"
                continue
            if accession is None or accession not in wanted:
                report.skipped += 1
                continue
            if not member.isreg():
                report.refused[member.name] = f"not a regular file (tar type {member.type!r})"
                continue
            if member.size > MAX_MEMBER_BYTES:
                report.refused[member.name] = f"{member.size} bytes, over the {MAX_MEMBER_BYTES}-byte cap"
                continue
            handle = tar.extractfile(member)
            assert handle is not None  # a regular file
            data = handle.read(MAX_MEMBER_BYTES + 1)
            if len(data) != member.size:
                report.refused[member.name] = f"{len(data)} bytes where its header says {member.size}"
                continue
            report.kept += 1
            yield accession, data


class ArchiveUnavailable(Exception):
    """The day's archive cannot be read at all (missing, refused): every filing falls back."""


class FeedSource:
    """Raw filings from the day's Feed archive, listed by the daily index, with per-filing
    fetch from the wrapped source as the fallback.

    Over a mirror the archive is a file of the mirror and the kept filings go to
    `store_dir/YYYYMMDD/<accession>.nc`. Over live EDGAR (`LiveSource`) the archive is
    downloaded once through the same fair-access client (User-Agent, rate, retries) and
    streamed as it arrives, never stored, within ARCHIVE_MAX_BYTES and ARCHIVE_DEADLINE;
    the kept filings go into the live cache under their own EDGAR paths, so a re-run,
    or per-filing mode, finds them there, and a day whose filings are all cached
    already sends no request for its archive.
    """

    def __init__(self, base: MirrorSource | LiveSource, store_dir: Path | str) -> None:
        self.base = base
        self.store_dir = Path(store_dir)
        self.reports: dict[dt.date, FeedReport] = {}

    def list_filings(self, day: dt.date) -> IndexListing:
        return self.base.list_filings(day)

    def close(self) -> None:
        if isinstance(self.base, LiveSource):
            self.base.close()

    def fetch_all(self, entries: Iterable[IndexEntry]) -> Iterator[FetchedFiling]:
        entries = list(entries)
        by_day: dict[dt.date, list[IndexEntry]] = {}
        for entry in entries:
            by_day.setdefault(entry.date_filed, []).append(entry)
        got: dict[str, FetchedFiling] = {}
        for day, listed in by_day.items():
            got.update(self._from_archive(day, [e for e in listed if not self._cached(e)]))
        for entry in entries:
            report = self.reports[entry.date_filed]
            member = f"{entry.accession}.nc"
            if entry.accession in got:
                yield got[entry.accession]
            elif member in report.refused:
                yield FetchedFiling(entry, None, None, None, None,
                                    f"Feed archive member {member} refused: {report.refused[member]}")
            else:
                if not self._cached(entry):
                    report.fallback += 1
                yield self.base.fetch(entry)

    def _cached(self, entry: IndexEntry) -> bool:
        """A live filing already in the cache (read from there, no request); never for a mirror."""
        if not isinstance(self.base, LiveSource):
            return False
        try:
            return any(self.base.cache.read(rel) is not None for rel in filing_candidates(entry))
        except InvalidIdentifier:
            return False

    def _from_archive(self, day: dt.date, listed: list[IndexEntry]) -> dict[str, FetchedFiling]:
        report = self.reports[day] = FeedReport(self._where(day))
        out: dict[str, FetchedFiling] = {}
        if not listed:
            return out
        wanted = {e.accession: e for e in listed}
        try:
            with self._open(day) as archive:
                for accession, data in stream_members(archive, set(wanted), report):
                    out[accession] = self._store(wanted[accession], data)
        except ArchiveUnavailable as exc:
            report.archive_error = str(exc)
        except (tarfile.TarError, OSError, EOFError) as exc:
            report.archive_error = f"corrupt Feed archive after {report.kept} filings: {exc}"
        return out

    def _where(self, day: dt.date) -> str:
        if isinstance(self.base, LiveSource):
            return self.base.client.url(feed_path(day))
        return str(self.base.root / feed_path(day))

    @contextmanager
    def _open(self, day: dt.date) -> Iterator[BinaryIO]:
        """The archive as a buffered stream; ArchiveUnavailable when there is none to read."""
        if isinstance(self.base, LiveSource):
            try:
                with self.base.client.stream(feed_path(day), ARCHIVE_MAX_BYTES, ARCHIVE_DEADLINE) as (response, body):
                    if body is None:
                        raise ArchiveUnavailable(f"no Feed archive: HTTP {response.status} from {response.url}")
                    yield io.BufferedReader(body, 1 << 20)
            except EdgarError as exc:  # FairAccessBlocked is not caught: it stops the run
                raise ArchiveUnavailable(f"no Feed archive: {exc}") from exc
            return
        path = self.base.root / feed_path(day)
        try:
            # Only a regular file inside the mirror: a symlink out, a FIFO or a device is refused.
            handle = open_regular_file(real_path_inside(self.base.root, path))
        except UnsafeFile as exc:
            raise ArchiveUnavailable(f"Feed archive {exc}") from exc
        except OSError as exc:
            raise ArchiveUnavailable(f"no Feed archive: {exc.strerror or exc}") from exc
        with io.BufferedReader(handle, 1 << 20) as archive:
            yield archive

    def _store(self, entry: IndexEntry, data: bytes) -> FetchedFiling:
        """Keep one member's bytes, unmodified: in the live cache, or the feed store of a mirror."""
        if isinstance(self.base, LiveSource):
            cached = self.base.cache.write(filing_candidates(entry)[0], data)
            return FetchedFiling(entry, cached.path, cached.sha256, len(data), None, None)
        store = self.store_dir / f"{entry.date_filed:%Y%m%d}"
        store.mkdir(parents=True, exist_ok=True)
        path = store / f"{entry.accession}.nc"
        partial = path.with_suffix(".nc.partial")
        partial.write_bytes(data)
        os.replace(partial, path)
        return FetchedFiling(entry, path, hashlib.sha256(data).hexdigest(), len(data), None, None)
