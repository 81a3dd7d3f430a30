"""The synthetic mirror's daily Feed archives (`Archives/edgar/Feed/YYYY/QTRn/YYYYMMDD.nc.tar.gz`).

EDGAR's Feed archive of a day holds every submission disseminated that day as
`<accession>.nc`; ownership filings are a few percent of its bytes. The synthetic archive
holds the day's ownership filings, byte for byte as the mirror serves them (so Feed mode
parses exactly what per-filing mode parses), among filler submissions of the other forms
the day's index lists (424B2, 8-K, ...: the same accessions), each an SGML envelope around
an uuencode-like body of pseudo-random bytes, as exhibits and PDFs are in real ones. The
filler makes the ownership filings `share` of the archive's member bytes (3% by default)
and, for the benchmark, grows until the archive file is at least `min_bytes` long.

The filler comes from its own `random.Random` seeded by the mirror's seed and the day, so
archives are deterministic and writing them leaves the filings' random stream untouched.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import io
import random
import tarfile
from collections.abc import Sequence
from pathlib import Path

from form4_assets.edgar.feed import feed_path

#: Ownership filings' share of a real archive's member bytes.
DEFAULT_SHARE = 0.03
#: One filler submission's body at most (real exhibits run from kilobytes to megabytes).
_MAX_FILLER = 4 * 1024 * 1024
#: Members and the gzip header are stamped with the day's noon (UTC), not the clock, so archives
#: are deterministic.
_NOON = dt.time(12)


def _member(tar: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(mtime), 0o644
    tar.addfile(info, io.BytesIO(data))


def _filler(rng: random.Random, accession: str, form: str, day: dt.date, size: int) -> bytes:
    raw = rng.randbytes(max(1, size * 3 // 4))
    lines = base64.encodebytes(raw)  # 76-character lines, like an uuencoded exhibit
    head = (f"<SUBMISSION>\n<ACCESSION-NUMBER>{accession}\n<TYPE>{form}\n<PUBLIC-DOCUMENT-COUNT>1\n"
            f"<FILING-DATE>{day:%Y%m%d}\n<DOCUMENT>\n<TYPE>EX-99\n<SEQUENCE>1\n<FILENAME>exhibit.pdf\n<TEXT>\n"
            "begin 644 exhibit.pdf\n").encode("ascii")
    return head + lines + b"end\n</TEXT>\n</DOCUMENT>\n</SUBMISSION>\n"


def write_feed_archive(root: Path, day: dt.date, filings: Sequence[tuple[str, bytes]],
                       others: Sequence[tuple[str, str]], seed: int, share: float = DEFAULT_SHARE,
                       min_bytes: int = 0) -> Path:
    """Write the day's archive: `filings` ((accession, bytes) as served) among filler
    submissions for `others` ((accession, form type) of the day's other index lines)."""
    if not 0 < share <= 1:
        raise ValueError(f"the ownership filings' share of a Feed archive must be in (0, 1], got {share!r}")
    rng = random.Random(f"feed-{seed}-{day.isoformat()}")
    path = root / feed_path(day)
    path.parent.mkdir(parents=True, exist_ok=True)
    ownership = sum(len(data) for _, data in filings)
    filler_total = int(ownership / share) - ownership
    per_other = filler_total // len(others) if others else 0
    stamp = dt.datetime.combine(day, _NOON, tzinfo=dt.timezone.utc).timestamp()
    with (path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=int(stamp)) as packed,
          tarfile.open(fileobj=packed, mode="w") as tar):
        queue = list(filings)
        for n, (accession, form) in enumerate(others):
            size = max(512, min(_MAX_FILLER, int(per_other * rng.uniform(0.5, 1.5))))
            _member(tar, f"{accession}.nc", _filler(rng, accession, form, day, size), stamp)
            # Ownership filings are spread among the others, as dissemination interleaves them.
            while queue and len(queue) * len(others) > (len(others) - n - 1) * len(filings):
                _member(tar, f"{queue[0][0]}.nc", queue.pop(0)[1], stamp)
        for accession, data in queue:
            _member(tar, f"{accession}.nc", data, stamp)
        number = 0
        while raw.tell() < min_bytes:
            number += 1
            accession = f"9999999999-{day:%y}-{number:06d}"
            _member(tar, f"{accession}.nc", _filler(rng, accession, "424B2", day, _MAX_FILLER), stamp)
    return path
