"""The errors an amendment corrects: a copy of a filing's rows with its shares or a price wrong.

The generator writes the wrong copy as the original filing and the true rows as its
amendment a few business days later, so the supersession logic has something to find.
"""

from __future__ import annotations

import random
from dataclasses import replace
from decimal import Decimal

from form4_assets.synthetic.ownership_xml import Row


def copy_rows(rows: list[Row]) -> list[Row]:
    """Rows that can be changed without changing the originals (footnote lists included)."""
    return [replace(r, fns={k: list(v) for k, v in r.fns.items()}) for r in rows]


def chains(rows: list[Row]) -> dict[tuple, list[Row]]:
    """Rows whose post-transaction amounts follow each other, by chain key."""
    out: dict[tuple, list[Row]] = {}
    for row in rows:
        if row.is_transaction:
            out.setdefault(row.chain_key, []).append(row)
    return out


def rechain(rows: list[Row]) -> None:
    """Recompute post-transaction amounts from each chain's starting holding."""
    for chain in chains(rows).values():
        running = chain[0].pre
        for row in chain:
            running = running + row.shares if row.ad == "A" else running - row.shares
            row.post = running


def misreport(rng: random.Random, rows: list[Row]) -> list[Row] | None:
    """A copy of ``rows`` with the kind of error an amendment corrects (shares or price),
    its own share chain still consistent; None when no row can carry a plausible error."""
    copies = copy_rows(rows)
    trans = [r for r in copies if r.is_transaction]
    if not trans:
        if not copies:
            return None
        target = copies[0]
        target.post = target.post + Decimal(rng.randint(1, 9) * 1000)
        return copies
    target = rng.choice([r for r in trans if r.code in ("S", "P")] or trans)
    if target.price and rng.random() < 0.4:
        target.price = target.price + Decimal("1.00")
        return copies
    old = target.shares
    if target.ad == "D":
        if old < 2:
            return None
        target.shares = old // 10 if old >= 20 else old - 1
    else:
        target.shares = old * 10
    if target.underlying_shares is not None and old:
        target.underlying_shares = target.underlying_shares * target.shares / old
    rechain(copies)
    return copies
