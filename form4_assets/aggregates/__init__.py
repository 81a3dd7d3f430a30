"""Derived aggregates over the warehouse: pure SQLAlchemy Core and Python, no Dagster.

The chain is effective transactions (supersession by amendments, joint filings once)
→ issuer-day activity → rolling net insider selling, plus cluster buys.
`form4_assets.defs.aggregates` wraps these as Dagster assets.

Time model: every aggregate row is "as known at the end of its FILING_DATE". A
partition D reads only rows filed on or before D and applies only the amendments filed
on or before D, so re-materializing D gives the same rows whatever was loaded later.
"""
