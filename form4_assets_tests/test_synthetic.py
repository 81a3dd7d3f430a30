"""The synthetic EDGAR mirror: layout, determinism, manifest truthfulness, share arithmetic.

The manifest is what other tests compute expected numbers from, so these tests check it
against the bytes actually written (read back with lxml, independently of the project's
parser) and recompute its share arithmetic independently of the generator.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from form4_assets.cli import main as cli_main
from form4_assets.edgar.business_days import is_business_day
from form4_assets.edgar.source import MirrorSource
from form4_assets.synthetic.mirror import SEED_ACCESSION, BulkOptions, make_mirror
from form4_assets_tests.synthetic_helpers import (
    END,
    START,
    arithmetic_findings,
    build_small_mirror,
    filing_path,
    load_manifest,
    tree_digest,
)

ACCESSION = re.compile(r"^\d{10}-\d{2}-\d{6}$")


@pytest.fixture(scope="module")
def mirror(tmp_path_factory) -> Path:
    return build_small_mirror(tmp_path_factory.mktemp("mirror"))


@pytest.fixture(scope="module")
def manifest(mirror) -> list[dict]:
    return load_manifest(mirror)


def _index_dir(root: Path, day: dt.date) -> Path:
    return root / "Archives" / "edgar" / "daily-index" / str(day.year) / f"QTR{(day.month - 1) // 3 + 1}"


def _master_rows(root: Path, day: dt.date) -> list[list[str]]:
    lines = (_index_dir(root, day) / f"master.{day:%Y%m%d}.idx").read_text().splitlines()
    dashes = next(i for i, line in enumerate(lines) if line.startswith("-----"))
    assert lines[dashes - 1] == "CIK|Company Name|Form Type|Date Filed|File Name"
    assert lines[0] == "Description:           Daily Index of EDGAR Dissemination Feed"
    return [line.split("|") for line in lines[dashes + 1:]]


def _form_rows(root: Path, day: dt.date) -> list[tuple[str, str, str, str, str]]:
    lines = (_index_dir(root, day) / f"form.{day:%Y%m%d}.idx").read_text().splitlines()
    dashes = next(i for i, line in enumerate(lines) if line.startswith("-----"))
    return [(x[:17].strip(), x[17:79].strip(), x[79:91].strip(), x[91:103].strip(), x[103:].strip())
            for x in lines[dashes + 1:]]


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    kwargs = dict(start=dt.date(2024, 3, 27), end=dt.date(2024, 4, 2), per_day=25)
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    # With the data sets (the command writes them by default) and Feed archives: no clock in any zip or gzip.
    make_mirror(a, seed=7, bulk=BulkOptions(data_sets=True, feed=True, feed_share=0.5), **kwargs)
    # The same run in another process with other string hashing: no set order leaks into the bytes.
    subprocess.run([sys.executable, "-m", "form4_assets.cli", "make-mirror", "--start", "2024-03-27",
                    "--end", "2024-04-02", "--per-day", "25", "--seed", "7", "--feed", "--feed-share", "0.5", str(b)],
                   check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": "12345"})
    make_mirror(c, seed=8, **kwargs)
    digest_a = tree_digest(a)
    assert len(digest_a) > 60
    assert digest_a == tree_digest(b)
    assert digest_a != tree_digest(c)


def test_indexes_only_on_business_days(mirror):
    day = START
    published = []
    while day <= END:
        exists = (_index_dir(mirror, day) / f"master.{day:%Y%m%d}.idx").exists()
        assert exists == (_index_dir(mirror, day) / f"form.{day:%Y%m%d}.idx").exists()
        assert exists == is_business_day(day), day
        if exists:
            published.append(day)
        day += dt.timedelta(days=1)
    # Weekend 4-5 Nov and Veterans Day (observed Fri 10 Nov 2023) have no index.
    assert dt.date(2023, 11, 10) not in published and dt.date(2023, 11, 4) not in published
    assert len(published) == 8


def test_index_lines_point_to_filings_and_agree_with_manifest(mirror, manifest):
    by_day: dict[str, list[dict]] = {}
    for rec in manifest:
        by_day.setdefault(rec["filing_date"], []).append(rec)
    for day_text, records in by_day.items():
        day = dt.date.fromisoformat(day_text)
        master = _master_rows(mirror, day)
        assert all(len(row) == 5 and row[3] == f"{day:%Y%m%d}" for row in master)
        ownership = [row for row in master if row[2] in ("3", "3/A", "4", "4/A", "5", "5/A")]
        others = [row for row in master if row not in ownership]
        assert others, "real indexes list other form types too"
        assert not any((mirror / "Archives" / row[4]).exists() for row in others[:20])
        # One line per CIK, as on EDGAR: under the issuer and again under every reporting owner.
        expected = []
        for r in records:
            names = {int(r["issuer"]["cik"]): r["issuer"]["name"], **{int(o["cik"]): o["name"] for o in r["owners"]}}
            assert sorted(int(c) for c in r["index_ciks"]) == sorted(names)
            expected += [[cik, names[int(cik)], r["form_type"], day_text.replace("-", ""),
                          f"edgar/data/{cik}/{r['accession']}.txt"] for cik in r["index_ciks"]]
        assert sorted(ownership) == sorted(expected)
        first_line = {}
        for row in master:  # the master index's order: the line a de-duplicating reader keeps
            first_line.setdefault(row[4].rsplit("/", 1)[1], row)
        for rec in records:
            assert filing_path(mirror, rec).is_file()
            assert rec["path"] == f"edgar/data/{rec['index_cik']}/{rec['accession']}.txt"
            assert first_line[f"{rec['accession']}.txt"][0] == rec["index_cik"] == rec["index_ciks"][0]
            acc = rec["accession"]
            for cik in rec["index_ciks"]:  # EDGAR serves the filing under each of its CIKs
                other = mirror / "Archives" / "edgar" / "data" / cik / acc.replace("-", "") / f"{acc}.txt"
                assert other.read_bytes() == filing_path(mirror, rec).read_bytes()
        form = _form_rows(mirror, day)
        assert sorted([x[2], x[1], x[0], x[3], x[4]] for x in form) == sorted(master)
        assert [x[0] for x in form] == sorted(x[0] for x in form)


def test_index_lists_each_filing_once_per_cik_and_the_source_keeps_one(mirror, manifest):
    lines = sum(len(r["index_ciks"]) for r in manifest)
    assert 1.9 < lines / len(manifest) < 2.5  # real daily indexes: ~2.05 lines per ownership filing
    day = dt.date(2023, 11, 8)
    listing = MirrorSource(mirror).list_filings(day)
    records = {r["accession"]: r for r in manifest if r["filing_date"] == day.isoformat()}
    assert sorted(e.accession for e in listing) == sorted(records)
    assert all(e.cik == records[e.accession]["index_cik"] for e in listing)


def test_accession_numbers_are_unique_valid_and_dated(mirror, manifest):
    accessions = [r["accession"] for r in manifest]
    assert len(set(accessions)) == len(accessions)
    for rec in manifest:
        assert ACCESSION.match(rec["accession"])
        assert rec["accession"][11:13] == rec["filing_date"][2:4]
    all_index = [row[4] for day in {dt.date.fromisoformat(r["filing_date"]) for r in manifest}
                 for row in _master_rows(mirror, day)]
    assert len(set(all_index)) == len(all_index)
    prefixes = Counter(a[:10] for a in accessions)
    assert prefixes["0000899243"] > 0 and prefixes["0001209191"] > 0


def test_volumes_and_mix_are_realistic(manifest):
    forms = Counter(r["form_type"] for r in manifest)
    total = sum(forms.values())
    assert 0.5 * 40 * 8 < total < 2.5 * 40 * 8
    assert forms["4"] / total > 0.75
    assert 0.02 < forms["3"] / total < 0.16
    assert forms["4/A"] >= 1
    containers = Counter(r["container"] for r in manifest)
    assert containers["txt"] > containers["nc"] > 0
    assert {r["schema_version"] for r in manifest} >= {"X0306", "X0407", "X0508"}
    assert sum(r["joint"] for r in manifest) >= 1
    codes = Counter((row["table"], row["code"]) for r in manifest for row in r["rows"])
    for want in ("S", "P", "A", "M", "F", "G"):
        assert codes[("nonderiv_trans", want)] > 0, want
    for want in ("M", "A"):
        assert codes[("deriv_trans", want)] > 0, want
    assert any(row["table"] == "nonderiv_holding" for r in manifest for row in r["rows"])
    assert any(row["table"] == "deriv_holding" for r in manifest for row in r["rows"])
    assert any(row["price"] is None and row["footnotes"].get("price") for r in manifest for row in r["rows"])
    assert any(row["timeliness"] == "L" for r in manifest for row in r["rows"])
    assert {r["broken"] for r in manifest} == {None, "truncated", "no_xml", "malformed_xml"}


def test_seed_filing_placed_byte_for_byte(mirror, manifest, seed_bytes):
    path = mirror / "Archives/edgar/data/1043219/000162828023037880/0001628280-23-037880.txt"
    assert path.read_bytes() == seed_bytes
    master = _master_rows(mirror, dt.date(2023, 11, 8))
    assert ["1043219", "ANNALY CAPITAL MANAGEMENT INC", "4", "20231108",
            "edgar/data/1043219/0001628280-23-037880.txt"] in master
    (seed,) = [r for r in manifest if r["accession"] == SEED_ACCESSION]
    assert seed["seed"] and seed["filing_date"] == "2023-11-08"
    (row,) = seed["rows"]
    assert (row["code"], row["shares"], row["price"], row["shares_following"], row["is_10b5_1"]) == \
        ("S", "50000", "17.04", "545259", True)
    # Nothing synthetic touches NLY or its officer, so its 2023-11-06 numbers stay exact.
    others = [r for r in manifest if not r["seed"]]
    assert not any(r["issuer"]["cik"] == "0001043219" or r["issuer"]["ticker"] == "NLY" for r in others)
    assert not any(o["cik"] in ("0001043219", "0001688537") for r in others for o in r["owners"])


def test_no_seed_filing_when_asked(tmp_path):
    make_mirror(tmp_path, dt.date(2023, 11, 8), dt.date(2023, 11, 8), per_day=5, include_seed=False)
    assert not (tmp_path / "Archives/edgar/data/1043219/000162828023037880").exists()
    assert SEED_ACCESSION not in (tmp_path / "synthetic-manifest.jsonl").read_text()


def test_share_arithmetic_consistent_except_recorded(manifest):
    recorded_checks = Counter()
    for rec in manifest:
        if rec["broken"]:
            assert rec["rows"] == [] and rec["inconsistent"] == []
            continue
        recorded = {(x["table"], x["sk"], x["check"]) for x in rec["inconsistent"]}
        assert arithmetic_findings(rec) == recorded, rec["accession"]
        recorded_checks.update(x["check"] for x in rec["inconsistent"])
        for row in rec["rows"]:
            assert Decimal(row["shares_following"]) >= 0
            if row["shares"] is not None:
                assert Decimal(row["shares"]) > 0
        for table in ("nonderiv_trans", "deriv_trans"):
            keys = [(r["security"], r["direct_indirect"], r["nature"]) for r in rec["rows"] if r["table"] == table]
            runs = [k for i, k in enumerate(keys) if i == 0 or keys[i - 1] != k]
            assert len(runs) == len(set(runs)), f"{rec['accession']}: rows of one holding are not contiguous"
    assert recorded_checks["share_chain"] >= 1 and recorded_checks["ad_code"] >= 1


def test_amendments_supersede_a_matching_earlier_filing(manifest):
    by_acc = {r["accession"]: r for r in manifest}
    amendments = [r for r in manifest if r["amends"]]
    assert amendments
    for amd in amendments:
        orig = by_acc[amd["amends"]]
        assert amd["form_type"] == orig["form_type"] + "/A"
        assert orig["amended_by"] == amd["accession"]
        assert amd["date_of_orig_sub"] == orig["filing_date"] <= amd["filing_date"]
        assert (amd["issuer"], amd["owners"], amd["period"]) == (orig["issuer"], orig["owners"], orig["period"])
        changed = [(a["shares"], a["price"], a["shares_following"]) != (o["shares"], o["price"], o["shares_following"])
                   for a, o in zip(amd["rows"], orig["rows"])]
        assert len(amd["rows"]) == len(orig["rows"]) and any(changed), "an amendment corrects something"
        assert not orig["broken"] and not orig["inconsistent"] and not amd["inconsistent"]
    # The matching rule the aggregates use finds exactly one original per amendment.
    for amd in amendments:
        candidates = [r for r in manifest if r["issuer"] == amd["issuer"] and r["owners"] == amd["owners"]
                      and r["period"] == amd["period"] and r["filing_date"] == amd["date_of_orig_sub"]
                      and not r["amends"]]
        assert [c["accession"] for c in candidates] == [amd["amends"]]


def test_10b5_1_status_is_visible_in_the_filing(manifest):
    plan_sales = Counter()
    for rec in manifest:
        if rec["broken"] or rec["seed"]:
            continue
        mentions = {fid for fid, text in rec["footnotes"].items() if "10b5-1" in text}
        for row in rec["rows"]:
            bound = set(",".join(row["footnotes"].values()).split(","))
            if rec["schema_version"] >= "X0508":
                assert row["is_10b5_1"] == bool(rec["aff10b5one"] and row["code"])
            else:
                assert rec["aff10b5one"] is None
                assert row["is_10b5_1"] == bool(bound & mentions)
            if row["code"] == "S":
                plan_sales[(rec["schema_version"] >= "X0508", row["is_10b5_1"])] += 1
    assert all(plan_sales[k] > 0 for k in [(True, True), (True, False), (False, True), (False, False)]), plan_sales


def _xml_of(data: str) -> str | None:
    start = data.find("<XML>")
    if start < 0:
        return None
    end = data.find("</XML>", start)
    return data[start + 5: end if end >= 0 else len(data)].lstrip()


def _value(el, path: str) -> str | None:
    found = el.find(path)
    if found is None:
        return None
    value = found.find("value")
    if value is not None:
        return value.text
    return None if len(found) else found.text  # a footnote-only value has no <value>


_TAGS = {"nonderiv_trans": ("nonDerivativeTable", "nonDerivativeTransaction"),
         "deriv_trans": ("derivativeTable", "derivativeTransaction"),
         "nonderiv_holding": ("nonDerivativeTable", "nonDerivativeHolding"),
         "deriv_holding": ("derivativeTable", "derivativeHolding")}
_FN_PATHS = {"title": "securityTitle", "price": "transactionAmounts/transactionPricePerShare",
             "shares": "transactionAmounts/transactionShares", "code": "transactionCoding",
             "nature": "ownershipNature/natureOfOwnership", "conv": "conversionOrExercisePrice",
             "exercise": "exerciseDate", "expiration": "expirationDate"}


def test_files_say_what_the_manifest_records(mirror, manifest):
    """Read every filing back with lxml (not the project's parser) and compare with the manifest."""
    strict = etree.XMLParser(recover=False, resolve_entities=False)
    for rec in manifest:
        data = filing_path(mirror, rec).read_bytes()
        assert len(data) == rec["size"]
        text = data.decode("utf-8")
        xml = _xml_of(text)
        if rec["container"] == "txt" and rec["broken"] != "truncated":
            announced = int(re.search(r"PUBLIC DOCUMENT COUNT:\t+(\d+)", text).group(1))
            assert announced == text.count("<DOCUMENT>\n") == text.count("</DOCUMENT>\n"), rec["accession"]
        if rec["broken"]:
            if xml is not None:
                with pytest.raises(etree.XMLSyntaxError):
                    etree.fromstring(xml.encode(), strict)
            continue
        assert text.startswith("<SUBMISSION>\n<ACCESSION-NUMBER>" if rec["container"] == "nc" else "<SEC-DOCUMENT>")
        header_ciks = re.findall(r"CENTRAL INDEX KEY:\t+(\d{10})" if rec["container"] == "txt" else r"<CIK>(\d{10})",
                                 text[: text.find("<DOCUMENT>")])
        assert header_ciks == [o["cik"] for o in rec["owners"]] + [rec["issuer"]["cik"]]
        assert rec["accession"] in text[:200]
        if rec["container"] == "txt":
            accepted = dt.datetime.strptime(re.search(r"<ACCEPTANCE-DATETIME>(\d{14})", text).group(1), "%Y%m%d%H%M%S")
            assert accepted.isoformat() == rec["accepted"] and accepted.date().isoformat() == rec["filing_date"]
        doc = etree.fromstring(xml.encode(), strict)
        assert doc.findtext("schemaVersion") == rec["schema_version"]
        assert doc.findtext("documentType") == rec["form_type"]
        assert doc.findtext("periodOfReport") == rec["period"]
        assert doc.findtext("dateOfOriginalSubmission") == rec["date_of_orig_sub"]
        assert doc.findtext("issuer/issuerCik") == rec["issuer"]["cik"]
        assert doc.findtext("issuer/issuerTradingSymbol") == rec["issuer"]["ticker"]
        assert [o.findtext("reportingOwnerId/rptOwnerCik") for o in doc.findall("reportingOwner")] == \
            [o["cik"] for o in rec["owners"]]
        for el, owner in zip(doc.findall("reportingOwner"), rec["owners"]):
            rel = el.find("reportingOwnerRelationship")
            flags = {k: rel.findtext(tag) in ("1", "true") for k, tag in (
                ("is_director", "isDirector"), ("is_officer", "isOfficer"), ("is_ten_pct", "isTenPercentOwner"),
                ("is_other", "isOther"))}
            assert flags == {k: owner[k] for k in flags}
            assert (rel.findtext("officerTitle"), rel.findtext("otherText")) == (owner["title"], owner["other_text"])
            assert el.findtext("reportingOwnerId/rptOwnerName") == owner["name"]
        flag = doc.findtext("aff10b5One")
        assert (None if flag is None else flag in ("1", "true")) == rec["aff10b5one"]
        assert {f.get("id"): f.text for f in doc.findall("footnotes/footnote")} == rec["footnotes"]
        assert (doc.findtext("remarks") or "") == rec["remarks"]
        for table, (outer, tag) in _TAGS.items():
            rows = [r for r in rec["rows"] if r["table"] == table]
            elements = doc.findall(f"{outer}/{tag}")
            assert len(elements) == len(rows), (rec["accession"], table)
            for row, el in zip(rows, elements):
                assert _value(el, "securityTitle") == row["security"]
                assert _value(el, "transactionCoding/transactionCode") == row["code"]
                assert _value(el, "transactionAmounts/transactionShares") == row["shares"]
                assert _value(el, "transactionAmounts/transactionPricePerShare") == row["price"]
                assert _value(el, "transactionAmounts/transactionAcquiredDisposedCode") == row["acquired_disposed"]
                assert _value(el, "transactionDate") == row["trans_date"]
                assert _value(el, "transactionTimeliness") == row["timeliness"]
                assert _value(el, "postTransactionAmounts/sharesOwnedFollowingTransaction") == row["shares_following"]
                assert _value(el, "ownershipNature/directOrIndirectOwnership") == row["direct_indirect"]
                assert _value(el, "ownershipNature/natureOfOwnership") == row["nature"]
                for field, path in _FN_PATHS.items():
                    ids = [f.get("id") for f in el.findall(f"{path}/footnoteId")]
                    assert ",".join(ids) == row["footnotes"].get(field, ""), (rec["accession"], field)


def test_cli_make_mirror_prints_summary(tmp_path, capsys):
    code = cli_main(["make-mirror", "--start", "2024-07-03", "--end", "2024-07-05", "--per-day", "10",
                     "--seed", "3", str(tmp_path / "m")])
    out = capsys.readouterr().out
    assert code == 0
    assert re.search(r"2 business days, \d+ filings .* \d+ broken, \d+ inconsistent", out), out
    assert (tmp_path / "m" / "synthetic-summary.json").is_file()
    assert not (tmp_path / "m/Archives/edgar/daily-index/2024/QTR3/master.20240704.idx").exists()


def test_refuses_to_overwrite_a_foreign_tree(tmp_path, capsys):
    (tmp_path / "Archives" / "edgar").mkdir(parents=True)
    with pytest.raises(FileExistsError, match="not a synthetic mirror"):
        make_mirror(tmp_path, dt.date(2024, 7, 1), dt.date(2024, 7, 1), per_day=3)
    with pytest.raises(ValueError, match="before start"):
        make_mirror(tmp_path / "x", dt.date(2024, 7, 2), dt.date(2024, 7, 1))


def test_the_mirror_source_lists_and_fetches_exactly_the_manifest(mirror, manifest):
    """The project's own EDGAR source reads both index layouts and every listed filing."""
    from form4_assets.edgar.index import parse_form_index, parse_master_index
    from form4_assets.edgar.source import MirrorSource

    source = MirrorSource(mirror)
    by_acc = {r["accession"]: r for r in manifest}
    days = sorted({dt.date.fromisoformat(r["filing_date"]) for r in manifest})
    seen = []
    for day in days:
        entries = source.list_filings(day)
        folder = _index_dir(mirror, day)
        from_form = parse_form_index((folder / f"form.{day:%Y%m%d}.idx").read_bytes())
        from_master = parse_master_index((folder / f"master.{day:%Y%m%d}.idx").read_bytes())
        def as_tuples(xs):
            return sorted((e.cik, e.company_name, e.form_type, e.date_filed, e.filename) for e in xs)

        assert as_tuples(from_form) == as_tuples(from_master)  # every line, one per CIK
        assert as_tuples(from_master.unique()) == as_tuples(entries)  # one per accession
        assert len(from_master) > 1.5 * len(entries)
        for got in source.fetch_all(entries):
            rec = by_acc[got.entry.accession]
            assert got.error is None and got.sha256 == rec["sha256"] and got.size == rec["size"]
            assert got.entry.date_filed == day and got.entry.form_type == rec["form_type"]
            seen.append(got.entry.accession)
    assert sorted(seen) == sorted(by_acc)


def test_population_issuers_and_owners():
    """Several hundred issuers, thousands of owners, each tied to one or two issuers with a role."""
    import random

    from form4_assets.synthetic.population import RESERVED_CIKS, build_population

    pop = build_population(random.Random(345), 600)
    assert len(pop.issuers) == 600 and len(pop.owners) > 5000
    issuers_of: dict[int, set[int]] = {}
    for unit in pop.units:
        for owner, rel in unit.members:
            issuers_of.setdefault(owner.cik, set()).add(unit.issuer.cik)
            assert rel.is_director or rel.is_officer or rel.is_ten_pct or rel.is_other
            assert (rel.title is not None) == rel.is_officer
    assert set(Counter(len(v) for v in issuers_of.values())) == {1, 2}
    pairs = [(u.holder, u.issuer.cik) for u in pop.units]
    assert len(pairs) == len(set(pairs))
    ciks = [i.cik for i in pop.issuers] + [o.cik for o in pop.owners]
    assert len(ciks) == len(set(ciks)) and not set(ciks) & RESERVED_CIKS
    assert len({i.ticker for i in pop.issuers}) == 600
    assert any(u.kind == "fund" and len(u.members) >= 2 for u in pop.units)


def test_a_mirror_across_a_leap_day_generates(tmp_path):
    """Ten-year option expirations granted on 29 February land on 28 February."""
    make_mirror(tmp_path / "leap", start=dt.date(2024, 2, 28), end=dt.date(2024, 3, 1), per_day=60, seed=3)
    rows = [json.loads(line) for line in (tmp_path / "leap" / "synthetic-manifest.jsonl").read_text().splitlines()]
    assert {r["filing_date"] for r in rows} == {"2024-02-28", "2024-02-29", "2024-03-01"}
