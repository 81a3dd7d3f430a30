"""The HTTP client for live EDGAR: pooled connections, urllib3 retries, fair-access gate.

urllib3 is used directly rather than through requests because requests always streams
bodies (`preload_content=False`), which moves the body read outside urllib3's retry
loop: a truncated body (Content-Length larger than what arrives) would then escape the
Retry policy. With the body preloaded inside `urlopen`, urllib3 itself retries
truncated bodies as read errors, together with 429/5xx statuses (honouring Retry-After),
dropped connections and timeouts, under one Retry budget with exponential backoff and
jitter.

Every attempt, including each retry, passes the process-wide rate limiter: the limiter
is hooked into the connection pool's `urlopen`, which urllib3 re-enters once per attempt.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, PoolManager
from urllib3.exceptions import HTTPError
from urllib3.util import Retry, Timeout

from form4_assets.edgar import fairaccess
from form4_assets.edgar.errors import EdgarError, FairAccessBlocked, MissingUserAgent
from form4_assets.edgar.index import is_missing_index_body

DEFAULT_BASE_URL = "https://www.sec.gov"
#: Concurrent connections (and LiveSource fetch threads) by default: enough to use the rate budget.
DEFAULT_MAX_CONNECTIONS = 8
RETRY_STATUSES = (429, 500, 502, 503, 504)

_EMAIL_RE = re.compile(r"[^\s@<>]+@[^\s@<>]+\.[A-Za-z]{2,}")
_TITLE_RE = re.compile(rb"<(?:title|h1)[^>]*>\s*(.*?)\s*</(?:title|h1)>", re.IGNORECASE | re.DOTALL)


def check_user_agent(user_agent: str | None) -> str:
    """Return the User-Agent if it names a person or company and an e-mail address.

    SEC asks automated clients to declare themselves as "Sample Company Name
    AdminContact@samplecompany.com"; undeclared tools get blocked.
    """
    text = (user_agent or "").strip()
    example = "FORM4_USER_AGENT='Jane Doe jane.doe@example.com'"
    if not text:
        raise MissingUserAgent(
            "live EDGAR access needs a User-Agent naming you and your e-mail address, as SEC's "
            f"fair-access policy requires; set it, e.g. {example}"
        )
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise MissingUserAgent(f"User-Agent must be one line of printable text, got {text!r}")
    email = _EMAIL_RE.search(text)
    name = _EMAIL_RE.sub(" ", text)
    if email is None or not re.search(r"[A-Za-z]{2,}", name):
        raise MissingUserAgent(
            f"User-Agent {text!r} does not look like 'Name email@domain' (SEC blocks undeclared "
            f"automated tools); set e.g. {example}"
        )
    return text


@dataclass(frozen=True)
class Response:
    """A final answer from EDGAR after retries: status, body, and how many retries it took."""

    url: str
    status: int
    data: bytes
    retries: int

    @property
    def missing(self) -> bool:
        """EDGAR has no such file: 404, or S3's AccessDenied 403 for an absent object (any
        other 403 is the fair-access block, which `EdgarClient.get` raises instead)."""
        return self.status in (403, 404)


def fair_access_message(url: str, body: bytes, user_agent: str) -> str:
    match = _TITLE_RE.search(body[:20000])
    title = match.group(1).decode("utf-8", "replace") if match else "no explanation page"
    return (
        f"EDGAR refused {url} with HTTP 403 ({title!r}): SEC's fair-access block for automated "
        "clients that do not declare themselves or exceed 10 requests per second. The run stopped "
        "without retrying, because retrying extends the block. To resume: declare a User-Agent "
        f"naming you and your e-mail (FORM4_USER_AGENT, e.g. 'Jane Doe jane.doe@example.com'; this "
        f"run sent {user_agent!r}), wait 10 minutes for the block to lift, and keep all runs that "
        "share this IP address under 10 requests per second in total (FORM4_MAX_RPS)."
    )


class _HostWideRetry(Retry):
    """urllib3's Retry, except that a Retry-After pauses every thread talking to the host."""

    host = ""

    def sleep_for_retry(self, response) -> bool:  # type: ignore[no-untyped-def]
        retry_after = self.get_retry_after(response)
        if retry_after:
            fairaccess.pause(self.host, retry_after)
        return super().sleep_for_retry(response)


