"""The SEC's Form 345 data sets as a bulk source: read by header name, stored exactly,
printed back line for line, one bad line never stopping an import.

The real 300-row sample (../shared/corpus/form345-sample) is imported through the same
job a UI backfill runs and must come back byte for byte; the quirks it does not contain
(quoting, unknown columns, bad lines, a zip) are planted in small synthetic data sets.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from form4_assets.defs.resources import WarehouseResource
from form4_assets.form345.dataset import Dataset
from form4_assets.form345.layout import sec_line
from form4_assets.runs import import_form345
from form4_assets.tables import SEC_TABLES_BY_FILE
from form4_assets.warehouse.engine import make_engine
from form4_assets.warehouse.schema import TABLES

SUB_HEADER = (
    "ACCESSION_NUMBER\tFILING_DATE\tPERIOD_OF_REPORT\tDATE_OF_ORIG_SUB\tNO_SECURITIES_OWNED\tNOT_SUBJECT_SEC16\t"
    "FORM3_HOLDINGS_REPORTED\tFORM4_TRANS_REPORTED\tDOCUMENT_TYPE\tISSUERCIK\tISSUERNAME\tISSUERTRADINGSYMBOL\tREMARKS"
)


def _rows(engine: sa.Engine, name: str) -> list[dict]:
    table = TABLES[name]
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(table).order_by(table.c.SOURCE_FILE, table.c.SOURCE_LINE))]


def _import(paths: list[Path], url: str) -> list[dt.date]:
    result, dates = import_form345(paths, warehouse=WarehouseResource(url=url), instance=dg.DagsterInstance.ephemeral())
    assert result is not None and result.success
    return dates


def test_the_real_sample_comes_back_line_for_line(corpus_dir: Path, warehouse_url: str) -> None:
    sample = corpus_dir / "form345-sample"
    dates = _import([sample], warehouse_url)
    assert dates == [dt.date(2024, 7, 31)]
    engine = make_engine(warehouse_url)
    try:
        with Dataset(sample) as dataset:
            names = dataset.table_names
        assert names  # the sample has five of the eight tables
        for name in names:
            spec = SEC_TABLES_BY_FILE[name]
            lines = (sample / name).read_text(encoding="utf-8").splitlines()
            header = lines[0].split("\t")
            stored = _rows(engine, spec.name)
            assert len(stored) == len(lines) - 1, name
            assert sorted(sec_line(spec, header, row) for row in stored) == sorted(lines[1:]), name
        # The quirks, as stored: ISO dates, exact decimals, ids without the SEC's space, flags as booleans.
        deriv = {r["SOURCE_LINE"]: r for r in _rows(engine, "sec_deriv_trans")}
        first = deriv[2]  # 0001493152-24-038908: option grant, 27-SEP-2024, 250000.0 at 4.0
        assert first["ACCESSION_NUMBER"] == "0001493152-24-038908"
        assert first["TRANS_DATE"] == dt.date(2024, 9, 27)
        assert first["TRANS_SHARES"] == Decimal("250000") and first["CONV_EXERCISE_PRICE"] == Decimal("4")
        assert first["EQUITY_SWAP_INVOLVED"] is False and first["DERIV_TRANS_SK"] == 2546260
        assert first["FILING_DATE"] == dt.date(2024, 7, 31)  # no SUBMISSION row in the sample: the set's first date
        flagged_true = [r for r in deriv.values() if r["SEC_SPELLING"] and "false" in r["SEC_SPELLING"]]
        assert flagged_true and all(r["EQUITY_SWAP_INVOLVED"] is False for r in flagged_true)
        holdings = _rows(engine, "sec_deriv_holding")
        assert any(r["CONV_EXERCISE_PRICE_FN"] == "F2,F3" for r in holdings)  # the SEC writes "F2, F3"
        subs = _rows(engine, "sec_submission")
        assert all(r["CONTACT_NAME"] is None and r["EXTRA_COLUMNS"] is None for r in subs)  # columns absent in 2024 Q3
    finally:
        engine.dispose()


def _write_set(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True)
    for name, text in files.items():
        (directory / name).write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return directory


def test_quirks_unknown_columns_and_bad_lines(tmp_path: Path, warehouse_url: str) -> None:
    # Columns in another order, one the catalogue does not know, a quoted field with inner quotes,
    # a bad date, a line with too few fields, and a line that is not UTF-8 in the middle of the file.
    header = "FILING_DATE\tACCESSION_NUMBER\tDOCUMENT_TYPE\tISSUERCIK\tREMARKS\tNEW_COLUMN_2031"
    submission = "\n".join(
        [
            header,
            '01-AUG-2024\t0000000001-24-000001\t4\t0000000042\t"He said ""hold"" twice"\tx1',
            "01-AUG-2024\t0000000001-24-000002\t4\t0000000042\t\t",
            "2024-08-01\t0000000001-24-000003\t4\t0000000042\t\t",
            "01-AUG-2024\t0000000001-24-000004\t4",
            "02-AUG-2024\t0000000001-24-000005\t4\t0000000042\tcaf\xe9\t",  # Latin-1 byte below
            "02-AUG-2024\t0000000001-24-000006\t4/A\t0000000042\t\t",
            '02-AUG-2024\t0000000001-24-000007\t4\t0000000042\t"two\nlines, a \\ and\ra return"\t',
        ]
    ) + "\n"
    raw = submission.encode("utf-8").replace("caf\xe9".encode("utf-8"), b"caf\xe9")
    footnotes = "ACCESSION_NUMBER\tFOOTNOTE_ID\tFOOTNOTE_TXT\n0000000001-24-000006\tF1\tPrice is a weighted average.\n"
    # A transaction without its key (the SEC's NONDERIV_TRANS_SK) and one with a NUL in its text.
    nonderiv = ("ACCESSION_NUMBER\tNONDERIV_TRANS_SK\tSECURITY_TITLE\tTRANS_SHARES\n"
                "0000000001-24-000006\t1\tCommon Stock\t100.5\n0000000001-24-000006\t\tCommon Stock\t5\n"
                "0000000001-24-000006\t3\tCommon\x00Stock\t7\n")
    dataset = _write_set(tmp_path / "2024q3_form345", {"SUBMISSION.tsv": raw, "FOOTNOTES.tsv": footnotes,
                                                       "NONDERIV_TRANS.tsv": nonderiv})

    dates = _import([dataset], warehouse_url)
    assert dates == [dt.date(2024, 8, 1), dt.date(2024, 8, 2)]
    engine = make_engine(warehouse_url)
    try:
        subs = {r["ACCESSION_NUMBER"]: r for r in _rows(engine, "sec_submission")}
        assert set(subs) == {"0000000001-24-000001", "0000000001-24-000002", "0000000001-24-000006",
                             "0000000001-24-000007"}
        # A quoted field spanning lines, with a backslash (both escaped in PostgreSQL's COPY).
        assert subs["0000000001-24-000007"]["REMARKS"] == "two\nlines, a \\ and\ra return"
        assert subs["0000000001-24-000001"]["REMARKS"] == 'He said "hold" twice'
        assert json.loads(subs["0000000001-24-000001"]["EXTRA_COLUMNS"]) == {"NEW_COLUMN_2031": "x1"}
        line = sec_line(SEC_TABLES_BY_FILE["SUBMISSION.tsv"], header.split("\t"), subs["0000000001-24-000001"])
        assert line == submission.splitlines()[1]
        rejected = {r["SOURCE_LINE"]: r for r in _rows(engine, "sec_rejected_rows")
                    if r["SOURCE_FILE"].endswith("/SUBMISSION.tsv")}
        assert {n: (r["REASON_CODE"], r["FIELD"]) for n, r in rejected.items()} == {
            4: ("bad_date", "FILING_DATE"),
            5: ("field_count", None),
            6: ("not_utf8", None),
        }
        trans = {r["SOURCE_LINE"]: (r["REASON_CODE"], r["FIELD"], r["FILING_DATE"]) for r in _rows(engine, "sec_rejected_rows")
                 if r["SOURCE_FILE"] == "2024q3_form345/NONDERIV_TRANS.tsv"}
        assert trans == {3: ("missing_key", "NONDERIV_TRANS_SK", dt.date(2024, 8, 2)),
                         4: ("nul_in_text", "SECURITY_TITLE", dt.date(2024, 8, 2))}
        ((kept, shares),) = [(r["NONDERIV_TRANS_SK"], r["TRANS_SHARES"]) for r in _rows(engine, "sec_nonderiv_trans")]
        assert (kept, shares) == (1, Decimal("100.5"))
        assert rejected[4]["SOURCE_FILE"] == "2024q3_form345/SUBMISSION.tsv"
        assert "line 4" in rejected[4]["MESSAGE"] and "2024-08-01" in rejected[4]["MESSAGE"]
        # The footnote follows its submission to 2024-08-02.
        (note,) = _rows(engine, "sec_footnotes")
        assert note["FILING_DATE"] == dt.date(2024, 8, 2) and note["SOURCE_LINE"] == 2
    finally:
        engine.dispose()


def test_reimport_changes_nothing_and_data_sets_keep_their_own_rows(tmp_path: Path, warehouse_url: str) -> None:
    q3 = "\n".join([SUB_HEADER, "0000000001-24-000001\t30-SEP-2024\t\t\t\t\t\t\t4\t0000000042\tA\tAAA\t"]) + "\n"
    # A filing accepted late on the quarter's last day is in the next quarter's file, on the same date.
    q4 = "\n".join(
        [SUB_HEADER, "0000000001-24-000002\t30-SEP-2024\t\t\t\t\t\t\t4\t0000000042\tA\tAAA\t",
         "0000000001-24-000003\t01-OCT-2024\t\t\t\t\t\t\t4\t0000000042\tA\tAAA\t"]
    ) + "\n"
    first = _write_set(tmp_path / "2024q3_form345", {"SUBMISSION.tsv": q3})
    zipped = tmp_path / "2024q4_form345.zip"
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("SUBMISSION.tsv", q4)

    _import([first], warehouse_url)
    _import([zipped], warehouse_url)
    engine = make_engine(warehouse_url)
    try:
        once = _rows(engine, "sec_submission")
        assert [(r["FILING_DATE"], r["ACCESSION_NUMBER"], r["SOURCE_FILE"]) for r in once] == [
            (dt.date(2024, 9, 30), "0000000001-24-000001", "2024q3_form345/SUBMISSION.tsv"),
            (dt.date(2024, 9, 30), "0000000001-24-000002", "2024q4_form345/SUBMISSION.tsv"),
            (dt.date(2024, 10, 1), "0000000001-24-000003", "2024q4_form345/SUBMISSION.tsv"),
        ]
        _import([zipped], warehouse_url)
        _import([first], warehouse_url)
        assert _rows(engine, "sec_submission") == once
    finally:
        engine.dispose()


def test_the_nightly_job_leaves_the_data_sets_alone() -> None:
    from form4_assets.definitions import defs

    nightly = defs.resolve_job_def("daily_filings_job")
    selected = {k.to_user_string() for k in nightly.asset_layer.selected_asset_keys}
    assert "raw_filings" in selected and "sec_form345" not in selected
    bulk = defs.resolve_job_def("form345_import_job")
    assert {k.to_user_string() for k in bulk.asset_layer.selected_asset_keys} == {"sec_form345"}
    tables = defs.resolve_assets_def("sec_form345").specs_by_key[dg.AssetKey("sec_form345")].metadata["tables"].value
    assert tables.split(", ") == [
        "sec_submission", "sec_reportingowner", "sec_nonderiv_trans", "sec_deriv_trans", "sec_nonderiv_holding",
        "sec_deriv_holding", "sec_footnotes", "sec_owner_signature", "sec_rejected_rows",
    ]


def test_cli_import_prints_rows_per_table(tmp_path: Path) -> None:
    from form4_assets.cli import main

    q3 = "\n".join([SUB_HEADER, "0000000001-24-000001\t30-SEP-2024\t\t\t\t\t\t\t4\t0000000042\tA\tAAA\t"]) + "\n"
    dataset = _write_set(tmp_path / "2024q3_form345", {"SUBMISSION.tsv": q3})
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    import io
    from contextlib import redirect_stdout

    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["import-form345", str(dataset), "--warehouse-url", url]) == 0
    text = out.getvalue()
    assert "sec_submission\t1 rows" in text and "sec_rejected_rows\t0 rows" in text
    assert main(["import-form345", str(tmp_path / "missing.zip"), "--warehouse-url", url]) == 2


@pytest.mark.parametrize("text", ["1.5", "x", "NaN"])
def test_a_surrogate_key_that_is_not_an_integer_is_rejected(text: str) -> None:
    from form4_assets.form345.values import BadValue, to_warehouse

    column = SEC_TABLES_BY_FILE["DERIV_TRANS.tsv"].column("DERIV_TRANS_SK")
    with pytest.raises(BadValue) as caught:
        to_warehouse(column, text)
    assert caught.value.reason == "bad_number" and "DERIV_TRANS_SK" in str(caught.value)


def checks_by_date(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    """The reconciliation's evaluation of each filing date of the run (one per date)."""
    evaluations = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    by_date = {e.partition: e for e in evaluations}
    assert len(by_date) == len(evaluations) and all(e.check_name == "agrees_with_parsed_filings" for e in evaluations)
    return by_date  # type: ignore[return-value]


