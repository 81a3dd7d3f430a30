"""Benchmark: a synthetic year through the whole graph as ONE run (a single-run backfill).

    python benchmarks/year.py [--days 250] [--per-day N] [--work-dir DIR] [--warehouse-url URL]
                              [--instance memory|disk] [--history] [--heavy-day | --heavy-day-only] [--json]

A generated mirror of `--days` business days (about 200,000 filings for the default 250
days: a median day of about 500-800 filings, heavy days up to about 2,500) goes through
`daily_filings_job` over the whole partition range as one run, the path a backfill
launched from the UI takes (form4_assets.runs). Measured in the same benchmark run:

- `seconds` and `peak_rss_mb` of that run, and the seconds of each step;
- `bare_parse_seconds`: a bare `lxml.etree.fromstring` of every filing's ownership XML
  (the XML part is located untimed; reading the files is untimed too);
- `floor_seconds`: a trivial one-asset partitioned job as one run over the same range
  (Dagster's own cost of a run over these partitions).

`FORM4_PARSE_PROCESSES=N` in the environment parses in N worker processes (reported
as `parse_processes`, with the largest worker's peak RSS beside the run's own).

`--heavy-day` also runs the heaviest day alone (fresh warehouse) against the floor of a
one-partition run; `--heavy-day-only` runs only that (the year's mirror, generated once
with `--work-dir`, has a heavy day of ~2,500 filings; 25 days have ~1,900). `--history`
re-materializes the aggregates of one day with one month loaded and again with the whole
range loaded (and the range's last day), to show the per-day aggregate cost does not grow
with history.

`--instance disk` records each measured run (the floor's too) in a fresh local Dagster
instance made by form4_assets.instance.prepare_home in the work directory, the SQLite
storage on disk a user's run gets (the demo's DAGSTER_HOME, `dagster dev`); the default
`memory` is Dagster's ephemeral in-memory instance, which leaves Dagster's storage cost out.

Each measured run is a child process, so its peak RSS (VmHWM) is its own. The mirror is
generated first (not timed) and kept with `--work-dir` for the next run. The warehouse
is a fresh SQLite file, or with `--warehouse-url postgresql+psycopg2://...` a fresh
schema in that database (dropped and re-created by this benchmark).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from steps import run_json_child, step_seconds

START = dt.date(2024, 1, 2)
TARGET_SECONDS, TARGET_RSS_MB, TARGET_VS_BARE = 180.0, 1024.0, 8.0
HEAVY_DAY_MARGIN_S, HISTORY_TARGET = 3.0, 1.3
AGGREGATE_STEPS = ("effective_transactions", "issuer_daily_activity", "net_insider_selling", "cluster_buys")


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM is its own, unlike an inherited ru_maxrss)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- child scenarios


def _trivial_job() -> Any:
    import dagster as dg

    from form4_assets.defs.partitions import filing_date_partitions

    @dg.asset(partitions_def=filing_date_partitions, backfill_policy=dg.BackfillPolicy.single_run())
    def trivial() -> None:
        """Does nothing: Dagster's own cost of one partitioned run."""

    return dg.Definitions(assets=[trivial], jobs=[dg.define_asset_job("trivial_job")]).resolve_job_def("trivial_job")


def child(args: argparse.Namespace) -> None:
    """One measured run in this (child) process; prints one JSON line."""
    import dagster as dg

    from form4_assets.defs.resources import EdgarSourceResource, WarehouseResource
    from form4_assets.runs import daily_job, execute_range

    if args.instance == "disk":
        from form4_assets.instance import prepare_home

        instance = prepare_home(Path(args.data_dir) / "dagster_home")
    else:
        instance = dg.DagsterInstance.ephemeral()
    warehouse = WarehouseResource(url=args.warehouse_url, data_dir=args.data_dir)
    edgar = EdgarSourceResource(mode="mirror", mirror_dir=args.mirror)
    if args.child == "trivial":
        job = _trivial_job()
    else:
        job = daily_job(warehouse, edgar)
    began = time.perf_counter()
    if args.child == "aggregates":  # the aggregate steps alone, for one partition
        selection = [dg.AssetKey(a) for a in AGGREGATE_STEPS]
        result = job.execute_in_process(instance=instance, partition_key=args.first, asset_selection=selection)
    else:
        result = execute_range(job, args.first, args.last, instance)
    seconds = time.perf_counter() - began
    failed = sorted(f"{e.asset_key.to_user_string()}.{e.check_name}"
                    for e in result.get_asset_check_evaluations() if not e.passed)
    workers_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest parse worker, if any
    print(json.dumps({"seconds": seconds, "success": result.success, "failed_checks": failed,
                      "peak_rss_mb": peak_rss_mb(), "worker_peak_rss_mb": workers_mb,
                      "steps": {k: round(v, 3) for k, v in step_seconds(instance, result.run_id).items()}}))


