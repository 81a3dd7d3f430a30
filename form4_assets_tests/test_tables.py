"""The warehouse layout matches the SEC Form 345 data-set columns, in the SEC's order."""

from __future__ import annotations

from pathlib import Path

import pytest

from form4_assets.tables import ALL_TABLES, PARSED_TABLES


@pytest.mark.parametrize("table", [t for t in PARSED_TABLES if t.sec_file], ids=lambda t: t.name)
def test_sec_columns_match_the_data_set_sample(table, corpus_dir: Path) -> None:
    sample = corpus_dir / "form345-sample" / table.sec_file
    if not sample.exists():
        pytest.skip(f"the corpus sample has no {table.sec_file}")
    header = sample.read_text(encoding="utf-8").splitlines()[0].split("\t")
    ours = [c.name for c in table.columns if not c.extra]
    # The 2024 Q3 SUBMISSION sample predates the AFF10B5ONE column the SEC added later.
    if table.name == "submission":
        ours.remove("AFF10B5ONE")
    assert ours == header


def test_every_table_key_is_a_column() -> None:
    for table in ALL_TABLES:
        assert set(table.key) <= set(table.column_names), table.name
        assert len(set(table.column_names)) == len(table.column_names), table.name
