"""The offline mirror source: EDGAR's layout on disk, read without any HTTP."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import pytest

from form4_assets.edgar.errors import EdgarError
from form4_assets.edgar.index import IndexEntry
from form4_assets.testing.loopback import MirrorFiling, generated_filings, write_mirror
from form4_assets.edgar.paths import daily_index_path, filing_path
from form4_assets.edgar.source import FilingSource, MirrorSource
from form4_assets_tests.hostile_mirror import OpenRecorder, plant, reads_of

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


@pytest.mark.timeout(60)  # the FIFO used to hang the reader: fail, do not hang the suite
def test_mirror_reads_only_regular_files_inside_it(tmp_path, seed_bytes):
    """Issue 14, finding 9: symlinks out, a FIFO, /dev/zero, a device and an oversize file
    are each refused with a reason; nothing outside the mirror is opened."""
    root = tmp_path / "mirror"
    good = generated_filings(SEED_DAY, 1)[0]
    write_mirror(root, SEED_DAY, [good])
    inside_target = root / filing_path(good.cik, good.accession)
    planted = plant(root, SEED_DAY, tmp_path / "outside", seed_bytes, inside_target)
    source = MirrorSource(root)
    recorder = OpenRecorder.get()
    recorder.start()
    try:
        results = {r.entry.accession: r for r in source.fetch_all(source.list_filings(SEED_DAY))}
    finally:
        opened = recorder.stop()
    assert reads_of(opened, ["/etc/passwd", "/dev/zero", tmp_path / "outside"]) == set()
    assert results[good.accession].ok and results[good.accession].data == good.data
    for item in planted:
        result = results[item.accession]
        if item.read:  # a regular file inside the mirror, or a link to one: read (the parser judges it)
            assert result.ok, item
            if item.kind == "alias_inside":  # read from its target
                assert result.data == good.data and result.local_path == inside_target, item
            continue
        assert not result.ok and result.data is None and result.sha256 is None, item
        assert item.says in result.error and "refused" in result.error, (item, result.error)
    assert hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest() not in {r.sha256 for r in results.values()}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", ["fifo", "link_out"])
def test_a_daily_index_that_is_not_a_regular_file_inside_is_an_error_not_a_holiday(tmp_path, kind):
    root = tmp_path / "mirror"
    index = root / daily_index_path(SEED_DAY)
    index.parent.mkdir(parents=True)
    if kind == "fifo":
        os.mkfifo(index)
    else:
        (tmp_path / "elsewhere.idx").write_text("CIK|Company Name|Form Type|Date Filed|File Name\n")
        index.symlink_to(tmp_path / "elsewhere.idx")
    with pytest.raises(EdgarError, match="cannot read the daily index: refused"):
        MirrorSource(root).list_filings(SEED_DAY)


def test_a_plain_path_inside_the_mirror_needs_no_resolving_and_a_link_below_the_root_does(tmp_path):
    """real_path_inside takes a path of plain names under an absolute root as it is (one lstat
    per name); a symlink among the names, or '..', goes to full resolution, which refuses a
    way out and gives the same real path as resolving would."""
    from form4_assets.edgar.safe_read import UnsafeFile, _plain_path_inside, real_path_inside

    real_root = tmp_path / "real"
    (real_root / "a" / "b").mkdir(parents=True)
    (real_root / "a" / "b" / "f.txt").write_bytes(b"x")
    root = tmp_path / "root"
    root.symlink_to(real_root)  # the root itself may be a link: names below it are what is checked
    (tmp_path / "outside").mkdir()
    (real_root / "out").symlink_to(tmp_path / "outside")
    (tmp_path / "outside" / "g.txt").write_bytes(b"y")
    plain = f"{root}/a/b/f.txt"
    assert _plain_path_inside(root, plain) == Path(plain).resolve() == real_path_inside(root, plain)
    for other in (f"{root}/out/g.txt", f"{root}/a/../a/b/f.txt", f"{root}/a//b/f.txt", f"{root}/missing"):
        assert _plain_path_inside(root, other) is None, other
    with pytest.raises(UnsafeFile, match="outside"):
        real_path_inside(root, f"{root}/out/g.txt")
    assert real_path_inside(root, f"{root}/a/../a/b/f.txt") == Path(plain).resolve()
