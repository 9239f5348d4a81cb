"""One writer per library folder at a time, across processes: an exclusive flock on a file."""

import fcntl
import logging
import os
import threading
from pathlib import Path

log = logging.getLogger(__name__)

LOCK_NAME = "write.lock"
POLL_S = 0.25  # how often a waiting writer checks for cancel while the lock is held elsewhere
WAITING = "another Glassbox process is adding to this library; waiting for it to finish…"


class LibraryBusyError(Exception):
    """Raised by acquire(blocking=False) when another writer holds the lock."""


class WriteLock:
    """An exclusive advisory lock on LIBRARY/write.lock, held while documents change.

    flock locks belong to an open file, so two Library objects in one process exclude each
    other too, and the kernel drops the lock when a holder dies (no stale lock files).
    """

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / LOCK_NAME
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        """Take the lock if it is free; False when another writer holds it."""
        self._open()
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def wait(self, cancel: threading.Event) -> bool:
        """Block until the lock is ours (True) or cancel is set (False)."""
        while not self.try_acquire():
            if cancel.wait(POLL_S):
                return False
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def _open(self) -> None:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