def _sec_date(text: str) -> str:
    from form4_assets.form345.values import parse_sec_date

    return parse_sec_date(text).isoformat()


def test_reconciliation_agrees_with_our_own_export_and_reports_planted_differences(tmp_path: Path, warehouse_url: str) -> None:
    from form4_assets.defs.resources import EdgarSourceResource
    from form4_assets.export import export
    from form4_assets.runs import run_daily_job
    from form4_assets.synthetic.mirror import make_mirror

    mirror = tmp_path / "mirror"
    make_mirror(mirror, dt.date(2023, 11, 7), dt.date(2023, 11, 8), per_day=25)
    warehouse = WarehouseResource(url=warehouse_url)
    instance = dg.DagsterInstance.ephemeral()
    assert run_daily_job("2023-11-07", "2023-11-08", warehouse=warehouse,
                         edgar=EdgarSourceResource(mode="mirror", mirror_dir=str(mirror)), instance=instance).success
    engine = make_engine(warehouse_url)
    try:
        dataset = tmp_path / "2023q4_form345"
        export(engine, dt.date(2023, 11, 7), dt.date(2023, 11, 8), dataset)
        result, _ = import_form345([dataset], warehouse=warehouse, instance=instance)
        agreed = checks_by_date(result)
        assert sorted(agreed) == ["2023-11-07", "2023-11-08"]
        for evaluation in agreed.values():
            assert evaluation.passed, evaluation.metadata["offending_rows_json"].value
            details = evaluation.metadata["details"].value
            assert details["compared"] and details["agreement_by_table"]["nonderiv_trans"]["fields_compared"] > 0
            assert all(t["fields_agreed"] == t["fields_compared"] for t in details["agreement_by_table"].values())
            assert evaluation.metadata["checked"].value == sum(
                t["fields_compared"] for t in details["agreement_by_table"].values())

        # Plant: a price off by a dollar, one submission missing, one accession only the SEC has.
        sub_lines = (dataset / "SUBMISSION.tsv").read_text().splitlines()
        dropped = sub_lines[1].split("\t")[0]
        invented = sub_lines[2].replace(sub_lines[2].split("\t")[0], "0009999999-23-999999")
        (dataset / "SUBMISSION.tsv").write_text("\n".join([sub_lines[0], *sub_lines[2:], invented]) + "\n")
        header, *rows = (dataset / "NONDERIV_TRANS.tsv").read_text().splitlines()
        names = header.split("\t")
        price = names.index("TRANS_PRICEPERSHARE")
        target = next(i for i, r in enumerate(rows) if r.split("\t")[price] and r.split("\t")[0] != dropped)
        fields = rows[target].split("\t")
        changed_accession, old_price = fields[0], Decimal(fields[price])
        fields[price] = str(old_price + 1)
        rows[target] = "\t".join(fields)
        (dataset / "NONDERIV_TRANS.tsv").write_text("\n".join([header, *rows]) + "\n")

        result, _ = import_form345([dataset], warehouse=warehouse, instance=instance)
        found = checks_by_date(result)
        assert all(e.severity == dg.AssetCheckSeverity.WARN for e in found.values())
        details = {day: e.metadata["details"].value for day, e in found.items()}
        dropped_on = _sec_date(sub_lines[1].split("\t")[1])
        invented_on = _sec_date(sub_lines[2].split("\t")[1])
        assert dropped in details[dropped_on]["only_ours"]["submission"]
        assert "0009999999-23-999999" in details[invented_on]["only_sec"]["submission"]
        assert not found[dropped_on].passed and not found[invented_on].passed
        examples = [m for e in found.values() for m in e.metadata["offending_rows_json"].value]
        (mismatch,) = [m for m in examples if m["column"] == "TRANS_PRICEPERSHARE"]
        assert mismatch["accession"] == changed_accession
        assert Decimal(mismatch["sec"]) - Decimal(mismatch["ours"]) == 1
    finally:
        engine.dispose()