def run_child(kind: str, first: dt.date, last: dt.date, mirror: Path, url: str, work: Path,
              instance: str = "memory") -> dict[str, Any]:
    """One measured run in a child process; with `instance="disk"` in a fresh local Dagster instance."""
    home = work / "data" / "dagster_home"
    if home.exists():
        shutil.rmtree(home)  # a fresh instance for every measured run, as a first `dagster dev` has
    cmd = [sys.executable, __file__, "--child", kind, "--first", first.isoformat(), "--last", last.isoformat(),
           "--mirror", str(mirror), "--warehouse-url", url, "--data-dir", str(work / "data"), "--instance", instance]
    log = work / f"{kind}-{first}-{last}.log"
    outcome = run_json_child(cmd, log, f"{kind} run {first}..{last}")
    if not outcome["success"]:
        raise SystemExit(f"{kind} run {first}..{last} did not succeed (failed checks: {outcome['failed_checks']}); "
                         f"log: {log}")
    return outcome


# --------------------------------------------------------------------------- set-up and baselines


def fresh_warehouse(base_url: str | None, work: Path, name: str) -> str:
    """An empty warehouse: a new SQLite file in `work`, or a re-created schema in `base_url`."""
    import sqlalchemy as sa

    if base_url is None:
        path = work / f"{name}.sqlite"
        for old in work.glob(f"{name}.sqlite*"):
            old.unlink()
        return f"sqlite:///{path}"
    if not base_url.startswith("postgresql"):
        raise SystemExit("--warehouse-url: only PostgreSQL URLs (SQLite is the default)")
    schema = f"form4_bench_{name}"
    engine = sa.create_engine(base_url)
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    url = sa.engine.make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def business_range(start: dt.date, days: int) -> list[dt.date]:
    """The first `days` EDGAR business days from `start`."""
    from form4_assets.edgar.business_days import business_days

    out: list[dt.date] = []
    for day in business_days(start, start + dt.timedelta(days=2 * days + 30)):
        out.append(day)
        if len(out) == days:
            break
    return out


def prepare_mirror(mirror: Path, days: Sequence[dt.date], per_day: int | None, log: Any) -> dict[str, Any]:
    """Generate the mirror unless one for exactly these arguments is there; its summary."""
    from form4_assets.synthetic import DEFAULT_PER_DAY
    from form4_assets.synthetic.mirror import SUMMARY_NAME, make_mirror

    per_day = per_day or DEFAULT_PER_DAY
    stamp = mirror / f"year-bench-{days[0]}-{days[-1]}-{per_day}"
    if stamp.exists():
        log(f"reusing the mirror in {mirror}")
    else:
        log(f"generating a mirror: {days[0]}..{days[-1]} ({len(days)} business days), --per-day {per_day} ...")
        began = time.perf_counter()
        make_mirror(mirror, days[0], days[-1], per_day=per_day, include_seed=False)
        stamp.touch()
        log(f"  generated in {time.perf_counter() - began:.0f}s (not timed)")
    return json.loads((mirror / SUMMARY_NAME).read_text())


