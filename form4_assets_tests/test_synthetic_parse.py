"""The project's parser against the synthetic mirror: every generated filing parses except
exactly the deliberately broken ones, and the parsed values are the ones the manifest records."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from form4_assets.parsing import ParsedFiling, Quarantined, parse_filing
from form4_assets_tests.synthetic_helpers import build_small_mirror, filing_path, load_manifest

#: Which quarantine reasons each kind of deliberate breakage may produce.
BROKEN_REASONS = {"truncated": {"truncated", "malformed_xml"}, "no_xml": {"no_ownership_document"},
                  "malformed_xml": {"malformed_xml"}}


@pytest.fixture(scope="module")
def parsed(tmp_path_factory) -> list[tuple[dict, ParsedFiling | Quarantined]]:
    root: Path = build_small_mirror(tmp_path_factory.mktemp("mirror"))
    return [(rec, parse_filing(filing_path(root, rec).read_bytes(), source=rec["path"], accession=rec["accession"]))
            for rec in load_manifest(root)]


def test_everything_parses_except_the_deliberately_broken(parsed):
    quarantined = {rec["accession"]: (rec["broken"], res.reason, res.message)
                   for rec, res in parsed if isinstance(res, Quarantined)}
    broken = {rec["accession"]: rec["broken"] for rec, _ in parsed if rec["broken"]}
    assert broken, "the mirror contains deliberately broken filings"
    assert set(quarantined) == set(broken), {a: q for a, q in quarantined.items() if a not in broken}
    for accession, (kind, reason, message) in quarantined.items():
        assert reason in BROKEN_REASONS[kind], (accession, kind, reason, message)


#: Manifest footnote fields and the warehouse columns holding the ids bound to them.
FOOTNOTE_COLUMNS = {"title": "SECURITY_TITLE_FN", "code": "EQUITY_SWAP_TRANS_CD_FN", "shares": "TRANS_SHARES_FN",
                    "price": "TRANS_PRICEPERSHARE_FN", "nature": "NATURE_OF_OWNERSHIP_FN",
                    "conv": "CONV_EXERCISE_PRICE_FN", "expiration": "EXPIRATION_DATE_FN"}


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def test_parsed_values_match_the_manifest(parsed):
    tables = {"nonderiv_trans": "nonderiv_trans", "deriv_trans": "deriv_trans",
              "nonderiv_holding": "nonderiv_holding", "deriv_holding": "deriv_holding"}
    checked = 0
    for rec, res in parsed:
        if rec["broken"]:
            continue
        assert isinstance(res, ParsedFiling), (rec["accession"], res)
        assert res.accession == rec["accession"]
        assert res.container == rec["container"]
        sub = res.submission
        assert sub["DOCUMENT_TYPE"] == rec["form_type"]
        assert sub["ISSUERCIK"].lstrip("0") == rec["issuer"]["cik"].lstrip("0")
        assert str(sub["PERIOD_OF_REPORT"]) == rec["period"]
        assert (str(sub["DATE_OF_ORIG_SUB"]) if sub["DATE_OF_ORIG_SUB"] else None) == rec["date_of_orig_sub"]
        assert sub["AFF10B5ONE"] == rec["aff10b5one"]
        if rec["form_type"].startswith("3"):
            assert bool(sub["NO_SECURITIES_OWNED"]) == rec["no_securities_owned"]
        owners = [o["RPTOWNERCIK"].lstrip("0") for o in res.reporting_owner]
        assert owners == [o["cik"].lstrip("0") for o in rec["owners"]]
        rows = res.rows()
        for table, name in tables.items():
            want = [r for r in rec["rows"] if r["table"] == table]
            got = rows[name]
            assert len(got) == len(want), (rec["accession"], table)
            for w, g in zip(want, got):
                assert g.get("TRANS_CODE") == w["code"], (rec["accession"], table, w["sk"])
                assert _dec(g.get("TRANS_SHARES")) == _dec(w["shares"])
                assert _dec(g.get("TRANS_PRICEPERSHARE")) == _dec(w["price"])
                assert g.get("TRANS_ACQUIRED_DISP_CD") == w["acquired_disposed"]
                assert _dec(g["SHRS_OWND_FOLWNG_TRANS"]) == _dec(w["shares_following"])
                assert g["DIRECT_INDIRECT_OWNERSHIP"] == w["direct_indirect"]
                assert g["NATURE_OF_OWNERSHIP"] == w["nature"]
                assert g.get("TRANS_TIMELINESS") == w.get("timeliness")
                # The SEC data sets spell it EXCERCISE_DATE in DERIV_TRANS, EXERCISE_DATE in DERIV_HOLDING.
                exercise = "EXCERCISE_DATE" if table == "deriv_trans" else "EXERCISE_DATE"
                columns = dict(FOOTNOTE_COLUMNS, exercise=f"{exercise}_FN")
                for field, column in columns.items():
                    if column in g:
                        assert g[column] == (w["footnotes"].get(field) or None), (rec["accession"], column)
                assert _dec(g.get("CONV_EXERCISE_PRICE")) == _dec(w["conv_price"])
                assert (str(g[exercise]) if g.get(exercise) else None) == w["exercise_date"]
                checked += 1
    assert checked > 100


def test_the_seed_record_describes_the_seed_filing(seed_bytes):
    """The manifest's record of the real seed filing is what the parser reads from its bytes."""
    from form4_assets.synthetic.mirror import SEED_ACCESSION, SEED_RECORD

    res = parse_filing(seed_bytes, source="seed", accession=SEED_ACCESSION)
    assert isinstance(res, ParsedFiling)
    assert res.submission["ISSUERCIK"] == SEED_RECORD["issuer"]["cik"]
    assert res.submission["AFF10B5ONE"] is SEED_RECORD["aff10b5one"]
    assert [o["RPTOWNERCIK"] for o in res.reporting_owner] == [o["cik"] for o in SEED_RECORD["owners"]]
    assert {f["FOOTNOTE_ID"]: f["FOOTNOTE_TXT"] for f in res.footnotes} == SEED_RECORD["footnotes"]
    (got,) = res.nonderiv_trans
    (want,) = SEED_RECORD["rows"]
    assert (got["TRANS_CODE"], got["TRANS_ACQUIRED_DISP_CD"], str(got["TRANS_DATE"])) == \
        (want["code"], want["acquired_disposed"], want["trans_date"])
    assert (_dec(got["TRANS_SHARES"]), _dec(got["TRANS_PRICEPERSHARE"]), _dec(got["SHRS_OWND_FOLWNG_TRANS"])) == \
        (_dec(want["shares"]), _dec(want["price"]), _dec(want["shares_following"]))
    assert (got["EQUITY_SWAP_TRANS_CD_FN"], got["TRANS_PRICEPERSHARE_FN"]) == \
        (want["footnotes"]["code"], want["footnotes"]["price"])


