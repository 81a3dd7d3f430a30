"""Errors raised by the EDGAR source layer.

They are separate classes because callers must treat them differently: a fair-access
block stops the whole run (retrying only extends the block), a missing User-Agent is a
configuration mistake caught before any request, an invalid index line is reported and
skipped, and anything else is an ordinary failure of one request or one file.
"""

from __future__ import annotations


class EdgarError(Exception):
    """A request to EDGAR (or a read from a mirror) failed in a way retries did not fix."""


class MissingUserAgent(EdgarError, ValueError):
    """Live access was configured without a User-Agent that names a person and an e-mail."""


class FairAccessBlocked(EdgarError):
    """EDGAR answered with its fair-access block page; the run must stop, not retry."""


class InvalidIdentifier(EdgarError, ValueError):
    """A CIK, accession number or index file name does not have EDGAR's format."""


class IndexFormatError(EdgarError, ValueError):
    """A daily index file does not have the layout EDGAR publishes."""


class InvalidIndexEntry(EdgarError, ValueError):
    """One line of a daily index names a CIK, accession or path that is not safe to use.

    The message names the index file, the 1-based line number and the reason, so the
    entry can be reported instead of silently dropped or, worse, turned into a path.
    """

    def __init__(self, source: str, line_no: int, reason: str, text: str) -> None:
        self.source = source
        self.line_no = line_no
        self.reason = reason
        self.text = text
        super().__init__(f"{source}, line {line_no}: {reason}: {text!r}")