class _GatedPoolMixin:
    """Connection pool that passes the fair-access gate before every attempt."""

    gate: EdgarClient

    def urlopen(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.gate._before_attempt()
        return super().urlopen(method, url, *args, **kwargs)  # type: ignore[misc]


class EdgarClient:
    """GETs paths below `base_url` within SEC's fair-access rules; thread-safe."""

    def __init__(
        self,
        user_agent: str,
        base_url: str = DEFAULT_BASE_URL,
        max_requests_per_second: float = fairaccess.EDGAR_MAX_REQUESTS_PER_SECOND,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        retries: int = 5,
        backoff_factor: float = 0.5,
        backoff_jitter: float = 0.25,
        timeout: float = 30.0,
    ) -> None:
        self.user_agent = check_user_agent(user_agent)
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base URL must be http(s)://host[:port], got {base_url!r}")
        if max_requests_per_second > fairaccess.EDGAR_MAX_REQUESTS_PER_SECOND:
            raise ValueError(
                f"EDGAR allows at most {fairaccess.EDGAR_MAX_REQUESTS_PER_SECOND:g} requests per second "
                f"per client, got {max_requests_per_second!r}"
            )
        self.base_url = base_url.rstrip("/")
        self.host = parts.netloc
        own = () if max_requests_per_second == fairaccess.EDGAR_MAX_REQUESTS_PER_SECOND else (
            fairaccess.RateLimiter(max_requests_per_second),
        )
        self._limiters = (fairaccess.PROCESS_LIMITER, *own)
        self._lock = threading.Lock()
        #: Requests actually sent (every retry counts) and calls of `get`, for reporting.
        self.attempts = 0
        self.requests = 0
        host_retry = type("HostWideRetry", (_HostWideRetry,), {"host": self.host})
        self.retry = host_retry(
            total=retries,
            backoff_factor=backoff_factor,
            backoff_jitter=backoff_jitter,
            backoff_max=60,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET"}),
            respect_retry_after_header=True,
            retry_after_max=120,
            raise_on_status=False,
        )
        self.timeout = Timeout(connect=min(10.0, timeout), read=timeout)
        self._pool = PoolManager(
            num_pools=4,
            maxsize=max_connections,
            headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"},
        )
        self._pool.pool_classes_by_scheme = {
            "http": type("GatedHTTPConnectionPool", (_GatedPoolMixin, HTTPConnectionPool), {"gate": self}),
            "https": type("GatedHTTPSConnectionPool", (_GatedPoolMixin, HTTPSConnectionPool), {"gate": self}),
        }

    def _before_attempt(self) -> None:
        fairaccess.admit(self.host, self._limiters)
        with self._lock:
            self.attempts += 1

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path}"

    def get(self, path: str) -> Response:
        """GET `base_url/path` with retries; the final status is returned, not raised.

        A 403 that is not S3's "no such file" answer is EDGAR's fair-access block: it is
        recorded for the whole process and raised as FairAccessBlocked. Transport failures
        that outlast the retries raise EdgarError.
        """
        url = self.url(path)
        with self._lock:
            self.requests += 1
        try:
            answer = self._pool.request("GET", url, retries=self.retry, timeout=self.timeout, preload_content=True)
        except HTTPError as exc:  # FairAccessBlocked from the gate is not one: it propagates
            raise EdgarError(f"GET {url} failed after {self.retry.total} retries: {exc}") from exc
        retries = len(answer.retries.history) if answer.retries is not None else 0
        response = Response(url, answer.status, answer.data, retries)
        if response.status == 403 and not is_missing_index_body(response.data):
            message = fair_access_message(url, response.data, self.user_agent)
            fairaccess.record_block(self.host, message)
            raise FairAccessBlocked(message)
        return response

    def close(self) -> None:
        self._pool.clear()
