"""Whether the source can answer for a filing date at all: mirror coverage and live publication.

A day without an index is normally an empty partition (a weekend or holiday: EDGAR had
nothing). Two other cases look the same from the outside and are not:

- a date outside the configured offline mirror: the mirror simply does not know that
  day (for example the nightly schedule's date with the demo's mirror of November 2023);
- a live-mode date whose daily index EDGAR has not published yet (it publishes a day's
  index overnight).

Materializing those as 0 rows and SUCCESS would record a partition that is not true and
make the freshness check call it fresh. They raise `NotCovered` instead, before anything
is written, so the run fails with a message saying what is missing and the partition
stays missing. Pure library code (no Dagster).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from form4_assets.edgar.errors import EdgarError

#: Written by `form4-assets make-mirror`: the mirror's first and last date, holidays included.
SUMMARY_NAME = "synthetic-summary.json"
DAILY_INDEX_RE = re.compile(r"(?:master|form)\.(\d{8})\.idx")
NEW_YORK = ZoneInfo("America/New_York")
#: EDGAR publishes a day's daily index overnight; before this hour of the next day an
#: absent or empty index means "not yet", after it "no filings that day".
PUBLISHED_BY_HOUR = 6


class NotCovered(EdgarError):
    """The source cannot say what was filed on a date (outside the mirror, or not yet published)."""


def mirror_span(root: Path) -> tuple[dt.date, dt.date] | None:
    """The dates a mirror covers: its summary's start..end (so a holiday at either end is
    inside), else its first..last daily index file; None for a mirror with no index."""
    summary = root / SUMMARY_NAME
    if summary.is_file():
        data = json.loads(summary.read_text(encoding="utf-8"))
        return dt.date.fromisoformat(data["start"]), dt.date.fromisoformat(data["end"])
    found = sorted(
        dt.datetime.strptime(m.group(1), "%Y%m%d").date()
        for path in (root / "Archives" / "edgar" / "daily-index").glob("*/QTR*/*.idx")
        if (m := DAILY_INDEX_RE.fullmatch(path.name))
    )
    return (found[0], found[-1]) if found else None


def check_mirror_covers(root: Path, dates: Sequence[dt.date]) -> None:
    """Raise NotCovered naming the first date of `dates` outside the mirror and the mirror's span."""
    span = mirror_span(root)
    outside = [d for d in sorted(dates) if span is None or not span[0] <= d <= span[1]]
    if not outside:
        return
    if span is None:
        raise NotCovered(f"{outside[0]}: the mirror {root} has no daily index at all")
    first, last = span
    where = f"mirror ends at {last}" if outside[0] > last else f"mirror starts at {first}"
    raise NotCovered(
        f"{', '.join(map(str, outside[:5]))}{' ...' if len(outside) > 5 else ''}: outside the offline mirror "
        f"({where}; it covers {first} .. {last}, {root}). Extend it (form4-assets make-mirror), point "
        "FORM4_MIRROR_DIR at one that covers these dates, or use FORM4_EDGAR_MODE=live."
    )


def publication_pending(day: dt.date, now: dt.datetime) -> bool:
    """True while EDGAR may not have published `day`'s daily index yet (until
    PUBLISHED_BY_HOUR, New York time, of the next day). `now` must be timezone-aware."""
    deadline = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(PUBLISHED_BY_HOUR), NEW_YORK)
    return now < deadline


def check_published(day: dt.date, listed: int, now: dt.datetime) -> None:
    """Raise NotCovered when `day`'s live index listed nothing while it may not be published yet."""
    if listed == 0 and publication_pending(day, now):
        raise NotCovered(
            f"{day}: EDGAR's daily index is not published yet (it appears overnight); re-run after "
            f"{PUBLISHED_BY_HOUR:02d}:00 America/New_York on {day + dt.timedelta(days=1)}"
        )
