"""Feed mode: the day's `.nc.tar.gz` streamed once, Forms 3/4/5 kept, the rest skipped unread,
the parsed tables identical to per-filing mode; a missing or corrupt archive, or a member
the index lists but the archive lacks, falls back to per-filing fetch; unsafe or corrupt
members are never extracted."""

from __future__ import annotations

import datetime as dt
import io
import os
import tarfile
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from form4_assets.defs.resources import EdgarSourceResource, WarehouseResource
from form4_assets.edgar.feed import FeedSource, feed_path
from form4_assets.edgar.source import MirrorSource
from form4_assets.runs import run_daily_job
from form4_assets.synthetic.mirror import make_mirror
from form4_assets.warehouse.engine import make_engine

DAY = dt.date(2023, 11, 8)
PARSED = ("submission", "reporting_owner", "nonderiv_trans", "deriv_trans", "nonderiv_holding", "deriv_holding",
          "footnotes", "owner_signature", "filing_headers", "header_parties")


def _add(tar: tarfile.TarFile, name: str, data: bytes, kind: bytes = tarfile.REGTYPE) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    info.type = kind
    tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def write_feed(mirror: Path, day: dt.date, *, leave_out: int = 0, extra: list[tuple[str, bytes]] = ()) -> tuple[Path, list[str]]:
    """The day's Feed archive from the mirror's filings (all but the first `leave_out`), with
    filler submissions of other forms around them, as EDGAR disseminates them."""
    filings = sorted((mirror / "Archives" / "edgar" / "data").rglob("*.txt"))
    listed = MirrorSource(mirror).list_filings(day)
    accessions = [e.accession for e in listed]
    by_accession = {p.stem: p for p in filings}
    path = mirror / feed_path(day)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for i, accession in enumerate(accessions):
            _add(tar, f"0009999999-23-{i:06d}.nc", b"<SUBMISSION>\n<TYPE>10-Q\n" + b"filler " * 2000)
            if i >= leave_out and accession in by_accession:
                _add(tar, f"{accession}.nc", by_accession[accession].read_bytes())
        for name, data in extra:
            _add(tar, name, data)
    return path, accessions


def _tables(url: str) -> dict[str, list[tuple]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            out = {}
            for name in PARSED:
                table = sa.Table(name, sa.MetaData(), autoload_with=conn)
                out[name] = sorted(tuple(r) for r in conn.execute(sa.select(table)))
            return out
    finally:
        engine.dispose()


def _run(url: str, mirror: Path, mode: str, data_dir: Path) -> None:
    result = run_daily_job(
        DAY.isoformat(), DAY.isoformat(), warehouse=WarehouseResource(url=url),
        edgar=EdgarSourceResource(mode=mode, mirror_dir=str(mirror), data_dir=str(data_dir)),
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mirror")
    make_mirror(root, DAY, DAY, per_day=30)
    return root


def test_feed_mode_gives_the_tables_of_per_filing_mode(mirror: Path, tmp_path: Path, new_warehouse_url) -> None:
    write_feed(mirror, DAY, leave_out=2)  # two filings only per filing, as a late dissemination would
    per_filing, feed = new_warehouse_url("sqlite", tmp_path / "a"), new_warehouse_url("sqlite", tmp_path / "b")
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    _run(per_filing, mirror, "mirror", tmp_path / "data-a")
    _run(feed, mirror, "feed", tmp_path / "data-b")
    assert _tables(per_filing) == _tables(feed)
    stored = sorted((tmp_path / "data-b" / "feed" / f"{DAY:%Y%m%d}").iterdir())
    assert stored and all(p.suffix == ".nc" for p in stored)  # only the day's ownership filings are written
    assert not any(p.name.startswith("0009999999") for p in stored)


def test_unsafe_corrupt_and_missing_members(mirror: Path, tmp_path: Path) -> None:
    listed = list(MirrorSource(mirror).list_filings(DAY))
    first, second = listed[0].accession, listed[1].accession
    _, accessions = write_feed(
        mirror, DAY, leave_out=0,
        extra=[("../escape.nc", b"x"), (f"sub/{first}.nc", b"y"), ("/etc/evil.nc", b"z")],
    )
    path = mirror / feed_path(DAY)
    # Rewrite the archive so the second filing's member is a symlink (not a regular file),
    # which must never be extracted.
    with tarfile.open(path, "r:gz") as old:
        members = [(m, old.extractfile(m).read() if m.isreg() else b"") for m in old.getmembers()]
    with tarfile.open(path, "w:gz") as tar:
        for member, data in members:
            if member.name == f"{second}.nc":
                _add(tar, member.name, b"", kind=tarfile.SYMTYPE)
            else:
                _add(tar, member.name, data)
    source = FeedSource(MirrorSource(mirror), tmp_path / "feed")
    got = {f.entry.accession: f for f in source.fetch_all(listed)}
    report = source.reports[DAY]
    # Paths out of the archive's folder are refused; one into a sub-folder is just not a filing.
    assert set(report.refused) == {"../escape.nc", "/etc/evil.nc", f"{second}.nc"}
    assert "outside" in report.refused["../escape.nc"] and "regular file" in report.refused[f"{second}.nc"]
    assert not got[second].ok and "refused" in got[second].error
    assert got[first].ok and got[first].local_path.parent == tmp_path / "feed" / f"{DAY:%Y%m%d}"
    assert not (tmp_path / "escape.nc").exists() and not (tmp_path / "feed" / "sub").exists()
    assert report.fallback == 0 and report.kept == len(accessions) - 1
    assert got[first].data is None and got[first].local_path.read_bytes() != b"y"


def test_missing_or_truncated_archive_falls_back_per_filing(mirror: Path, tmp_path: Path) -> None:
    listed = list(MirrorSource(mirror).list_filings(DAY))
    path, _ = write_feed(mirror, DAY)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # cut mid-stream
    source = FeedSource(MirrorSource(mirror), tmp_path / "feed")
    got = list(source.fetch_all(listed))
    report = source.reports[DAY]
    assert all(f.ok for f in got) and len(got) == len(listed)
    assert report.archive_error and "corrupt" in report.archive_error
    assert 0 < report.kept < len(listed) and report.kept + report.fallback == len(listed)
    path.unlink()
    source = FeedSource(MirrorSource(mirror), tmp_path / "feed2")
    assert all(f.ok for f in source.fetch_all(listed))
    assert source.reports[DAY].fallback == len(listed) and "no Feed archive" in source.reports[DAY].archive_error


def test_an_archive_that_is_a_fifo_or_a_symlink_out_is_refused_not_read(mirror: Path, tmp_path: Path) -> None:
    listed = list(MirrorSource(mirror).list_filings(DAY))
    path = mirror / feed_path(DAY)
    path.parent.mkdir(parents=True, exist_ok=True)
    for make in (lambda: os.mkfifo(path), lambda: path.symlink_to("/dev/zero")):
        path.unlink(missing_ok=True)
        make()
        source = FeedSource(MirrorSource(mirror), tmp_path / "feed")
        assert all(f.ok for f in source.fetch_all(listed))  # every filing fetched per filing instead
        report = source.reports[DAY]
        assert report.kept == 0 and report.fallback == len(listed) and "refused" in report.archive_error
    path.unlink()
