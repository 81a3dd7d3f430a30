"""Routine vs opportunistic classification over a generated five-year history.

The generator (`synthetic.patterns`) designs each insider's behaviour and records the
class every year should have; the history is parsed and loaded as the pipeline does,
and every insider_patterns row is compared with that design.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from form4_assets.aggregates.sql import table
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

    # A fault planted on one date of the many is reported on that date only (the checks compute
    # every date's outcome from statements over the whole range).
    ip, sig = table("insider_patterns"), table("insider_signals")
    pattern_days = sorted({r["FILING_DATE"] for r in rows})
    pattern_day = pattern_days[len(pattern_days) // 2]
    signal_day = max({s["FILING_DATE"] for s in signals if s["SALE_SHARES_90D"]})
    with engine.begin() as conn:
        conn.execute(sa.update(ip).where(ip.c.FILING_DATE == pattern_day).values(SALES_Y=ip.c.SALES_Y + 1))
        conn.execute(sa.update(sig).where(sig.c.FILING_DATE == signal_day).values(SALE_SHARES_90D=sig.c.SALE_SHARES_90D + 7))
    with engine.connect() as conn:
        patterns = reconcile.patterns_by_date(conn, dates)
        signals_found = reconcile.signals_by_date(conn, dates)
    assert [d for d, f in patterns.items() if not f.passed] == [pattern_day]
    assert {e["column"] for e in patterns[pattern_day].examples} == {"SALES_Y"}
    assert patterns[pattern_day].failures == sum(r["FILING_DATE"] == pattern_day for r in rows)
    assert [d for d, f in signals_found.items() if not f.passed] == [signal_day]
    assert {e["column"] for e in signals_found[signal_day].examples} == {"SALE_SHARES_90D"}
    assert sum(f.checked for f in patterns.values()) == len(rows)
