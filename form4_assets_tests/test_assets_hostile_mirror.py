"""A whole run over a hostile mirror (issue 14, findings 7, 9 and 10): symlinks out of the
mirror, a FIFO, /dev/zero, a device node and an oversize file among good filings, plus a
25-digit share count, a NUL in a header and a filing of the day before listed again.

The runs (the day before, then the hostile day) must complete, open nothing outside the
mirror, land every good filing and quarantine each planted name with the reason it was
refused, on both databases.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import dagster as dg
import pytest

from form4_assets.defs.documents import parse_filings
from form4_assets.defs.ingest import raw_filings
from form4_assets.defs.resources import EdgarSourceResource, WarehouseResource
from form4_assets.synthetic.mirror import make_mirror
from form4_assets.warehouse.engine import make_engine
from form4_assets.warehouse.store import read_partition
from form4_assets_tests.hostile_mirror import SEED_ACCESSION, OpenRecorder, plant, reads_of
from form4_assets_tests.synthetic_helpers import filing_path, load_manifest

BEFORE, DAY = dt.date(2023, 11, 7), dt.date(2023, 11, 8)


@pytest.mark.timeout(120)  # the FIFO used to hang the run: fail, do not hang the suite
def test_hostile_mirror_run_completes_reads_nothing_outside_and_quarantines_with_reasons(
    warehouse_url: str, tmp_path: Path, seed_bytes: bytes
) -> None:
    root = tmp_path / "mirror"
    make_mirror(root, BEFORE, DAY, per_day=12, include_seed=False)
    manifest = load_manifest(root)
    on_day = [r for r in manifest if r["filing_date"] == DAY.isoformat()]
    good = [r["accession"] for r in on_day if not r["broken"]]
    earlier = next(r for r in manifest if r["filing_date"] == BEFORE.isoformat() and not r["broken"])
    planted = plant(root, DAY, tmp_path / "outside", seed_bytes, filing_path(root, on_day[0]),
                    relisted=(earlier["index_cik"], earlier["accession"], BEFORE))

    recorder = OpenRecorder.get()
    recorder.start()
    try:
        results = [
            dg.materialize(
                [raw_filings, parse_filings],
                partition_key=day.isoformat(),
                instance=dg.DagsterInstance.ephemeral(),
                resources={"warehouse": WarehouseResource(url=warehouse_url),
                           "edgar": EdgarSourceResource(mirror_dir=str(root))},
                raise_on_error=False,
            )
            for day in (BEFORE, DAY)
        ]
    finally:
        opened = recorder.stop()
    assert all(r.success for r in results)
    result = results[-1]
    assert reads_of(opened, ["/etc/passwd", "/dev/zero", tmp_path / "outside"]) == set()

    engine = make_engine(warehouse_url)
    try:
        submitted = {r["ACCESSION_NUMBER"] for r in read_partition(engine, "submission", DAY)}
        quarantine = {r["ACCESSION_NUMBER"]: r for r in read_partition(engine, "quarantine", DAY)}
        raw = {r["ACCESSION_NUMBER"]: r for r in read_partition(engine, "raw_filings", DAY)}
        before = {r["ACCESSION_NUMBER"] for r in read_partition(engine, "submission", BEFORE)}
    finally:
        engine.dispose()
    assert submitted == set(good)  # every good filing landed; the seed linked in from outside did not
    assert SEED_ACCESSION not in submitted
    assert earlier["accession"] in before  # the first listing keeps the filing
    assert {r["accession"] for r in on_day if r["broken"]} <= set(quarantine)
    for item in planted:
        row = quarantine[item.accession]
        assert row["REASON_CODE"] == item.reason and item.says in row["MESSAGE"], (item, row)
        assert "\x00" not in row["MESSAGE"]
        if not item.read:  # refused before a byte was read: nothing of it stored
            assert raw[item.accession]["SHA256"] is None and raw[item.accession]["LOCAL_PATH"] is None
    passwd_digest = hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest()
    assert passwd_digest not in {r["SHA256"] for r in raw.values()}

    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["raw_equals_parsed_plus_quarantined"].passed
