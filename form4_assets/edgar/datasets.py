"""The SEC's quarterly Form 345 data sets, downloaded from live EDGAR into the cache.

A quarter's `YYYYqN_form345.zip` (8 to 16 MB) is one request through the same
fair-access client as the filings (User-Agent, the rate gate, retries, size and deadline
limits) and is kept in the live cache under its own path below www.sec.gov, with its
SHA-256: a published quarter never changes, so a second import reads it from there and
sends no request.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from form4_assets.edgar.errors import EdgarError
from form4_assets.edgar.paths import form345_dataset_path
from form4_assets.edgar.source import LiveSource

QUARTER_RE = re.compile(r"([0-9]{4})q([1-4])")


def parse_quarter(text: str) -> tuple[int, int]:
    """`2024q3` -> (2024, 3); anything else is a ValueError naming the expected form."""
    match = QUARTER_RE.fullmatch(text.strip().lower())
    if match is None:
        raise ValueError(f"a quarter is written YYYYqN, e.g. 2024q3, not {text!r}")
    return int(match.group(1)), int(match.group(2))


def download_dataset(source: LiveSource, year: int, quarter: int) -> Path:
    """The cached data set of the quarter, downloaded first when it is not cached intact."""
    rel = form345_dataset_path(year, quarter)
    cached = source.cache.read(rel)
    if cached is not None:
        return cached.path
    response = source.client.get(rel)
    if response.missing:
        raise EdgarError(f"no Form 345 data set for {year}q{quarter} at {response.url} (HTTP {response.status})")
    if response.status != 200:
        raise EdgarError(f"Form 345 data set {response.url}: HTTP {response.status} after {response.retries} retries")
    return source.cache.write(rel, response.data).path


def download_quarters(quarters: Sequence[str], user_agent: str, cache_dir: Path, *, base_url: str,
                      max_requests_per_second: float) -> list[Path]:
    """The cached data set of each quarter (YYYYqN), downloaded through one live client as needed.

    Raises ValueError for a quarter not written YYYYqN (before any request) and EdgarError
    for one EDGAR does not have."""
    wanted = [parse_quarter(q) for q in quarters]
    source = LiveSource(user_agent, cache_dir, base_url=base_url, max_requests_per_second=max_requests_per_second)
    try:
        return [download_dataset(source, year, quarter) for year, quarter in wanted]
    finally:
        source.close()
