"""Reading a Form 345 data set: a `.zip` as the SEC publishes it, or a directory of its files.

Each table is a tab-separated file with a header line (SUBMISSION.tsv, REPORTINGOWNER.tsv,
...). A field that holds a double quote is wrapped in double quotes with inner quotes
doubled, which is the csv module's own dialect with a tab delimiter, so a record may span
lines: each record carries the line number it starts on (the header is line 1). Files
are streamed, never read whole, so a quarter's 16 MB zip costs one record of memory.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NamedTuple

#: The data set's eight table files, in the order the SEC's readme lists them.
TABLE_FILES: tuple[str, ...] = (
    "SUBMISSION.tsv",
    "REPORTINGOWNER.tsv",
    "NONDERIV_TRANS.tsv",
    "NONDERIV_HOLDING.tsv",
    "DERIV_TRANS.tsv",
    "DERIV_HOLDING.tsv",
    "FOOTNOTES.tsv",
    "OWNER_SIGNATURE.tsv",
)

#: Bytes that are not UTF-8 decode to lone surrogates (errors="surrogateescape"), so one bad
#: line is rejected with its line number instead of ending the read of the whole file.
_NOT_UTF8 = re.compile("[\udc80-\udcff]")

#: csv.field_size_limit's default (128 KiB) is below the data set's longest REMARKS and
#: footnotes; 16 MiB bounds one field while reading every real one.
MAX_FIELD_CHARS = 16 * 1024 * 1024


class DatasetError(ValueError):
    """A data set that cannot be read at all (not a zip or directory, unreadable header)."""


class Record(NamedTuple):
    """One data line: where it is, and its fields in the header's order (a tuple: a year is
    1.5M records, and a dataclass instance costs several times as much to make)."""

    line: int
    values: list[str]
    nul: bool  # some field holds a NUL (checked on the whole line at once: the fields need not be)

    @property
    def text(self) -> str:
        """The line as read (for a rejected-row report)."""
        return "\t".join(self.values)


@dataclass(frozen=True)
class TableFile:
    """One table file of a data set, as found."""

    dataset: str  # the data set's name: the zip's or directory's stem, e.g. 2024q3_form345
    name: str  # e.g. SUBMISSION.tsv
    header: tuple[str, ...]

    @property
    def source(self) -> str:
        return f"{self.dataset}/{self.name}"


class Dataset:
    """A data set on disk; `tables()` lists the table files present (absent ones are simply missing)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            self._zip: zipfile.ZipFile | None = None
            members = {p.name.upper(): p.name for p in self.path.iterdir() if p.is_file()}
        elif zipfile.is_zipfile(self.path):
            self._zip = zipfile.ZipFile(self.path)
            members = {Path(n).name.upper(): n for n in self._zip.namelist() if not n.endswith("/")}
        else:
            raise DatasetError(f"{self.path}: not a Form 345 data set (expected a .zip or a directory)")
        self.name = self.path.name.removesuffix(".zip")
        self._members = {name: members[name.upper()] for name in TABLE_FILES if name.upper() in members}

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> Dataset:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def fingerprint(self) -> str:
        """SHA-256 over the table files' names, sizes and checksums (a zip's own CRC-32s, which
        the read verifies; a directory's files hashed): equal for the same files."""
        digest = hashlib.sha256()
        for name in self.table_names:
            member = self._members[name]
            if self._zip is None:
                with (self.path / member).open("rb") as f:
                    checksum = hashlib.file_digest(f, "sha256").hexdigest()
            else:
                info = self._zip.getinfo(member)
                checksum = f"{info.file_size}:{info.CRC:08x}"
            digest.update(f"{name}\t{checksum}\n".encode())
        return digest.hexdigest()

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(name for name in TABLE_FILES if name in self._members)

    @contextmanager
    def _open(self, name: str) -> Iterator[IO[str]]:
        member = self._members[name]
        if self._zip is None:
            with (self.path / member).open(encoding="utf-8", errors="surrogateescape", newline="") as f:
                yield f
        else:
            with self._zip.open(member) as raw:
                yield io.TextIOWrapper(raw, encoding="utf-8", errors="surrogateescape", newline="")

    def records(self, name: str) -> Iterator[tuple[TableFile, Iterator[Record | tuple[int, str, str]]]]:
        """Yields once: the table file and an iterator of its records.

        A record whose field count differs from the header's comes out as
        ``(line, reason_message, text)`` so the caller can reject it with its line.
        """
        with self._open(name) as stream:
            yield from _read(self.name, name, stream)


def _read(dataset: str, name: str, stream: IO[str]) -> Iterator[tuple[TableFile, Iterator[Record | tuple[int, str, str]]]]:
    csv.field_size_limit(MAX_FIELD_CHARS)
    reader = csv.reader(stream, delimiter="\t", quotechar='"', doublequote=True, strict=False)
    try:
        header = tuple(next(reader))
    except StopIteration:
        raise DatasetError(f"{dataset}/{name}: empty file, no header line") from None
    except csv.Error as exc:
        raise DatasetError(f"{dataset}/{name}: unreadable header line: {exc}") from None
    if len(set(header)) != len(header):
        raise DatasetError(f"{dataset}/{name}: the header names a column twice: {header}")
    table = TableFile(dataset, name, header)
    width = len(header)

    def rows() -> Iterator[Record | tuple[int, str, str]]:
        start = reader.line_num + 1
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield (start, f"unreadable line: {exc}", "")
                start = reader.line_num + 1
                continue
            text = "\t".join(values)
            if not text.isascii() and _NOT_UTF8.search(text):
                yield (start, "bytes that are not UTF-8", text.encode("utf-8", "surrogateescape").decode("latin-1"))
            elif len(values) != width:
                yield (start, f"{len(values)} fields where the header has {width}", text)
            else:
                yield Record(start, values, "\x00" in text)
            start = reader.line_num + 1

    yield table, rows()
