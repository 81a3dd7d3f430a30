"""The offline mirror source: EDGAR's layout on disk, read without any HTTP."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from form4_assets.edgar.errors import EdgarError
from form4_assets.edgar.index import IndexEntry
from form4_assets.testing.loopback import MirrorFiling, generated_filings, write_mirror
from form4_assets.edgar.paths import daily_index_path
from form4_assets.edgar.source import FilingSource, MirrorSource

SEED_DAY = dt.date(2023, 11, 8)
SEED_ACCESSION = "0001628280-23-037880"


def _seed_mirror(root, seed_bytes):
    legacy, missing = generated_filings(SEED_DAY, 2)
    filings = [
        MirrorFiling("1043219", SEED_ACCESSION, seed_bytes, company_name="ANNALY CAPITAL MANAGEMENT INC"),
        MirrorFiling(legacy.cik, legacy.accession, legacy.data, legacy_layout=True),
        # Same accession listed again under the reporting owner's CIK, as EDGAR's master index does.
        MirrorFiling("1688537", SEED_ACCESSION, seed_bytes, company_name="Finkelstein David L"),
    ]
    extra = [
        f"{missing.cik}|NEVER WRITTEN|4|20231108|edgar/data/{missing.cik}/{missing.accession}.txt",
        "1043219|ANNALY CAPITAL MANAGEMENT INC|8-K|20231108|edgar/data/1043219/0001043219-23-000099.txt",
        "1043219|EVIL|4|20231108|edgar/data/1043219/../../../../../etc/passwd",
    ]
    write_mirror(root, SEED_DAY, filings, extra)
    return legacy, missing


def test_mirror_lists_and_fetches_in_order(tmp_path, seed_bytes):
    legacy, missing = _seed_mirror(tmp_path, seed_bytes)
    source = MirrorSource(tmp_path)
    assert isinstance(source, FilingSource)
    entries = source.list_filings(SEED_DAY)
    assert [e.accession for e in entries] == [SEED_ACCESSION, legacy.accession, missing.accession]
    assert entries[0] == IndexEntry(
        "1043219", "ANNALY CAPITAL MANAGEMENT INC", "4", SEED_DAY, f"edgar/data/1043219/{SEED_ACCESSION}.txt", SEED_ACCESSION
    )
    assert [r.line_no for r in entries.rejected] == [13]

    results = list(source.fetch_all(entries))
    assert [r.entry for r in results] == list(entries)
    seed, old, absent = results
    assert seed.ok and seed.data == seed_bytes and seed.size == len(seed_bytes)
    assert seed.sha256 == hashlib.sha256(seed_bytes).hexdigest()
    assert seed.local_path == tmp_path / "Archives/edgar/data/1043219/000162828023037880/0001628280-23-037880.txt"
    assert old.ok and old.data == legacy.data
    assert old.local_path == tmp_path / f"Archives/edgar/data/{legacy.cik}/{legacy.accession}.txt"
    assert not absent.ok and absent.data is None and absent.local_path is None
    assert missing.accession in absent.error and "not in mirror" in absent.error


def test_mirror_without_index_has_no_filings(tmp_path, corpus_dir, seed_bytes):
    _seed_mirror(tmp_path, seed_bytes)
    assert MirrorSource(tmp_path).list_filings(dt.date(2023, 11, 11)) == []
    holiday = tmp_path / daily_index_path(dt.date(2024, 1, 1))
    holiday.parent.mkdir(parents=True)
    holiday.write_bytes((corpus_dir / "index" / "master.20240101.idx.AccessDenied-error").read_bytes())
    assert MirrorSource(tmp_path).list_filings(dt.date(2024, 1, 1)) == []


def test_mirror_reads_form_index_when_no_master(tmp_path, seed_bytes):
    _seed_mirror(tmp_path, seed_bytes)
    master = tmp_path / daily_index_path(SEED_DAY)
    form = tmp_path / daily_index_path(SEED_DAY, "form")
    rows = [line.split("|") for line in master.read_text().splitlines()[7:]]
    form.write_text(
        "Form Type   Company Name                                                  CIK         Date Filed  File Name\n"
        + "-" * 120
        + "\n"
        + "".join(f"{r[2]:<17}{r[1]:<62}{r[0]:<12}{r[3]:<12}{r[4]}\n" for r in rows)
    )
    expected = MirrorSource(tmp_path).list_filings(SEED_DAY)
    master.unlink()
    got = MirrorSource(tmp_path).list_filings(SEED_DAY)
    assert got == expected and len(got) == 3
    assert [r.line_no for r in got.rejected] == [8]


def test_mirror_refuses_a_missing_root(tmp_path):
    with pytest.raises(EdgarError, match="does not exist"):
        MirrorSource(tmp_path / "nowhere").list_filings(SEED_DAY)
