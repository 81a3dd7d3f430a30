"""`form4-assets export`: the SEC Form 345 layout, checked against the SEC's own sample files."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from form4_assets.export import EXPORTED, exported_columns, sec_number
from form4_assets.cli import main
from form4_assets.tables import NONDERIV_TRANS, Column
from form4_assets.warehouse.engine import create_schema, make_engine
from form4_assets_tests.aggregates_support import Filing, Trade, insert, load_filing, select_all

SEED_DAY = dt.date(2023, 11, 8)
MONTHS = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), start=1)}


def read_tsv(path: Path) -> tuple[list[str], list[list[str]]]:
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "", f"{path.name} must end with a newline"
    header, *rows = [line.split("\t") for line in lines[:-1]]
    assert all(len(r) == len(header) for r in rows), path.name
    return header, rows


def parse_back(column: Column, text: str) -> object:
    """The inverse of the export's formatting, written independently of it."""
    if text == "":
        return None
    if column.kind == "date":
        day, month, year = text.split("-")
        return dt.date(int(year), MONTHS[month], int(day))
    if column.kind == "decimal":
        assert "." in text and "E" not in text.upper(), f"{column.name}: {text!r} is not SEC style"
        return Decimal(text)
    if column.kind == "flag":
        assert text in {"0", "1"}, f"{column.name}: {text!r}"
        return text == "1"
    if column.kind == "int":
        return int(text)
    return text


def test_export_headers_match_the_sec_sample_files(engine: sa.Engine, seed_bytes: bytes, corpus_dir: Path, tmp_path: Path) -> None:
    load_filing(engine, seed_bytes, SEED_DAY, "seed")
    assert main(["export", "--start", "2023-11-01", "--end", "2023-11-30", "--warehouse-url", engine.url.render_as_string(hide_password=False), str(tmp_path)]) == 0
    compared = 0
    for spec in EXPORTED:
        header, _ = read_tsv(tmp_path / spec.sec_file)
        sample = corpus_dir / "form345-sample" / spec.sec_file
        if not sample.exists():
            continue
        assert header == sample.read_text(encoding="utf-8").splitlines()[0].split("\t"), spec.sec_file
        compared += 1
    assert compared >= 5  # SUBMISSION, DERIV_TRANS, NONDERIV_HOLDING, DERIV_HOLDING, OWNER_SIGNATURE


def test_seed_row_round_trips_exactly(engine: sa.Engine, seed_bytes: bytes, tmp_path: Path) -> None:
    accession = load_filing(engine, seed_bytes, SEED_DAY, "seed")
    assert main(["export", "--lossless", "--start", "2023-11-08", "--end", "2023-11-08", "--warehouse-url", engine.url.render_as_string(hide_password=False), str(tmp_path)]) == 0
    header, rows = read_tsv(tmp_path / "NONDERIV_TRANS.tsv")
    assert len(rows) == 1
    line = dict(zip(header, rows[0]))
    assert line["ACCESSION_NUMBER"] == accession == "0001628280-23-037880"
    assert (line["TRANS_DATE"], line["TRANS_CODE"], line["TRANS_SHARES"], line["TRANS_PRICEPERSHARE"]) == ("06-NOV-2023", "S", "50000.0", "17.04")
    assert (line["TRANS_ACQUIRED_DISP_CD"], line["SHRS_OWND_FOLWNG_TRANS"], line["DIRECT_INDIRECT_OWNERSHIP"]) == ("D", "545259.0", "D")
    assert (line["EQUITY_SWAP_INVOLVED"], line["EQUITY_SWAP_TRANS_CD_FN"], line["TRANS_PRICEPERSHARE_FN"]) == ("0", "F1", "F2")
    assert line["DEEMED_EXECUTION_DATE"] == "" and line["TRANS_SHARES_FN"] == ""
    # Every exported field reads back to the warehouse value.
    [stored] = select_all(engine, "nonderiv_trans")
    for column in exported_columns(NONDERIV_TRANS):
        assert parse_back(column, line[column.name]) == stored[column.name], column.name
    _, subs = read_tsv(tmp_path / "SUBMISSION.tsv")
    assert subs[0][:3] == [accession, "08-NOV-2023", "06-NOV-2023"] and subs[0][-1] == "1"  # AFF10B5ONE
    _, signatures = read_tsv(tmp_path / "OWNER_SIGNATURE.tsv")
    assert signatures == [[accession, "/s/ Anthony C. Green, as Attorney-in-Fact for David L. Finkelstein", "08-NOV-2023"]]
    _, notes = read_tsv(tmp_path / "FOOTNOTES.tsv")
    assert [n[1] for n in notes] == ["F1", "F2"] and "Rule 10b5-1 plan" in notes[0][2]


