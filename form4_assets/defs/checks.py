"""Thin Dagster wrappers over the SQL checks in form4_assets.warehouse.checks_sql.

The checks run inside the step that writes the rows (declared as `check_specs`) rather
than as separate `@asset_check` ops, so a failing blocking check stops the downstream
assets of the same run. Each check is partitioned like its asset and is evaluated and
reported once per filing date of the run, with that date's counts and offending rows:
the UI's partition view then shows which day failed.

How, in Dagster 1.13: an `AssetCheckResult` carries no partition; Dagster files it under
the step's partition key, and a range run (a single-run backfill) has none, so the
result would land on no date while the run's planned per-date executions stay
unresolved (shown as skipped). The step therefore yields one `AssetCheckEvaluation` per
check and date with `partition=` set, and then the check's (Nothing) output, exactly
what Dagster itself derives from an AssetCheckResult. Yielded from the asset body (not
passed to `context.log_event`, which bypasses the step's check handling), every
evaluation goes through the step's output handling: a failed ERROR evaluation with
`blocking=True` on any date fails the step after all its events are recorded, and the
downstream assets are skipped.

Severity: corrupt data (negative amounts, header/XML CIK disagreement, a filing that is
neither parsed nor quarantined) is ERROR and blocking. Arithmetic slips and odd A/D
codes happen in real filings, so those are WARN, with the rows listed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg
import sqlalchemy as sa

# Not exported at the top level in 1.13; an evaluation built by hand needs it to point at
# the materialization it checked, as the one Dagster builds from an AssetCheckResult does.
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)

from form4_assets.codes import describe_acquired_disposed
from form4_assets.defs.metadata import markdown_table
from form4_assets.defs.partitions import filing_date_partitions
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

    @property
    def check_key(self) -> dg.AssetCheckKey:
        return dg.AssetCheckKey(dg.AssetKey(self.asset), self.name)

    def spec(self) -> dg.AssetCheckSpec:
        """Partitioned like the assets, so each filing date has its own verdict."""
        return dg.AssetCheckSpec(
            self.name,
            asset=self.asset,
            description=self.description,
            blocking=self.blocking,
            partitions_def=filing_date_partitions,
        )


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


def check_metadata(outcome: checks_sql.CheckOutcome, day: dt.date) -> dict[str, Any]:
    """Counts and up to 20 offending rows of one check on one filing date.

    Every check of the project (parse stage and aggregates) reports through here, so the
    UI shows one vocabulary: checked, failures, offending_rows. The table shows the
    usual columns first, then whatever else the offending rows name (issuer, dates).
    """
    examples = [{k: checks_sql.plain_value(v) for k, v in r.items()} for r in outcome.examples]
    found = list(dict.fromkeys(k for r in examples for k in r))
    columns = [c for c in EXAMPLE_COLUMNS if c in found] + [c for c in found if c not in EXAMPLE_COLUMNS]
    columns = columns or list(EXAMPLE_COLUMNS[:3])
    metadata: dict[str, Any] = {
        "checked": outcome.checked,
        "failures": outcome.failures,
        "filing_date": day.isoformat(),
        "offending_rows": dg.MetadataValue.md(markdown_table(examples, columns)),
        "offending_rows_json": dg.MetadataValue.json(examples),
    }
    if outcome.details:
        metadata["details"] = dg.MetadataValue.json(json.loads(json.dumps(outcome.details, default=str)))
    return metadata


Targets = Mapping[str, AssetCheckEvaluationTargetMaterializationData]
#: The outcome of a check on each of the dates it is given.
Evaluate = Callable[[list[dt.date]], Mapping[dt.date, checks_sql.CheckOutcome]]


def materializations_of_run(
    context: dg.AssetExecutionContext, asset_key: dg.AssetKey, dates: Sequence[dt.date]
) -> dict[str, AssetCheckEvaluationTargetMaterializationData]:
    """This run's materialization of each of the asset's partitions, for its checks'
    evaluations to point at (as Dagster does for a one-partition AssetCheckResult).

    One read per asset and step, shared by all its checks: each record read is a whole
    materialization event (schema and lineage included) to deserialize, so the newest
    `len(dates)` are read, which are this run's unless another run wrote the same
    partitions since (those are left without a target rather than pointed at the wrong one).
    """
    keys = sorted({d.isoformat() for d in dates})
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=asset_key, asset_partitions=keys), limit=max(len(keys), 1)
    ).records
    run_id = context.run.run_id
    found: dict[str, AssetCheckEvaluationTargetMaterializationData] = {}
    for record in records:  # newest first
        partition = record.partition_key
        if record.run_id == run_id and partition is not None and partition not in found:
            found[partition] = AssetCheckEvaluationTargetMaterializationData(
                storage_id=record.storage_id, run_id=record.run_id, timestamp=record.timestamp
            )
    return found


def report_per_date(
    context: dg.AssetExecutionContext,
    policy: CheckPolicy,
    evaluate: Evaluate,
    dates: Sequence[dt.date],
    targets: Targets | None = None,
) -> Iterator[dg.AssetCheckEvaluation | dg.Output]:
    """One evaluation of `policy` per filing date (see the module docstring), then its output.

    `evaluate` gives the outcome of each of the dates it is given (one pass over all of
    them). Yield these from the asset body after its MaterializeResult, so each
    evaluation can point at its date's materialization (`targets`, from
    materializations_of_run, read here when not given). A check not selected in this run
    is not evaluated at all.
    """
    key = policy.check_key
    if key not in context.selected_asset_check_keys:
        return
    days = sorted(set(dates))
    outcomes = evaluate(days)
    if targets is None:
        targets = materializations_of_run(context, key.asset_key, days)
    for day in days:
        outcome = outcomes[day]
        yield dg.AssetCheckEvaluation(
            asset_key=key.asset_key,
            check_name=key.name,
            passed=outcome.passed,
            metadata=check_metadata(outcome, day),
            target_materialization_data=targets.get(day.isoformat()),
            severity=policy.severity,
            description=f"{day}: {outcome.failures} offending of {outcome.checked} checked",
            blocking=policy.blocking,
            partition=day.isoformat(),
        )
    yield dg.Output(None, output_name=context.assets_def.get_output_name_for_asset_check_key(key))


def report_checks(
    context: dg.AssetExecutionContext, checks: Sequence[tuple[CheckPolicy, Evaluate]], dates: Sequence[dt.date]
) -> Iterator[dg.AssetCheckEvaluation | dg.Output]:
    """report_per_date for each of several checks, each asset's materializations read once for all of its checks."""
    targets: dict[dg.AssetKey, Targets] = {}
    for policy, evaluate in checks:
        key = policy.check_key
        if key not in context.selected_asset_check_keys:
            continue
        if key.asset_key not in targets:
            targets[key.asset_key] = materializations_of_run(context, key.asset_key, dates)
        yield from report_per_date(context, policy, evaluate, dates, targets[key.asset_key])


def evaluate_checks(
    context: dg.AssetExecutionContext, engine: sa.Engine, dates: Sequence[dt.date]
) -> Iterator[dg.AssetCheckEvaluation | dg.Output]:
    """The parse-stage checks, each over all the filing dates of the run at once and reported on each."""
    yield from report_checks(
        context,
        [(p, lambda days, check=checks_sql.ALL_CHECKS[p.name]: check(engine, days)) for p in POLICIES],
        dates,
    )
