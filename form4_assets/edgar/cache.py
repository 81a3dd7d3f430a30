"""On-disk cache of EDGAR files, laid out under the files' EDGAR paths.

Each file is written atomically (a temporary file in the same directory, then
`os.replace`) and accompanied by `<file>.sha256` in `sha256sum` format, so an interrupted
run never leaves a half-written file that a later run would trust: a file without a
matching checksum is treated as absent and fetched again. Because the layout is EDGAR's,
a cache directory is also a valid offline mirror for MirrorSource. Like a mirror it is
read only through edgar/safe_read.py (regular files inside it, up to MAX_FILING_BYTES),
and an empty file is never trusted: no EDGAR file is empty, so it is fetched again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from form4_assets.edgar.safe_read import UnsafeFile, read_inside
from form4_assets.parsing import MAX_FILING_BYTES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CachedFile:
    path: Path
    data: bytes
    sha256: str


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class FileCache:
    """Files stored as `root/<EDGAR path>` with a verified SHA-256 beside each."""

    def __init__(self, root: Path | str) -> None:
        # Resolved once, so a file's recorded path is the same whether it was just written
        # or read back (reads report the real path of what they opened).
        self.root = Path(root).resolve()

    def path_for(self, edgar_path: str) -> Path:
        """Where an EDGAR path (built by form4_assets.edgar.paths, never raw input) is kept."""
        path = self.root / edgar_path
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise ValueError(f"EDGAR path {edgar_path!r} leaves the cache directory")
        return path

    @staticmethod
    def _checksum_path(path: Path) -> Path:
        return path.with_name(path.name + ".sha256")

    def read(self, edgar_path: str) -> CachedFile | None:
        """The cached file if present and intact; None means fetch it (again)."""
        path = self.path_for(edgar_path)
        try:
            real, data = read_inside(self.root, path, MAX_FILING_BYTES)
            recorded = read_inside(self.root, self._checksum_path(path), 4096)[1].decode("ascii", "replace").split()
        except FileNotFoundError:
            return None
        except UnsafeFile as exc:
            log.warning("cached %s is unusable (%s); fetching it again", path, exc)
            return None
        if not data:
            log.warning("cached %s is empty; fetching it again", path)
            return None
        digest = hashlib.sha256(data).hexdigest()
        if not recorded or recorded[0] != digest:
            log.warning("cached %s does not match its recorded SHA-256; fetching it again", path)
            return None
        return CachedFile(real, data, digest)

    def write(self, edgar_path: str, data: bytes) -> CachedFile:
        path = self.path_for(edgar_path)
        digest = hashlib.sha256(data).hexdigest()
        atomic_write(path, data)
        atomic_write(self._checksum_path(path), f"{digest}  {path.name}\n".encode())
        return CachedFile(path, data, digest)
