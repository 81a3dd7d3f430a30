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
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from form4_assets.edgar.index import IndexEntry, IndexListing
from form4_assets.edgar.paths import ACCESSION_RE, quarter
from form4_assets.edgar.safe_read import UnsafeFile, open_regular_file, real_path_inside
from form4_assets.edgar.source import FetchedFiling, MirrorSource

#: A member larger than this is not a filing the parser would take (its own cap).
MAX_MEMBER_BYTES = 50 * 1024 * 1024


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


def stream_members(
    archive: BinaryIO, wanted: set[str], store: Path, report: FeedReport
) -> Iterator[tuple[str, Path, str, int]]:
    """(accession, stored path, sha256, size) for each wanted member of a streamed archive.

    Raises tarfile.TarError / OSError / EOFError when the archive itself is corrupt; the
    members stored before that point stay valid (each is written whole, then renamed).
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
            path = store / f"{accession}.nc"
            partial = path.with_suffix(".nc.partial")
            partial.write_bytes(data)
            os.replace(partial, path)
            report.kept += 1
            yield accession, path, hashlib.sha256(data).hexdigest(), len(data)


class FeedSource:
    """Raw filings from the day's Feed archive of a mirror, listed by the daily index, with
    per-filing fetch from the mirror as the fallback."""

    def __init__(self, mirror: MirrorSource, store_dir: Path | str) -> None:
        self.mirror = mirror
        self.store_dir = Path(store_dir)
        self.reports: dict[dt.date, FeedReport] = {}

    def list_filings(self, day: dt.date) -> IndexListing:
        return self.mirror.list_filings(day)

    def fetch_all(self, entries: Iterable[IndexEntry]) -> Iterator[FetchedFiling]:
        entries = list(entries)
        by_day: dict[dt.date, list[IndexEntry]] = {}
        for entry in entries:
            by_day.setdefault(entry.date_filed, []).append(entry)
        got: dict[str, FetchedFiling] = {}
        for day, listed in by_day.items():
            got.update(self._from_archive(day, listed))
        for entry in entries:
            report = self.reports[entry.date_filed]
            member = f"{entry.accession}.nc"
            if entry.accession in got:
                yield got[entry.accession]
            elif member in report.refused:
                yield FetchedFiling(entry, None, None, None, None,
                                    f"Feed archive member {member} refused: {report.refused[member]}")
            else:
                report.fallback += 1
                yield self.mirror.fetch(entry)

    def _from_archive(self, day: dt.date, listed: list[IndexEntry]) -> dict[str, FetchedFiling]:
        path = self.mirror.root / feed_path(day)
        report = self.reports[day] = FeedReport(str(path))
        wanted = {e.accession: e for e in listed}
        store = self.store_dir / f"{day:%Y%m%d}"
        out: dict[str, FetchedFiling] = {}
        try:
            # Only a regular file inside the mirror: a symlink out, a FIFO or a device is refused.
            archive = io.BufferedReader(open_regular_file(real_path_inside(self.mirror.root, path)), 1 << 20)
        except UnsafeFile as exc:
            report.archive_error = f"Feed archive {exc}"
            return out
        except OSError as exc:
            report.archive_error = f"no Feed archive: {exc.strerror or exc}"
            return out
        store.mkdir(parents=True, exist_ok=True)
        try:
            with archive:
                for accession, stored, digest, size in stream_members(archive, set(wanted), store, report):
                    out[accession] = FetchedFiling(wanted[accession], stored, digest, size, None, None)
        except (tarfile.TarError, OSError, EOFError) as exc:
            report.archive_error = f"corrupt Feed archive after {report.kept} filings: {exc}"
        return out
