"""Compute and write the signal tables for a set of filing dates, one transaction per date and table.

As for the aggregates, dates go in ascending order and each is committed before the
next: insider_signals of D reads the insider_patterns and filing_timeliness rows of D
and of earlier dates.

Each table reads its inputs for a block of dates at once (`per_block`): one set of
queries over the block instead of a round of queries per date, each date then computed
from what was read, still as of that date (rows filed after it are read but never
counted for it). The block is read inside its first date's transaction, under the
warehouse write lock; every later date of the block checks, under its own lock, that no
input partition changed since (partition_versions, the staleness tables of
aggregates.staleness), and reads again if one did, so each date is what a one-date
computation gives even when another run writes in between.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, TypeVar

import sqlalchemy as sa

from form4_assets.aggregates.staleness import INPUTS
from form4_assets.signals.patterns import PatternInputs, compute_insider_patterns
from form4_assets.signals.plans import PlanInputs, compute_trading_plans
from form4_assets.signals.screens import ScreenConfig, compute_insider_signals
from form4_assets.signals.timeliness import TimelinessInputs, compute_filing_timeliness
from form4_assets.signals.windows import WindowInputs
from form4_assets.warehouse.schema import PARTITION_VERSIONS_TABLE
from form4_assets.warehouse.store import replace_partitions_in, write_transaction

#: Filing dates read at once. The window and year reads (insider_signals, insider_patterns) cover
#: history before the block, so a long block reads each row about once: half a year of business
#: days. The timeliness and plan reads are the block's own rows: a month's keeps memory small.
LONG_BLOCK, SHORT_BLOCK = 125, 20

State = TypeVar("State")


def _inputs_changed_seq(conn: sa.Connection, name: str) -> int | None:
    """The latest change in write order of any partition of the table's inputs."""
    v = PARTITION_VERSIONS_TABLE
    return conn.execute(sa.select(sa.func.max(v.c.CHANGED_SEQ)).where(v.c.TABLE_NAME.in_(INPUTS[name]))).scalar_one()


def per_block(
    engine: sa.Engine, dates: Sequence[dt.date], name: str,
    read: Callable[[sa.Connection, list[dt.date]], State],
    compute: Callable[[sa.Connection, dt.date, State], list[dict[str, Any]]], block_size: int = SHORT_BLOCK,
) -> dict[str, int]:
    """Compute and replace table `name` one filing date at a time, in date order, each date its
    own transaction, from inputs `read` once per block of dates (again when one changed); rows written."""
    written: Counter[str] = Counter()
    wanted = sorted(set(dates))
    for start in range(0, len(wanted), block_size):
        block = wanted[start : start + block_size]
        state: Any = None
        seen: int | None = None
        for i, day in enumerate(block):
            with write_transaction(engine) as conn:
                changed = _inputs_changed_seq(conn, name)
                if state is None or changed != seen:
                    state, seen = read(conn, block[i:]), changed
                written.update(replace_partitions_in(conn, [day], {name: compute(conn, day, state)}))
    return {name: written[name]}


def build_filing_timeliness(engine: sa.Engine, dates: Sequence[dt.date]) -> dict[str, int]:
    return per_block(engine, dates, "filing_timeliness", TimelinessInputs, compute_filing_timeliness)


def build_trading_plans(engine: sa.Engine, dates: Sequence[dt.date]) -> dict[str, int]:
    return per_block(engine, dates, "trading_plans", PlanInputs, compute_trading_plans)


def build_insider_patterns(engine: sa.Engine, dates: Sequence[dt.date]) -> dict[str, int]:
    return per_block(engine, dates, "insider_patterns", PatternInputs, compute_insider_patterns, LONG_BLOCK)


def build_insider_signals(engine: sa.Engine, dates: Sequence[dt.date], config: ScreenConfig = ScreenConfig()) -> dict[str, int]:
    read = partial(WindowInputs, span=config.cluster.window_days)
    return per_block(engine, dates, "insider_signals", read, partial(compute_insider_signals, config=config), LONG_BLOCK)


def build_all_signals(engine: sa.Engine, dates: Sequence[dt.date], config: ScreenConfig = ScreenConfig()) -> dict[str, int]:
    """Every signal table for the dates, in dependency order (after the aggregates' effective_transactions)."""
    written: dict[str, int] = {}
    for step in (build_filing_timeliness, build_trading_plans, build_insider_patterns):
        written.update(step(engine, dates))
    written.update(build_insider_signals(engine, dates, config))
    return written
