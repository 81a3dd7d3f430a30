"""Reading files from a directory we do not control: a mirror, or a cache someone else filled.

A mirror is somebody's directory tree, so a name in it may be a symlink to `/etc/passwd`
or to a filing elsewhere, a FIFO that blocks the reader forever, or a device such as
`/dev/zero` that never ends. Only regular files whose real path lies inside the
directory are read, opened without following a final symlink and without blocking
(`O_NOFOLLOW | O_NONBLOCK`), checked with `fstat` to be regular files, and read up to a
size cap, so no such name can make a run read outside the mirror, hang or run out of memory.
"""

from __future__ import annotations

import functools
import os
import stat
from pathlib import Path
from typing import BinaryIO

from form4_assets.edgar.errors import EdgarError

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_READ_CHUNK = 1 << 20
_KINDS = {
    stat.S_ISDIR: "a directory",
    stat.S_ISFIFO: "a FIFO",
    stat.S_ISCHR: "a character device",
    stat.S_ISBLK: "a block device",
    stat.S_ISSOCK: "a socket",
}


class UnsafeFile(EdgarError):
    """A name in a mirror or cache that is not a regular file inside it, or is over the cap."""


def real_path_inside(root: Path, path: str | Path) -> Path:
    """`path` with every symlink resolved, if that lies inside `root`'s real path.

    Raises FileNotFoundError if it does not exist and UnsafeFile if it leads outside.
    """
    plain = _plain_path_inside(root, path)
    if plain is not None:
        return plain
    path = Path(path)
    try:
        real = path.resolve()
    except RuntimeError as exc:  # a symlink loop
        raise UnsafeFile(f"refused {path}: {exc}") from exc
    # A resolved path literally under an absolute `root` proves root's own components real
    # directories (they are a prefix of it), so root need not be resolved again for every
    # file of a mirror: that second walk cost more than the file's own.
    if root.is_absolute() and real.is_relative_to(root):
        return real
    if not real.is_relative_to(root.resolve()):
        raise UnsafeFile(f"refused {path}: it leads to {real}, outside {root}")
    return real


@functools.lru_cache(maxsize=64)
def _real_root(root: str) -> str:
    """The real path of a mirror or cache root, resolved once per process (a run reads
    thousands of files under one root)."""
    return os.path.realpath(root)


def _plain_path_inside(root: Path, path: str | Path) -> Path | None:
    """The real path of `path` when it is an absolute `root` followed by plain names ('.',
    '..' and empty names excepted) none of which is a symlink, so that nothing needs
    resolving: it is the real root followed by the same names. None otherwise (a link, a
    name that does not exist, ...), for `real_path_inside` to resolve. One lstat per name
    below the root instead of resolving every component of the whole path, which cost
    more than reading the file."""
    base, full = os.fspath(root).rstrip(os.sep), os.fspath(path)
    if not (os.path.isabs(base) and full.startswith(base + os.sep)):
        return None
    names = full[len(base) + 1 :].split(os.sep)
    current = base
    for name in names:
        if name in ("", ".", ".."):
            return None
        current = f"{current}{os.sep}{name}"
        try:
            if stat.S_ISLNK(os.lstat(current).st_mode):
                return None
        except OSError:
            return None
    return Path(_real_root(base) + os.sep + os.sep.join(names))


def open_regular_file(path: str | Path) -> BinaryIO:
    """`path` opened for reading if it is a regular file (not a symlink, FIFO or device).

    Raises FileNotFoundError if absent, UnsafeFile for a symlink or a non-regular file,
    OSError for other failures. Opening never blocks (a FIFO is refused, not waited on).
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        if os.path.islink(path):
            raise UnsafeFile(f"refused {path}: a symlink (to {os.readlink(path)})") from exc
        raise
    handle = os.fdopen(fd, "rb", buffering=0)
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        handle.close()
        kind = next((name for test, name in _KINDS.items() if test(info.st_mode)), "not a regular file")
        raise UnsafeFile(f"refused {path}: {kind}, not a regular file")
    return handle


def read_regular_file(path: str | Path, max_bytes: int) -> bytes:
    """The bytes of `path` if it is a regular file (not a symlink) of at most `max_bytes`.
    (A str path is taken as it is: making a Path of it cost more than the read of a small file.)

    Raises FileNotFoundError if absent, UnsafeFile for a symlink, a non-regular file or
    one over the cap, OSError for other read failures. Nothing is read beyond the cap.
    """
    with open_regular_file(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > max_bytes:
            raise UnsafeFile(f"refused {path}: {size} bytes, over the {max_bytes}-byte limit")
        chunks, total = [], 0
        while chunk := handle.read(min(_READ_CHUNK, max_bytes + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise UnsafeFile(f"refused {path}: grew past the {max_bytes}-byte limit while being read")
        return b"".join(chunks)


def read_inside(root: Path, path: str | Path, max_bytes: int) -> tuple[Path, bytes]:
    """(real path, bytes) of `path`, a regular file whose real path is inside `root`."""
    real = real_path_inside(root, path)
    return real, read_regular_file(real, max_bytes)
