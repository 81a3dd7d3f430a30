"""Reading price sources: the layouts people download, exact prices, issues reported, clear errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from form4_assets.prices import PriceFileError, read_prices

YAHOO = "Date,Open,High,Low,Close,Adj Close,Volume\n"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_per_ticker_directory_uses_adjusted_close_and_keeps_the_text(tmp_path: Path) -> None:
    _write(tmp_path / "aaa.csv", YAHOO + "2024-01-02,1,1,1,10.00,9.876543,5\n2024-01-03,1,1,1,10.50,10.370370,5\n")
    _write(tmp_path / "SPY.csv", "Date,Close\n2024-01-02,400\n2024-01-03,401.5\n")
    _write(tmp_path / "STQ.csv", "Date,Open,High,Low,Close,Volume\n20240102,1,1,1,7.25,9\n20240103,1,1,1,7.5,9\n")
    book = read_prices(tmp_path, benchmark="spy")
    assert book.benchmark == "SPY" and set(book.series) == {"AAA", "SPY", "STQ"}
    aaa = book.series["AAA"]
    assert aaa.adjusted and not book.series["STQ"].adjusted
    assert [(r.day, r.price, r.text, r.source) for r in aaa.rows] == [
        (dt.date(2024, 1, 2), Decimal("9.876543"), "9.876543", "aaa.csv:2"),
        (dt.date(2024, 1, 3), Decimal("10.370370"), "10.370370", "aaa.csv:3"),
    ]
    assert book.series["STQ"].on(dt.date(2024, 1, 3)).price == Decimal("7.5")
    assert book.calendar("AAA") == [dt.date(2024, 1, 2), dt.date(2024, 1, 3)]
    assert book.issues == []


def test_gaps_missing_closes_and_split_like_jumps_are_reported(tmp_path: Path) -> None:
    _write(tmp_path / "BEN.csv", "Date,Close\n" + "".join(f"2024-01-{d:02d},100\n" for d in (2, 3, 4, 5, 8, 9, 10)))
    _write(tmp_path / "X.csv", YAHOO + "2024-01-02,1,1,1,20,20,1\n2024-01-03,1,1,1,null,null,1\n"
                                      "2024-01-08,1,1,1,10,10,1\n2024-01-10,1,1,1,10.1,10.1,1\n")
    book = read_prices(tmp_path, benchmark="BEN")
    found = {(i.kind, i.ticker, i.day) for i in book.issues}
    assert found == {
        ("missing_close", "X", dt.date(2024, 1, 3)),  # Yahoo's null row: kept as an issue, not dropped silently
        ("gap", "X", dt.date(2024, 1, 3)),  # 3rd..5th: three benchmark sessions without a close
        ("gap", "X", dt.date(2024, 1, 9)),
        ("split_like_jump", "X", dt.date(2024, 1, 8)),  # 20 → 10: an unadjusted 2:1 split?
    }
    gap = next(i for i in book.issues if i.kind == "gap" and i.day == dt.date(2024, 1, 3))
    assert "3 trading day(s)" in gap.detail and gap.source == "X.csv:4"
    assert [i.kind for i in book.issues_between("X", dt.date(2024, 1, 9), dt.date(2024, 1, 10))] == ["gap"]


def test_long_csv_and_parquet_read_alike(tmp_path: Path) -> None:
    frame = pd.DataFrame({"ticker": ["aaa", "aaa", "spy", "spy"], "date": ["2024-01-02", "2024-01-03"] * 2,
                          "close": [10.0, 10.5, 400.0, 401.0], "adj_close": [9.5, 10.0, 400.0, 401.0]})
    _write(tmp_path / "long.csv", frame.to_csv(index=False))
    frame.assign(date=pd.to_datetime(frame["date"])).to_parquet(tmp_path / "long.parquet")
    from_csv, from_parquet = read_prices(tmp_path / "long.csv", "SPY"), read_prices(tmp_path / "long.parquet", "SPY")
    for book in (from_csv, from_parquet):
        assert [r.price for r in book.series["AAA"].rows] == [Decimal("9.5"), Decimal("10.0")]
    assert from_csv.series["AAA"].rows[0].source == "long.csv:2"
    assert from_parquet.series["AAA"].rows[0].source == "long.parquet:row 1"


@pytest.mark.parametrize(("text", "expected"), [
    ("Date,Close\n2024-01-02,10\n2024-13-45,11\n", "X.csv, line 3, field Date: not a date"),
    ("Date,Close\n2024-01-02,ten\n", "X.csv, line 2, field Close: not a number: 'ten'"),
    ("Date,Close\n2024-01-02,-1\n", "X.csv, line 2, field Close: a close must be a positive number"),
    ("Date,Close\n2024-01-02,1\n2024-01-02,2\n", "X.csv, line 3, field Date: X has a second row for 2024-01-02"),
    ("When,Price\n2024-01-02,1\n", "X.csv, line 1, field date: no 'date' column"),
    ("Date,Close\n2024-01-02,1\n2024-01-03,1,7,8\n", "X.csv: unreadable: Error tokenizing data. C error: Expected 2 fields in line 3, saw 4"),
])
def test_bad_files_name_file_line_and_field(tmp_path: Path, text: str, expected: str) -> None:
    _write(tmp_path / "X.csv", text)
    with pytest.raises(PriceFileError) as err:
        read_prices(tmp_path)
    assert expected in str(err.value)


def test_a_missing_benchmark_or_source_is_an_error(tmp_path: Path) -> None:
    _write(tmp_path / "A.csv", "Date,Close\n2024-01-02,1\n")
    with pytest.raises(PriceFileError, match="benchmark SPY is not in the price source"):
        read_prices(tmp_path, "SPY")
    with pytest.raises(PriceFileError, match="no such price file or directory"):
        read_prices(tmp_path / "absent")
