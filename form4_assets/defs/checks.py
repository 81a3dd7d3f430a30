"""Thin Dagster wrappers over the SQL checks in form4_assets.warehouse.checks_sql.

The checks run inside the parse step (as `check_specs` returned as AssetCheckResults)
rather than as separate `@asset_check` ops: one single-run backfill over many days then
evaluates each check once over the run's whole window right after the rows are
written, and a failing blocking check stops the downstream aggregates in the same run.
Partition-scoped check results would need one evaluation per partition key; the SQL
already reports per-day figures where they matter (raw = parsed + quarantined).

Severity: corrupt data (negative amounts, header/XML CIK disagreement, a filing that is
neither parsed nor quarantined) is ERROR and blocking. Arithmetic slips and odd A/D
codes happen in real filings, so those are WARN, with the rows listed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import dagster as dg
import sqlalchemy as sa

from form4_assets.codes import describe_acquired_disposed
from form4_assets.defs.metadata import markdown_table
from form4_assets.warehouse import checks_sql


@dataclass(frozen=True)
class CheckPolicy:
    name: str
    asset: str
    severity: dg.AssetCheckSeverity
    description: str

    @property
    def blocking(self) -> bool:
        return self.severity == dg.AssetCheckSeverity.ERROR

    def spec(self) -> dg.AssetCheckSpec:
        return dg.AssetCheckSpec(self.name, asset=self.asset, description=self.description, blocking=self.blocking)


POLICIES: tuple[CheckPolicy, ...] = (
    CheckPolicy(
        checks_sql.SHARE_CHAIN,
        "transactions",
        dg.AssetCheckSeverity.WARN,
        "Within a filing, for consecutive transaction rows of the same holding (security, ownership nature; "
        "for derivatives also exercise price and expiry), "
        "shares owned following = previous following + shares (A) or - shares (D).",
    ),
    CheckPolicy(
        checks_sql.NON_NEGATIVE,
        "transactions",
        dg.AssetCheckSeverity.ERROR,
        "No negative shares, prices or values in the transaction tables.",
    ),
    CheckPolicy(
        checks_sql.AD_MATCHES_CODE,
        "transactions",
        dg.AssetCheckSeverity.WARN,
        f"The acquired/disposed code agrees with the transaction code ({describe_acquired_disposed()}).",
    ),
    CheckPolicy(
        checks_sql.HEADER_CIKS,
        "ownership_documents",
        dg.AssetCheckSeverity.ERROR,
        "The SEC header's issuer and reporting-owner CIKs equal the XML document's.",
    ),
    CheckPolicy(
        checks_sql.RAW_RECONCILES,
        "quarantine",
        dg.AssetCheckSeverity.ERROR,
        "For each filing date, every raw filing is parsed or quarantined, exactly once.",
    ),
)

CHECK_SPECS: list[dg.AssetCheckSpec] = [p.spec() for p in POLICIES]

EXAMPLE_COLUMNS = ("accession", "table", "sk", "column", "code", "expected", "found")


def check_result(policy: CheckPolicy, outcome: checks_sql.CheckOutcome, dates: Sequence[dt.date]) -> dg.AssetCheckResult:
    """An AssetCheckResult with counts and up to 20 offending rows as metadata.

    Every check of the project (parse stage and aggregates) reports through here, so the
    UI shows one vocabulary: checked, failures, offending_rows. The table shows the
    usual columns first, then whatever else the offending rows name (issuer, dates).
    """
    found = list(dict.fromkeys(k for r in outcome.examples for k in r))
    columns = [c for c in EXAMPLE_COLUMNS if c in found] + [c for c in found if c not in EXAMPLE_COLUMNS]
    columns = columns or list(EXAMPLE_COLUMNS[:3])
    metadata = {
        "checked": outcome.checked,
        "failures": outcome.failures,
        "partitions": f"{dates[0]} .. {dates[-1]}" if dates else "none",
        "offending_rows": dg.MetadataValue.md(markdown_table(outcome.examples, columns)),
        "offending_rows_json": dg.MetadataValue.json(outcome.examples),
    }
    if outcome.details:
        metadata["details"] = dg.MetadataValue.json(json.loads(json.dumps(outcome.details, default=str)))
    return dg.AssetCheckResult(
        asset_key=policy.asset,
        check_name=policy.name,
        passed=outcome.passed,
        severity=policy.severity,
        metadata=metadata,
        description=f"{outcome.failures} offending of {outcome.checked} checked",
    )


def evaluate_checks(engine: sa.Engine, dates: Sequence[dt.date]) -> Iterator[dg.AssetCheckResult]:
    for policy in POLICIES:
        yield check_result(policy, checks_sql.ALL_CHECKS[policy.name](engine, dates), dates)
