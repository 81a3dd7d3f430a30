"""Every setting of form4_assets, its environment variable and its default, stated once.

Nothing here runs at import time: Dagster resources and the command line call these
functions when a run or a command starts, so a definitions load never depends on the
environment and an unset optional variable simply means "use the default".

A value is resolved in this order: given explicitly (a resource field set in the
launchpad or in Python, a command-line option), else the environment variable, else the
default. `SETTINGS` lists them all; the resources' field descriptions and the command
line's `--help` are written from it, and a test holds the README's table to it.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass
from pathlib import Path

from form4_assets.edgar.client import DEFAULT_BASE_URL
from form4_assets.edgar.fairaccess import EDGAR_MAX_REQUESTS_PER_SECOND


class Mode(str, enum.Enum):
    """Where filings come from.

    Lower-case member names on purpose: Dagster's config takes an Enum by member name, so
    the launchpad accepts the same words as FORM4_EDGAR_MODE (and refuses any other).
    """

    mirror = "mirror"  # an offline directory laid out like EDGAR's archive
    live = "live"  # EDGAR over HTTP, within SEC's fair-access rules
    feed = "feed"  # the mirror's daily Feed archives, with a per-filing fallback


@dataclass(frozen=True)
class Setting:
    """One setting: the environment variable that sets it, its default and what it means."""

    env: str
    default: str
    meaning: str

    def describe(self) -> str:
        """The sentence shown in the launchpad and in `--help`."""
        return f"{self.meaning} Default: {self.env}, else {self.default}."


DATA_DIR = Setting("FORM4_DATA_DIR", "./form4_data", "The data directory (warehouse, mirror, cache, charts).")
WAREHOUSE_URL = Setting("FORM4_WAREHOUSE_URL", "sqlite:///<data dir>/warehouse.sqlite", "SQLAlchemy URL of the warehouse.")
EDGAR_MODE = Setting("FORM4_EDGAR_MODE", Mode.mirror.value,
                     "Where filings come from: mirror (offline), live, or feed (the mirror's daily Feed archives).")
MIRROR_DIR = Setting("FORM4_MIRROR_DIR", "<data dir>/mirror", "The offline mirror (mirror mode).")
USER_AGENT = Setting("FORM4_USER_AGENT", "none",
                     "Who you are ('Name email'): EDGAR requires it, so live mode refuses to start without it.")
BASE_URL = Setting("FORM4_EDGAR_BASE_URL", DEFAULT_BASE_URL, "EDGAR's address (live mode).")
MAX_RPS = Setting("FORM4_MAX_RPS", f"{EDGAR_MAX_REQUESTS_PER_SECOND:g}",
                  "Requests per second towards EDGAR, at most EDGAR's limit (live mode).")
FEED_FROM = Setting("FORM4_FEED_FROM", "mirror",
                    "Where feed mode reads the daily Feed archives: mirror (FORM4_MIRROR_DIR) or live (EDGAR, "
                    "with the live mode's User-Agent, rate and cache).")
CACHE_DIR = Setting("FORM4_CACHE_DIR", "<data dir>/cache", "On-disk cache of fetched filings (live mode).")
FORM345_PATHS = Setting("FORM4_FORM345_PATHS", "none",
                        f"The SEC's Form 345 data sets: .zip files or directories, separated by '{os.pathsep}'.")
FORM345_QUARTERS = Setting("FORM4_FORM345_QUARTERS", "none",
                           "Quarters (YYYYqN, separated by commas) whose Form 345 data sets the form345 assets download "
                           "from EDGAR once, with the live mode's User-Agent, rate and cache, beside FORM4_FORM345_PATHS.")
PARSE_PROCESSES = Setting("FORM4_PARSE_PROCESSES", "1",
                          "Processes that parse filings in a run of at least 2,000 filings (1: in the run's own process).")

DAGSTER_HOME = Setting("DAGSTER_HOME", "<data dir>/dagster_home",
                       "Dagster's own instance directory (runs, event log), used by the demo and init-instance.")
PRICES_PATH = Setting("FORM4_PRICES_PATH", "none",
                      "Daily prices for the outcome assets: a directory of <TICKER>.csv files (Yahoo/Stooq layout) or one "
                      "CSV/Parquet file with ticker, date, close[, adj_close]; none: the outcome assets skip.")
PRICES_BENCHMARK = Setting("FORM4_PRICES_BENCHMARK", "none",
                           "The benchmark ticker in the price source (e.g. SPY) for excess returns and the trading calendar.")

SETTINGS: tuple[Setting, ...] = (DATA_DIR, WAREHOUSE_URL, EDGAR_MODE, FEED_FROM, MIRROR_DIR, USER_AGENT, BASE_URL,
                                 MAX_RPS, CACHE_DIR, FORM345_PATHS, FORM345_QUARTERS, DAGSTER_HOME, PRICES_PATH, PRICES_BENCHMARK,
                                 PARSE_PROCESSES)


def env(name: str, default: str | None = None) -> str | None:
    """The variable's value; an unset or empty variable gives ``default``."""
    value = os.environ.get(name, "").strip()
    return value or default


def given_or_env(given: object, setting: Setting) -> str | None:
    """An explicit value (as text) when given, else the setting's variable (None when unset)."""
    if given is not None and given != "":
        return given.value if isinstance(given, Mode) else str(given)
    return env(setting.env)


