"""The external things the assets touch: the EDGAR source, the SQL warehouse, the SEC's data sets and
the user's price file.

Settings are resource fields that default to None and fall back, when a run starts,
to environment variables and then to defaults: form4_assets.settings resolves them and
states each default once. `dg.EnvVar`
is not used because Dagster refuses to start a run when an EnvVar names an unset
variable, and every variable here is optional; resolving at setup time also keeps
the definitions load free of environment reads. Fields can still be set in the
launchpad or in Python (tests, the demo).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import sqlalchemy as sa
from pydantic import Field, PrivateAttr

from form4_assets import settings
from form4_assets.edgar.datasets import download_quarters
from form4_assets.edgar.errors import EdgarError
from form4_assets.edgar.feed import FeedSource
from form4_assets.edgar.source import FilingSource, LiveSource, MirrorSource
from form4_assets.prices import PriceBook, PriceFileError, read_prices
from form4_assets.settings import Mode
from form4_assets.warehouse.engine import create_schema, make_engine


def data_dir_of(value: str | None) -> Path:
    """A resource's data_dir field made absolute, or the configured default."""
    return settings.data_dir(value)


class WarehouseResource(dg.ConfigurableResource):
    """The SQL warehouse: PostgreSQL by URL for teams, a SQLite file by default."""

    url: str | None = Field(default=None, description=settings.WAREHOUSE_URL.describe())
    data_dir: str | None = Field(default=None, description=settings.DATA_DIR.describe())

    _engine: sa.Engine | None = PrivateAttr(default=None)

    def resolved_url(self) -> str:
        return settings.warehouse_url(self.url, data_dir_of(self.data_dir))

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
    """Where filings come from: an offline mirror directory (default), its Feed archives, or live EDGAR."""

    # An Enum: the launchpad offers the modes and Dagster refuses any other value.
    mode: Mode | None = Field(default=None, description=settings.EDGAR_MODE.describe())
    mirror_dir: str | None = Field(default=None, description=settings.MIRROR_DIR.describe())
    feed_from: str | None = Field(default=None, description=settings.FEED_FROM.describe())
    user_agent: str | None = Field(default=None, description=settings.USER_AGENT.describe())
    base_url: str | None = Field(default=None, description=settings.BASE_URL.describe())
    max_requests_per_second: float | None = Field(default=None, description=settings.MAX_RPS.describe())
    cache_dir: str | None = Field(default=None, description=settings.CACHE_DIR.describe())
    data_dir: str | None = Field(default=None, description=settings.DATA_DIR.describe())

    def resolved(self) -> settings.EdgarSettings:
        """The fields, else the environment, else the defaults (form4_assets.settings)."""
        return settings.edgar_settings(
            mode=self.mode, mirror_dir=self.mirror_dir, cache_dir=self.cache_dir, user_agent=self.user_agent,
            base_url=self.base_url, max_requests_per_second=self.max_requests_per_second, data_dir_given=self.data_dir,
            feed_from=self.feed_from,
        )

    def source(self) -> FilingSource:
        """A new source as configured, its directories absolute (see settings.absolute).

        Live mode refuses to start without a User-Agent (LiveSource checks). The caller
        owns the source: use `opened()` to have a live source closed after use.
        """
        config = self.resolved()
        if config.mode is Mode.mirror:
            return MirrorSource(config.mirror_dir)
        if config.mode is Mode.feed and config.feed_from == "mirror":
            return FeedSource(MirrorSource(config.mirror_dir), config.feed_dir)
        live = LiveSource(
            user_agent=config.user_agent,
            cache_dir=config.cache_dir,
            base_url=config.base_url,
            max_requests_per_second=config.max_requests_per_second,
        )
        return FeedSource(live, config.feed_dir) if config.mode is Mode.feed else live

    @contextmanager
    def opened(self) -> Iterator[FilingSource]:
        """One source for a whole run, closed at the end even when the run fails.

        A live source holds an HTTP connection pool; building it once per run (rather
        than per call) also keeps one client, so its request counters and rate limiter
        describe the whole run. A mirror source holds nothing to close; a mirror that is
        not there stops the run here, saying what to set (`missing_mirror_message`).
        """
        source = self.source()
        if isinstance(source, MirrorSource) and not source.root.is_dir():
            explicit = (self.mirror_dir or self.data_dir
                        or settings.env(settings.MIRROR_DIR.env) or settings.env(settings.DATA_DIR.env))
            raise dg.Failure(description=missing_mirror_message(source.root, explicit=bool(explicit)))
        try:
            yield source
        finally:
            if isinstance(source, (LiveSource, FeedSource)):
                source.close()


