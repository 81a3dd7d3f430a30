"""Deterministic synthetic EDGAR mirror: realistic Forms 3/4/5 with daily indexes.

``make_mirror`` writes, for every business day in a range, EDGAR's daily indexes
(``master`` and ``form``) and the filings they list, laid out exactly like EDGAR's
archive, plus a manifest recording what every filing contains. Tests and the
aggregates are checked against that manifest, so it records the truth independently of
the parser and the warehouse: each row's code, A/D, shares, price, dates, 10b5-1 status
and ownership nature, which filing an amendment supersedes, which filings are broken on
purpose and which rows are arithmetically wrong on purpose.

Everything comes from one ``random.Random(seed)`` consumed in a fixed order (days in date
order, lists rather than sets), and nothing reads the clock, so the same arguments give
the same bytes.

The manifest's format is described in ``synthetic.manifest``; the files are written by
``synthetic.writer`` (and the Feed archives and Form 345 data sets, when asked, by
``synthetic.bulk``); a day's volume and the population's size come from ``synthetic.volume``.
Each ownership filing is listed once per CIK (the issuer and every reporting owner) and
served under each of those folders, as on EDGAR.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import TextIO

from form4_assets.edgar.business_days import business_days
from form4_assets.synthetic import DEFAULT_PER_DAY, DEFAULT_SEED
from form4_assets.synthetic import scenarios as sc
from form4_assets.synthetic.amend import chains as _chains
from form4_assets.synthetic.amend import copy_rows as _copy_rows
from form4_assets.synthetic.amend import misreport as _misreport
from form4_assets.synthetic.bulk import BulkOptions, BulkWriter
from form4_assets.synthetic.draft import (
    AD_BY_CODE,
    COMMON,
    Draft,
    Ledger,
    business_days_before,
)
from form4_assets.synthetic.indexes import IndexLine, listing_lines
from form4_assets.synthetic.manifest import (
    MANIFEST_NAME,
    SEED_ACCESSION,
    SEED_CIK,
    SEED_COMPANY,
    SEED_DATE,
    SEED_OWNER,
    SEED_OWNER_CIK,
    SEED_RECORD,
    SUMMARY_NAME,
    ManifestWriter,
    filing_record,
)
from form4_assets.synthetic.ownership_xml import Document, Envelope
from form4_assets.synthetic.population import FilerUnit, Population, build_population
from form4_assets.synthetic.volume import day_volume, population_size
from form4_assets.synthetic.writer import MirrorWriter, filing_text, prepare_root

__all__ = ["MANIFEST_NAME", "SEED_ACCESSION", "SEED_RECORD", "SUMMARY_NAME", "BulkOptions", "make_mirror"]

#: Filer agents whose CIKs prefix most accession numbers (weights), as on EDGAR.
_AGENTS = ((899243, 25), (1209191, 20), (1127602, 10), (1225208, 5), (1181431, 5), (1562180, 8),
           (1628280, 5), (950170, 5), (1415889, 3))
_OTHER_AGENTS = (1140361, 950103, 1193125, 950170)
_SCHEMAS = (("X0306", 10), ("X0407", 12), ("X0508", 75), ("X0609", 3))
_OTHER_FORMS = (("424B2", 18), ("144", 14), ("8-K", 10), ("497K", 6), ("D", 4), ("FWP", 4), ("10-Q", 4),
                ("6-K", 3), ("SC 13G/A", 3), ("424B3", 3), ("S-8", 2), ("13F-HR", 2))
_XML_NAMES = ("form{f}.xml", "doc{f}.xml", "wf-form{f}_{n}.xml", "primary_doc.xml", "edgar.xml", "ownership.xml")
BROKEN_KINDS = ("truncated", "no_xml", "malformed_xml")

# Rates per filing, calibrated on the SEC's 2024 Q3 Form 345 figures.
_RATE_FORM3, _RATE_FORM5 = 0.08, 0.002
_AMEND_RATE = {"4": 0.016, "3": 0.03, "5": 0.15}
_RATE_BROKEN, _RATE_CHAIN, _RATE_AD = 0.005, 0.003, 0.0005
_RATE_NC = 0.12
_MAX_AMEND_LAG = 6  # business days between an original and its amendment, at most


def _stochastic_round(rng: random.Random, x: float) -> int:
    base = int(x)
    return base + (rng.random() < x - base)


@dataclass
class _Job:
    """One filing to produce on a day."""

    form: str
    broken: str | None = None
    chain_error: bool = False
    ad_error: bool = False
    unit: FilerUnit | None = None
    amend_of: dict | None = None  # for amendments: the original's record and its corrected document
    force_amend: bool = False


@dataclass
class _DayOutput:
    lines: list[IndexLine] = field(default_factory=list)
    records: list[dict] = field(default_factory=list)


class _Generator:
    def __init__(self, root: Path, start: dt.date, end: dt.date, per_day: int, seed: int, include_seed: bool,
                 bulk: BulkOptions):
        self.root, self.start, self.end, self.per_day = root, start, end, per_day
        self.include_seed = include_seed
        self.rng = random.Random(seed)
        self.pop: Population = build_population(self.rng, population_size(per_day))
        self.persons = [u for u in self.pop.units if u.kind == "person"]
        self.funds = [u for u in self.pop.units if u.kind == "fund"]
        self.ledger = Ledger(self.rng)
        self.days = list(business_days(start, end))
        self.pending: dict[dt.date, list[_Job]] = {}
        self.counters: dict[tuple[int, int], int] = {}
        self.used_accessions = {SEED_ACCESSION}
        self.writer = MirrorWriter(root)
        self.bulk = BulkWriter(root, seed, bulk)
        self.manifest = ManifestWriter(root, start, end, per_day, len(self.days))

    # -- identifiers ---------------------------------------------------------------
    def accession(self, prefix: int, day: dt.date, own: bool) -> str:
        key = (prefix, day.year % 100)
        if key not in self.counters:
            doy = day.timetuple().tm_yday  # sequence numbers grow through the year, as on EDGAR
            self.counters[key] = self.rng.randint(0, doy // 20) if own else doy * self.rng.randint(60, 140)
        while True:
            self.counters[key] += 1 if own else self.rng.randint(1, 6)
            if self.counters[key] > 999_999:
                raise ValueError(f"accession sequence exhausted for filer agent {prefix} in {day.year}")
            acc = f"{prefix:010d}-{day.year % 100:02d}-{self.counters[key]:06d}"
            if acc not in self.used_accessions:
                self.used_accessions.add(acc)
                return acc

    def ownership_accession(self, unit: FilerUnit, day: dt.date) -> str:
        r = self.rng.random()
        if r < 0.12:
            return self.accession(unit.issuer.cik, day, own=True)
        if r < 0.14:
            return self.accession(unit.holder, day, own=True)
        agent = self.rng.choices([a for a, _ in _AGENTS], [w for _, w in _AGENTS])[0]
        return self.accession(agent, day, own=False)

    # -- day planning ----------------------------------------------------------------
    def plan_day(self, day: dt.date, first: bool) -> list[_Job]:
        r = self.rng
        n = day_volume(r, self.per_day, day)
        due = self.pending.pop(day, [])
        n_orig = max(0, n - len(due))
        n3 = _stochastic_round(r, _RATE_FORM3 * n_orig)
        n5 = _stochastic_round(r, _RATE_FORM5 * n_orig * (6 if day.month in (1, 2) else 1))
        n5 = min(n5, n_orig - n3)
        jobs = [_Job("3") for _ in range(n3)] + [_Job("5") for _ in range(n5)]
        clusters = _stochastic_round(r, n_orig / 400) or (1 if first and n_orig >= 12 else 0)
        for _ in range(clusters):
            issuer = r.choice(self.pop.issuers)
            members = [u for u in issuer.units if u.kind == "person"]
            for unit in r.sample(members, min(len(members), r.randint(3, 4))):
                jobs.append(_Job("4", unit=unit))
        jobs += [_Job("4") for _ in range(max(0, n_orig - len(jobs)))]
        r.shuffle(jobs)
        form4 = [j for j in jobs if j.form == "4" and j.unit is None]
        n_broken = _stochastic_round(r, _RATE_BROKEN * n_orig)
        n_chain = _stochastic_round(r, _RATE_CHAIN * n_orig)
        n_ad = _stochastic_round(r, _RATE_AD * n_orig)
        if first:
            n_broken, n_chain, n_ad = max(n_broken, 3), max(n_chain, 1), max(n_ad, 1)
        specials = r.sample(form4, min(len(form4), n_broken + n_chain + n_ad + (1 if first else 0)))
        for k, job in enumerate(specials):
            if k < n_broken:  # the first day has one of each kind, later days a random mix
                job.broken = BROKEN_KINDS[k % len(BROKEN_KINDS)] if first else r.choice(BROKEN_KINDS)
            elif k < n_broken + n_chain:
                job.chain_error = True
            elif k < n_broken + n_chain + n_ad:
                job.ad_error = True
            else:
                job.force_amend = True
        return due + jobs

    # -- filings ---------------------------------------------------------------------
    def pick_unit(self, job: _Job, taken: set[tuple[int, int]]) -> FilerUnit:
        r = self.rng
        for _ in range(40):
            if job.form == "3":
                pool = self.funds if r.random() < 0.1 else self.persons
            elif job.form == "5":
                pool = self.persons
            else:
                pool = self.funds if r.random() < 0.05 else self.persons
            unit = r.choice(pool)
            if (unit.holder, unit.issuer.cik) not in taken:
                return unit
        return unit

    def build(self, job: _Job, day: dt.date, unit: FilerUnit, schema: str) -> Draft | None:
        """The rows of a new filing, or None when this unit cannot do what the job needs."""
        r = self.rng
        d = Draft(r, self.ledger, unit, day, job.form)
        if job.form == "3":
            if r.random() < 0.15 and unit.kind == "person":
                d.set_held("nonderiv_trans", COMMON, "D", None, Decimal(0))
                d.no_securities = True
                return d
            sc.form3_holdings(d)
            return d
        if job.form == "5":
            sc.form5_gifts(d)
            if not d.rows:
                return None
            return d
        if job.chain_error:
            ok = sc.option_exercise_and_sale(d, schema) or sc.rsu_vest(d, schema)
            return d if ok else None
        if unit.kind == "fund":
            sc.fund_trade(d, schema)
        elif job.unit is not None:  # a cluster of insiders buying
            sc.purchase(d, schema)
        else:
            scenarios: list[tuple[Callable, float]] = list(sc.PERSON_SCENARIOS)
            scenario = r.choices([s for s, _ in scenarios], [w for _, w in scenarios])[0]
            if not scenario(d, schema):
                sc.award(d, schema)
            sc.extra_holdings(d)
        if job.ad_error and not any(len(c) == 1 and (c[0].table, c[0].code) in AD_BY_CODE
                                    for c in _chains(d.rows).values()):
            return None
        return d

    def new_filing(self, job: _Job, day: dt.date, taken: set[tuple[int, int]]) -> dict:
        r = self.rng
        schema = r.choices([s for s, _ in _SCHEMAS], [w for _, w in _SCHEMAS])[0]
        if job.unit is not None and (job.unit.holder, job.unit.issuer.cik) in taken:
            # A cluster buyer who already filed today: another insider of the issuer buys instead,
            # so that (owner, issuer) stays unique per day and amendments match one original.
            free = [u for u in job.unit.issuer.units
                    if u.kind == "person" and (u.holder, u.issuer.cik) not in taken]
            job.unit = r.choice(free) if free else None
        for _ in range(60):
            unit = job.unit or self.pick_unit(job, taken)
            d = self.build(job, day, unit, schema)
            if d is not None:
                break
            job.unit = None
        else:
            raise RuntimeError(f"no filer could produce a {job.form} job on {day}")
        repeat = (unit.holder, unit.issuer.cik) in taken  # only when the population is exhausted
        taken.add((unit.holder, unit.issuer.cik))
        rows = d.rows
        for table in ("nonderiv_trans", "deriv_trans", "nonderiv_holding", "deriv_holding"):
            for k, row in enumerate([x for x in rows if x.table == table], 1):
                row.sk = k
        rows.sort(key=lambda x: (not x.table.startswith("nonderiv"), x.table.endswith("holding"), x.sk))
        plan_flag = schema >= "X0508" and job.form in ("4", "5")
        if plan_flag and d.plan:
            for row in rows:
                row.is_10b5_1 = row.is_transaction
        if job.form == "3":
            period = business_days_before(day, r.randint(0, 8))
        elif job.form == "5":
            period = dt.date(day.year - 1, 12, 31)
        else:
            period = min(x.trans_date for x in rows if x.trans_date)
        if any(rel.title == "See Remarks" for _, rel in unit.members):
            d.remarks = f"Title: {r.choice(('Senior Vice President', 'Executive Vice President'))}, " \
                        f"{r.choice(('Quality', 'Global Operations', 'Strategy and Corporate Development'))}"
        doc = Document(schema=schema, doc_type=job.form, period=period, issuer=unit.issuer, members=unit.members,
                       rows=rows, footnotes=d.fn, signature_date=day, no_securities=d.no_securities,
                       aff10b5one=d.plan if plan_flag else None, remarks=d.remarks)
        if job.broken is None:
            d.commit()
        inconsistent: list[dict] = []
        written = doc
        amend_rate = _AMEND_RATE[job.form]
        clean = job.broken is None and not (job.chain_error or job.ad_error or repeat)
        if clean and (job.force_amend or r.random() < amend_rate):
            wrong = _misreport(r, rows)
            if wrong is not None:
                written = replace(doc, rows=wrong)
        if job.chain_error:
            candidates = [c[-1] for c in _chains(rows).values() if len(c) >= 2]
            row = r.choice(candidates)
            row.post = row.post + Decimal(r.randint(1, 50) * 100)
            inconsistent.append({"table": row.table, "sk": row.sk, "check": "share_chain"})
        if job.ad_error:
            singles = [c[0] for c in _chains(rows).values() if len(c) == 1 and (c[0].table, c[0].code) in AD_BY_CODE]
            row = r.choice(singles)
            row.ad = "A" if row.ad == "D" else "D"
            inconsistent.append({"table": row.table, "sk": row.sk, "check": "ad_code"})
        record = self.emit(day, unit, written, job.broken, inconsistent)
        if written is not doc:
            self.schedule_amendment(day, record, doc, unit)
        return record

    def schedule_amendment(self, day: dt.date, original: dict, truth: Document, unit: FilerUnit) -> None:
        later = [d for d in self.days if d > day][: self.rng.randint(1, _MAX_AMEND_LAG)]
        when = later[-1] if later else day
        self.pending.setdefault(when, []).append(
            _Job(truth.doc_type + "/A", unit=unit, amend_of={"record": original, "doc": truth}))

    def amendment(self, job: _Job, day: dt.date) -> dict:
        original, truth = job.amend_of["record"], job.amend_of["doc"]
        what = "shares" if truth.base_form != "3" else "holdings"
        doc = replace(truth, doc_type=job.form, orig_sub=dt.date.fromisoformat(original["filing_date"]),
                      signature_date=day, rows=_copy_rows(truth.rows),
                      remarks=f"This amendment is filed to correct the {what} and prices reported in the "
                              f"original Form {truth.base_form} filed on {original['filing_date']}.")
        record = self.emit(day, job.unit, doc, None, [], amends=original["accession"],
                           not_before=original["accepted"])
        original["amended_by"] = record["accession"]
        return record

    # -- writing ---------------------------------------------------------------------
    def emit(self, day: dt.date, unit: FilerUnit, doc: Document, broken: str | None, inconsistent: list[dict],
             amends: str | None = None, not_before: str | None = None) -> dict:
        r = self.rng
        acc = self.ownership_accession(unit, day)
        accepted = dt.datetime.combine(day, dt.time(6)) + dt.timedelta(seconds=r.randint(0, 11 * 3600 + 29 * 60))
        if not_before and accepted.isoformat() <= not_before:
            accepted = dt.datetime.fromisoformat(not_before) + dt.timedelta(minutes=r.randint(1, 30))
        container = "nc" if r.random() < _RATE_NC and broken not in ("truncated", "no_xml") else "txt"
        doc.bool_words = container == "nc" or r.random() < 0.2
        doc.two_decimals = container == "nc" or r.random() < 0.15
        owners = [o for o, _ in unit.members]
        lines = listing_lines(acc, doc.doc_type, [(unit.issuer.cik, unit.issuer.name)] + [(o.cik, o.name) for o in owners])
        name = r.choice(_XML_NAMES).format(f=doc.base_form, n=r.randint(10**14, 10**15 - 1))
        exhibit = None
        if container == "txt" and broken != "no_xml" and r.random() < 0.1:
            exhibit = (f"POWER OF ATTORNEY\n\nKnow all by these presents, that the undersigned hereby constitutes "
                       f"and appoints each of the Secretary and the General Counsel of {unit.issuer.name} the "
                       f"undersigned's true and lawful attorney-in-fact to execute Forms 3, 4 and 5.\n\n"
                       f"/s/ {owners[0].name}\n")
        env = Envelope(accession=acc, form_type=doc.doc_type, filed=day, accepted=accepted, period=doc.period,
                       issuer=unit.issuer, owners=owners,
                       film_numbers=[f"{day.year % 100:02d}{r.randint(0, 999999):06d}" for _ in owners],
                       xml_filename=name, trailing_tabs=r.random() < 0.5, exhibit=exhibit)
        text = filing_text(r, env, doc, broken, container)
        data = text.encode("utf-8")
        path = self.writer.write_filing([x.cik for x in lines], acc, data)
        self.bulk.filing(acc, data, env, doc, broken is not None)
        record = filing_record(acc, day, accepted, lines, path, container, doc, unit, broken,
                               inconsistent, amends, data)
        self.day_out.lines += lines
        self.day_out.records.append(record)
        return record

    def other_lines(self, day: dt.date, n: int) -> list[IndexLine]:
        """Index rows of other form types (424B2, 8-K, ...) that point to nothing, as real indexes have."""
        r = self.rng
        lines = []
        for _ in range(_stochastic_round(r, 0.6 * n)):
            form = r.choices([f for f, _ in _OTHER_FORMS], [w for _, w in _OTHER_FORMS])[0]
            issuer = r.choice(self.pop.issuers)
            own = r.random() < 0.4
            prefix = issuer.cik if own else r.choice(_OTHER_AGENTS)
            lines.append(IndexLine(issuer.cik, issuer.name, form, self.accession(prefix, day, own)))
        return lines

    def place_seed(self) -> None:
        data = resources.files("form4_assets.synthetic").joinpath("seed_filing.txt").read_bytes()
        lines = listing_lines(SEED_ACCESSION, "4", [(SEED_CIK, SEED_COMPANY), (SEED_OWNER_CIK, SEED_OWNER)])
        path = self.writer.write_filing([x.cik for x in lines], SEED_ACCESSION, data)
        self.bulk.filing(SEED_ACCESSION, data)
        record = dict(SEED_RECORD, path=path, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                      index_ciks=[str(x.cik) for x in lines])
        self.day_out.lines += lines
        self.day_out.records.append(record)

    def run(self) -> Path:
        manifest = self.root / MANIFEST_NAME
        with manifest.open("w", encoding="utf-8") as out:
            self.generate_days(out)
            self.manifest.flush(out, keep=0)
        self.bulk.close()
        self.manifest.write_summary()
        return manifest

    def generate_days(self, out: TextIO) -> None:
        for k, day in enumerate(self.days):
            for issuer in self.pop.issuers:
                issuer.price = max(0.5, issuer.price * (1 + self.rng.gauss(0, 0.02)))
            self.day_out = _DayOutput()
            taken: set[tuple[int, int]] = set()
            for job in self.plan_day(day, first=k == 0):
                if job.amend_of is not None:
                    self.amendment(job, day)
                else:
                    self.new_filing(job, day, taken)
            if self.include_seed and day == SEED_DATE:
                self.place_seed()
            others = self.other_lines(day, len(self.day_out.records))
            self.writer.write_indexes(day, self.day_out.lines + others)
            self.bulk.day_done(day, others)
            self.manifest.add_day(day, self.day_out.records)
            self.manifest.flush(out, keep=_MAX_AMEND_LAG)

def make_mirror(root: Path, start: dt.date, end: dt.date, per_day: int = DEFAULT_PER_DAY, seed: int = DEFAULT_SEED,
                include_seed: bool = True, bulk: BulkOptions | None = None) -> Path:
    """Write a synthetic EDGAR mirror for business days ``start``..``end``; return the manifest path.
    ``bulk`` adds daily Feed archives and quarterly Form 345 data sets (none by default)."""
    if end < start:
        raise ValueError(f"make_mirror: end {end} is before start {start}")
    if per_day < 0:
        raise ValueError(f"make_mirror: per_day must be >= 0, got {per_day}")
    root = Path(root)
    prepare_root(root)
    return _Generator(root, start, end, per_day, seed, include_seed, bulk or BulkOptions()).run()