def absolute(path: Path | str) -> Path:
    """`path` made absolute now (`~` expanded, relative to the working directory).

    Directories are resolved when a run starts because their paths end up in the
    warehouse (raw_filings.LOCAL_PATH, quarantine.SOURCE_PATH): a relative path would
    point somewhere else for `explain`, a re-parse or a run worker with another cwd.
    """
    return Path(path).expanduser().resolve()


def data_dir(given: str | None = None) -> Path:
    """The data directory, absolute: given, else FORM4_DATA_DIR, else ./form4_data of the working directory."""
    return absolute(given_or_env(given, DATA_DIR) or DATA_DIR.default)


def sqlite_file(base: Path | None = None) -> Path:
    """The default SQLite warehouse file inside the data directory."""
    return (base or data_dir()) / "warehouse.sqlite"


def warehouse_url(given: str | None = None, base: Path | None = None) -> str:
    """The warehouse URL: given, else FORM4_WAREHOUSE_URL, else the SQLite file in the data directory."""
    return given_or_env(given, WAREHOUSE_URL) or f"sqlite:///{sqlite_file(base).resolve()}"


def dagster_home(given: str | None = None, default: Path | None = None) -> Path | None:
    """The Dagster instance directory, absolute: given, else DAGSTER_HOME, else `default` (None: none)."""
    value = given_or_env(given, DAGSTER_HOME)
    return absolute(value) if value else (absolute(default) if default is not None else None)


def parse_processes() -> int:
    """How many processes parse a large run's filings: FORM4_PARSE_PROCESSES, else 1.

    One by default because on a shared 2-core machine worker processes measured no faster
    than parsing in the run's own process (README, Performance); on idle cores they divide
    the parse time.
    """
    value = env(PARSE_PROCESSES.env, PARSE_PROCESSES.default)
    try:
        processes = int(value)
    except ValueError:
        processes = 0
    if processes < 1:
        raise ValueError(f"{PARSE_PROCESSES.env} must be a whole number of processes, at least 1, not {value!r}")
    return processes


def edgar_mode(given: Mode | str | None = None) -> Mode:
    """The EDGAR source mode; an unknown one is an error naming the variable."""
    value = (given_or_env(given, EDGAR_MODE) or EDGAR_MODE.default).lower()
    try:
        return Mode(value)
    except ValueError:
        choices = ", ".join(repr(m.value) for m in Mode)
        raise ValueError(f"EDGAR source mode must be one of {choices}, not {value!r} ({EDGAR_MODE.env})") from None


@dataclass(frozen=True)
class EdgarSettings:
    """The EDGAR source's settings, every default applied and every directory absolute."""

    mode: Mode
    mirror_dir: Path
    cache_dir: Path
    feed_dir: Path  # where feed mode stores the filings it takes from the mirror's archives
    feed_from: str  # "mirror" or "live"
    user_agent: str
    base_url: str
    max_requests_per_second: float


def edgar_settings(
    *,
    mode: Mode | str | None = None,
    mirror_dir: str | None = None,
    cache_dir: str | None = None,
    user_agent: str | None = None,
    base_url: str | None = None,
    max_requests_per_second: float | None = None,
    data_dir_given: str | None = None,
    feed_from: str | None = None,
) -> EdgarSettings:
    """Resolve the EDGAR source's settings (given values first, then the environment, then defaults)."""
    base = data_dir(data_dir_given)
    rps = given_or_env(max_requests_per_second, MAX_RPS) or MAX_RPS.default
    try:
        max_rps = float(rps)
    except ValueError:
        raise ValueError(f"requests per second must be a number, not {rps!r} ({MAX_RPS.env})") from None
    feed = (given_or_env(feed_from, FEED_FROM) or FEED_FROM.default).lower()
    if feed not in ("mirror", "live"):
        raise ValueError(f"feed mode reads from 'mirror' or 'live', not {feed!r} ({FEED_FROM.env})")
    return EdgarSettings(
        mode=edgar_mode(mode),
        mirror_dir=absolute(given_or_env(mirror_dir, MIRROR_DIR) or base / "mirror"),
        cache_dir=absolute(given_or_env(cache_dir, CACHE_DIR) or base / "cache"),
        feed_dir=base / "feed",
        feed_from=feed,
        user_agent=given_or_env(user_agent, USER_AGENT) or "",
        base_url=given_or_env(base_url, BASE_URL) or DEFAULT_BASE_URL,
        max_requests_per_second=max_rps,
    )


def form345_paths(given: list[str] | None = None) -> list[Path]:
    """The Form 345 data sets, absolute: given, else FORM4_FORM345_PATHS split on the path separator."""
    values = list(given) if given is not None else [p for p in (env(FORM345_PATHS.env) or "").split(os.pathsep) if p]
    return [absolute(p) for p in values]


def form345_quarters(given: list[str] | None = None) -> list[str]:
    """The quarters to download: given, else FORM4_FORM345_QUARTERS split on commas (and spaces)."""
    values = list(given) if given is not None else (env(FORM345_QUARTERS.env) or "").replace(",", " ").split()
    return [q.strip() for q in values if q.strip()]


def prices(path: str | None = None, benchmark: str | None = None) -> tuple[Path | None, str | None]:
    """(price source path made absolute, benchmark ticker): given, else the variables; None when unset."""
    found = given_or_env(path, PRICES_PATH)
    return (absolute(found) if found else None), given_or_env(benchmark, PRICES_BENCHMARK)
