"""Effective transactions: which filing counts, and each economic transaction once.

Supersession. An amendment (3/A, 4/A, 5/A) replaces the filing it amends. Candidates
are earlier filings of the same base form (4/A amends a 4), the same issuer, sharing a
reporting owner with the amendment. Rules, in order:

1. ``period_and_orig_date``: the one candidate of the amendment's period of report
   filed on its DATE_OF_ORIG_SUB;
2. ``latest_on_orig_date``: several such — the most recent earlier one;
3. ``latest_same_period``: none filed on that date (or no DATE_OF_ORIG_SUB) — the most
   recent earlier filing of the issuer/owner/period;
4. ``orig_date_other_period``: no filing of that period — the most recent one filed on
   DATE_OF_ORIG_SUB (the amendment corrected the period itself);
5. otherwise ``unmatched`` (the original is not in the warehouse).

A second amendment of the same original also supersedes the first
(``earlier_amendment``), so a chain 4 → 4/A → 4/A leaves only the last one counting.
"Earlier" orders by filing date, then EDGAR acceptance time, then accession.

Joint filings. A document with several reporting owners (a fund and its general
partner) reports each transaction once; joining transactions to owners would count it
once per owner. Rows are attributed to the first reporting owner (RPTOWNER_SK = 1) and
the others' CIKs go to CO_FILERS.

10b5-1. AFF10B5ONE decides when the filing has it (schema X0508 and later). Older
filings count a row as planned when a footnote bound to the row, a footnote of the
filing bound to no row, or the remarks mention Rule 10b5-1 affirmatively (see
`mentions_10b5_1`: negated, terminated and adoption-only mentions do not count).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import sqlalchemy as sa

from form4_assets.aggregates.sources import FILINGS, SEC_DATA_SET, Source
from form4_assets.aggregates.sql import chunks, fetch, table
from form4_assets.codes import activity
from form4_assets.tables import DECIMAL_PLACES, DERIV_TRANS, NONDERIV_TRANS

#: TRANS_DOLLARS is kept to the places every decimal column holds.
DOLLAR_QUANTUM = Decimal(1).scaleb(-DECIMAL_PLACES)

ROLE_PRECEDENCE: tuple[tuple[str, str], ...] = (
    ("Officer", "OFFICER"),
    ("Director", "DIRECTOR"),
    ("TenPercentOwner", "TEN_PCT_OWNER"),
)

_MENTION = r"10\s*b\s*-?\s*5\s*[-\u2010-\u2015\s]\s*1"
_RULE_10B5_1 = re.compile(_MENTION, re.IGNORECASE)
_SENTENCES = re.compile(r"(?<=[.;])\s+")
#: "not made under a Rule 10b5-1 plan", "other than ... 10b5-1", "outside of his 10b5-1 plan".
_NEGATED = re.compile(
    r"\b(?:not|no|never|neither|nor|other\s+than|outside|without)\b[^.;]{0,80}?" + _MENTION, re.IGNORECASE
)
#: "... a 10b5-1 plan adopted on May 1 (not in effect for these sales)".
_NOT_IN_EFFECT = re.compile(r"\b(?:not|no\s+longer)\s+(?:yet\s+)?(?:in\s+effect|effective)\b", re.IGNORECASE)
#: "terminated his Rule 10b5-1 plan": the plan ended, these trades were not made under it.
_ENDED = re.compile(r"\b(?:terminat|cancel)\w*", re.IGNORECASE)
_ADOPTED = re.compile(r"\b(?:adopt\w*|enter(?:s|ed|ing)?)\b", re.IGNORECASE)
#: The trades themselves were made under the plan: "pursuant to a (duly adopted) Rule 10b5-1 plan".
_UNDER_PLAN = re.compile(
    r"\b(?:pursuant\s+to|under|in\s+accordance\s+with|in\s+compliance\s+with|according\s+to|via|through)\b"
    r"[^.;]{0,60}?" + _MENTION,
    re.IGNORECASE,
)


def _affirms_plan(sentence: str) -> bool:
    if not _RULE_10B5_1.search(sentence):
        return False
    if _NEGATED.search(sentence) or _NOT_IN_EFFECT.search(sentence) or _ENDED.search(sentence):
        return False
    # A plan only adopted or entered into ("adopted a Rule 10b5-1 plan on May 1") says
    # nothing about these trades unless the sentence puts the trades under it.
    return not _ADOPTED.search(sentence) or bool(_UNDER_PLAN.search(sentence))


def cites_10b5_1(text: str | None) -> bool:
    """The text mentions Rule 10b5-1 at all (affirmatively or not): where to look for plan details."""
    return bool(text and _RULE_10B5_1.search(text))


def mentions_10b5_1(text: str | None) -> bool:
    """The text says trades were made under a Rule 10b5-1 plan.

    A heuristic over sentences (split at "." and ";"): some sentence must mention Rule
    10b5-1 without a negation before it ("not", "no", "other than", "outside", ...)
    or "not (yet) in effect", without "terminated"/"cancelled", and, when it speaks of
    adopting or entering into a plan, with the trades put under it ("pursuant to",
    "under", "in accordance with" ... the plan). A footnote that only reports that a
    plan was adopted or ended is therefore not evidence that these trades were planned.
    """
    if not text or not _RULE_10B5_1.search(text):
        return False
    return any(_affirms_plan(sentence) for sentence in _SENTENCES.split(text))


def role_flags(relationship: str | None) -> dict[str, bool]:
    parts = {p.strip() for p in (relationship or "").split(",") if p.strip()}
    return {
        "IS_DIRECTOR": "Director" in parts,
        "IS_OFFICER": "Officer" in parts,
        "IS_TEN_PCT_OWNER": "TenPercentOwner" in parts,
        "IS_OTHER": "Other" in parts,
    }


def role(relationship: str | None) -> str:
    """One role by precedence: officer, then director, then 10% owner, else other."""
    parts = {p.strip() for p in (relationship or "").split(",")}
    for flag, name in ROLE_PRECEDENCE:
        if flag in parts:
            return name
    return "OTHER"


def base_form(document_type: str | None) -> str:
    return (document_type or "").removesuffix("/A")


def is_amendment(document_type: str | None) -> bool:
    return (document_type or "").endswith("/A")


# --------------------------------------------------------------------------- supersession


@dataclass
class _Filing:
    accession: str
    filing_date: dt.date
    document_type: str
    issuer: str | None
    period: dt.date | None
    orig_sub: dt.date | None
    acceptance: dt.datetime | None
    owners: list[str] = field(default_factory=list)

    @property
    def order(self) -> tuple[dt.date, dt.datetime, str]:
        accepted = self.acceptance or dt.datetime.combine(self.filing_date, dt.time.max)
        return (self.filing_date, accepted, self.accession)


def _filings(conn: sa.Connection, where: Callable[[sa.Table], sa.ColumnElement[bool]],
             source: Source = FILINGS) -> dict[str, _Filing]:
    """The filings of `source` whose submission row meets `where` (a condition on that table);
    the SEC's set has no acceptance time."""
    sub, own = table(source.submission), table(source.owner)
    columns = [sub.c.ACCESSION_NUMBER, sub.c.FILING_DATE, sub.c.DOCUMENT_TYPE, sub.c.ISSUERCIK,
               sub.c.PERIOD_OF_REPORT, sub.c.DATE_OF_ORIG_SUB]
    if source is FILINGS:
        hdr = table("filing_headers")
        query = sa.select(*columns, hdr.c.ACCEPTANCE_DATETIME).select_from(
            sub.outerjoin(hdr, hdr.c.ACCESSION_NUMBER == sub.c.ACCESSION_NUMBER))
    else:
        query = sa.select(*columns, sa.null().label("ACCEPTANCE_DATETIME"))
    query = query.where(where(sub))
    found = {
        r["ACCESSION_NUMBER"]: _Filing(
            r["ACCESSION_NUMBER"], r["FILING_DATE"], r["DOCUMENT_TYPE"] or "", r["ISSUERCIK"],
            r["PERIOD_OF_REPORT"], r["DATE_OF_ORIG_SUB"], r["ACCEPTANCE_DATETIME"],
        )
        for r in fetch(conn, query)
    }
    for batch in chunks(found):
        q = (
            sa.select(own.c.ACCESSION_NUMBER, own.c.RPTOWNERCIK)
            .where(own.c.ACCESSION_NUMBER.in_(batch))
            .order_by(own.c.ACCESSION_NUMBER, own.c[source.owner_order])
        )
        for r in fetch(conn, q):
            if r["RPTOWNERCIK"]:
                found[r["ACCESSION_NUMBER"]].owners.append(r["RPTOWNERCIK"])
    return found


