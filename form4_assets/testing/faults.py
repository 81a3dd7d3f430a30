"""The misbehaviours the loopback EDGAR can inject, EDGAR's own and a hostile server's.

EDGAR's: 429 with Retry-After, 5xx, the fair-access 403 page, S3 AccessDenied 403s,
404s, dropped connections, truncated bodies, slow answers. A hostile (or broken)
server's, from issue 14: a redirect to another host, a huge Content-Length, an endless
or gzip-bomb body, bytes trickled one at a time, headers cut after the status line and a
Retry-After that is not a time.
"""

from __future__ import annotations

import functools
import gzip
from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    """One misbehaviour the server can inject in place of a normal answer."""

    kind: str
    status: int | None = None
    retry_after: str | None = None
    delay: float = 0.0
    location: str | None = None
    size: int = 0

    @classmethod
    def too_many_requests(cls, retry_after: int | str = 1) -> Fault:
        """429 with Retry-After: seconds, or any text (`soon`) a broken server might send."""
        return cls("status", 429, retry_after=retry_after if isinstance(retry_after, str) else str(int(retry_after)))

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        return cls("status", status)

    @classmethod
    def not_found(cls) -> Fault:
        return cls("status", 404)

    @classmethod
    def fair_access_block(cls) -> Fault:
        return cls("fair_access", 403)

    @classmethod
    def drop_connection(cls) -> Fault:
        return cls("drop")

    @classmethod
    def truncated_body(cls) -> Fault:
        return cls("truncate", 200)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        return cls("slow", 200, delay=seconds)

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Fault:
        return cls("redirect", status, location=location)

    @classmethod
    def huge_content_length(cls, length: int) -> Fault:
        """Announce `length` bytes, send the file, hang up."""
        return cls("huge_length", 200, size=length)

    @classmethod
    def endless_body(cls, size: int) -> Fault:
        """A complete chunked body of `size` filler bytes (no Content-Length to refuse)."""
        return cls("endless", 200, size=size)

    @classmethod
    def gzip_bomb(cls, decoded_size: int) -> Fault:
        """Content-Encoding gzip: a small body that decodes to `decoded_size` zero bytes."""
        return cls("gzip_bomb", 200, size=decoded_size)

    @classmethod
    def trickle(cls, seconds_per_byte: float, headers: bool = False) -> Fault:
        """The file (with `headers`: the headers too), one byte at a time, each within
        any sane read timeout."""
        return cls("trickle_headers" if headers else "trickle", 200, delay=seconds_per_byte)

    @classmethod
    def cut_headers(cls) -> Fault:
        """The status line `HTTP/1.1 200 OK`, then the connection closes."""
        return cls("cut_headers", 200)



@functools.lru_cache(maxsize=4)
def gzip_of_zeros(size: int) -> bytes:
    """A gzip body that decodes to `size` zero bytes: one gzip member per MiB, which is
    valid gzip (members concatenate) and about 1 KB each, so 512 MiB take 0.5 MB."""
    mib = 1 << 20
    tail = gzip.compress(bytes(size % mib), 9) if size % mib else b""
    return gzip.compress(bytes(mib), 9) * (size // mib) + tail
