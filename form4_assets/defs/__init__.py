"""The Dagster glue, one module per stage of the asset graph.

ingest (raw_filings) → documents (filing_headers, ownership_documents, quarantine, and
the transactions/holdings they carry) → aggregates → signals; plus the shared partitions,
resources, checks and schedule. `form4_assets.definitions` assembles them.
"""
