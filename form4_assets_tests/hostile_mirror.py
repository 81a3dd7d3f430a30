"""A mirror planted with names that are not what they seem (issue 14, finding 9).

`plant` adds index lines to a day's master index whose files are symlinks out of the
mirror (to /etc/passwd, to /dev/zero, to a real filing kept outside), a FIFO, a device
node, a file over the size cap, a symlink loop, a folder that is a symlink out, and a
symlink to another filing inside the mirror (the one that may be read); and, in
regular files, a filing with a 25-digit share count, one with a NUL in its SEC header,
and a filing of the day before listed again (findings 7 and 10). `OpenRecorder`
proves what was read: it sees every open() of the process through an audit hook and
keeps the real paths.
"""

from __future__ import annotations

import os
import stat
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from form4_assets.edgar.paths import daily_index_path, filing_path
from form4_assets.parsing import MAX_FILING_BYTES

#: The seed filing's issuer and accession: kept outside the mirror and linked in.
SEED_CIK, SEED_ACCESSION = "1043219", "0001628280-23-037880"


@dataclass(frozen=True)
class Planted:
    """One planted name: its accession, what it is, and what the refusal must say."""

    accession: str
    kind: str
    reason: str  # the quarantine row's REASON_CODE
    says: str  # what its MESSAGE must name
    read: bool = False  # a regular file in the mirror: read, hashed, then quarantined


def _accession(n: int) -> str:
    return f"0009999998-23-{n:06d}"


#: What a plain regular file planted from the seed's bytes changes in them (findings 7).
_SEED_EDITS: dict[str, tuple[bytes, bytes]] = {
    "huge_amount": (b"<value>50000</value>", b"<value>1234567890123456789012345</value>"),
    "nul_in_header": (b"COMPANY CONFORMED NAME:\t\t\tFinkelstein David L",
                      b"COMPANY CONFORMED NAME:\t\t\tFinkel\x00stein David L"),
}


def plant(root: Path, day, outside: Path, seed_bytes: bytes, inside_target: Path,
          relisted: tuple[str, str, object] | None = None) -> list[Planted]:
    """Plant the hostile names in `root` (a mirror with `day`'s master index) and list them.

    `outside` is a directory beside the mirror (it receives the seed filing and a folder
    that a link points to); `inside_target` is a filing in the mirror that one name aliases;
    `relisted` is (CIK, accession, first date) of a filing of an earlier day, listed again
    (a whole run's concern: a source alone cannot know an earlier day).
    """
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "seed.txt").write_bytes(seed_bytes)
    refused = "fetch_failed"
    planted: list[tuple[str, Planted]] = [
        (SEED_CIK, Planted(SEED_ACCESSION, "link_to_filing_outside", refused, "outside")),
        ("1900001", Planted(_accession(1), "link_to_etc_passwd", refused, "outside")),
        ("1900002", Planted(_accession(2), "link_to_dev_zero", refused, "outside")),
        ("1900003", Planted(_accession(3), "fifo", refused, "a FIFO")),
        ("1900004", Planted(_accession(4), "oversize", refused, f"over the {MAX_FILING_BYTES}-byte limit")),
        ("1900005", Planted(_accession(5), "symlink_loop", refused, "refused")),
        ("1900006", Planted(_accession(6), "folder_link_out", refused, "outside")),
        # Read through its in-mirror link: the bytes are another filing's.
        ("1900007", Planted(_accession(7), "alias_inside", "accession_mismatch", "", read=True)),
        ("1900009", Planted(_accession(9), "huge_amount", "out_of_range", "TRANS_SHARES", read=True)),
        ("1900010", Planted(_accession(10), "nul_in_header", "nul_in_text", "COMPANY CONFORMED NAME", read=True)),
    ]
    if relisted is not None:
        cik, accession, first_day = relisted
        planted.append((cik, Planted(accession, "relisted", "duplicate_accession", str(first_day), read=True)))
    if os.geteuid() == 0:  # only root may create device nodes
        planted.append(("1900008", Planted(_accession(8), "device", refused, "a character device")))
    lines = []
    for cik, item in planted:
        accession, kind = item.accession, item.kind
        path = root / filing_path(cik, accession)
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "relisted":
            pass  # the earlier day's file, already in the mirror
        elif kind in _SEED_EDITS:
            old, new = _SEED_EDITS[kind]
            assert old in seed_bytes, old
            path.write_bytes(seed_bytes.replace(SEED_ACCESSION.encode(), accession.encode()).replace(old, new, 1))
        elif kind == "link_to_filing_outside":
            path.symlink_to(outside / "seed.txt")
        elif kind == "link_to_etc_passwd":
            path.symlink_to("/etc/passwd")
        elif kind == "link_to_dev_zero":
            path.symlink_to("/dev/zero")
        elif kind == "fifo":
            os.mkfifo(path)
        elif kind == "oversize":
            with path.open("wb") as handle:
                handle.truncate(MAX_FILING_BYTES + 1)  # sparse: no disk used
        elif kind == "symlink_loop":
            path.symlink_to(path.name)
        elif kind == "folder_link_out":
            target = outside / "folder"
            target.mkdir()
            (target / path.name).write_bytes(seed_bytes.replace(SEED_ACCESSION.encode(), accession.encode()))
            path.parent.rmdir()
            path.parent.symlink_to(target, target_is_directory=True)
        elif kind == "alias_inside":
            path.symlink_to(os.path.relpath(inside_target, path.parent))
        elif kind == "device":
            os.mknod(path, stat.S_IFCHR | 0o644, os.makedev(1, 5))  # what /dev/zero is
        lines.append(f"{cik}|PLANTED {kind.upper()}|4|{day:%Y%m%d}|edgar/data/{cik}/{accession}.txt\n")
    with (root / daily_index_path(day)).open("a") as index:
        index.writelines(lines)
    return [item for _cik, item in planted]


class OpenRecorder:
    """Records the real path of every file this process opens while `active`.

    An audit hook sees each `open` (built-in and os.open) with the name as passed; the
    real path is taken at once, so a read through a symlink shows up as its target.
    Hooks cannot be removed, so one recorder is installed per process and switched on
    and off.
    """

    _instance: OpenRecorder | None = None

    def __init__(self) -> None:
        self.active = False
        self.opened: set[str] = set()
        self._lock = threading.Lock()
        sys.addaudithook(self._hook)

    @classmethod
    def get(cls) -> OpenRecorder:
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def _hook(self, event: str, args: tuple) -> None:
        if not self.active or event != "open" or not isinstance(args[0], (str, bytes, os.PathLike)):
            return
        real = os.path.realpath(os.fsdecode(args[0]))
        with self._lock:
            self.opened.add(real)

    def start(self) -> None:
        with self._lock:
            self.opened.clear()
        self.active = True

    def stop(self) -> set[str]:
        self.active = False
        with self._lock:
            return set(self.opened)


def reads_of(opened: set[str], forbidden: list[Path | str]) -> set[str]:
    """The opened real paths that are one of `forbidden` or lie below one of them."""
    roots = [os.path.realpath(p) for p in forbidden]
    return {p for p in opened if any(p == r or p.startswith(r + os.sep) for r in roots)}
