"""The synthetic mirror's bulk files and their live download.

make_mirror writes each quarter's Form 345 data set in the SEC's layout from its own
documents (so reconciling it with the parsed filings tests the parser: 100% agreement,
planted differences reported), and each day's Feed archive with the day's filings among
filler of the other forms. The loopback EDGAR serves both: Feed mode reading live EDGAR's
archives gives the tables of per-filing mode, sends one archive request a day and none
once the filings are cached, and falls back per filing when a download breaks off; a
quarter's data set downloads once into the cache and imports like the local zip.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import tarfile
import zipfile
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from form4_assets.defs.resources import EdgarSourceResource, WarehouseResource
from form4_assets.edgar.datasets import download_dataset, parse_quarter
from form4_assets.edgar.feed import feed_path
from form4_assets.edgar.paths import form345_dataset_path
from form4_assets.edgar.source import LiveSource, MirrorSource
from form4_assets.form345.dataset import TABLE_FILES
from form4_assets.form345.layout import sec_header
from form4_assets.runs import import_form345, run_daily_job
from form4_assets.synthetic.mirror import BulkOptions, make_mirror
from form4_assets.tables import SEC_TABLES_BY_FILE
from form4_assets.testing.loopback import Fault, LoopbackEdgar
from form4_assets.warehouse.engine import make_engine
from form4_assets_tests.test_form345 import checks_by_date

# Across a quarter's end, clear of the seed filing's day (it has no data-set rows).
START, END = dt.date(2023, 9, 28), dt.date(2023, 10, 3)
USER_AGENT = "form4_assets tests tests@example.com"
PARSED = ("submission", "reporting_owner", "nonderiv_trans", "deriv_trans", "nonderiv_holding", "deriv_holding",
          "footnotes", "owner_signature")
_NUMBER = re.compile(r"-?[0-9]+\.[0-9]{1,2}")


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bulk") / "mirror"
    # A share of 0.25 keeps the archives small; the 3% default is the benchmark's business.
    make_mirror(root, START, END, per_day=40, include_seed=False,
                bulk=BulkOptions(feed=True, data_sets=True, feed_share=0.25))
    return root


def _zips(mirror: Path) -> list[Path]:
    return [mirror / form345_dataset_path(2023, q) for q in (3, 4)]


def test_each_quarter_gets_a_data_set_in_the_sec_layout_with_its_quirks(mirror: Path) -> None:
    q3, q4 = _zips(mirror)
    lines: dict[str, list[str]] = {}
    for path in (q3, q4):
        with zipfile.ZipFile(path) as archive:
            assert sorted(archive.namelist()) == sorted(TABLE_FILES)
            for name in TABLE_FILES:
                raw = archive.read(name)
                raw.decode("ascii")  # ASCII, as the SEC's files
                assert b"\r" not in raw
                text = raw.decode("ascii").splitlines()
                assert tuple(text[0].split("\t")) == sec_header(SEC_TABLES_BY_FILE[name])
                lines.setdefault(name, []).extend(text[1:])
    header = sec_header(SEC_TABLES_BY_FILE["SUBMISSION.tsv"])
    subs = [dict(zip(header, r)) for r in csv.reader(lines["SUBMISSION.tsv"], delimiter="\t")]
    assert {s["FILING_DATE"][-8:] for s in subs} == {"SEP-2023", "OCT-2023"}
    assert all(re.fullmatch(r"[0-9]{2}-[A-Z]{3}-[0-9]{4}", s["FILING_DATE"]) for s in subs)
    # Flags as filed: digits in some filings, words in others.
    assert {s["NOT_SUBJECT_SEC16"] for s in subs if s["DOCUMENT_TYPE"].startswith("4")} == {"0", "false"}
    trans_header = sec_header(SEC_TABLES_BY_FILE["NONDERIV_TRANS.tsv"])
    trans = [dict(zip(trans_header, r)) for r in csv.reader(lines["NONDERIV_TRANS.tsv"], delimiter="\t")]
    numbers = [t[c] for t in trans for c in ("TRANS_SHARES", "TRANS_PRICEPERSHARE", "SHRS_OWND_FOLWNG_TRANS") if t[c]]
    assert numbers and all(_NUMBER.fullmatch(n) for n in numbers)  # two decimals at most, always a point
    assert any(n.endswith(".0") for n in numbers)
    keys = [int(t["NONDERIV_TRANS_SK"]) for t in trans]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    # A footnote holding double quotes is wrapped in quotes, the inner ones doubled.
    assert any(line.count('""') >= 2 and '\t"' in line for line in lines["FOOTNOTES.tsv"])


def test_reconciliation_with_the_synthetic_data_sets_agrees_fully_and_sees_a_planted_difference(
    mirror: Path, tmp_path: Path, warehouse_url: str
) -> None:
    warehouse = WarehouseResource(url=warehouse_url)
    instance = dg.DagsterInstance.ephemeral()
    assert run_daily_job(START.isoformat(), END.isoformat(), warehouse=warehouse,
                         edgar=EdgarSourceResource(mode="mirror", mirror_dir=str(mirror)), instance=instance).success
    result, dates = import_form345(_zips(mirror), warehouse=warehouse, instance=instance)
    agreed = checks_by_date(result)
    assert sorted(agreed) == [d.isoformat() for d in dates] and len(dates) == 4
    compared: dict[str, int] = {}
    for evaluation in agreed.values():
        assert evaluation.passed, evaluation.metadata["offending_rows_json"].value
        details = evaluation.metadata["details"].value
        assert details["compared"] and set(details["agreement_by_table"]) == set(PARSED)
        for name, counts in details["agreement_by_table"].items():
            assert counts["fields_agreed"] == counts["fields_compared"], name
            assert counts["accessions_only_ours"] == counts["accessions_only_sec"] == 0, name
            compared[name] = compared.get(name, 0) + counts["fields_compared"]
        assert details["columns_not_in_sec"] == {"submission": ["AFF10B5ONE"]}
    assert all(compared.values())  # every table compared somewhere, and agreed in full

    # Plant one difference: a reporting owner's city, in the Q4 zip's REPORTINGOWNER.tsv.
    planted = tmp_path / "2023q4_form345.zip"
    with zipfile.ZipFile(_zips(mirror)[1]) as source, zipfile.ZipFile(planted, "w") as target:
        for name in source.namelist():
            data = source.read(name).decode("ascii")
            if name == "REPORTINGOWNER.tsv":
                head, first, rest = data.split("\n", 2)
                fields = first.split("\t")
                city = sec_header(SEC_TABLES_BY_FILE[name]).index("RPTOWNER_CITY")
                accession, fields[city] = fields[0], "ATLANTIS"
                data = "\n".join([head, "\t".join(fields), rest])
            target.writestr(name, data)
    result, _ = import_form345([_zips(mirror)[0], planted], warehouse=warehouse, instance=instance)
    found = checks_by_date(result)
    failed = [e for e in found.values() if not e.passed]
    assert len(failed) == 1 and failed[0].severity == dg.AssetCheckSeverity.WARN
    assert failed[0].metadata["failures"].value == 1
    (mismatch,) = failed[0].metadata["offending_rows_json"].value
    assert (mismatch["accession"], mismatch["column"], mismatch["sec"]) == (accession, "RPTOWNER_CITY", "ATLANTIS")
    assert mismatch["sec_source"] == "2023q4_form345/REPORTINGOWNER.tsv:2"


def test_feed_archives_hold_the_days_filings_among_filler(mirror: Path) -> None:
    day = dt.date(2023, 10, 2)
    listed = {e.accession for e in MirrorSource(mirror).list_filings(day)}
    index = (mirror / f"Archives/edgar/daily-index/2023/QTR4/master.{day:%Y%m%d}.idx").read_text()
    others = {line.split("|")[4].split("/")[-1].removesuffix(".txt") for line in index.splitlines()
              if line.count("|") == 4 and line.split("|")[2] not in ("3", "4", "5", "3/A", "4/A", "5/A", "Form Type")}
    sizes: dict[str, int] = {}
    with tarfile.open(mirror / feed_path(day), "r:gz") as tar:
        for member in tar:
            sizes[member.name.removesuffix(".nc")] = member.size
            if member.name.removesuffix(".nc") in listed:
                cik = next(e.cik for e in MirrorSource(mirror).list_filings(day) if e.accession == member.name[:-3])
                served = (mirror / f"Archives/edgar/data/{cik}/{member.name[:-3].replace('-', '')}/{member.name[:-3]}.txt")
                assert tar.extractfile(member).read() == served.read_bytes()  # byte for byte as served
    assert set(sizes) == listed | others and listed and others
    share = sum(sizes[a] for a in listed) / sum(sizes.values())
    assert 0.15 < share < 0.35  # the asked 25%, give or take the filler's random sizes


def _tables(url: str) -> dict[str, list[tuple]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {name: sorted(map(tuple, conn.execute(sa.select(sa.Table(name, sa.MetaData(), autoload_with=conn)))))
                    for name in PARSED}
    finally:
        engine.dispose()


def test_live_feed_mode_through_the_loopback_equals_per_filing_mode(mirror: Path, tmp_path: Path,
                                                                    new_warehouse_url) -> None:
    first, last = dt.date(2023, 10, 2), dt.date(2023, 10, 3)

    def run(url: str, edgar: EdgarSourceResource) -> None:
        assert run_daily_job(first.isoformat(), last.isoformat(), warehouse=WarehouseResource(url=url), edgar=edgar,
                             instance=dg.DagsterInstance.ephemeral()).success

    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir(), (tmp_path / "c").mkdir()
    offline, feed, cut = (new_warehouse_url("sqlite", tmp_path / name, name) for name in "abc")
    run(offline, EdgarSourceResource(mode="mirror", mirror_dir=str(mirror)))
    with LoopbackEdgar(mirror) as server:
        edgar = EdgarSourceResource(mode="feed", feed_from="live", user_agent=USER_AGENT, base_url=server.base_url,
                                    cache_dir=str(tmp_path / "cache"), data_dir=str(tmp_path / "data"))
        run(feed, edgar)
        archives = [r for r in server.log if "/Feed/" in r.path]
        filings = [r for r in server.log if "/edgar/data/" in r.path]
        assert sorted(r.path for r in archives) == ["/" + feed_path(first), "/" + feed_path(last)]
        assert all(r.status == 200 and r.user_agent == USER_AGENT for r in archives) and filings == []
        assert _tables(feed) == _tables(offline)
        before = len(server.log)
        with edgar.opened() as source:  # every filing is cached now: no archive is fetched again
            listed = [e for day in (first, last) for e in source.list_filings(day)]
            assert all(f.ok for f in source.fetch_all(listed))
        assert not [r for r in server.log[before:] if "/Feed/" in r.path or "/edgar/data/" in r.path]

        # A download that breaks off halfway keeps what it read and fetches the rest per filing.
        server.inject(Fault.truncated_body(), path="/" + feed_path(first), times=None)
        before = len(server.log)
        run(cut, EdgarSourceResource(mode="feed", feed_from="live", user_agent=USER_AGENT, base_url=server.base_url,
                                     cache_dir=str(tmp_path / "cache2"), data_dir=str(tmp_path / "data")))
        assert [r.path for r in server.log[before:] if "/Feed/" in r.path] == ["/" + feed_path(first), "/" + feed_path(last)]
        fallbacks = [r for r in server.log[before:] if "/edgar/data/" in r.path]
        assert fallbacks and all(r.status == 200 for r in fallbacks)
        assert _tables(cut) == _tables(offline)


def test_a_quarters_data_set_downloads_once_and_imports_like_the_local_zip(
    mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from form4_assets.cli import main

    assert parse_quarter("2023Q4") == (2023, 4)
    with pytest.raises(ValueError, match="YYYYqN"):
        parse_quarter("2023-4")
    local = tmp_path / "local.sqlite"
    assert main(["import-form345", str(_zips(mirror)[1]), "--warehouse-url", f"sqlite:///{local}"]) == 0
    from_file = capsys.readouterr().out.splitlines()[1:]
    with LoopbackEdgar(mirror) as server:
        monkeypatch.setenv("FORM4_USER_AGENT", USER_AGENT)
        monkeypatch.setenv("FORM4_EDGAR_BASE_URL", server.base_url)
        monkeypatch.setenv("FORM4_CACHE_DIR", str(tmp_path / "cache"))
        for name in ("one", "two"):
            url = f"sqlite:///{tmp_path / name}.sqlite"
            assert main(["import-form345", "--download", "2023q4", "--warehouse-url", url]) == 0
            assert capsys.readouterr().out.splitlines()[1:] == from_file  # the same rows per table
        assert [r.path for r in server.log] == ["/" + form345_dataset_path(2023, 4)]  # once: then the cache
        assert main(["import-form345", "--download", "2019q1", "--warehouse-url", url]) == 2
        assert "no Form 345 data set for 2019q1" in capsys.readouterr().err
        source = LiveSource(USER_AGENT, tmp_path / "cache", base_url=server.base_url)
        try:
            path = download_dataset(source, 2023, 4)
        finally:
            source.close()
    assert path.read_bytes() == _zips(mirror)[1].read_bytes()
    assert any("sec_submission" in line and not line.endswith("\t0 rows") for line in from_file)


def test_the_form345_resource_downloads_its_quarters_once_through_the_live_client(
    mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A UI run of form345_import_job with the resource's `quarters` fetches each data set from
    EDGAR (the loopback) once, then reads the cache, and writes what the local zip writes."""
    from form4_assets.definitions import build_definitions
    from form4_assets.defs.resources import Form345Resource
    from form4_assets.runs import execute_range

    first, last = "2023-10-02", "2023-10-03"

    def imported(url: str, form345: Form345Resource) -> dict[str, int]:
        defs = build_definitions({"warehouse": WarehouseResource(url=url), "edgar": EdgarSourceResource(),
                                  "form345": form345})
        assert execute_range(defs.resolve_job_def("form345_import_job"), first, last, dg.DagsterInstance.ephemeral()).success
        return {name: len(_read(url, name)) for name in ("sec_submission", "sec_nonderiv_trans", "sec_footnotes")}

    local = imported(f"sqlite:///{tmp_path / 'local.sqlite'}", Form345Resource(paths=[str(_zips(mirror)[1])]))
    assert local["sec_submission"] > 0
    with LoopbackEdgar(mirror) as server:
        monkeypatch.setenv("FORM4_USER_AGENT", USER_AGENT)
        monkeypatch.setenv("FORM4_EDGAR_BASE_URL", server.base_url)
        monkeypatch.setenv("FORM4_CACHE_DIR", str(tmp_path / "cache"))
        for name in ("one", "two"):
            assert imported(f"sqlite:///{tmp_path / name}.sqlite", Form345Resource(quarters=["2023q4"])) == local
        assert [(r.path, r.user_agent) for r in server.log] == [("/" + form345_dataset_path(2023, 4), USER_AGENT)]
        monkeypatch.setenv("FORM4_FORM345_QUARTERS", "2019q1")  # the variable, for UI runs: a quarter EDGAR lacks
        with pytest.raises(dg.Failure, match="2019q1"):
            Form345Resource().resolved_paths()