def test_a_larger_mirror_parses_except_the_broken(tmp_path):
    """~1,500 filings of another seed: rare paths (exhibits, Form 5 in January, many broken kinds)."""
    import datetime as dt

    from form4_assets.synthetic.mirror import make_mirror
    from form4_assets_tests.synthetic_helpers import arithmetic_findings

    make_mirror(tmp_path, dt.date(2024, 1, 2), dt.date(2024, 1, 8), per_day=300, seed=11)
    records = load_manifest(tmp_path)
    assert len(records) > 1000
    wrong = []
    for rec in records:
        res = parse_filing(filing_path(tmp_path, rec).read_bytes(), source=rec["path"], accession=rec["accession"])
        if isinstance(res, Quarantined) != bool(rec["broken"]):
            wrong.append((rec["accession"], rec["broken"], getattr(res, "message", "parsed")))
        elif rec["broken"]:
            assert res.reason in BROKEN_REASONS[rec["broken"]], (rec["accession"], res.reason)
        else:
            assert arithmetic_findings(rec) == {(x["table"], x["sk"], x["check"]) for x in rec["inconsistent"]}
    assert not wrong
    assert {r["broken"] for r in records} == {None, *BROKEN_REASONS}
    assert {r["form_type"] for r in records} >= {"3", "4", "5", "4/A"}
    assert any(r["no_securities_owned"] for r in records)


def test_worker_processes_parse_exactly_what_the_run_process_parses(tmp_path) -> None:
    """FORM4_PARSE_PROCESSES > 1 hands the filings to spawned workers: the day's tables,
    quarantine rows included, are the same rows in the same order as parsing in-process."""
    import datetime as dt
    import hashlib
    from collections import defaultdict

    from form4_assets.pipeline.day import POOL_MIN_FILINGS, parse_pool, parsed_days, parsed_rows
    from form4_assets.warehouse.engine import create_schema, make_engine
    from form4_assets.warehouse.store import read_partition, replace_partitions

    root = build_small_mirror(tmp_path / "mirror")
    raws: dict[dt.date, list[dict]] = defaultdict(list)
    for rec in load_manifest(root):
        path = filing_path(root, rec)
        day = dt.date.fromisoformat(rec["filing_date"])
        raws[day].append({"FILING_DATE": day, "ACCESSION_NUMBER": rec["accession"], "LOCAL_PATH": str(path),
                          "SHA256": hashlib.sha256(path.read_bytes()).hexdigest(), "FETCH_ERROR": None,
                          "EDGAR_PATH": rec["path"]})
    first = min(raws)
    raws[first][0]["SHA256"] = "0" * 64  # one filing whose bytes changed: quarantined in both
    serial = {day: parsed_rows(rows, day) for day, rows in sorted(raws.items())}
    engine = make_engine(f"sqlite:///{tmp_path / 'w.sqlite'}")
    create_schema(engine)
    for day, rows in raws.items():
        replace_partitions(engine, [day], {"raw_filings": rows})
    days = sorted(raws)
    with parse_pool(POOL_MIN_FILINGS, 2) as pool:
        assert pool is not None
        pooled = {day: parsed_rows(rows, day, pool) for day, rows in sorted(raws.items())}
        ahead = list(parsed_days(engine, days, pool))  # the next day parsing while one is yielded
    assert pooled == serial
    stored = [(day, parsed_rows(read_partition(engine, "raw_filings", day), day)) for day in days]
    assert [(day, tables) for day, _, tables in ahead] == stored == [(d, t) for d, _, t in parsed_days(engine, days)]
    assert sum(len(t["submission"]) + len(t["quarantine"]) for _, t in stored) == sum(map(len, raws.values()))
    engine.dispose()
    assert serial[first]["quarantine"] and sum(len(t["submission"]) for t in serial.values()) > 0
    with parse_pool(POOL_MIN_FILINGS - 1, 2) as small, parse_pool(POOL_MIN_FILINGS, 1) as single:
        assert small is None and single is None  # too few filings, or one process: parsed in-process