def _latest(filings: list[_Filing]) -> _Filing:
    return max(filings, key=lambda f: f.order)


def _match(amendment: _Filing, candidates: list[_Filing]) -> tuple[_Filing | None, str]:
    """The original an amendment replaces, and the rule that chose it."""
    originals = [c for c in candidates if not is_amendment(c.document_type)]
    same_period = [c for c in originals if c.period == amendment.period]
    on_date = [c for c in same_period if amendment.orig_sub and c.filing_date == amendment.orig_sub]
    if len(on_date) == 1:
        return on_date[0], "period_and_orig_date"
    if on_date:
        return _latest(on_date), "latest_on_orig_date"
    if same_period:
        return _latest(same_period), "latest_same_period"
    other_period = [c for c in originals if amendment.orig_sub and c.filing_date == amendment.orig_sub]
    if other_period:
        return _latest(other_period), "orig_date_other_period"
    return None, "unmatched"


def compute_supersessions(conn: sa.Connection, dates: Sequence[dt.date], source: Source = FILINGS) -> list[dict[str, Any]]:
    """supersessions rows for the amendments filed on `dates` (read from `source`).

    Only filings that precede each amendment are considered, so the result for a date
    does not depend on partitions loaded after it. Links of earlier amendments already
    in the warehouse are read back to chain a later amendment onto them. Candidates come
    from both sources (our parse where both have a filing), so an amendment known only
    from the SEC's data set finds an original we parsed, and the other way round.
    """
    wanted = sorted(set(dates))
    if not wanted:
        return []
    amendments = _filings(conn, lambda sub: sub.c.FILING_DATE.in_(wanted) & sub.c.DOCUMENT_TYPE.like("%/A"), source)
    if not amendments:
        return []
    issuers = {a.issuer for a in amendments.values() if a.issuer}
    bounds = [d for a in amendments.values() for d in (a.period, a.orig_sub) if d]
    earliest = min(bounds) if bounds else dt.date.min
    pool: dict[str, _Filing] = {}
    for batch in chunks(issuers):
        for candidates in (SEC_DATA_SET, FILINGS):  # the parse's row of a filing replaces the SEC's
            pool.update(_filings(conn, lambda sub, batch=batch: sub.c.ISSUERCIK.in_(batch)
                                 & (sub.c.FILING_DATE <= wanted[-1]) & (sub.c.FILING_DATE >= earliest), candidates))
    by_issuer: dict[str | None, list[_Filing]] = defaultdict(list)
    for f in pool.values():
        by_issuer[f.issuer].append(f)
    target_of = _known_targets(conn, [f.accession for f in pool.values() if is_amendment(f.document_type) and f.filing_date not in wanted])

    rows: list[dict[str, Any]] = []
    for a in sorted(amendments.values(), key=lambda f: f.order):
        owners = set(a.owners)
        candidates = [
            c
            for c in by_issuer[a.issuer]
            if c.order < a.order and base_form(c.document_type) == base_form(a.document_type) and owners & set(c.owners)
        ]
        original, rule = _match(a, candidates)
        links: list[tuple[_Filing | None, str]] = [(original, rule)]
        for earlier in sorted(candidates, key=lambda f: f.order):
            if not is_amendment(earlier.document_type) or earlier.accession not in target_of:
                continue
            same_target = target_of[earlier.accession] == (original.accession if original else None)
            if same_target and (original is not None or earlier.period == a.period):
                links.append((earlier, "earlier_amendment"))
        target_of[a.accession] = original.accession if original else None
        for sk, (superseded, how) in enumerate(links, start=1):
            rows.append(
                {
                    "FILING_DATE": a.filing_date,
                    "AMENDMENT_ACCESSION": a.accession,
                    "LINK_SK": sk,
                    "SUPERSEDED_ACCESSION": superseded.accession if superseded else None,
                    "SUPERSEDED_FILING_DATE": superseded.filing_date if superseded else None,
                    "MATCH_RULE": how,
                    "DOCUMENT_TYPE": a.document_type,
                    "ISSUERCIK": a.issuer,
                    "RPTOWNERCIK": a.owners[0] if a.owners else None,
                    "PERIOD_OF_REPORT": a.period,
                    "DATE_OF_ORIG_SUB": a.orig_sub,
                }
            )
    return rows


