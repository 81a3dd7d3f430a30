"""What a Form 4 transaction code means, defined once for the checks, the generator and the aggregates.

The A/D check (warehouse.checks_sql), the synthetic mirror (synthetic.scenarios)
and the activity categories of the aggregates (aggregates.effective) all read these
tables, so a code's direction and category cannot drift apart between the code that
writes filings, the code that checks them and the code that counts them.
"""

from __future__ import annotations

#: Transaction codes whose direction is fixed by the SEC's definition of the code
#: (Form 4 General Instructions 8), per transaction table. M, X and C (exercise /
#: conversion) acquire the underlying shares (non-derivative table) and dispose of the
#: derivative (derivative table). Codes that go either way (G gift, J other, W will,
#: Z trust, I, K, L, U, E, H, O, V) have no entry.
ACQUIRED_DISPOSED: dict[str, dict[str, str]] = {
    "nonderiv_trans": {"P": "A", "S": "D", "A": "A", "D": "D", "F": "D", "M": "A", "X": "A", "C": "A"},
    "deriv_trans": {"P": "A", "S": "D", "A": "A", "D": "D", "F": "D", "M": "D", "X": "D", "C": "D"},
}

PURCHASE, SALE = "purchase", "sale"
AWARD, TAX_WITHHOLDING, EXERCISE, GIFT, OTHER = "award", "tax_withholding", "exercise", "gift", "other"

#: Open-market buying and selling, and the categories reported beside them (never
#: counted as buying or selling). Any other code is OTHER.
ACTIVITY_BY_CODE: dict[str, str] = {
    "P": PURCHASE,
    "S": SALE,
    "A": AWARD,
    "F": TAX_WITHHOLDING,
    "M": EXERCISE,
    "X": EXERCISE,
    "C": EXERCISE,
    "G": GIFT,
}


def activity(code: str | None) -> str:
    """The activity category of a transaction code (case-insensitive)."""
    return ACTIVITY_BY_CODE.get((code or "").upper(), OTHER)


def describe_acquired_disposed() -> str:
    """The A/D rules in words, for check descriptions and docs (generated, so they match)."""
    parts = []
    for table, label in (("nonderiv_trans", "non-derivative rows"), ("deriv_trans", "derivative rows")):
        mapping = ACQUIRED_DISPOSED[table]
        acquire = ", ".join(c for c, ad in mapping.items() if ad == "A")
        dispose = ", ".join(c for c, ad in mapping.items() if ad == "D")
        parts.append(f"{label}: {acquire} acquire, {dispose} dispose")
    return "; ".join(parts)
