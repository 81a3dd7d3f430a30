"""Filing sources: where a day's Forms 3/4/5 come from, offline or live.

Both sources answer the same two questions — which ownership filings were made on a day,
and what are their bytes — so the ingest asset does not care whether it reads a mirror
directory (the embedded default, no network at all) or EDGAR itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from form4_assets.edgar import fairaccess
from form4_assets.edgar.cache import FileCache
from form4_assets.edgar.client import DEFAULT_BASE_URL, DEFAULT_MAX_CONNECTIONS, EdgarClient
from form4_assets.edgar.errors import EdgarError, FairAccessBlocked
from form4_assets.edgar.index import IndexEntry, IndexListing, is_missing_index_body, parse_daily_index
from form4_assets.edgar.paths import InvalidIdentifier, daily_index_path, filing_path, legacy_filing_path
from form4_assets.edgar.safe_read import UnsafeFile, read_inside
from form4_assets.parsing import MAX_FILING_BYTES


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
    def list_filings(self, day: dt.date) -> IndexListing:
        """Forms 3/4/5 and /A filed on `day`, one per accession (empty when there is no
        index), with the index lines refused as unsafe in `.rejected`."""
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
    """A directory laid out like EDGAR (`ROOT/Archives/edgar/...`), read without any HTTP.

    Only regular files whose real path is inside the mirror are read, each up to
    MAX_FILING_BYTES (see edgar/safe_read.py): a symlink leading out, a FIFO or a device
    becomes that filing's fetch error, never a read outside the mirror or a hung run.
    """

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
            if os.path.lexists(path):  # a FIFO or a link out is refused, not taken for "no index"
                try:
                    _real, data = read_inside(self.root, path, MAX_FILING_BYTES)
                except (UnsafeFile, OSError) as exc:
                    raise EdgarError(f"cannot read the daily index: {exc}") from exc
                if is_missing_index_body(data):
                    return IndexListing(source=str(path))
                return parse_daily_index(data, str(path)).unique()
        return IndexListing(source=str(self.root / daily_index_path(day)))

    def fetch(self, entry: IndexEntry) -> FetchedFiling:
        try:
            candidates = filing_candidates(entry)
        except InvalidIdentifier as exc:
            return FetchedFiling(entry, None, None, None, None, f"invalid index entry: {exc}")
        base = os.fspath(self.root)
        for rel in candidates:
            path = f"{base}{os.sep}{rel}"  # a str: joining Paths cost a tenth of the fetch
            try:
                return fetched(entry, *read_inside(self.root, path, MAX_FILING_BYTES))
            except FileNotFoundError:
                continue
            except UnsafeFile as exc:
                return FetchedFiling(entry, None, None, None, None, str(exc))
            except OSError as exc:
                return FetchedFiling(entry, None, None, None, None, f"cannot read {path}: {exc}")
        return FetchedFiling(entry, None, None, None, None, f"not in mirror {self.root}: tried {', '.join(candidates)}")

    def fetch_all(self, entries: Iterable[IndexEntry]) -> Iterator[FetchedFiling]:
        self._check_root()
        for entry in entries:
            yield self.fetch(entry)


def _today_in_new_york() -> dt.date:
    """EDGAR's calendar day: its daily index for a day is final once that day is over in New York."""
    return dt.datetime.now(ZoneInfo("America/New_York")).date()


class LiveSource:
    """EDGAR over HTTP, within SEC's fair-access rules, through an on-disk cache.

    Nothing is fetched twice: filings (and the daily indexes of past days) are kept under
    `cache_dir/<EDGAR path>` with their SHA-256, and a re-run reads them from there without
    sending a request. `fetch_all` uses a thread pool so the 10 requests/second budget is
    actually used despite EDGAR's latency; the budget itself is enforced process-wide by
    the client, retries included.
    """

    def __init__(
        self,
        user_agent: str,
        cache_dir: Path | str,
        base_url: str = DEFAULT_BASE_URL,
        max_requests_per_second: float = fairaccess.EDGAR_MAX_REQUESTS_PER_SECOND,
        max_workers: int = DEFAULT_MAX_CONNECTIONS,
        today: Callable[[], dt.date] = _today_in_new_york,
        **client_options: float,
    ) -> None:
        """`client_options` (retries, backoff_factor, timeout, ...) go to EdgarClient, whose defaults stand."""
        if max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, got {max_workers!r}")
        self.client = EdgarClient(
            user_agent,
            base_url,
            max_requests_per_second=max_requests_per_second,
            max_connections=max_workers,
            **client_options,  # type: ignore[arg-type]
        )
        self.cache = FileCache(cache_dir)
        self.max_workers = max_workers
        self._today = today

    def list_filings(self, day: dt.date) -> IndexListing:
        rel = daily_index_path(day)
        url = self.client.url(rel)
        cached = self.cache.read(rel)
        if cached is not None:
            return parse_daily_index(cached.data, url).unique()
        response = self.client.get(rel)
        if response.missing:
            return IndexListing(source=url)
        if response.status != 200:
            raise EdgarError(f"daily index {url}: HTTP {response.status} after {response.retries} retries")
        listing = parse_daily_index(response.data, url)
        if day < self._today():
            # Only a finished day's index is final; today's (or a future day's) may still change.
            self.cache.write(rel, response.data)
        return listing.unique()

    def fetch(self, entry: IndexEntry) -> FetchedFiling:
        """One filing from the cache or EDGAR; failures other than a fair-access block are
        returned as FetchedFiling.error so one bad filing does not sink a day."""
        try:
            candidates = filing_candidates(entry)
        except InvalidIdentifier as exc:
            return FetchedFiling(entry, None, None, None, None, f"invalid index entry: {exc}")
        for rel in candidates:
            cached = self.cache.read(rel)
            if cached is not None:
                return FetchedFiling(entry, cached.path, cached.sha256, len(cached.data), cached.data, None)
        misses = []
        for rel in candidates:
            try:
                response = self.client.get(rel)
            except FairAccessBlocked:
                raise
            except EdgarError as exc:
                return FetchedFiling(entry, None, None, None, None, str(exc))
            if response.status == 200:
                stored = self.cache.write(rel, response.data)
                return FetchedFiling(entry, stored.path, stored.sha256, len(stored.data), stored.data, None)
            if response.missing:
                misses.append(f"{response.url} (HTTP {response.status})")
                continue
            error = f"HTTP {response.status} from {response.url} after {response.retries} retries"
            return FetchedFiling(entry, None, None, None, None, error)
        return FetchedFiling(entry, None, None, None, None, "not on EDGAR: " + ", ".join(misses))

    def fetch_all(self, entries: Iterable[IndexEntry]) -> Iterator[FetchedFiling]:
        """Fetch concurrently, yield in input order; a fair-access block cancels the rest."""
        lookahead = self.max_workers * 4
        with ThreadPoolExecutor(self.max_workers, thread_name_prefix="edgar-fetch") as pool:
            pending: deque[Future[FetchedFiling]] = deque()
            try:
                for entry in entries:
                    pending.append(pool.submit(self.fetch, entry))
                    if len(pending) >= lookahead:
                        yield pending.popleft().result()
                while pending:
                    yield pending.popleft().result()
            finally:
                for future in pending:
                    future.cancel()

    def close(self) -> None:
        self.client.close()