def test_export_takes_only_the_date_range_and_keeps_decimals_exact(engine: sa.Engine, tmp_path: Path) -> None:
    inside, outside = dt.date(2024, 7, 1), dt.date(2024, 7, 2)
    insert(
        engine,
        Filing("0000000001-24-000901", inside, trades=[Trade("P", "0.125", "1234.5678", inside), Trade("S", "1000000", "0.0001", inside)]),
        Filing("0000000001-24-000902", outside, trades=[Trade("P", "1", "1", outside)]),
    )
    url = engine.url.render_as_string(hide_password=False)
    for options, want in (
        (["--lossless"], [("0.125", "1234.5678"), ("1000000.0", "0.0001")]),
        ([], [("0.13", "1234.57"), ("1000000.0", "0.0")]),  # the SEC's two decimals, half away from zero
    ):
        out = tmp_path / ("lossless" if options else "sec")
        assert main(["export", *options, "--start", "2024-07-01", "--end", "2024-07-01", "--warehouse-url", url, str(out)]) == 0
        header, rows = read_tsv(out / "NONDERIV_TRANS.tsv")
        got = [(r[header.index("TRANS_SHARES")], r[header.index("TRANS_PRICEPERSHARE")]) for r in rows]
        assert got == want
        _, subs = read_tsv(out / "SUBMISSION.tsv")
        assert [s[0] for s in subs] == ["0000000001-24-000901"]


def test_export_defaults_to_the_data_dir_warehouse_and_rejects_a_reversed_range(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed_bytes: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("FORM4_WAREHOUSE_URL", raising=False)
    monkeypatch.setenv("FORM4_DATA_DIR", str(tmp_path / "data"))
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'warehouse.sqlite'}")
    create_schema(engine)
    load_filing(engine, seed_bytes, SEED_DAY, "seed")
    engine.dispose()
    assert main(["export", "--start", "2023-11-08", "--end", "2023-11-08", str(tmp_path / "out")]) == 0
    assert len(read_tsv(tmp_path / "out" / "REPORTINGOWNER.tsv")[1]) == 1
    assert main(["export", "--start", "2023-11-09", "--end", "2023-11-08", str(tmp_path / "out2")]) == 2
    assert "before --start" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "text"),
    [(Decimal("250000"), "250000.0"), (Decimal("17.04000000"), "17.04"), (Decimal("0E-8"), "0.0"),
     (Decimal("1E+3"), "1000.0"), (Decimal("0.00000100"), "0.000001"), (Decimal("-3.50"), "-3.5"), (19, "19.0")],
)
def test_sec_number(value: Decimal, text: str) -> None:
    assert sec_number(value) == text


