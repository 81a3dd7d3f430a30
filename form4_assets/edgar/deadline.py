"""A hard deadline for one HTTP attempt: connect, headers and body together.

urllib3's Timeout bounds each socket operation (and, with `total`, the connect plus
the first read), not the whole exchange: a server that sends one byte a second, each
within the read timeout, keeps a request alive for as long as it likes, in the headers
or in the body. A Deadline is armed on the attempt's connection when urllib3 starts the
request; when it expires it shuts the socket down, so whatever read is blocked returns
at once and the attempt fails (the client reports it as a read timeout).
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

#: How often an expired deadline looks again for a socket still being connected (the
#: connect itself is bounded by urllib3's connect timeout).
_CONNECT_POLL_SECONDS = 0.05


class Deadline:
    """Cuts the watched connection's socket `seconds` after it was created, until stopped."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expires = time.monotonic() + seconds
        self.expired = False
        self._conn: Any = None
        self._stopped = False
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def watch(self, conn: Any) -> None:
        """Cut `conn` (an http.client-style connection, `.sock` once connected) at expiry."""
        with self._lock:
            if self._stopped:
                return
            self._conn = conn
            if self._timer is None:
                self._schedule(max(0.0, self.expires - time.monotonic()))

    def _schedule(self, delay: float) -> None:
        self._timer = threading.Timer(delay, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def _expire(self) -> None:
        with self._lock:
            if self._stopped or self._conn is None:
                return
            self.expired = True
            sock = getattr(self._conn, "sock", None)
            if sock is None:  # still connecting: cut it as soon as it is connected
                self._schedule(_CONNECT_POLL_SECONDS)
                return
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed

    def stop(self) -> None:
        """Disarm: the connection may go back to the pool and must not be cut later."""
        with self._lock:
            self._stopped = True
            self._conn = None
            if self._timer is not None:
                self._timer.cancel()
