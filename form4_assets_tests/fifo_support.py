"""A FIFO that records whether anything opened it: the proof that a parse touched no
file outside its input (a FIFO also shows what a hang on a device would be, without
hanging the test)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class Opens:
    """How many times the FIFO was opened for reading while it was watched."""

    def __init__(self) -> None:
        self.count = 0


@contextmanager
def watched_fifo(directory: Path) -> Iterator[tuple[Path, Opens]]:
    """A FIFO in `directory` and a counter of the readers that opened it in the block.

    A writer thread waits in open() until a reader appears, counts it and writes a
    harmless DTD, so an opening parser does not hang, then waits for the next. At the
    end the FIFO is opened once more here to release the waiting writer."""
    fifo = directory / "external.dtd"
    os.mkfifo(fifo)
    opens, closing = Opens(), threading.Event()

    def writer() -> None:
        while True:
            fd = os.open(fifo, os.O_WRONLY)  # blocks until a reader opens the FIFO
            try:
                if closing.is_set():
                    return
                opens.count += 1
                os.write(fd, b"<!ELEMENT ownershipDocument ANY>\n")
            finally:
                os.close(fd)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        yield fifo, opens
    finally:
        closing.set()
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        thread.join(10)
        os.close(fd)
        assert not thread.is_alive(), "the FIFO writer did not finish"
