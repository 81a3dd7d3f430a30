"""Where things live by default, resolved from environment variables when asked.

Nothing here runs at import time: Dagster resources and the command line call these
functions when a run or a command starts, so a definitions load never depends on the
environment and an unset optional variable simply means "use the default".

Variables (all optional):
- ``FORM4_DATA_DIR``: the data directory (default ``./form4_data``; made absolute against
  the working directory when a run or command starts, so the paths stored in the
  warehouse stay valid wherever they are read from later)
- ``FORM4_WAREHOUSE_URL``: SQLAlchemy URL (default SQLite ``<data dir>/warehouse.sqlite``)
- ``FORM4_EDGAR_MODE``: ``mirror`` (offline, default) or ``live``
- ``FORM4_MIRROR_DIR``: the offline mirror (default ``<data dir>/mirror``)
- ``FORM4_USER_AGENT``: who you are, required by EDGAR for live access
- ``FORM4_EDGAR_BASE_URL``: default ``https://www.sec.gov``
- ``FORM4_MAX_RPS``: requests per second towards EDGAR (default 10, EDGAR's limit)
- ``FORM4_CACHE_DIR``: on-disk cache of fetched filings (default ``<data dir>/cache``)
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DATA_DIR = "form4_data"


def env(name: str, default: str | None = None) -> str | None:
    """The variable's value; an unset or empty variable gives ``default``."""
    value = os.environ.get(name, "").strip()
    return value or default


def absolute(path: Path | str) -> Path:
    """`path` made absolute now (`~` expanded, relative to the working directory).

    Directories are resolved when a run starts because their paths end up in the
    warehouse (raw_filings.LOCAL_PATH, quarantine.SOURCE_PATH): a relative path would
    point somewhere else for `explain`, a re-parse or a run worker with another cwd.
    """
    return Path(path).expanduser().resolve()


def data_dir() -> Path:
    """The data directory, absolute: FORM4_DATA_DIR or ./form4_data of the working directory."""
    return absolute(env("FORM4_DATA_DIR", DEFAULT_DATA_DIR) or DEFAULT_DATA_DIR)


def sqlite_file(base: Path | None = None) -> Path:
    """The default SQLite warehouse file inside the data directory."""
    return (base or data_dir()) / "warehouse.sqlite"


def warehouse_url(base: Path | None = None) -> str:
    """FORM4_WAREHOUSE_URL, else the SQLite file in the data directory."""
    url = env("FORM4_WAREHOUSE_URL")
    if url:
        return url
    return f"sqlite:///{sqlite_file(base).resolve()}"