def test_real_documents_round_trip_through_every_file(engine: sa.Engine, corpus_dir: Path, tmp_path: Path) -> None:
    import re

    from form4_assets_tests.aggregates_support import load_bulk_corpus

    dates = load_bulk_corpus(engine, corpus_dir / "bulk")
    url = engine.url.render_as_string(hide_password=False)
    assert main(["export", "--lossless", "--start", dates[0].isoformat(), "--end", dates[-1].isoformat(), "--warehouse-url", url, str(tmp_path)]) == 0
    checked = 0
    for spec in EXPORTED:
        header, lines = read_tsv(tmp_path / spec.sec_file)
        columns = exported_columns(spec)
        assert header == [c.name for c in columns]
        stored = select_all(engine, spec.name)
        assert len(lines) == len(stored), spec.sec_file
        for line, row in zip(lines, stored):
            for column, text in zip(columns, line):
                want = row[column.name]
                if isinstance(want, str):
                    want = re.sub(r"[\t\r\n]+", " ", want)
                if column.kind == "text" and want == "":
                    want = None  # an empty text and a missing one print alike
                assert parse_back(column, text) == want, (spec.sec_file, row["ACCESSION_NUMBER"], column.name, text)
                checked += 1
    assert checked > 50_000


def test_the_default_export_is_the_sec_layout_with_its_quirks(engine: sa.Engine, seed_bytes: bytes, tmp_path: Path) -> None:
    accession = load_filing(engine, seed_bytes, SEED_DAY, "seed")
    with engine.begin() as conn:  # quirks the seed filing lacks: a quote, non-ASCII text, two footnote ids
        conn.execute(sa.text('UPDATE submission SET "REMARKS" = :r'), {"r": 'Held by "Trust A" \u2013 Jos\u00e9'})
        conn.execute(sa.text('UPDATE nonderiv_trans SET "TRANS_PRICEPERSHARE_FN" = :f'), {"f": "F1,F2"})
    url = engine.url.render_as_string(hide_password=False)
    assert main(["export", "--start", "2023-11-08", "--end", "2023-11-08", "--warehouse-url", url, str(tmp_path)]) == 0
    raw = (tmp_path / "SUBMISSION.tsv").read_bytes()
    raw.decode("ascii")
    header, line = raw.decode("ascii").splitlines()
    assert "AFF10B5ONE" not in header and header.split("\t")[-1] == "REMARKS"
    assert line.split("\t")[0] == accession
    assert line.endswith('\t"Held by ""Trust A"" ? Jose"')  # quoted, inner quotes doubled, ASCII
    header, line = (tmp_path / "NONDERIV_TRANS.tsv").read_text(encoding="ascii").splitlines()
    fields = dict(zip(header.split("\t"), line.split("\t")))
    assert fields["TRANS_PRICEPERSHARE_FN"] == "F1, F2" and fields["TRANS_PRICEPERSHARE"] == "17.04"
    assert fields["TRANS_SHARES"] == "50000.0" and fields["EQUITY_SWAP_INVOLVED"] == "0"


def test_a_data_set_imported_then_exported_gives_its_own_lines_back(corpus_dir: Path, tmp_path: Path) -> None:
    import dagster as dg

    from form4_assets.defs.resources import WarehouseResource
    from form4_assets.runs import import_form345

    sample = corpus_dir / "form345-sample"
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    result, dates = import_form345([sample], warehouse=WarehouseResource(url=url), instance=dg.DagsterInstance.ephemeral())
    assert result is not None and result.success
    assert main(["export", "--start", dates[0].isoformat(), "--end", dates[-1].isoformat(), "--warehouse-url", url,
                 str(tmp_path / "out")]) == 0
    compared = 0
    for name in ("SUBMISSION.tsv", "NONDERIV_HOLDING.tsv", "DERIV_TRANS.tsv", "DERIV_HOLDING.tsv", "OWNER_SIGNATURE.tsv"):
        theirs = (sample / name).read_bytes().split(b"\n")
        ours = (tmp_path / "out" / name).read_bytes().split(b"\n")
        assert ours[0] == theirs[0], name  # the same header
        assert sorted(ours[1:]) == sorted(theirs[1:]), name  # the same lines, byte for byte (order aside)
        compared += len(theirs) - 2
    assert compared >= 1400