def _known_targets(conn: sa.Connection, amendments: Iterable[str]) -> dict[str, str | None]:
    """The original each already-linked amendment replaced (None when it was unmatched)."""
    sup = table("supersessions")
    targets: dict[str, str | None] = {}
    for batch in chunks(amendments):
        q = sa.select(sup.c.AMENDMENT_ACCESSION, sup.c.SUPERSEDED_ACCESSION).where(
            sup.c.AMENDMENT_ACCESSION.in_(batch), sup.c.LINK_SK == 1
        )
        for r in fetch(conn, q):
            targets[r["AMENDMENT_ACCESSION"]] = r["SUPERSEDED_ACCESSION"]
    return targets


# --------------------------------------------------------------------------- effective rows


def footnote_ids(row: Mapping[str, Any], columns: Sequence[str] | None = None) -> set[str]:
    """The footnote ids bound to any field of a transaction row (its ``*_FN`` columns, or the
    given `columns` when the caller has listed them once for many rows)."""
    names = [name for name in row if name.endswith("_FN")] if columns is None else columns
    ids: set[str] = set()
    for name in names:
        value = row[name]
        if value:
            ids.update(v.strip() for v in str(value).split(",") if v.strip())
    return ids


def plan_evidence(
    aff10b5one: bool | None,
    row_footnote_ids: set[str],
    footnotes: Mapping[str, str],
    unbound_footnote_ids: set[str],
    remarks: str | None,
) -> str | None:
    """Why a row counts as made under a Rule 10b5-1 plan, or None when discretionary."""
    if aff10b5one is not None:
        return "flag" if aff10b5one else None
    if any(mentions_10b5_1(footnotes.get(i)) for i in row_footnote_ids):
        return "row_footnote"
    if any(mentions_10b5_1(footnotes.get(i)) for i in unbound_footnote_ids):
        return "filing_footnote"
    if mentions_10b5_1(remarks):
        return "remarks"
    return None


