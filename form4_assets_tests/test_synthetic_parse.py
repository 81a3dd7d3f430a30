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
        owners = [o["RPTOWNERCIK"].lstrip("0") for o in res.reporting_owners]
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
                assert g.get("TRANS_PRICEPERSHARE_FN") == (w["footnotes"].get("price") or None)
                assert g["NATURE_OF_OWNERSHIP_FN"] == (w["footnotes"].get("nature") or None)
                checked += 1
    assert checked > 100
