"""Insider signals computed from the filings alone (issue 13): pure SQLAlchemy Core and Python, no Dagster.

- `timeliness`: business days from execution to filing against each form's deadline;
- `plans` and `adoption`: Rule 10b5-1 plan status, adoption date, cooling-off period;
- `patterns`: routine versus opportunistic insiders (Cohen, Malloy & Pomorski 2012);
- `screens`: the per-issuer screens (opportunistic net buying, CEO/CFO buys, large
  ownership increases, configurable cluster buys, late filings, plan share of sales).

Time model as in `form4_assets.aggregates`: partition D reads only rows filed on or
before D and applies only the amendments filed by D (`effective_as_of`).
`form4_assets.defs.signals` wraps these as Dagster assets.
"""
