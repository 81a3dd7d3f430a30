"""Daily-index parsing on EDGAR's real files, and rejection of unsafe index lines."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from form4_assets.edgar.errors import IndexFormatError
from form4_assets.edgar.index import (
    OWNERSHIP_FORMS,
    IndexEntry,
    is_missing_index_body,
    parse_form_index,
    parse_master_index,
)
from form4_assets.edgar.paths import (
    InvalidIdentifier,
    daily_index_path,
    filing_path,
    legacy_filing_path,
    split_index_filename,
    validate_accession,
    validate_cik,
)

# Counted independently of the parser with awk on the real files, e.g.
#   awk -F'|' 'NR>7 && $3 ~ /^[345](\/A)?$/' master.20240102.idx | wc -l
#   ... {n=split($5,a,"/"); print a[n]} | sort -u | wc -l    (distinct accessions)
REAL_COUNTS = {
    "master.20240102.idx": (2451, 1196, {"3": 308, "3/A": 5, "4": 2112, "4/A": 12, "5": 14}),
    "master.20250418.idx": (529, 253, {"3": 16, "4": 487, "4/A": 26}),
}


@pytest.mark.parametrize("name", sorted(REAL_COUNTS))
def test_real_master_index_ownership_counts(corpus_dir, name):
    lines, unique, by_form = REAL_COUNTS[name]
    listing = parse_master_index((corpus_dir / "index" / name).read_bytes(), name)
    assert len(listing) == lines
    assert Counter(e.form_type for e in listing) == by_form
    assert listing.rejected == []
    deduped = listing.unique()
    assert len(deduped) == unique
    assert len({e.accession for e in deduped}) == unique
    day = dt.datetime.strptime(name.split(".")[1], "%Y%m%d").date()
    assert {e.date_filed for e in listing} == {day}
    assert {e.form_type for e in listing} <= OWNERSHIP_FORMS


def test_master_index_keeps_names_with_extra_spaces(corpus_dir):
    listing = parse_master_index((corpus_dir / "index" / "master.20240102.idx").read_bytes())
    entry = next(e for e in listing if e.accession == "0001209191-24-000091")
    assert entry == IndexEntry(
        cik="1214993",
        company_name="HERENCIA ROBERTO  R",
        form_type="4",
        date_filed=dt.date(2024, 1, 2),
        filename="edgar/data/1214993/0001209191-24-000091.txt",
        accession="0001209191-24-000091",
    )


def test_access_denied_body_means_no_index(corpus_dir):
    body = (corpus_dir / "index" / "master.20240101.idx.AccessDenied-error").read_bytes()
    assert is_missing_index_body(body)
    assert not is_missing_index_body((corpus_dir / "index" / "master.20240102.idx").read_bytes()[:4096])
    with pytest.raises(IndexFormatError, match="holiday.idx"):
        parse_master_index(body, "holiday.idx")


def _fixed_width(rows: list[list[str]], form_width: int) -> str:
    """A form.idx in EDGAR's fixed-width layout: company names cut to 60 characters and the
    heading's columns not lined up with the data, as in EDGAR's own files."""
    head = (
        "Description:           Daily Index of EDGAR Dissemination Feed by Form Type\n"
        "Last Data Received:    Jan  2, 2024\nComments:              webmaster@sec.gov\n"
        "Anonymous FTP:         ftp://ftp.sec.gov/edgar/\n \n \n \n"
        "Form Type   Company Name                                                  CIK         Date Filed  File Name\n"
        + "-" * 141
        + "\n"
    )
    body = "".join(
        f"{form:<{form_width}}{name[:60]:<62}{cik:<12}{date:<12}{filename}\n" for cik, name, form, date, filename in rows
    )
    return head + body


@pytest.mark.parametrize("form_width", [12, 17])
def test_form_index_matches_master_index(corpus_dir, form_width):
    master = (corpus_dir / "index" / "master.20240102.idx").read_text()
    # Every form type that fits the column (older files were 12 wide, too narrow for
    # "SCHEDULE 13G/A"), including ones with spaces, sorted by form as EDGAR does.
    rows = [r for line in master.splitlines()[7:] if len((r := line.split("|"))[2]) < form_width]
    rows.sort(key=lambda r: (r[2], r[0]))
    assert any(" " in r[2] for r in rows) and any(len(r[2]) >= 8 for r in rows)
    text = _fixed_width(rows, form_width)
    all_forms = frozenset(r[2] for r in rows)
    by_form = parse_form_index(text, "form.20240102.idx", forms=all_forms)
    by_pipe = parse_master_index(master, "master.20240102.idx", forms=all_forms)
    assert by_form.rejected == [] and len(by_form) == len(rows)
    assert Counter(by_form) == Counter(
        IndexEntry(e.cik, e.company_name[:60].strip(), e.form_type, e.date_filed, e.filename, e.accession)
        for e in by_pipe
    )
    ownership = parse_form_index(text, "form.20240102.idx")
    assert len(ownership) == 2451 and len(ownership.unique()) == 1196
    assert {e.accession for e in ownership.unique()} == {e.accession for e in parse_master_index(master).unique()}


CRAFTED = [
    "1000|EVIL CORP|4|20240102|edgar/data/1000/../../../../etc/passwd",
    "1000|EVIL CORP|4|20240102|/etc/passwd",
    "1000|EVIL CORP|4|20240102|edgar/data/1000/%2e%2e/0001000000-24-000001.txt",
    "1000|EVIL CORP|4|20240102|edgar/data/1000/0001000000-24-000001.txt/../../x",
    "1000|EVIL CORP|4|20240102|edgar/data/1000/0001000000-24-000001.txt?x=1",
    "1000|EVIL CORP|4|20240102|edgar/data/1000/..%2f0001000000-24-000001.txt",
    "10a0|EVIL CORP|4|20240102|edgar/data/10a0/0001000000-24-000001.txt",
    "\u0661\u0662|EVIL CORP|4|20240102|edgar/data/\u0661\u0662/0001000000-24-000001.txt",
    "12345678901|EVIL CORP|4|20240102|edgar/data/12345678901/0001000000-24-000001.txt",
    "1000|EVIL CORP|4|20240102|edgar/data/2000/0001000000-24-000001.txt",
    "1000|EVIL CORP|4|20240102|edgar/data/1000/0001000000-24-0000011.txt",
    "1000|EVIL CORP|4|2024-13-45|edgar/data/1000/0001000000-24-000001.txt",
    "1000|EVIL CORP|4",
]


def test_crafted_index_lines_are_rejected_with_file_and_line():
    good = "1043219|Finkelstein David L.|4|20231108|edgar/data/1043219/0001628280-23-037880.txt"
    other = "1000|EVIL CORP|8-K|20240102|../../etc/passwd"  # not an ownership form: ignored
    text = "CIK|Company Name|Form Type|Date Filed|File Name\n" + "-" * 80 + "\n" + "\n".join([good, other, *CRAFTED])
    listing = parse_master_index(text, "crafted/master.20240102.idx")
    assert [e.accession for e in listing] == ["0001628280-23-037880"]
    assert [r.line_no for r in listing.rejected] == list(range(5, 5 + len(CRAFTED)))
    for rejected, line in zip(listing.rejected, CRAFTED):
        assert rejected.text == line
        assert str(rejected).startswith(f"crafted/master.20240102.idx, line {rejected.line_no}: ")
    assert "not under the line's CIK" in listing.rejected[9].reason
    assert "expected 5" in listing.rejected[-1].reason
    # Rejected lines survive de-duplication so the ingest step can report them.
    assert len(listing.unique().rejected) == len(CRAFTED)


def test_identifier_validation_and_paths():
    assert validate_cik("0001043219") == "1043219"
    assert validate_accession("0001628280-23-037880") == "0001628280-23-037880"
    assert split_index_filename("edgar/data/1043219/0001628280-23-037880.txt") == ("1043219", "0001628280-23-037880")
    for bad in ["", "12 3", "-1", "1/2", "\u0663", "12345678901"]:
        with pytest.raises(InvalidIdentifier):
            validate_cik(bad)
    for bad in ["0001628280-23-03788", "0001628280_23_037880", "../0001628280-23-037880", "0001628280-23-037880\n"]:
        with pytest.raises(InvalidIdentifier):
            validate_accession(bad)
    assert filing_path("1043219", "0001628280-23-037880") == (
        "Archives/edgar/data/1043219/000162828023037880/0001628280-23-037880.txt"
    )
    assert legacy_filing_path("01043219", "0001628280-23-037880") == "Archives/edgar/data/1043219/0001628280-23-037880.txt"
    assert daily_index_path(dt.date(2024, 1, 2)) == "Archives/edgar/daily-index/2024/QTR1/master.20240102.idx"
    assert daily_index_path(dt.date(2023, 11, 8), "form") == "Archives/edgar/daily-index/2023/QTR4/form.20231108.idx"
    with pytest.raises(InvalidIdentifier):
        filing_path("../1", "0001628280-23-037880")