def bare_parse_seconds(mirror: Path) -> tuple[float, int]:
    """Seconds of a bare lxml.etree.fromstring of every filing's ownership XML, and how many."""
    from lxml import etree

    from form4_assets.parsing.container import detect_container, locate_xml, normalise_bom
    from form4_assets.parsing.errors import FilingError
    from form4_assets.synthetic.mirror import MANIFEST_NAME

    clock, fromstring = time.perf_counter, etree.fromstring
    total, parsed = 0.0, 0
    with (mirror / MANIFEST_NAME).open(encoding="utf-8") as manifest:
        for line in manifest:
            record = json.loads(line)
            accession = record["accession"]
            path = mirror / "Archives" / record["path"].replace(f"{accession}.txt", "") / accession.replace("-", "")
            data = normalise_bom((path / f"{accession}.txt").read_bytes())
            try:
                xml = locate_xml(data, detect_container(data)).data
            except FilingError:
                continue  # no XML to parse (a filing broken on purpose)
            t0 = clock()
            try:
                fromstring(xml)
            except etree.XMLSyntaxError:
                pass
            total += clock() - t0
            parsed += 1
    return total, parsed


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    from form4_assets.settings import parse_processes

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=250, help="business days (default 250, a year)")
    parser.add_argument("--per-day", type=int, default=None, help="median filings per day (default: the generator's)")
    parser.add_argument("--start", type=dt.date.fromisoformat, default=START)
    parser.add_argument("--work-dir", default=None, help="keep the mirror (reused next time), logs and warehouses here")
    parser.add_argument("--warehouse-url", default=None,
                        help="a PostgreSQL database to use (a fresh schema is made in it); default SQLite files")
    parser.add_argument("--instance", choices=("memory", "disk"), default="memory",
                        help="record the runs in Dagster's in-memory instance (default) or a fresh local one on disk")
    parser.add_argument("--heavy-day", action="store_true", help="also time the heaviest day alone against the floor")
    parser.add_argument("--heavy-day-only", action="store_true",
                        help="time only the heaviest day of the range alone against the floor (no range run)")
    parser.add_argument("--history", action="store_true",
                        help="also re-run one day's aggregates with 1 month and with everything loaded")
    parser.add_argument("--json", action="store_true", help="print one JSON object (progress goes to stderr)")
    for hidden in ("--child", "--first", "--last", "--mirror", "--data-dir"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return 0
    if args.days < 1:
        parser.error("--days must be at least 1")

    def log(text: str) -> None:
        print(text, file=sys.stderr if args.json else sys.stdout, flush=True)

    with tempfile.TemporaryDirectory(prefix="form4-year-") as tmp:
        work = Path(args.work_dir or tmp).resolve()
        work.mkdir(parents=True, exist_ok=True)
        mirror = work / "mirror"
        days = business_range(args.start, args.days)
        summary = prepare_mirror(mirror, days, args.per_day, log)
        per_day = sorted(d["filings"] for d in summary["days"])
        filings = sum(per_day)
        first, last = days[0], days[-1]
        out: dict[str, Any] = {
            "filings": filings, "business_days": len(days), "first": first.isoformat(), "last": last.isoformat(),
            "per_day_median": per_day[len(per_day) // 2], "per_day_p90": per_day[int(0.9 * (len(per_day) - 1))],
            "per_day_max": per_day[-1], "backend": "postgresql" if args.warehouse_url else "sqlite",
            "instance": args.instance,
        }
        log(f"{filings} filings over {len(days)} business days ({first}..{last}); per day median "
            f"{out['per_day_median']}, p90 {out['per_day_p90']}, max {out['per_day_max']}; {out['backend']}; "
            f"Dagster instance {args.instance}")

        if args.heavy_day_only:
            out["heavy_day"] = heavy_day(args, summary, mirror, work, log)
            if args.json:
                print(json.dumps(out, sort_keys=True))
            return 0

        floor_url = fresh_warehouse(args.warehouse_url, work, "floor")
        floor = run_child("trivial", first, last, mirror, floor_url, work, args.instance)
        out["floor_seconds"] = round(floor["seconds"], 2)
        log(f"floor (trivial one-asset run over the range): {floor['seconds']:.1f}s")
        bare, bare_n = bare_parse_seconds(mirror)
        out["bare_parse_seconds"], out["bare_parsed_filings"] = round(bare, 2), bare_n
        log(f"bare lxml.etree.fromstring of {bare_n} filings' XML: {bare:.1f}s")

        year_url = fresh_warehouse(args.warehouse_url, work, "year")
        graph = run_child("graph", first, last, mirror, year_url, work, args.instance)
        out.update(seconds=round(graph["seconds"], 2), peak_rss_mb=round(graph["peak_rss_mb"]), steps=graph["steps"],
                   parse_processes=parse_processes(), worker_peak_rss_mb=round(graph["worker_peak_rss_mb"]))
        out["ms_per_filing"] = round(1000 * graph["seconds"] / max(filings, 1), 3)
        out["vs_bare_parse"] = round(graph["seconds"] / max(bare, 1e-9), 2)
        log(f"daily_filings_job, one run: {graph['seconds']:.1f}s (target <= {TARGET_SECONDS:.0f}), "
            f"peak RSS {graph['peak_rss_mb']:.0f} MB (target <= {TARGET_RSS_MB:.0f}), "
            f"{out['ms_per_filing']:.2f} ms/filing, {out['vs_bare_parse']:.1f}x bare lxml (target <= {TARGET_VS_BARE:.0f}x)")
        log("  steps: " + ", ".join(f"{k} {v:.1f}s" for k, v in graph["steps"].items()))
        if out["parse_processes"] > 1:
            log(f"  parsed by {out['parse_processes']} worker processes (FORM4_PARSE_PROCESSES), the largest "
                f"peaking at {out['worker_peak_rss_mb']} MB beside the run's own")

        if args.heavy_day:
            out["heavy_day"] = heavy_day(args, summary, mirror, work, log)
        if args.history:
            out["history"] = history(args, days, mirror, work, year_url, log)
    if args.json:
        print(json.dumps(out, sort_keys=True))
    return 0


def heavy_day(args: argparse.Namespace, summary: dict[str, Any], mirror: Path, work: Path, log: Any) -> dict[str, Any]:
    """The heaviest day of the range alone (fresh warehouse) against a one-partition trivial run."""
    heavy = max(summary["days"], key=lambda d: d["filings"])
    day = dt.date.fromisoformat(heavy["date"])
    one_floor = run_child("trivial", day, day, mirror, fresh_warehouse(args.warehouse_url, work, "floor"), work,
                          args.instance)
    one = run_child("graph", day, day, mirror, fresh_warehouse(args.warehouse_url, work, "heavy"), work, args.instance)
    log(f"heaviest day {day} ({heavy['filings']} filings) alone: {one['seconds']:.1f}s, floor "
        f"{one_floor['seconds']:.1f}s, difference {one['seconds'] - one_floor['seconds']:.1f}s "
        f"(target <= {HEAVY_DAY_MARGIN_S:.0f}s)")
    log("  steps: " + ", ".join(f"{k} {v:.1f}s" for k, v in one["steps"].items()))
    return {"date": day.isoformat(), "filings": heavy["filings"], "seconds": round(one["seconds"], 2),
            "floor_seconds": round(one_floor["seconds"], 2), "steps": one["steps"]}


def history(args: argparse.Namespace, days: Sequence[dt.date], mirror: Path, work: Path, year_url: str,
            log: Any) -> dict[str, Any]:
    """Aggregate seconds of re-materializing one day: with a month loaded, then with the whole range."""

    def aggregates(url: str, day: dt.date) -> float:
        steps = run_child("aggregates", day, day, mirror, url, work, args.instance)["steps"]
        return round(sum(steps[s] for s in AGGREGATE_STEPS), 3)

    month = [d for d in days if (d.year, d.month) == (days[0].year, days[0].month)]
    early, late = month[-1], days[-1]
    month_url = fresh_warehouse(args.warehouse_url, work, "month")
    run_child("graph", month[0], early, mirror, month_url, work, args.instance)
    found = {
        "day": early.isoformat(), "last_day": late.isoformat(),
        "one_month_loaded": aggregates(month_url, early),
        "all_loaded": aggregates(year_url, early),
        "last_day_all_loaded": aggregates(year_url, late),
    }
    found["ratio_all_vs_one_month"] = round(found["all_loaded"] / found["one_month_loaded"], 2)
    found["ratio_last_day_vs_month_1"] = round(found["last_day_all_loaded"] / found["one_month_loaded"], 2)
    log(f"aggregates of {early} re-materialized: {found['one_month_loaded']:.2f}s with one month loaded, "
        f"{found['all_loaded']:.2f}s with {len(days)} days loaded (x{found['ratio_all_vs_one_month']}); "
        f"last day {late}: {found['last_day_all_loaded']:.2f}s (x{found['ratio_last_day_vs_month_1']}; "
        f"target <= {HISTORY_TARGET})")
    return found


if __name__ == "__main__":
    sys.exit(main())
