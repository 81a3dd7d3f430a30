"""Live-client throughput against its ceiling: SEC's 10 requests per second.

    python benchmarks/fetch.py [--filings N] [--latency 0.05|0.1] [--workers 8]

Builds a temporary mirror of N generated filings for one day, serves it from the
loopback EDGAR stand-in on 127.0.0.1 with the given latency per answer and a few
injected faults (429 with Retry-After, 500, 503, a dropped connection, a truncated body),
and fetches the day cold with LiveSource: daily index, then every filing. Rates are
measured from the server's own request log. The baseline, fixed by SEC's fair-access
rule, is 10 requests per second; the target is at least 9.5 sustained, with never more
than 10 request starts in any one-second window. A 429's Retry-After pauses the whole
process (every thread), so the sustained rate is reported both over the whole run and
over the time the server did not ask for quiet; the target applies to the latter. A second run over the now warm cache
must send no request at all. Exits non-zero when a target is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

from form4_assets.edgar.fairaccess import EDGAR_MAX_REQUESTS_PER_SECOND
from form4_assets.testing.loopback import Fault, LoopbackEdgar, generated_filings, max_requests_in_window, write_mirror
from form4_assets.edgar.source import LiveSource

DAY = dt.date(2024, 7, 16)
RETRY_AFTER = 1
USER_AGENT = "form4_assets benchmark form4-bench@example.com"
TARGET_RATE = 9.5


def inject_faults(server: LoopbackEdgar, count: int) -> dict[str, int]:
    """Spread the fault kinds over filings numbered 7, 7+step, ... (first attempt only)."""
    kinds = {
        f"429 Retry-After: {RETRY_AFTER}": Fault.too_many_requests(retry_after=RETRY_AFTER),
        "500": Fault.server_error(500),
        "503": Fault.server_error(503),
        "dropped connection": Fault.drop_connection(),
        "truncated body": Fault.truncated_body(),
    }
    step = max(1, count // 11)
    injected = {}
    for i, (name, fault) in enumerate(kinds.items()):
        for j in range(2):
            server.inject(fault, path=f"*-{7 + (2 * i + j) * step:06d}.txt")
        injected[name] = 2
    return injected


def quiet_seconds(log, start: float, end: float) -> float:
    """Length of the union of the Retry-After pauses the server asked for, within [start, end]."""
    total, covered_to = 0.0, start
    for t in sorted(r.time for r in log if r.status == 429):
        lo, hi = max(t, covered_to), min(t + RETRY_AFTER, end)
        if hi > lo:
            total += hi - lo
            covered_to = hi
    return total


def run(filings: int, latency: float, workers: int) -> int:
    with tempfile.TemporaryDirectory(prefix="form4-fetch-bench-") as tmp:
        mirror, cache = Path(tmp) / "mirror", Path(tmp) / "cache"
        write_mirror(mirror, DAY, generated_filings(DAY, filings, size=8000))
        with LoopbackEdgar(mirror, latency=latency) as server:
            injected = inject_faults(server, filings)
            source = LiveSource(USER_AGENT, cache, base_url=server.base_url, max_workers=workers)
            started = time.monotonic()
            results = list(source.fetch_all(source.list_filings(DAY)))
            cold_seconds = time.monotonic() - started
            cold_log = server.log

            warm = LiveSource(USER_AGENT, cache, base_url=server.base_url, max_workers=workers)
            started = time.monotonic()
            warm_results = list(warm.fetch_all(warm.list_filings(DAY)))
            warm_seconds = time.monotonic() - started
            warm_requests = len(server.log) - len(cold_log)

    times = [r.time for r in cold_log]
    span = times[-1] - times[0]
    quiet = quiet_seconds(cold_log, times[0], times[-1])
    overall = (len(times) - 1) / span
    sustained = (len(times) - 1) / (span - quiet)
    window_max = max_requests_in_window(times)
    failed = sum(not r.ok for r in results)
    non_200 = sum(r.status != 200 for r in cold_log)
    ratio = sustained / EDGAR_MAX_REQUESTS_PER_SECOND

    print(f"fetch benchmark: {filings} filings + 1 daily index, latency {latency * 1000:.0f} ms, {workers} workers")
    print("injected faults (first attempt of the path): " + ", ".join(f"{n}x {k}" for k, n in injected.items()))
    print(f"cold run: {len(results)} filings ({failed} failed) in {cold_seconds:.2f} s")
    attempts, gets = source.client.attempts, source.client.requests
    print(f"  requests at server      {len(cold_log)} (client sent {attempts} for {gets} GETs)")
    print(f"  retries                 {attempts - gets} (server answered {non_200} non-200 / dropped)")
    print(f"  overall rate            {overall:.2f} req/s (first to last request start at the server)")
    print(f"  sustained rate          {sustained:.2f} req/s (same, less {quiet:.2f} s of Retry-After pauses)")
    print(f"  wall-clock rate         {len(cold_log) / cold_seconds:.2f} req/s")
    print(f"  max in any 1 s window   {window_max}")
    target = TARGET_RATE / EDGAR_MAX_REQUESTS_PER_SECOND
    print(f"  baseline (SEC ceiling)  {EDGAR_MAX_REQUESTS_PER_SECOND:.1f} req/s -> ratio {ratio:.3f} (target >= {target:.2f})")
    print(f"warm run: {len(warm_results)} filings from cache in {warm_seconds:.3f} s, {warm_requests} requests sent")

    problems = []
    if window_max > EDGAR_MAX_REQUESTS_PER_SECOND:
        problems.append(f"{window_max} requests in one second")
    if sustained < TARGET_RATE:
        problems.append(f"sustained {sustained:.2f} req/s < {TARGET_RATE}")
    if failed or warm_requests or any(not r.ok for r in warm_results):
        problems.append("failed filings or requests on the warm run")
    print("targets met" if not problems else "TARGETS MISSED: " + "; ".join(problems))
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filings", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per answer (0.05 or 0.1)")
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args(argv)
    return run(args.filings, args.latency, args.workers)


if __name__ == "__main__":
    sys.exit(main())
