"""A loopback stand-in for EDGAR: a real HTTP server on 127.0.0.1 serving a mirror directory.

Tests and `benchmarks/fetch.py` point the live client at it to exercise real sockets,
keep-alive, retries and rate limiting without sending a single packet to sec.gov. The
server adds latency, injects faults (testing/faults.py: EDGAR's own, such as 429 with
Retry-After, and a hostile server's, such as a redirect elsewhere or a gzip bomb) and
records every request it receives, stamped (on Linux) with the kernel's receive time,
so the client's behaviour is measured where it matters: at the server, as a packet
arrives.

`write_mirror` and `generated_filings` build the small mirrors these runs serve.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import random
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from form4_assets.edgar import fairaccess
from form4_assets.edgar.paths import daily_index_path, filing_path, legacy_filing_path
from form4_assets.testing.faults import Fault, gzip_of_zeros  # Fault is also imported from here

#: The page EDGAR serves (with HTTP 403) to clients it blocks under its fair-access policy.
FAIR_ACCESS_PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><title>SEC.gov | Request Rate Threshold Exceeded</title></head>
<body><h1>Your Request Originates from an Undeclared Automated Tool</h1>
<p>To allow for equitable access to all users, SEC reserves the right to limit requests
originating from undeclared automated tools. Your request has been identified as part of
a network of automated tools outside of the acceptable policy and will be managed until
action is taken to declare your traffic.</p>
<p>Please declare your traffic by updating your user agent to include company specific
information.</p>
<p>For best practices on efficiently downloading information from SEC.gov, including the
latest EDGAR filings, visit sec.gov/developer.</p></body></html>
"""

