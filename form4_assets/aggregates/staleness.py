"""Which aggregate partitions are stale: computed before a date they read changed.

Every aggregate partition D is "as known at the end of D" and reads partitions of its
inputs filed on or before D (amendment originals and late filings reach back without
bound, the net-selling window 90 days, the cluster window 10). Loaded in date order,
each date's inputs are final when it is computed. Loaded out of order, or by two runs
at once, a date can be computed before an earlier date lands or changes; its rows then
differ from the date-ordered run's, though its own checks pass.

The warehouse records each partition write in one write order (form4_assets.warehouse.store:
partition_versions, under the write lock). An aggregate partition D is stale when

- a partition of one of its inputs on or before D changed after D was written, or
- one of its aggregate inputs is stale on or before D (it read wrong rows).

The remedy is to re-materialize the aggregates for the stale dates (in one run, which
processes dates in order); afterwards nothing is stale and the tables equal the
date-ordered run's.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa

from form4_assets.aggregates.sources import SEC_DATA_SET
from form4_assets.warehouse.schema import PARTITION_VERSIONS_TABLE

#: The sec_* twins a date without fetched filings is built from (form4_assets.aggregates.sources).
SEC_INPUTS = (SEC_DATA_SET.submission, SEC_DATA_SET.owner, SEC_DATA_SET.nonderiv, SEC_DATA_SET.deriv,
              SEC_DATA_SET.footnotes)

#: The tables each aggregate, signal and outcome table's partition D reads, on D and on earlier dates; in build order.
INPUTS: dict[str, tuple[str, ...]] = {
    "effective_transactions": (
        "submission", "reporting_owner", "filing_headers", "nonderiv_trans", "deriv_trans", "footnotes",
        "supersessions", *SEC_INPUTS,
    ),
    "issuer_daily_activity": ("effective_transactions", "supersessions"),
    "net_insider_selling": ("issuer_daily_activity",),
    "cluster_buys": ("effective_transactions", "supersessions"),
    # The signals (form4_assets.signals), each input taken as read on D and earlier too.
    "filing_timeliness": ("effective_transactions", "submission", "filing_headers", *SEC_INPUTS),
    "trading_plans": ("effective_transactions", "submission", "footnotes", *SEC_INPUTS),
    "insider_patterns": ("effective_transactions", "supersessions"),
    "insider_signals": (
        "effective_transactions", "supersessions", "insider_patterns", "filing_timeliness", "submission",
        "reporting_owner", "nonderiv_trans", *SEC_INPUTS,
    ),
    # The outcomes (form4_assets.outcomes). They also read the user's price file, which is no table of the
    # warehouse and has no partition versions: a grown or corrected price file is the outcomes_job's to
    # re-measure, not a staleness this check can see.
    "trade_outcomes": ("effective_transactions", "supersessions", "filing_headers", "insider_patterns"),
    "insider_track_records": ("trade_outcomes", "supersessions"),
    "signal_outcomes": ("insider_signals", "filing_headers", "effective_transactions", "supersessions"),
}


@dataclass(frozen=True)
class Stale:
    """One stale aggregate partition and the earliest cause found."""

    table: str
    filing_date: dt.date
    because: str


def _versions(conn: sa.Connection) -> dict[str, dict[dt.date, tuple[int, int]]]:
    v = PARTITION_VERSIONS_TABLE
    names = sorted(set(INPUTS) | {t for inputs in INPUTS.values() for t in inputs})
    query = sa.select(v.c.TABLE_NAME, v.c.FILING_DATE, v.c.WRITTEN_SEQ, v.c.CHANGED_SEQ).where(v.c.TABLE_NAME.in_(names))
    out: dict[str, dict[dt.date, tuple[int, int]]] = defaultdict(dict)
    for name, day, written, changed in conn.execute(query):
        out[name][day] = (int(written), int(changed))
    return out


def stale_partitions(conn: sa.Connection) -> dict[str, list[Stale]]:
    """Per aggregate table, its stale partitions in date order (empty lists when all are current)."""
    return _stale(_versions(conn))


def staleness_of(conn: sa.Connection, name: str) -> tuple[list[dt.date], list[Stale]]:
    """The aggregate table's partitions in the warehouse (in date order), and which of them are stale."""
    versions = _versions(conn)
    return sorted(versions[name]), _stale(versions)[name]


def _stale(versions: dict[str, dict[dt.date, tuple[int, int]]]) -> dict[str, list[Stale]]:
    found: dict[str, list[Stale]] = {}
    for name, inputs in INPUTS.items():
        # Every input partition as (date, changed, table), and the upstream aggregates' stale dates.
        changes = sorted((day, seq[1], t) for t in inputs for day, seq in versions[t].items())
        upstream = sorted((s.filing_date, s.table) for t in inputs for s in found.get(t, []))
        stale: list[Stale] = []
        latest: tuple[int, str] | None = None  # highest CHANGED_SEQ on or before the date, and where
        i = j = 0
        first_stale_input: tuple[dt.date, str] | None = None
        for day in sorted(versions[name]):
            while i < len(changes) and changes[i][0] <= day:
                d, changed, t = changes[i]
                if latest is None or changed > latest[0]:
                    latest = (changed, f"{t} {d.isoformat()}")
                i += 1
            while j < len(upstream) and upstream[j][0] <= day:
                first_stale_input = first_stale_input or upstream[j]
                j += 1
            written = versions[name][day][0]
            if latest is not None and latest[0] > written:
                stale.append(Stale(name, day, f"{latest[1]} changed after this partition was written"))
            elif first_stale_input is not None:
                d, t = first_stale_input
                stale.append(Stale(name, day, f"{t} {d.isoformat()} is stale"))
        found[name] = stale
    return found
