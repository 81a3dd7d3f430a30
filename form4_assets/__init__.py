"""form4_assets: SEC Forms 3/4/5 into a lineage-tracked insider-trading warehouse.

The package root stays free of Dagster imports so that the pure library parts
(parsing, EDGAR source, warehouse SQL) load fast for the command line and tests.
The code location is `form4_assets.definitions` (its `defs`); the Dagster glue it
assembles is the `form4_assets.defs` sub-package.
"""