#: The S3-style body EDGAR serves (with HTTP 403) for a file that does not exist.
ACCESS_DENIED_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>LOOPBACK</RequestId></Error>
"""


@dataclass(frozen=True)
class RequestRecord:
    """One request as the server saw it: arrival (on the time.monotonic scale), path, answer.

    `status` is None when the connection was dropped without an answer.
    """

    time: float
    path: str
    status: int | None
    user_agent: str | None
    fault: str | None


@dataclass
class _Rule:
    fault: Fault
    pattern: str | None
    request_numbers: frozenset[int] | None
    remaining: int | None

    def matches(self, number: int, path: str) -> bool:
        if self.remaining == 0:
            return False
        if self.request_numbers is not None and number not in self.request_numbers:
            return False
        return self.pattern is None or fnmatch.fnmatchcase(path, self.pattern)


def max_requests_in_window(times: Iterable[float], window: float = 1.0) -> int:
    """The most request starts that fall in any half-open interval [t, t + window)."""
    ordered = sorted(times)
    best, first = 0, 0
    for last, t in enumerate(ordered):
        while t - ordered[first] >= window:
            first += 1
        best = max(best, last - first + 1)
    return best


class LoopbackEdgar:
    """EDGAR stand-in serving `root` (URL path = path below root) on 127.0.0.1.

    Use as a context manager; `base_url` is what the client is pointed at. `latency` is a
    fixed delay or a (low, high) range in seconds added to every answer. `missing_status`
    chooses how absent files are answered: 404, or EDGAR's S3-style 403 AccessDenied XML.
    """

    def __init__(
        self,
        root: Path | str,
        latency: float | tuple[float, float] = 0.0,
        missing_status: int = 404,
        seed: int = 0,
    ) -> None:
        if missing_status not in (403, 404):
            raise ValueError("missing_status must be 404 or 403 (S3 AccessDenied)")
        self.root = Path(root).resolve()
        self.latency = latency
        self.missing_status = missing_status
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._log: list[RequestRecord] = []
        self._count = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- configuration -------------------------------------------------------------------
    def inject(
        self,
        fault: Fault,
        *,
        path: str | None = None,
        times: int | None = 1,
        requests: Iterable[int] | None = None,
    ) -> None:
        """Answer with `fault` instead of the file for requests whose URL path matches the
        glob `path` and/or whose 1-based arrival number is in `requests`, at most `times`
        times (None: always). Rules are tried in the order they were added."""
        numbers = frozenset(requests) if requests is not None else None
        with self._lock:
            self._rules.append(_Rule(fault, path, numbers, times))

    # -- observation ---------------------------------------------------------------------
    @property
    def log(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._log)

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the loopback server is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- life cycle ----------------------------------------------------------------------
    def start(self) -> LoopbackEdgar:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.edgar = self  # type: ignore[attr-defined]
        server.handle_error = lambda request, address: None  # clients hanging up are expected
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="loopback-edgar", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            host = self.base_url.removeprefix("http://")
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = None
            # A later server may get this port: it must not inherit a block this one imposed.
            fairaccess.forget_host(host)

    def __enter__(self) -> LoopbackEdgar:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- used by the handler -------------------------------------------------------------
    def _arrive(self, path: str) -> Fault | None:
        with self._lock:
            self._count += 1
            for rule in self._rules:
                if rule.matches(self._count, path):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    return rule.fault
        return None

    def _record(self, arrived: float, path: str, status: int | None, user_agent: str | None, fault: Fault | None):
        with self._lock:
            self._log.append(RequestRecord(arrived, path, status, user_agent, fault.kind if fault else None))

    def _delay(self) -> float:
        if isinstance(self.latency, tuple):
            with self._lock:
                return self._random.uniform(*self.latency)
        return self.latency

    def _resolve(self, url_path: str) -> Path | None:
        """The file below root for a URL path, or None if the path tries to leave root."""
        rel = unquote(url_path).lstrip("/")
        parts = rel.split("/")
        if "\\" in rel or "\0" in rel or any(p in ("..", ".") for p in parts):
            return None
        candidate = (self.root / rel).resolve()
        return candidate if candidate.is_relative_to(self.root) else None


#: Linux's SO_TIMESTAMPNS (not exported by the socket module): the kernel stamps each
#: received packet, so the log shows when a request reached the server, not when a
#: handler thread got round to it (which, with the client's threads in the same process,
#: can be tens of milliseconds later and would blur the rate measurements).
_SO_TIMESTAMPNS = 35


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as EDGAR: the client must pool connections

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        """Requests are recorded in LoopbackEdgar.log, not printed."""

    def setup(self) -> None:
        super().setup()
        self._kernel_stamps = False
        if sys.platform == "linux":
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
                self._kernel_stamps = True
            except OSError:
                pass

    def handle_one_request(self) -> None:
        self._arrived = self._kernel_arrival() if self._kernel_stamps else None
        super().handle_one_request()

    def _kernel_arrival(self) -> float | None:
        """Arrival (time.monotonic scale) of the next request's first byte, peeked without
        consuming it; None if the client closed. Assumes no pipelining (urllib3 never does)."""
        try:
            data, ancillary, _, _ = self.connection.recvmsg(1, socket.CMSG_SPACE(16), socket.MSG_PEEK)
        except OSError:
            return None
        for level, kind, payload in ancillary:
            if data and level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS and len(payload) >= 16:
                seconds, nanoseconds = struct.unpack("qq", payload[:16])
                return seconds + nanoseconds / 1e9 - (time.time() - time.monotonic())
        return None

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        arrived = self._arrived if self._arrived is not None else time.monotonic()
        edgar: LoopbackEdgar = self.server.edgar  # type: ignore[attr-defined]
        path = urlsplit(self.path).path
        fault = edgar._arrive(path)
        status, body, content_type, headers = self._decide(edgar, path, fault)
        # Recorded before the latency so the log holds arrival order even for slow answers.
        edgar._record(arrived, path, status, self.headers.get("User-Agent"), fault)
        time.sleep(edgar._delay() + (fault.delay if fault and fault.kind == "slow" else 0.0))
        try:
            if status is None:  # dropped connection: close without a word
                self.close_connection = True
                return
            self._answer(status, body, content_type, headers, fault.kind if fault else None, fault)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. read timeout on a slow answer)

    def _answer(self, status: int, body: bytes, content_type: str, headers: dict, kind: str | None,
                fault: Fault | None) -> None:
        if kind == "cut_headers":
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            self.close_connection = True
            return
        if kind == "gzip_bomb":
            body, headers = gzip_of_zeros(fault.size), {**headers, "Content-Encoding": "gzip"}
        if kind == "trickle_headers":
            head = f"HTTP/1.1 {status} OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
            body, kind = head.encode() + body, "trickle"
        else:
            self._send_head(status, body, content_type, headers, kind, fault)
        if kind in ("truncate", "huge_length"):
            self.wfile.write(body[: len(body) // 2] if kind == "truncate" else body)
            self.close_connection = True
        elif kind == "endless":
            block = b"x" * 65536
            for start in range(0, fault.size, len(block)):
                part = block[: min(len(block), fault.size - start)]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        elif kind == "trickle":
            for i in range(len(body)):
                self.wfile.write(body[i : i + 1])
                time.sleep(fault.delay)
        else:
            self.wfile.write(body)

    def _send_head(self, status: int, body: bytes, content_type: str, headers: dict, kind: str | None,
                   fault: Fault | None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if kind == "endless":
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(fault.size if kind == "huge_length" else len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    @staticmethod
    def _decide(edgar: LoopbackEdgar, path: str, fault: Fault | None) -> tuple[int | None, bytes, str, dict]:
        """(status, body, content type, extra headers) of the answer; status None = drop."""
        if fault is not None and fault.kind == "drop":
            return None, b"", "", {}
        if fault is not None and fault.kind == "status":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            return fault.status, f"<html><body>HTTP {fault.status}</body></html>\n".encode(), "text/html", headers
        if fault is not None and fault.kind == "fair_access":
            return 403, FAIR_ACCESS_PAGE, "text/html", {}
        if fault is not None and fault.kind == "redirect":
            return fault.status, b"", "text/html", {"Location": fault.location}
        target = edgar._resolve(path)
        if target is None:
            return 400, b"path outside the mirror\n", "text/plain", {}
        if not target.is_file():
            if edgar.missing_status == 403:
                return 403, ACCESS_DENIED_XML, "application/xml", {}
            return 404, b"not found\n", "text/plain", {}
        return 200, target.read_bytes(), "text/plain", {}


# -- small mirrors for the server to serve -------------------------------------------------


@dataclass(frozen=True)
class MirrorFiling:
    """A submission to place in a test mirror. `legacy_layout` stores it only at the
    index's own path (`edgar/data/<cik>/<accession>.txt`), as EDGAR does for old filings."""

    cik: str
    accession: str
    data: bytes
    form_type: str = "4"
    company_name: str = "LOOPBACK TEST FILER"
    legacy_layout: bool = False


