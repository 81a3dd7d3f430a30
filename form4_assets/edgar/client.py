"""The HTTP client for live EDGAR: pooled connections, urllib3 retries, fair-access gate.

urllib3 is used directly (not through requests) and every answer is streamed
(`preload_content=False`) so that nothing a server sends is taken on trust:

- bodies are capped (MAX_BODY_BYTES, the parser's cap on one filing) both as received and
  as decoded, so a huge Content-Length is refused unread and a gzip bomb is stopped
  after at most the cap plus one 64 KiB chunk (urllib3 decodes at most what is asked);
- a 200 must be framed (Content-Length or chunked), non-empty and exactly as long as
  declared, so headers cut after the status line or a short body are never cached;
- each attempt has a hard deadline (edgar/deadline.py) besides urllib3's per-read
  Timeout, so a server trickling bytes cannot hold a request open;
- redirects are followed only within the configured origin: the User-Agent never goes
  to another host, and the body that is kept passed every check above.

The attempt loop is driven by urllib3's own Retry (`is_retry`, `increment`, `sleep`): one
budget with exponential backoff and jitter for 429/5xx (honouring Retry-After, and
falling back to the backoff when Retry-After is neither seconds nor a date), dropped
connections, timeouts and cut bodies. Every attempt, including each retry, passes the
process-wide rate limiter, hooked into the connection pool's `urlopen`.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from urllib3 import (
    BaseHTTPResponse,
    HTTPConnectionPool,
    HTTPSConnectionPool,
    PoolManager,
)
from urllib3.exceptions import (
    HTTPError,
    InvalidHeader,
    MaxRetryError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.util import Retry, Timeout

from form4_assets.edgar import fairaccess
from form4_assets.edgar.deadline import Deadline
from form4_assets.edgar.errors import EdgarError, FairAccessBlocked, MissingUserAgent
from form4_assets.edgar.index import is_missing_index_body
from form4_assets.edgar.stream import BodyStream
from form4_assets.parsing import MAX_FILING_BYTES

DEFAULT_BASE_URL = "https://www.sec.gov"
#: Concurrent connections (and LiveSource fetch threads) by default: enough to use the rate budget.
DEFAULT_MAX_CONNECTIONS = 8
RETRY_STATUSES = (429, 500, 502, 503, 504)
#: The largest body accepted, received or decoded: the parser's cap on one filing
#: (a day's index is a few MB).
MAX_BODY_BYTES = MAX_FILING_BYTES
#: How much of an error answer (403 page, 5xx) is kept: enough to tell a fair-access
#: block from S3's AccessDenied; the rest is not read.
ERROR_BODY_BYTES = 64 * 1024
#: Decoded bytes asked of urllib3 per read (it decodes no more than that at a time).
_CHUNK = 64 * 1024
#: Same-origin redirects followed per request.
MAX_REDIRECTS = 3

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
    """A final answer from EDGAR after retries: status, body, and how many retries it took.

    `url` is where the answer came from (a same-origin redirect's target, if any). For a
    200 `data` is the whole body, checked; for other statuses at most ERROR_BODY_BYTES.
    """

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
    """urllib3's Retry, except that a Retry-After pauses every thread talking to the host,
    and a Retry-After that is neither seconds nor a date (`soon`) means the usual backoff
    (urllib3 would raise InvalidHeader instead of retrying)."""

    host = ""

    def get_retry_after(self, response):  # type: ignore[no-untyped-def]
        try:
            return super().get_retry_after(response)
        except InvalidHeader:
            return None

    def sleep_for_retry(self, response) -> bool:  # type: ignore[no-untyped-def]
        retry_after = self.get_retry_after(response)
        if retry_after:
            fairaccess.pause(self.host, retry_after)
        return super().sleep_for_retry(response)


#: The deadline of the attempt this thread is making, for the pool to arm on its connection.
_current_attempt = threading.local()


class _GatedPoolMixin:
    """Connection pool that passes the fair-access gate before every attempt and arms the
    attempt's deadline on the connection it uses."""

    gate: EdgarClient

    def urlopen(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.gate._before_attempt()
        return super().urlopen(method, url, *args, **kwargs)  # type: ignore[misc]

    def _make_request(self, conn, *args, **kwargs):  # type: ignore[no-untyped-def]
        deadline = getattr(_current_attempt, "deadline", None)
        if deadline is not None:
            deadline.watch(conn)
        return super()._make_request(conn, *args, **kwargs)  # type: ignore[misc]


class _Refused(Exception):
    """An answer that must not be used and that retrying would not change (over the cap,
    a redirect off the origin)."""


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _retries_used(retry: Retry) -> int:
    """Retries made so far (a followed redirect is not a retry)."""
    return sum(1 for entry in retry.history if not entry.redirect_location)


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
        deadline: float | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        """`timeout` bounds each connect and each read; `deadline` (default 4 x timeout)
        bounds one whole attempt, connect to last body byte."""
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
            redirect=MAX_REDIRECTS,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET"}),
            respect_retry_after_header=True,
            retry_after_max=120,
            raise_on_status=False,
        )
        self.deadline = 4 * timeout if deadline is None else deadline
        self.timeout = Timeout(connect=min(10.0, timeout), read=timeout, total=self.deadline)
        self.max_body_bytes = max_body_bytes
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
        that outlast the retries, and answers refused outright (over the size cap, a
        redirect to another origin), raise EdgarError.
        """
        return self._exchange(path, None)[0]

    @contextmanager
    def stream(self, path: str, max_bytes: int, deadline: float) -> Iterator[tuple[Response, BodyStream | None]]:
        """GET a large file (a day's Feed archive) and read its body as a stream, never whole.

        Everything before the body is as `get` (rate gate, retries, same-origin redirects,
        the fair-access block raised); a 200 comes with a BodyStream that enforces
        `max_bytes`, the declared length and a `deadline` in seconds for the whole
        download (each read also bounded by the client's timeout), and raises StreamCut
        (an OSError) when any of them fails. Other statuses come with None and their body.
        """
        response, answer, armed = self._exchange(path, (max_bytes, deadline))
        if answer is None:
            yield response, None
            return
        body = BodyStream(answer, armed, max_bytes, response.url)
        try:
            yield response, body
        finally:
            body.close()

    def _exchange(self, path: str, stream: tuple[int, float] | None
                  ) -> tuple[Response, BaseHTTPResponse | None, Deadline | None]:
        """The retry loop of `get` and `stream`: the final response, and for a streamed 200
        its still-unread answer and the download's armed deadline."""
        url = self.url(path)
        with self._lock:
            self.requests += 1
        retry: Retry = self.retry
        while True:
            try:
                answer, data, armed = self._attempt(url, stream)
            except _Refused as exc:
                raise EdgarError(self._failure(url, retry, exc)) from exc
            except HTTPError as exc:  # FairAccessBlocked from the gate is not one: it propagates
                try:
                    retry = retry.increment("GET", url, error=exc)
                except MaxRetryError:
                    raise EdgarError(self._failure(url, retry, exc)) from exc
                retry.sleep()
                continue
            target = answer.get_redirect_location()
            if target:
                target = urljoin(url, target)
                if _origin(target) != _origin(self.base_url):
                    raise EdgarError(self._failure(url, retry, _Refused(
                        f"HTTP {answer.status} redirect to {target}, off the EDGAR origin {self.base_url}; not followed"
                    )))
                try:
                    retry = retry.increment("GET", url, response=answer)
                except MaxRetryError as exc:
                    raise EdgarError(self._failure(url, retry, exc)) from exc
                url = target
                continue
            if retry.is_retry("GET", answer.status, bool(answer.headers.get("Retry-After"))):
                try:
                    retry = retry.increment("GET", url, response=answer)
                except MaxRetryError:
                    break  # out of retries: the last answer is the result
                retry.sleep(answer)
                continue
            break
        response = Response(url, answer.status, data, _retries_used(retry))
        if response.status == 403 and not is_missing_index_body(response.data):
            message = fair_access_message(url, response.data, self.user_agent)
            fairaccess.record_block(self.host, message)
            raise FairAccessBlocked(message)
        return response, (answer if armed is not None else None), armed

    @staticmethod
    def _failure(url: str, retry: Retry, exc: Exception) -> str:
        used = _retries_used(retry)
        after = f" after {used} {'retry' if used == 1 else 'retries'}" if used else ""
        return f"GET {url} failed{after}: {exc}"

    def _attempt(self, url: str, stream: tuple[int, float] | None = None
                 ) -> tuple[BaseHTTPResponse, bytes, Deadline | None]:
        """One request, its body read under the attempt's deadline and the size caps.

        An attempt the deadline cut (its socket shut down mid-read) is a ReadTimeoutError,
        whatever error the cut surfaced as, so Retry counts it as the timeout it is. With
        `stream` (max bytes, deadline), a framed 200 within the cap is returned unread, its
        connection still watched by the (then returned) deadline.
        """
        deadline = Deadline(stream[1] if stream else self.deadline)
        _current_attempt.deadline = deadline
        timeout = Timeout(connect=self.timeout.connect_timeout, read=self.timeout.read_timeout) if stream else self.timeout
        handed_over = False
        try:
            answer = self._pool.request(
                "GET", url, retries=False, redirect=False, timeout=timeout, preload_content=False
            )
            if stream and answer.status == 200:
                declared = answer.length_remaining
                if declared is None and not answer.chunked:
                    answer.close()
                    answer.release_conn()
                    raise ProtocolError("HTTP 200 without Content-Length or chunked framing")
                if declared is not None and declared > stream[0]:
                    answer.close()
                    answer.release_conn()
                    raise _Refused(f"Content-Length {declared} is over the {stream[0]}-byte cap; not read")
                handed_over = True  # the BodyStream stops the deadline when it is closed
                return answer, b"", deadline
            try:
                data = self._read_body(answer)
            finally:
                deadline.stop()  # before the connection can go back to the pool
                if not answer.isclosed():  # not read to the end: the connection cannot be reused
                    answer.close()
                answer.release_conn()
        except HTTPError as exc:
            if deadline.expired:
                raise self._timed_out(url) from exc
            raise
        finally:
            if not handed_over:
                deadline.stop()
            _current_attempt.deadline = None
        if deadline.expired:
            raise self._timed_out(url)
        return answer, data, None

    def _timed_out(self, url: str) -> ReadTimeoutError:
        return ReadTimeoutError(None, url, f"no complete answer within the {self.deadline:g} s deadline")  # type: ignore[arg-type]

    def _read_body(self, answer: BaseHTTPResponse) -> bytes:
        """The body, decoded: whole and checked for a 200, the first ERROR_BODY_BYTES otherwise."""
        whole = answer.status == 200
        cap = self.max_body_bytes if whole else ERROR_BODY_BYTES
        declared = answer.length_remaining
        if whole and declared is None and not answer.chunked:
            raise ProtocolError("HTTP 200 without Content-Length or chunked framing: a cut body cannot be told from a whole one")
        if whole and declared is not None and declared > cap:
            raise _Refused(f"Content-Length {declared} is over the {cap}-byte cap; not read")
        body = io.BytesIO()
        while chunk := answer.read1(_CHUNK):
            body.write(chunk)
            if body.tell() > cap or answer.tell() > cap:
                if not whole:
                    return body.getvalue()[:cap]
                raise _Refused(
                    f"body over the {cap}-byte cap ({answer.tell()} bytes received, {body.tell()} decoded); not read further"
                )
        data = body.getvalue()
        if whole and not data:
            raise ProtocolError("HTTP 200 with an empty body (no EDGAR file is empty)")
        if whole and declared is not None and answer.tell() != declared:
            raise ProtocolError(f"HTTP 200 body of {answer.tell()} bytes, Content-Length said {declared}")
        return data

    def close(self) -> None:
        self._pool.clear()
