"""Routine vs opportunistic classification over a generated five-year history.

The generator (`synthetic.patterns`) designs each insider's behaviour and records the
class every year should have; the history is parsed and loaded as the pipeline does,
and every insider_patterns row is compared with that design.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from pathlib import Path

import sqlalchemy as sa

from form4_assets.aggregates.build import build_effective_transactions
from form4_assets.signals import reconcile
from form4_assets.signals.build import build_all_signals
from form4_assets.synthetic.patterns import PATTERNS_NAME, make_pattern_history
from form4_assets.parsing import ParsedFiling, parse_filing
from form4_assets.warehouse.store import replace_partitions
from form4_assets_tests.aggregates_support import select_all


def test_every_class_matches_the_generated_design(engine: sa.Engine, tmp_path: Path) -> None:
    manifest = make_pattern_history(tmp_path / "mirror", first_year=2019, years=5, issuers=2)
    records = [json.loads(line) for line in manifest.read_text().splitlines()]
    design = json.loads((manifest.parent / PATTERNS_NAME).read_text())["insiders"]
    assert {i["behaviour"] for i in design} >= {"routine", "opportunistic", "sporadic"}
    dates = sorted({dt.date.fromisoformat(r["filing_date"]) for r in records})
    by_day: dict[dt.date, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        folder = manifest.parent / "Archives" / r["path"].rsplit("/", 1)[0] / r["accession"].replace("-", "")
        parsed = parse_filing((folder / f"{r['accession']}.txt").read_bytes(), source=r["path"])
        assert isinstance(parsed, ParsedFiling), parsed
        day = dt.date.fromisoformat(r["filing_date"])
        for name, batch in parsed.rows().items():
            by_day[day][name] += [{**row, "FILING_DATE": day} for row in batch]
    for day, tables in by_day.items():
        replace_partitions(engine, [day], tables)
    build_effective_transactions(engine, dates)
    build_all_signals(engine, dates)

    rows = select_all(engine, "insider_patterns")
    found: dict[tuple[str, str, int], set[str]] = {}
    for row in rows:
        found.setdefault((row["RPTOWNERCIK"], row["ISSUERCIK"], row["YEAR"]), set()).add(row["CLASS"])
    expected = {(i["owner_cik"], i["issuer_cik"], int(y)): c for i in design for y, c in i["classes"].items()}
    assert set(found) == set(expected)
    assert {k: v for k, v in found.items()} == {k: {c} for k, c in expected.items()}
    classes = set(expected.values())
    assert classes == {"routine", "opportunistic", "unclassified"}
    with engine.connect() as conn:
        finding = reconcile.patterns_reconcile(conn, dates)
        assert finding.passed and finding.checked == len(rows), finding.examples[:5]
        finding = reconcile.signals_reconcile(conn, dates)
        assert finding.passed, finding.examples[:5]
    # Opportunistic insiders' trades feed the screens: some issuer-day shows them.
    signals = select_all(engine, "insider_signals")
    assert any(s["OPP_ACCESSIONS"] for s in signals)
