"""A whole run over a hostile mirror (issue 14, finding 9): symlinks out of the mirror, a
FIFO, /dev/zero, a device node and an oversize file among good filings.

The run must complete, open nothing outside the mirror, land every good filing and
quarantine each planted name with the reason it was refused, on both databases.
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

DAY = dt.date(2023, 11, 8)


@pytest.mark.timeout(120)  # the FIFO used to hang the run: fail, do not hang the suite
def test_hostile_mirror_run_completes_reads_nothing_outside_and_quarantines_with_reasons(
    warehouse_url: str, tmp_path: Path, seed_bytes: bytes
) -> None:
    root = tmp_path / "mirror"
    make_mirror(root, DAY, DAY, per_day=12, include_seed=False)
    manifest = load_manifest(root)
    good = [r["accession"] for r in manifest if not r["broken"]]
    planted = plant(root, DAY, tmp_path / "outside", seed_bytes, filing_path(root, manifest[0]))

    recorder = OpenRecorder.get()
    recorder.start()
    try:
        result = dg.materialize(
            [raw_filings, parse_filings],
            partition_key=DAY.isoformat(),
            instance=dg.DagsterInstance.ephemeral(),
            resources={"warehouse": WarehouseResource(url=warehouse_url),
                       "edgar": EdgarSourceResource(mirror_dir=str(root))},
            raise_on_error=False,
        )
    finally:
        opened = recorder.stop()
    assert result.success
    assert reads_of(opened, ["/etc/passwd", "/dev/zero", tmp_path / "outside"]) == set()

    engine = make_engine(warehouse_url)
    try:
        submitted = {r["ACCESSION_NUMBER"] for r in read_partition(engine, "submission", DAY)}
        quarantine = {r["ACCESSION_NUMBER"]: r for r in read_partition(engine, "quarantine", DAY)}
        raw = {r["ACCESSION_NUMBER"]: r for r in read_partition(engine, "raw_filings", DAY)}
    finally:
        engine.dispose()
    assert submitted == set(good)  # every good filing landed; the seed linked in from outside did not
    assert SEED_ACCESSION not in submitted
    assert {r["accession"] for r in manifest if r["broken"]} <= set(quarantine)
    for item in planted:
        row = quarantine[item.accession]
        if item.refusal is None:  # read through its in-mirror link: the bytes are another filing's
            assert row["REASON_CODE"] == "accession_mismatch", row
            continue
        assert row["REASON_CODE"] == "fetch_failed" and item.refusal in row["MESSAGE"], row
        assert raw[item.accession]["SHA256"] is None and raw[item.accession]["LOCAL_PATH"] is None
    passwd_digest = hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest()
    assert passwd_digest not in {r["SHA256"] for r in raw.values()}

    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["raw_equals_parsed_plus_quarantined"].passed
