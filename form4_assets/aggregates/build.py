"""Compute and write the aggregate tables for a set of filing dates, one transaction per date.

Dates are processed in ascending order and each date is committed before the next is
computed, because a date's figures read what earlier dates wrote (an amendment chains
onto the links of earlier amendments; an issuer-day sums rows of earlier partitions).
Each date goes through `replace_partitions_in`, so re-running a date replaces exactly its
rows and a failure leaves the earlier dates written and the failing one untouched.

A date is computed and written inside one `write_transaction`: the warehouse write lock
is held from the first read to the commit, so two runs on different dates at once
compute one after the other, each from a state the other cannot change halfway. Which
one goes first still matters when the later date runs first; that date's aggregates are
then stale, and form4_assets.aggregates.staleness names them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from form4_assets.aggregates.activity import compute_issuer_daily_activity
from form4_assets.aggregates.cluster_buys import compute_cluster_buys
from form4_assets.aggregates.effective import build_effective_rows, compute_supersessions
from form4_assets.aggregates.net_selling import NAME, NetSellingSweep
from form4_assets.aggregates.sources import source_of
from form4_assets.warehouse.store import replace_partitions_in, write_transaction


def build_effective_transactions(engine: sa.Engine, dates: Sequence[dt.date]) -> dict[str, int]:
    """supersessions and effective_transactions for each date, from its parsed filings or,
    for a date whose filings were never fetched, the SEC's data set (aggregates.sources);
    rows written per table."""
    written: Counter[str] = Counter()
    for day in sorted(set(dates)):
        with write_transaction(engine) as conn:
            source = source_of(conn, day)
            links = compute_supersessions(conn, [day], source)
            rows = build_effective_rows(conn, [day], links, source)
            written.update(replace_partitions_in(conn, [day], {"supersessions": links, "effective_transactions": rows}))
    return dict(written)


def per_day(
    engine: sa.Engine, dates: Sequence[dt.date], name: str, compute: Callable[[sa.Connection, dt.date], list[dict[str, Any]]]
) -> dict[str, int]:
    """Compute and replace table `name` one filing date at a time, in date order (a date's
    rows may read the earlier dates'), each date its own transaction; rows written."""
    written: Counter[str] = Counter()
    for day in sorted(set(dates)):
        with write_transaction(engine) as conn:
            written.update(replace_partitions_in(conn, [day], {name: compute(conn, day)}))
    return {name: written[name]}


def build_issuer_daily_activity(engine: sa.Engine, dates: Sequence[dt.date]) -> dict[str, int]:
    return per_day(engine, dates, "issuer_daily_activity", compute_issuer_daily_activity)


def build_net_insider_selling(engine: sa.Engine, dates: Sequence[dt.date]) -> dict[str, int]:
    """One sweep over the dates (form4_assets.aggregates.net_selling), each date still its own
    transaction; the rows a date shares with the previous one are neither bound nor sent again
    (copied in SQL)."""
    name = NAME
    wanted = sorted(set(dates))
    if not wanted:
        return {name: 0}
    sweep = NetSellingSweep(last=wanted[-1])
    written = 0
    for day in wanted:
        with write_transaction(engine) as conn:
            written += sweep.write(conn, day)
    return {name: written}


def build_cluster_buys(engine: sa.Engine, dates: Sequence[dt.date]) -> dict[str, int]:
    return per_day(engine, dates, "cluster_buys", compute_cluster_buys)
