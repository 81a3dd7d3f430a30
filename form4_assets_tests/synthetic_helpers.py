"""Helpers for the synthetic-mirror tests: build a small mirror once, read its manifest,
and recompute the share arithmetic independently of the generator's own code."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

# 2023-11-02 (Thu) .. 2023-11-14 (Tue): a weekend, Veterans Day observed (Fri 2023-11-10)
# and the seed filing's date 2023-11-08.
START, END = dt.date(2023, 11, 2), dt.date(2023, 11, 14)
PER_DAY = 40

#: The A/D a transaction code implies; codes absent here (G, J) may go either way.
EXPECTED_AD = {
    ("nonderiv_trans", "S"): "D", ("nonderiv_trans", "F"): "D", ("nonderiv_trans", "D"): "D",
    ("nonderiv_trans", "P"): "A", ("nonderiv_trans", "A"): "A", ("nonderiv_trans", "M"): "A",
    ("nonderiv_trans", "C"): "A", ("nonderiv_trans", "X"): "A",
    ("deriv_trans", "M"): "D", ("deriv_trans", "X"): "D", ("deriv_trans", "C"): "D",
    ("deriv_trans", "D"): "D", ("deriv_trans", "A"): "A",
}


def load_manifest(root: Path) -> list[dict]:
    with (root / "synthetic-manifest.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def filing_path(root: Path, record: dict) -> Path:
    acc = record["accession"]
    return root / "Archives" / "edgar" / "data" / record["index_cik"] / acc.replace("-", "") / f"{acc}.txt"


def arithmetic_findings(record: dict) -> set[tuple[str, int, str]]:
    """(table, sk, check) for every row whose shares-following does not follow from the
    previous row of the same security and ownership nature, or whose A/D contradicts its code."""
    found: set[tuple[str, int, str]] = set()
    for table in ("nonderiv_trans", "deriv_trans"):
        previous: dict[tuple, Decimal] = {}
        for row in (r for r in record["rows"] if r["table"] == table):
            key = (row["security"], row["direct_indirect"], row["nature"] or "")
            shares, following = Decimal(row["shares"]), Decimal(row["shares_following"])
            if key in previous:
                expected = previous[key] + shares if row["acquired_disposed"] == "A" else previous[key] - shares
                if expected != following:
                    found.add((table, row["sk"], "share_chain"))
            previous[key] = following
            want = EXPECTED_AD.get((table, row["code"]))
            if want is not None and row["acquired_disposed"] != want:
                found.add((table, row["sk"], "ad_code"))
    return found


def tree_digest(root: Path) -> dict[str, str]:
    import hashlib

    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def build_small_mirror(root: Path, seed: int = 345) -> Path:
    from form4_assets.synthetic.mirror import make_mirror

    make_mirror(root, START, END, per_day=PER_DAY, seed=seed)
    return root