def test_an_accession_without_its_issuer_or_owner_cik_is_rejected_whole_and_the_aggregates_run(
    tmp_path: Path, warehouse_url: str
) -> None:
    # 000001 is whole; 000002 has no ISSUERCIK, 000003 an owner without RPTOWNERCIK: the parser would
    # quarantine both filings (missing_field), and the aggregates key their rows by those CIKs.
    sub = "\n".join([SUB_HEADER] + [
        f"0000000001-24-00000{n}\t01-AUG-2024\t31-JUL-2024\t\t\t0\t\t\t4\t{issuer}\tAcme\tACME\t"
        for n, issuer in ((1, "0000000042"), (2, ""), (3, "0000000042"))
    ]) + "\n"
    owners = ("ACCESSION_NUMBER\tRPTOWNERCIK\tRPTOWNERNAME\tRPTOWNER_RELATIONSHIP\n"
              "0000000001-24-000001\t0000000101\tDoe Jane\tDirector\n"
              "0000000001-24-000002\t0000000102\tRoe Rick\tOfficer\n"
              "0000000001-24-000003\t\tPoe Pat\tDirector\n")
    trans = ("ACCESSION_NUMBER\tNONDERIV_TRANS_SK\tSECURITY_TITLE\tTRANS_DATE\tTRANS_CODE\tTRANS_SHARES\t"
             "TRANS_PRICEPERSHARE\tTRANS_ACQUIRED_DISP_CD\tSHRS_OWND_FOLWNG_TRANS\tDIRECT_INDIRECT_OWNERSHIP\n"
             + "".join(f"0000000001-24-00000{n}\t{n}\tCommon Stock\t31-JUL-2024\tP\t100.0\t10.0\tA\t100.0\tD\n"
                       for n in (1, 2, 3)))
    dataset = _write_set(tmp_path / "2024q3_form345", {"SUBMISSION.tsv": sub, "REPORTINGOWNER.tsv": owners,
                                                       "NONDERIV_TRANS.tsv": trans})
    result, dates = import_form345([dataset], warehouse=WarehouseResource(url=warehouse_url),
                                   instance=dg.DagsterInstance.ephemeral(), aggregates=True)
    assert result is not None and result.success and dates == [dt.date(2024, 8, 1)]
    engine = make_engine(warehouse_url)
    try:
        rejected = {(r["SOURCE_FILE"].split("/")[1], r["SOURCE_LINE"]): (r["REASON_CODE"], r["FIELD"], r["MESSAGE"])
                    for r in _rows(engine, "sec_rejected_rows")}
        assert {k: v[:2] for k, v in rejected.items()} == {
            ("SUBMISSION.tsv", 3): ("missing_key", "ISSUERCIK"),
            ("REPORTINGOWNER.tsv", 3): ("missing_key", "ISSUERCIK"),
            ("NONDERIV_TRANS.tsv", 3): ("missing_key", "ISSUERCIK"),
            ("SUBMISSION.tsv", 4): ("missing_key", "RPTOWNERCIK"),
            ("REPORTINGOWNER.tsv", 4): ("missing_key", "RPTOWNERCIK"),
            ("NONDERIV_TRANS.tsv", 4): ("missing_key", "RPTOWNERCIK"),
        }
        assert "2024q3_form345/SUBMISSION.tsv line 3" in rejected[("NONDERIV_TRANS.tsv", 3)][2]
        assert "2024q3_form345/REPORTINGOWNER.tsv line 4" in rejected[("SUBMISSION.tsv", 4)][2]
        assert [r["ACCESSION_NUMBER"] for r in _rows(engine, "sec_submission")] == ["0000000001-24-000001"]
        effective = _rows_of(engine, "effective_transactions")
        assert [(r["ACCESSION_NUMBER"], r["ISSUERCIK"], r["RPTOWNERCIK"], r["SOURCE"]) for r in effective] == [
            ("0000000001-24-000001", "0000000042", "0000000101", "sec_form345")]
        assert [r["RPTOWNERCIK"] for r in _rows_of(engine, "insider_patterns")] == ["0000000101"]
    finally:
        engine.dispose()


def _rows_of(engine: sa.Engine, name: str) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(TABLES[name]))]