def missing_mirror_message(root: Path, explicit: bool) -> str:
    """What to set when the offline mirror is not where the settings point.

    The usual cause is `dagster dev -m form4_assets.definitions` started outside the directory that
    holds form4_data/ with FORM4_DATA_DIR unset: the default data directory is relative
    to where Dagster was started.
    """
    fix = (
        "Set FORM4_DATA_DIR to the data directory (the one `form4-assets demo` printed, e.g. "
        "/path/to/form4_assets/form4_data) or FORM4_MIRROR_DIR to a mirror (`form4-assets make-mirror` "
        "writes one), then restart Dagster; or FORM4_EDGAR_MODE=live for EDGAR itself."
    )
    if explicit:
        return f"no offline EDGAR mirror at {root}. {fix}"
    return (
        f"no offline EDGAR mirror at {root}: FORM4_DATA_DIR is not set, so the data directory is "
        f"./form4_data of the directory Dagster was started in ({Path.cwd()}). {fix}"
    )


def describe_source(source: FilingSource) -> str:
    """One line for run logs and metadata: which source, where."""
    if isinstance(source, LiveSource):
        return f"live EDGAR {source.client.base_url} (cache {source.cache.root})"
    if isinstance(source, MirrorSource):
        return f"offline mirror {source.root}"
    if isinstance(source, FeedSource) and isinstance(source.base, LiveSource):
        return f"Feed archives of live EDGAR {source.base.client.base_url} (filings cached in {source.base.cache.root})"
    if isinstance(source, FeedSource):
        return f"Feed archives of the offline mirror {source.base.root} (filings stored in {source.store_dir})"
    return type(source).__name__


class Form345Resource(dg.ConfigurableResource):
    """Where the SEC's Form 345 data sets are: .zip files or directories, read by header name, and
    quarters downloaded from EDGAR once (the live client: User-Agent, 10 requests/s, retries, cache)."""

    paths: list[str] | None = Field(default=None, description=settings.FORM345_PATHS.describe())
    quarters: list[str] | None = Field(default=None, description=settings.FORM345_QUARTERS.describe())

    def resolved_paths(self) -> list[Path]:
        values = settings.form345_paths(self.paths)
        quarters = settings.form345_quarters(self.quarters)
        if quarters:
            config = settings.edgar_settings()
            try:
                values += download_quarters(quarters, config.user_agent, config.cache_dir, base_url=config.base_url,
                                            max_requests_per_second=config.max_requests_per_second)
            except (EdgarError, ValueError) as exc:
                raise dg.Failure(f"Form 345 data sets {', '.join(quarters)}: {exc}") from None
        if not values:
            raise dg.Failure(
                f"no Form 345 data set configured: set {settings.FORM345_PATHS.env} to the data-set .zip files or "
                f"directories or {settings.FORM345_QUARTERS.env} to quarters to download (or the form345 resource's "
                "paths or quarters), or run `form4-assets import-form345 PATH...`"
            )
        return values


class PriceSourceResource(dg.ConfigurableResource):
    """Daily prices the user supplies (form4_assets.prices), for the outcome assets; optional.

    Without a path the outcome assets skip (not materialized, a clear reason logged and
    observed); a path that cannot be read fails the run with the file, line and field.
    The book is read once per run.
    """

    path: str | None = Field(default=None, description=settings.PRICES_PATH.describe())
    benchmark: str | None = Field(default=None, description=settings.PRICES_BENCHMARK.describe())

    _book: PriceBook | None = PrivateAttr(default=None)

    def configured(self) -> bool:
        return settings.prices(self.path, self.benchmark)[0] is not None

    def book(self) -> PriceBook:
        if self._book is None:
            path, benchmark = settings.prices(self.path, self.benchmark)
            if path is None:
                raise dg.Failure(f"no price source configured ({settings.PRICES_PATH.env})")
            try:
                self._book = read_prices(path, benchmark)
            except PriceFileError as exc:
                raise dg.Failure(f"price source unreadable: {exc}") from None
        return self._book


def default_resources() -> dict[str, dg.ConfigurableResource]:
    """The resources of the code location: everything resolved when a run starts."""
    return {"warehouse": WarehouseResource(), "edgar": EdgarSourceResource(), "form345": Form345Resource(),
            "prices": PriceSourceResource()}