def write_mirror(
    root: Path, day: dt.date, filings: Sequence[MirrorFiling], extra_index_lines: Sequence[str] = ()
) -> Path:
    """Write filings and the day's master index (plus any raw extra lines) under root."""
    lines = [
        "Description:           Daily Index of EDGAR Dissemination Feed",
        f"Last Data Received:    {day:%b} {day.day:2d}, {day:%Y}",
        "Comments:              webmaster@sec.gov",
        "Anonymous FTP:         ftp://ftp.sec.gov/edgar/",
        " ",
        "CIK|Company Name|Form Type|Date Filed|File Name",
        "-" * 80,
    ]
    for f in filings:
        rel = legacy_filing_path(f.cik, f.accession) if f.legacy_layout else filing_path(f.cik, f.accession)
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f.data)
        lines.append(f"{f.cik}|{f.company_name}|{f.form_type}|{day:%Y%m%d}|edgar/data/{f.cik}/{f.accession}.txt")
    lines.extend(extra_index_lines)
    index = root / daily_index_path(day)
    index.parent.mkdir(parents=True, exist_ok=True)
    index.write_text("\n".join(lines) + "\n")
    return index


def generated_filings(day: dt.date, count: int, size: int = 6000, first: int = 1) -> list[MirrorFiling]:
    """`count` distinct, deterministic text submissions of about `size` bytes each."""
    filings = []
    for number in range(first, first + count):
        accession = f"0009999999-{day:%y}-{number:06d}"
        cik = str(1_900_000 + number % 397)
        head = (
            f"<SEC-DOCUMENT>{accession}.txt : {day:%Y%m%d}\nACCESSION NUMBER:\t\t{accession}\n"
            f"CONFORMED SUBMISSION TYPE:\t4\nFILED AS OF DATE:\t\t{day:%Y%m%d}\n"
        )
        filler = "".join(f"loopback filler line {i} of {accession}\n" for i in range(size // 40))
        filings.append(MirrorFiling(cik, accession, (head + filler).encode(), company_name=f"LOOPBACK FILER {cik}"))
    return filings
