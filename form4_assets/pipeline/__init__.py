"""The day's pipeline: list a filing date's filings, fetch them, verify the stored bytes
and parse them into warehouse rows. It sits above `parsing` and `edgar` and below the
Dagster glue in `defs/`."""