#: The columns of a filing's submission, owner and transaction rows its effective rows take.
_SUBMISSION_COLUMNS = ("ACCESSION_NUMBER", "FILING_DATE", "DOCUMENT_TYPE", "PERIOD_OF_REPORT", "ISSUERCIK",
                       "ISSUERNAME", "ISSUERTRADINGSYMBOL", "AFF10B5ONE", "REMARKS")
_OWNER_COLUMNS = ("ACCESSION_NUMBER", "RPTOWNERCIK", "RPTOWNERNAME", "RPTOWNER_RELATIONSHIP")
_TRANS_COLUMNS = frozenset({"ACCESSION_NUMBER", "SECURITY_TITLE", "TRANS_DATE", "TRANS_CODE", "TRANS_ACQUIRED_DISP_CD",
                            "TRANS_SHARES", "TRANS_PRICEPERSHARE", "DIRECT_INDIRECT_OWNERSHIP"})


def build_effective_rows(
    conn: sa.Connection, dates: Sequence[dt.date], supersessions: Sequence[Mapping[str, Any]],
    origin: Source = FILINGS,
) -> list[dict[str, Any]]:
    """effective_transactions rows for the filings of `dates`, read from `origin`.

    `supersessions` are the links being written for the same dates. Only an amendment
    filed on a filing's own date can supersede it as of that date (an amendment always
    follows what it amends), so these links are the only ones applied here; amendments
    filed later are applied when reading, through the supersessions table.
    """
    wanted = sorted(set(dates))
    if not wanted:
        return []
    sub, own = table(origin.submission), table(origin.owner)
    nd, de, fnt = table(origin.nonderiv), table(origin.deriv), table(origin.footnotes)

    superseded_on: dict[str, dt.date] = {}
    for link in supersessions:
        acc = link["SUPERSEDED_ACCESSION"]
        if acc:
            superseded_on[acc] = min(link["FILING_DATE"], superseded_on.get(acc, dt.date.max))

    # Only the columns the rows take (every decoded decimal and date costs on a large day).
    filings = {r["ACCESSION_NUMBER"]: r for r in fetch(conn, sa.select(*(sub.c[c] for c in _SUBMISSION_COLUMNS))
                                                          .where(sub.c.FILING_DATE.in_(wanted)))}
    owners: dict[str, list[dict[str, Any]]] = defaultdict(list)
    owner_order = own.c[origin.owner_order]
    owner_query = sa.select(*(own.c[c] for c in _OWNER_COLUMNS)).where(own.c.FILING_DATE.in_(wanted))
    for r in fetch(conn, owner_query.order_by(own.c.ACCESSION_NUMBER, owner_order)):
        owners[r["ACCESSION_NUMBER"]].append(r)
    notes: dict[str, dict[str, str]] = defaultdict(dict)
    note_query = sa.select(fnt.c.ACCESSION_NUMBER, fnt.c.FOOTNOTE_ID, fnt.c.FOOTNOTE_TXT)
    for r in fetch(conn, note_query.where(fnt.c.FILING_DATE.in_(wanted))):
        notes[r["ACCESSION_NUMBER"]][r["FOOTNOTE_ID"]] = r["FOOTNOTE_TXT"] or ""
    source: list[tuple[str, str, dict[str, Any], set[str]]] = []  # (table, SK column, row, its footnote ids)
    for name, tbl, sk in (("nonderiv", nd, NONDERIV_TRANS.position), ("deriv", de, DERIV_TRANS.position)):
        taken = [c for c in tbl.columns if c.name in _TRANS_COLUMNS or c.name == sk or c.name.endswith("_FN")]
        if origin is SEC_DATA_SET:
            taken += [tbl.c.SOURCE_FILE, tbl.c.SOURCE_LINE]
        q = sa.select(*taken).where(tbl.c.FILING_DATE.in_(wanted)).order_by(tbl.c.ACCESSION_NUMBER, tbl.c[sk])
        notes_of = [c.name for c in taken if c.name.endswith("_FN")]
        source += [(name, sk, r, footnote_ids(r, notes_of)) for r in fetch(conn, q)]
    roles: dict[str | None, tuple[dict[str, bool], str]] = {}  # per RPTOWNER_RELATIONSHIP: its flags and role
    bound: dict[str, set[str]] = defaultdict(set)
    for _, _, r, ids in source:
        bound[r["ACCESSION_NUMBER"]] |= ids
    # Footnotes of a filing bound to none of its transaction rows (filing-level notes).
    unbound = {acc: set(texts) - bound[acc] for acc, texts in notes.items()}

    rows: list[dict[str, Any]] = []
    for trans_table, sk, r, ids in source:
        acc = r["ACCESSION_NUMBER"]
        filing = filings.get(acc)
        if filing is None:
            raise ValueError(f"{trans_table}_trans row {acc}/{r[sk]}: no submission row for the accession")
        if acc in superseded_on and superseded_on[acc] <= filing["FILING_DATE"]:
            continue
        first = owners[acc][0] if owners[acc] else {}
        relationship = first.get("RPTOWNER_RELATIONSHIP")
        if relationship not in roles:
            roles[relationship] = (role_flags(relationship), role(relationship))
        flags, first_role = roles[relationship]
        shares, price = r["TRANS_SHARES"], r["TRANS_PRICEPERSHARE"]
        evidence = plan_evidence(filing["AFF10B5ONE"], ids, notes[acc], unbound.get(acc, set()), filing["REMARKS"])
        rows.append(
            {
                "FILING_DATE": filing["FILING_DATE"],
                "ACCESSION_NUMBER": acc,
                "TRANS_TABLE": trans_table,
                "TRANS_SK": r[sk],
                "DOCUMENT_TYPE": filing["DOCUMENT_TYPE"],
                "PERIOD_OF_REPORT": filing["PERIOD_OF_REPORT"],
                "ISSUERCIK": filing["ISSUERCIK"],
                "ISSUERNAME": filing["ISSUERNAME"],
                "ISSUERTRADINGSYMBOL": filing["ISSUERTRADINGSYMBOL"],
                "RPTOWNERCIK": first.get("RPTOWNERCIK"),
                "RPTOWNERNAME": first.get("RPTOWNERNAME"),
                "CO_FILERS": ",".join(o["RPTOWNERCIK"] for o in owners[acc][1:] if o["RPTOWNERCIK"]) or None,
                **flags,
                "ROLE": first_role,
                "SECURITY_TITLE": r["SECURITY_TITLE"],
                "TRANS_DATE": r["TRANS_DATE"],
                "TRANS_CODE": r["TRANS_CODE"],
                "TRANS_ACQUIRED_DISP_CD": r["TRANS_ACQUIRED_DISP_CD"],
                "TRANS_SHARES": shares,
                "TRANS_PRICEPERSHARE": price,
                "TRANS_DOLLARS": dollars(shares, price),
                "DIRECT_INDIRECT_OWNERSHIP": r["DIRECT_INDIRECT_OWNERSHIP"],
                "ACTIVITY": activity(r["TRANS_CODE"]),
                "PLAN_10B5_1": evidence is not None,
                "PLAN_EVIDENCE": evidence,
                "SOURCE": origin.name,
                "SEC_SOURCE": f"{r['SOURCE_FILE']}:{r['SOURCE_LINE']}" if origin is SEC_DATA_SET else None,
            }
        )
    return rows


def dollars(shares: Decimal | None, price: Decimal | None) -> Decimal | None:
    """Shares × price to the warehouse's 4 decimal places (half-even); None when either is
    missing (the row still counts in shares).

    The one rounding in the aggregates: a product of two 4-place values has up to 8, and
    every dollar figure above this (issuer-day, windows, clusters) is an exact sum of these.
    """
    if shares is None or price is None:
        return None
    return (shares * price).quantize(DOLLAR_QUANTUM, rounding=ROUND_HALF_EVEN)
