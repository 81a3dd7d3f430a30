"""A small multi-year mirror of insiders with known trading patterns (Cohen, Malloy & Pomorski 2012).

``make_pattern_history`` writes, for a few issuers over several calendar years, one
Form 4 per open-market trade (filed two business days later), in the same EDGAR layout
and manifest format as ``make_mirror``, and ``synthetic-patterns.json`` with the truth
the generator designed for each insider and year:

- ``routine``: trades in the same calendar month every year (sometimes also in another
  month), so from its fourth year on the class is routine;
- ``opportunistic``: one trade every year, the month moving by five each year, so no
  month repeats within three consecutive years: opportunistic from the fourth year on;
- ``sporadic``: trades every other year, never three prior years in a row: unclassified;
- ``late_starter``: routine, but starting a year later: routine from its fourth year.

Before an insider's fourth year the class is unclassified (not enough history). The
module is additive to the day-by-day generator (``synthetic.mirror``): kept small so a
five-year history loads in seconds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from form4_assets.edgar import business_days as edgar
from form4_assets.synthetic.draft import COMMON, Draft, Ledger
from form4_assets.synthetic.indexes import IndexLine
from form4_assets.synthetic.manifest import MANIFEST_NAME, owner_record, row_record
from form4_assets.synthetic.ownership_xml import Document, Envelope, render_document, render_txt
from form4_assets.synthetic.population import FilerUnit, build_population
from form4_assets.synthetic.writer import MirrorWriter

PATTERNS_NAME = "synthetic-patterns.json"
BEHAVIOURS = ("routine", "opportunistic", "sporadic", "late_starter")
LOOKBACK = 3
AGENT_PREFIX = 1209191  # the filer agent whose CIK prefixes the accessions


def _trade_day(rng: random.Random, year: int, month: int) -> dt.date:
    """A day of `month` on which EDGAR is open (the mirror publishes on EDGAR business days)."""
    day = dt.date(year, month, rng.randint(3, 20))
    while not edgar.is_business_day(day):
        day += dt.timedelta(days=1)
    return day


def _filed(trade: dt.date) -> dt.date:
    """Two EDGAR business days after the trade (Good Friday counts): on time."""
    day, left = trade, 2
    while left:
        day += dt.timedelta(days=1)
        left -= edgar.is_business_day(day)
    return day


def _schedule(rng: random.Random, behaviour: str, first: int, years: int) -> tuple[int, list[dt.date]]:
    """(first trading year, trade dates) of one insider."""
    month = rng.randint(1, 12)
    start = first + (behaviour == "late_starter")
    trades: list[dt.date] = []
    for k, year in enumerate(range(start, first + years)):
        if behaviour in ("routine", "late_starter"):
            trades.append(_trade_day(rng, year, month))
            if rng.random() < 0.4:
                trades.append(_trade_day(rng, year, (month + rng.randint(2, 9)) % 12 + 1))
        elif behaviour == "opportunistic":
            trades.append(_trade_day(rng, year, (month - 1 + 5 * k) % 12 + 1))
        elif k % 2 == 0:  # sporadic
            trades.append(_trade_day(rng, year, rng.randint(1, 12)))
    return start, sorted(trades)


def designed_class(behaviour: str, start: int, year: int) -> str:
    """The class the schedule was built to have in `year`."""
    if behaviour == "sporadic" or year - LOOKBACK < start:
        return "unclassified"
    return "opportunistic" if behaviour == "opportunistic" else "routine"


def make_pattern_history(root: Path, first_year: int = 2019, years: int = 5, issuers: int = 2, seed: int = 13) -> Path:
    """Write the mirror under `root`; returns the manifest path (``synthetic-patterns.json`` beside it)."""
    rng = random.Random(seed)
    population = build_population(rng, issuers)
    ledger = Ledger(rng)
    jobs: list[tuple[dt.date, FilerUnit, str, str]] = []  # (trade date, unit, code, behaviour)
    insiders: list[dict] = []
    for issuer in population.issuers:
        persons = [u for u in issuer.units if u.kind == "person"]
        for k, unit in enumerate(persons):
            behaviour = BEHAVIOURS[k % len(BEHAVIOURS)]
            start, trades = _schedule(rng, behaviour, first_year, years)
            code = rng.choice(("P", "S"))
            jobs += [(t, unit, code, behaviour) for t in trades]
            insiders.append({
                "owner_cik": f"{unit.holder:010d}", "issuer_cik": f"{issuer.cik:010d}", "behaviour": behaviour,
                "first_year": start, "trade_years": sorted({t.year for t in trades}),
                "classes": {str(y): designed_class(behaviour, start, y) for y in sorted({t.year for t in trades})},
            })
    writer = MirrorWriter(root)
    lines: dict[dt.date, list[IndexLine]] = defaultdict(list)
    records: list[dict] = []
    serial: dict[int, int] = defaultdict(int)
    for trade, unit, code, behaviour in sorted(jobs, key=lambda j: (j[0], j[1].holder)):
        filed = _filed(trade)
        draft = Draft(rng, ledger, unit, filed, "4")
        held = draft.held("nonderiv_trans", COMMON)
        shares = draft.lot(held, 0.05) if code == "S" else Decimal(rng.randint(5, 200) * 100)
        row = draft.trans("nonderiv_trans", COMMON, code, shares, draft.market(), trade)
        row.sk = 1
        draft.commit()
        schema = "X0508" if filed >= dt.date(2023, 4, 1) else "X0407"
        doc = Document(schema=schema, doc_type="4", period=trade, issuer=unit.issuer, members=unit.members,
                       rows=[row], footnotes=draft.fn, signature_date=filed,
                       aff10b5one=False if schema == "X0508" else None)
        serial[filed.year] += 1
        accession = f"{AGENT_PREFIX:010d}-{filed.year % 100:02d}-{serial[filed.year]:06d}"
        accepted = dt.datetime.combine(filed, dt.time(16, 5))
        env = Envelope(accession=accession, form_type="4", filed=filed, accepted=accepted, period=trade,
                       issuer=unit.issuer, owners=[o for o, _ in unit.members],
                       film_numbers=[f"{filed.year % 100:02d}{rng.randint(0, 999999):06d}" for _ in unit.members],
                       xml_filename="wf-form4.xml", trailing_tabs=False)
        data = render_txt(env, render_document(doc)).encode("utf-8")
        path = writer.write_filing([unit.issuer.cik], accession, data)
        lines[filed].append(IndexLine(unit.issuer.cik, unit.issuer.name, "4", accession))
        records.append({
            "accession": accession, "filing_date": filed.isoformat(), "form_type": "4", "schema_version": schema,
            "path": path, "container": "txt", "index_ciks": [str(unit.issuer.cik)],
            "issuer": {"cik": f"{unit.issuer.cik:010d}", "name": unit.issuer.name, "ticker": unit.issuer.ticker},
            "owners": [owner_record(o, rel) for o, rel in unit.members], "aff10b5one": doc.aff10b5one,
            "amends": None, "amended_by": None, "broken": None, "inconsistent": [], "seed": False,
            "sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "footnotes": {},
            "rows": [row_record(row, False)], "pattern": behaviour,
        })
    for day, day_lines in lines.items():
        writer.write_indexes(day, day_lines)
    manifest = root / MANIFEST_NAME
    records.sort(key=lambda r: (r["filing_date"], r["accession"]))
    manifest.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in records), encoding="utf-8")
    (root / PATTERNS_NAME).write_text(json.dumps({"insiders": insiders}, indent=1, sort_keys=True), encoding="utf-8")
    return manifest
