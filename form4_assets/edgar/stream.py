"""A streamed HTTP body that keeps the client's promises while it is read.

The Feed archive of a day is hundreds of megabytes, so it is read as it arrives (by
`tarfile` in stream mode) instead of being held whole like other answers. The limits a
whole answer is checked against still hold, piece by piece: decoded and received bytes
under a cap, the body exactly as long as declared, the whole download within its
deadline. Any failure is a StreamCut, an OSError, which is what a reader of a file-like
object expects; what was read before it stays valid.
"""

from __future__ import annotations

import io

from urllib3 import BaseHTTPResponse
from urllib3.exceptions import HTTPError

from form4_assets.edgar.deadline import Deadline


class StreamCut(OSError):
    """A streamed body that broke off, overran its cap or its deadline, or ended short."""


class BodyStream(io.RawIOBase):
    """The decoded body of a 200 answer, readable once, front to back."""

    def __init__(self, answer: BaseHTTPResponse, deadline: Deadline, max_bytes: int, url: str) -> None:
        super().__init__()
        self.answer, self.deadline, self.max_bytes, self.url = answer, deadline, max_bytes, url
        self.declared = answer.length_remaining
        self.decoded = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def, override]
        try:
            chunk = self.answer.read1(len(buffer))
        except (HTTPError, OSError) as exc:
            raise self._cut(f"the body broke off after {self.answer.tell()} bytes: {exc}") from exc
        if self.deadline.expired:
            raise self._cut(f"not complete within the {self.deadline.seconds:g} s deadline")
        self.decoded += len(chunk)
        if self.decoded > self.max_bytes or self.answer.tell() > self.max_bytes:
            raise self._cut(f"over the {self.max_bytes}-byte cap; not read further")
        if not chunk and self.declared is not None and self.answer.tell() != self.declared:
            raise self._cut(f"{self.answer.tell()} bytes where Content-Length said {self.declared}")
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def _cut(self, why: str) -> StreamCut:
        return StreamCut(f"GET {self.url}: {why}")

    def close(self) -> None:
        if not self.closed:
            self.deadline.stop()
            if not self.answer.isclosed():  # not read to the end: the connection cannot be reused
                self.answer.close()
            self.answer.release_conn()
        super().close()