AGGREGATES = ("effective_transactions", "issuer_daily_activity", "net_insider_selling", "cluster_buys")
SIGNALS = ("filing_timeliness", "trading_plans", "insider_patterns", "insider_signals")


def _read(url: str, name: str) -> list[dict]:
    from form4_assets.warehouse.schema import TABLES

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(TABLES[name]))]
    finally:
        engine.dispose()


def _cents(value):
    from decimal import ROUND_HALF_UP, Decimal

    return None if value is None else value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_aggregates_of_dates_never_fetched_come_from_the_data_set_and_match_the_parse(
    mirror: Path, tmp_path: Path, warehouse_url: str
) -> None:
    from form4_assets.aggregates.effective import dollars
    from form4_assets.explain import explain, format_explanation

    instance = dg.DagsterInstance.ephemeral()
    parsed = f"sqlite:///{tmp_path / 'parsed.sqlite'}"
    assert run_daily_job(START.isoformat(), END.isoformat(), warehouse=WarehouseResource(url=parsed),
                         edgar=EdgarSourceResource(mode="mirror", mirror_dir=str(mirror)), instance=instance).success
    # The other warehouse never fetches a filing: the data sets, then the aggregates over them, in one
    # run of form345_history_job (import-form345 --aggregates).
    result, dates = import_form345(_zips(mirror), warehouse=WarehouseResource(url=warehouse_url), instance=instance,
                                   aggregates=True)
    assert result is not None and result.success
    assert {e.step_key for e in result.all_events if e.event_type_value == "STEP_SUCCESS"} >= {
        "import_form345", *AGGREGATES, *SIGNALS}
    checked = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
               and e.event_specific_data.asset_key.path[0] in (*AGGREGATES, *SIGNALS)
               and e.event_specific_data.check_name != "freshness_check"]  # old dates are stale by design
    failed = [(c.check_name, c.partition, c.metadata.get("offending_rows_json")) for c in checked if not c.passed]
    assert checked and not failed  # the aggregates' own checks hold on the SEC's rows

    ours = sorted(_read(parsed, "effective_transactions"), key=lambda r: (r["ACCESSION_NUMBER"], r["TRANS_TABLE"], r["TRANS_SK"]))
    sec = sorted(_read(warehouse_url, "effective_transactions"), key=lambda r: (r["ACCESSION_NUMBER"], r["TRANS_TABLE"], r["TRANS_SK"]))
    assert len(ours) == len(sec) > 100
    assert {r["SOURCE"] for r in ours} == {"filings"} and {r["SOURCE"] for r in sec} == {"sec_form345"}
    rounded = 0
    for a, b in zip(ours, sec):
        assert re.fullmatch(r"20\d\dq[34]_form345/(NON)?DERIV_TRANS\.tsv:\d+", b["SEC_SOURCE"]) and a["SEC_SOURCE"] is None
        # The SEC rounds shares and prices to two decimals; the dollars follow from the rounded figures.
        assert (b["TRANS_SHARES"], b["TRANS_PRICEPERSHARE"]) == (_cents(a["TRANS_SHARES"]), _cents(a["TRANS_PRICEPERSHARE"]))
        assert b["TRANS_DOLLARS"] == dollars(b["TRANS_SHARES"], b["TRANS_PRICEPERSHARE"])
        rounded += b["TRANS_PRICEPERSHARE"] != a["TRANS_PRICEPERSHARE"]
        # The 2024 Q3 layout has no AFF10B5ONE: a flagged filing's plan status comes from its text alone.
        plan = ("PLAN_10B5_1", "PLAN_EVIDENCE") if a["PLAN_EVIDENCE"] != "flag" else ()
        same = set(a) - {"TRANS_SK", "SOURCE", "SEC_SOURCE", "TRANS_SHARES", "TRANS_PRICEPERSHARE", "TRANS_DOLLARS",
                         "PLAN_10B5_1", "PLAN_EVIDENCE"} | set(plan)
        assert {c: a[c] for c in same} == {c: b[c] for c in same}, a["ACCESSION_NUMBER"]
    assert rounded > 0  # the mirror files some four-decimal prices: the rounding is exercised

    def key_figures(url: str, name: str) -> list[tuple]:
        rows = _read(url, name)
        names = sorted(c for c in rows[0] if not any(w in c for w in ("DOLLARS", "PLAN", "DISCRETIONARY")))
        return sorted(tuple(str(r[c]) for c in names) for r in rows)

    for name in AGGREGATES[1:]:  # shares, rows, buyers and sellers do not depend on the source
        assert key_figures(parsed, name) == key_figures(warehouse_url, name), name
    _signals_agree(parsed, warehouse_url)

    row = sec[0]
    engine = make_engine(warehouse_url)
    try:
        text = format_explanation(explain(engine, row["ISSUERCIK"], row["TRANS_DATE"]))
    finally:
        engine.dispose()
    assert "from the SEC's data set" in text and row["SEC_SOURCE"] in text


