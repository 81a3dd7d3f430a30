"""Routine vs opportunistic classification over a generated five-year history.

The generator (`synthetic.patterns`) designs each insider's behaviour and records the
class every year should have; the history is parsed and loaded as the pipeline does,
and every insider_patterns row is compared with that design.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from form4_assets.signals import reconcile
from form4_assets.signals.build import build_all_signals
from form4_assets_tests.aggregates_support import load_pattern_history, select_all


def test_every_class_matches_the_generated_design(engine: sa.Engine, tmp_path: Path) -> None:
    records, design, dates = load_pattern_history(engine, tmp_path / "mirror", first_year=2019, years=5, issuers=2)
    assert {i["behaviour"] for i in design} >= {"routine", "opportunistic", "sporadic"}
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
