"""What the price did after insider trades and signals (issue 15): trade_outcomes,
insider_track_records and signal_outcomes, from a user-supplied price book.

Pure SQL (SQLAlchemy Core) and Python over the warehouse and a `prices.PriceBook`;
the Dagster assets are in form4_assets.defs.outcomes.
"""