def _signals_agree(parsed: str, sec: str) -> None:
    """The signals of dates known only from the data set equal those of the parse, but for what
    the SEC's set holds less of: dollars (rounded prices), the surrogate keys, the issuer's fiscal
    year end (no SEC header: only a Form 5's due date reads it), and the plan checkbox, which the
    2024 Q3 layout lacks (a filing that ticked it has its plan status from its text alone)."""
    def rows(url: str, name: str, key: tuple[str, ...]) -> list[dict]:
        found = sorted(_read(url, name), key=lambda r: tuple(str(r[c]) for c in key))
        assert found, (url, name)
        return found

    timely = [rows(u, "filing_timeliness", ("ACCESSION_NUMBER", "TRANS_TABLE", "TRANS_SK")) for u in (parsed, sec)]
    assert len(timely[0]) == len(timely[1])
    for a, b in zip(*timely):
        same = set(a) - {"TRANS_SK", "FISCAL_YEAR_END"} - ({"DUE_DATE", "DEADLINE_BUSINESS_DAYS", "IS_LATE"}
                                         if a["DOCUMENT_TYPE"].startswith("5") else set())
        assert {c: a[c] for c in same} == {c: b[c] for c in same}, a["ACCESSION_NUMBER"]

    plan_columns = {"AFF10B5ONE", "PLAN_STATUS", "PLAN_EVIDENCE", "PLAN_ROWS", "ADOPTION_DATE", "ADOPTION_TEXT",
                    "ADOPTION_SOURCE", "TRANS_DATE", "DAYS_SINCE_ADOPTION", "COOLING_OFF_STATUS"}
    plans = [rows(u, "trading_plans", ("ACCESSION_NUMBER",)) for u in (parsed, sec)]
    assert [r["ACCESSION_NUMBER"] for r in plans[0]] == [r["ACCESSION_NUMBER"] for r in plans[1]]
    from_text = 0
    for a, b in zip(*plans):
        assert b["AFF10B5ONE"] is None  # not in the 2024 Q3 layout
        same = set(a) - (plan_columns if a["AFF10B5ONE"] is not None else {"AFF10B5ONE"})
        assert {c: a[c] for c in same} == {c: b[c] for c in same}, a["ACCESSION_NUMBER"]
        from_text += a["AFF10B5ONE"] is None and a["PLAN_STATUS"] == "plan"
    assert from_text > 0  # plans read from footnotes and remarks agree, adoption dates included

    signals = [rows(u, "insider_signals", ("ISSUERCIK",)) for u in (parsed, sec)]
    assert [r["ISSUERCIK"] for r in signals[0]] == [r["ISSUERCIK"] for r in signals[1]]
    compared = sorted(c for c in signals[0][0] if "DOLLARS" not in c and "PLAN" not in c)
    assert {"EXEC_BUY_ROWS", "EXEC_BUYERS", "OWN_INCREASE_ROWS", "LATE_ROWS_90D", "OPP_BUY_SHARES_90D"} <= set(compared)
    for a, b in zip(*signals):
        assert {c: a[c] for c in compared} == {c: b[c] for c in compared}, a["ISSUERCIK"]
    assert any(r["EXEC_BUY_ROWS"] or r["OWN_INCREASE_ROWS"] for r in signals[1])  # purchases read from the SEC's rows
