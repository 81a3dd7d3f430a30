"""Synthetic daily prices for the synthetic mirrors: SYNTHETIC, for tests and the demo only.

A deterministic geometric random walk per ticker (the same seed and ticker give the same
bytes): each trading day's log return is the benchmark's day return (beta 1) plus the
ticker's own noise, and, for the planted events, a drift per day over the trading days
after a chosen insider purchase's filing date. A track record computed from these prices
can therefore be checked against the effect planted: opportunistic purchasers beat the
benchmark by about ``exp(drift × days) − 1`` and every other trade by about nothing.

Files are written in Yahoo's layout (``Date,Open,High,Low,Close,Adj Close,Volume``), one
``<TICKER>.csv`` per ticker plus the benchmark's, the layout `form4_assets.prices` reads.
The calendar is EDGAR's business days (weekdays except US federal holidays), a stand-in
for an exchange's sessions, which differ on a few days a year (Good Friday, Columbus Day).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from form4_assets.edgar import business_days as edgar

BENCHMARK = "SYNIDX"
PLANTS_NAME = "synthetic-plants.json"


@dataclass(frozen=True)
class Plant:
    """Extra drift per trading day for `days` trading days after `after` (a filing date)."""

    ticker: str
    after: dt.date
    drift: float
    days: int


def _walk(rng: random.Random, days: Sequence[dt.date], start: float, noise: float,
          market: Sequence[float] | None, drifts: dict[dt.date, float]) -> list[float]:
    prices, level = [], math.log(start)
    for k, day in enumerate(days):
        if k:
            level += (market[k] if market else 0.0002) + rng.gauss(0.0, noise) + drifts.get(day, 0.0)
        prices.append(math.exp(level))
    return prices


def _write(path: Path, days: Sequence[dt.date], prices: Sequence[float]) -> None:
    lines = ["Date,Open,High,Low,Close,Adj Close,Volume"]
    for day, price in zip(days, prices):
        p = f"{price:.4f}"
        lines.append(f"{day.isoformat()},{p},{p},{p},{p},{p},100000")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def make_synthetic_prices(
    out_dir: Path, tickers: Iterable[str], first: dt.date, last: dt.date,
    plants: Sequence[Plant] = (), seed: int = 15, noise: float = 0.01,
) -> Path:
    """Write `<TICKER>.csv` for each ticker and the benchmark over first..last; returns `out_dir`.

    `synthetic-plants.json` beside them records the plants (the truth a test checks against).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    days = list(edgar.business_days(first, last))
    bench_rng = random.Random(f"{seed}:{BENCHMARK}")
    bench = _walk(bench_rng, days, 100.0, 0.008, None, {})
    market = [0.0] + [math.log(b / a) for a, b in zip(bench, bench[1:])]
    _write(out_dir / f"{BENCHMARK}.csv", days, bench)
    for ticker in sorted(set(tickers)):
        drifts: dict[dt.date, float] = {}
        for plant in (p for p in plants if p.ticker == ticker):
            start = next((k for k, d in enumerate(days) if d > plant.after), len(days))
            for day in days[start : start + plant.days]:
                drifts[day] = drifts.get(day, 0.0) + plant.drift
        rng = random.Random(f"{seed}:{ticker}")
        _write(out_dir / f"{ticker}.csv", days, _walk(rng, days, rng.uniform(10, 120), noise, market, drifts))
    (out_dir / PLANTS_NAME).write_text(json.dumps({
        "note": "SYNTHETIC prices (form4_assets.synthetic.prices): a random walk, not market data",
        "benchmark": BENCHMARK, "first": first.isoformat(), "last": last.isoformat(),
        "plants": [{**asdict(p), "after": p.after.isoformat()} for p in plants],
    }, indent=1), encoding="utf-8")
    return out_dir


def purchase_plants(records: Iterable[dict], choose, drift: float = 0.005, days: int = 21) -> list[Plant]:
    """A plant after the filing date of every purchase (manifest records) that `choose(record, row)` picks."""
    out = []
    for record in records:
        for row in record.get("rows", []):
            if row.get("code") == "P" and choose(record, row):
                out.append(Plant(record["issuer"]["ticker"], dt.date.fromisoformat(record["filing_date"]), drift, days))
    return out


def prices_for_mirror(manifest: Path, out_dir: Path, first: dt.date, last: dt.date, choose,
                      drift: float = 0.005, days: int = 21) -> Path:
    """Synthetic prices for every ticker of a synthetic mirror (its manifest), drift planted after
    the purchases `choose(record, row)` picks."""
    records = [json.loads(line) for line in manifest.read_text(encoding="utf-8").splitlines() if line.strip()]
    tickers = {r["issuer"]["ticker"].upper() for r in records if r.get("issuer", {}).get("ticker")}
    plants = purchase_plants((r for r in records if r.get("issuer", {}).get("ticker")), choose, drift, days)
    plants = [Plant(p.ticker.upper(), p.after, p.drift, p.days) for p in plants]
    return make_synthetic_prices(out_dir, tickers, first, last, plants)
