"""The two external things the assets touch: the EDGAR source and the SQL warehouse.

Settings are resource fields that default to None and fall back, when a run starts,
to environment variables and then to defaults (form4_assets.settings). `dg.EnvVar`
is not used because Dagster refuses to start a run when an EnvVar names an unset
variable, and every variable here is optional; resolving at setup time also keeps
the definitions load free of environment reads. Fields can still be set in the
launchpad or in Python (tests, the demo).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import sqlalchemy as sa
from pydantic import Field, PrivateAttr

from form4_assets import settings
from form4_assets.edgar.client import DEFAULT_BASE_URL
from form4_assets.edgar.fairaccess import EDGAR_MAX_REQUESTS_PER_SECOND
from form4_assets.edgar.feed import FeedSource
from form4_assets.edgar.source import FilingSource, LiveSource, MirrorSource
from form4_assets.warehouse.engine import create_schema, make_engine


def data_dir_of(value: str | None) -> Path:
    """A resource's data_dir field made absolute, or the configured default."""
    return settings.absolute(value) if value else settings.data_dir()


class WarehouseResource(dg.ConfigurableResource):
    """The SQL warehouse: PostgreSQL by URL for teams, a SQLite file by default."""

    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL. Default: FORM4_WAREHOUSE_URL, else SQLite <data dir>/warehouse.sqlite.",
    )
    data_dir: str | None = Field(default=None, description="Default: FORM4_DATA_DIR, else ./form4_data.")

    _engine: sa.Engine | None = PrivateAttr(default=None)

    def resolved_url(self) -> str:
        if self.url:
            return self.url
        return settings.warehouse_url(data_dir_of(self.data_dir))

    def engine(self) -> sa.Engine:
        """The engine for this run, with every table created on first use."""
        if self._engine is None:
            engine = make_engine(self.resolved_url())
            create_schema(engine)
            self._engine = engine
        return self._engine

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


class EdgarSourceResource(dg.ConfigurableResource):
    """Where filings come from: an offline mirror directory (default) or live EDGAR."""

    mode: str | None = Field(
        default=None,
        description="mirror, live, or feed (the mirror's daily Feed archives, per-filing fallback). "
        "Default: FORM4_EDGAR_MODE, else mirror.",
    )
    mirror_dir: str | None = Field(default=None, description="Default: FORM4_MIRROR_DIR, else <data dir>/mirror.")
    user_agent: str | None = Field(
        default=None, description="Live only, required by EDGAR ('Name email'). Default: FORM4_USER_AGENT."
    )
    base_url: str | None = Field(default=None, description="Live only. Default: FORM4_EDGAR_BASE_URL or https://www.sec.gov.")
    max_requests_per_second: float | None = Field(default=None, description="Live only. Default: FORM4_MAX_RPS or 10.")
    cache_dir: str | None = Field(default=None, description="Live only. Default: FORM4_CACHE_DIR, else <data dir>/cache.")
    data_dir: str | None = Field(default=None, description="Default: FORM4_DATA_DIR, else ./form4_data.")

    def resolved_mode(self) -> str:
        mode = (self.mode or settings.env("FORM4_EDGAR_MODE", "mirror") or "mirror").lower()
        if mode not in ("mirror", "live", "feed"):
            raise ValueError(f"EDGAR source mode must be 'mirror', 'live' or 'feed', not {mode!r} (FORM4_EDGAR_MODE)")
        return mode

    def source(self) -> FilingSource:
        """A new source as configured, its directories absolute (see settings.absolute).

        Live mode refuses to start without a User-Agent (LiveSource checks). The caller
        owns the source: use `opened()` to have a live source closed after use.
        """
        base = data_dir_of(self.data_dir)
        mode = self.resolved_mode()
        if mode in ("mirror", "feed"):
            mirror = MirrorSource(settings.absolute(self.mirror_dir or settings.env("FORM4_MIRROR_DIR") or base / "mirror"))
            return mirror if mode == "mirror" else FeedSource(mirror, base / "feed")
        rps = self.max_requests_per_second or float(settings.env("FORM4_MAX_RPS", str(EDGAR_MAX_REQUESTS_PER_SECOND)))
        return LiveSource(
            user_agent=self.user_agent or settings.env("FORM4_USER_AGENT", "") or "",
            cache_dir=settings.absolute(self.cache_dir or settings.env("FORM4_CACHE_DIR") or base / "cache"),
            base_url=self.base_url or settings.env("FORM4_EDGAR_BASE_URL", DEFAULT_BASE_URL),
            max_requests_per_second=rps,
        )

    @contextmanager
    def opened(self) -> Iterator[FilingSource]:
        """One source for a whole run, closed at the end even when the run fails.

        A live source holds an HTTP connection pool; building it once per run (rather
        than per call) also keeps one client, so its request counters and rate limiter
        describe the whole run. A mirror source holds nothing to close.
        """
        source = self.source()
        try:
            yield source
        finally:
            if isinstance(source, LiveSource):
                source.close()


def describe_source(source: FilingSource) -> str:
    """One line for run logs and metadata: which source, where."""
    if isinstance(source, LiveSource):
        return f"live EDGAR {source.client.base_url} (cache {source.cache.root})"
    if isinstance(source, MirrorSource):
        return f"offline mirror {source.root}"
    if isinstance(source, FeedSource):
        return f"Feed archives of the offline mirror {source.mirror.root} (filings stored in {source.store_dir})"
    return type(source).__name__


FORM345_PATHS_VARIABLE = "FORM4_FORM345_PATHS"


class Form345Resource(dg.ConfigurableResource):
    """Where the SEC's Form 345 data sets are: .zip files or directories, read by header name."""

    paths: list[str] | None = Field(
        default=None,
        description=f"Data-set .zip files or directories. Default: {FORM345_PATHS_VARIABLE} (separated by '{os.pathsep}').",
    )

    def resolved_paths(self) -> list[Path]:
        if self.paths is not None:
            values = list(self.paths)
        else:
            values = [p for p in (settings.env(FORM345_PATHS_VARIABLE) or "").split(os.pathsep) if p]
        if not values:
            raise dg.Failure(
                f"no Form 345 data set configured: set {FORM345_PATHS_VARIABLE} to the data-set .zip files or "
                "directories (or the form345 resource's paths), or run `form4-assets import-form345 PATH...`"
            )
        return [settings.absolute(p) for p in values]


def default_resources() -> dict[str, dg.ConfigurableResource]:
    """The resources of the code location: everything resolved when a run starts."""
    return {"warehouse": WarehouseResource(), "edgar": EdgarSourceResource(), "form345": Form345Resource()}
