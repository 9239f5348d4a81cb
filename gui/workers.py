"""Runs long jobs off the event-loop thread, streaming their results back as signals."""

import logging
import threading
from typing import Callable, Iterator

from PySide6.QtCore import QObject, QThread, Signal

log = logging.getLogger(__name__)


class StreamWorker(QObject):
    """Runs job(cancel_event) in its own QThread; each item the job yields becomes `item`.

    `finished` always comes last, carrying the exception if the job failed (None otherwise), so
    a view has one place to re-enable its controls.
    """

    item = Signal(object)
    finished = Signal(object)

    def __init__(self, job: Callable[[threading.Event], Iterator], parent=None):
        super().__init__()
        self._job = job
        self._cancel = threading.Event()
        self._thread = QThread(parent)
        self.moveToThread(self._thread)
        self._thread.started.connect(self._run)
        self.finished.connect(self._thread.quit)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    def is_running(self) -> bool:
        return self._thread.isRunning()

    def wait(self, timeout_ms: int = 5000) -> bool:
        """Wait a bounded time for the thread to end (used on shutdown)."""
        return self._thread.wait(timeout_ms)

    def _run(self) -> None:
        error = None
        try:
            for value in self._job(self._cancel):
                self.item.emit(value)
                if self._cancel.is_set():
                    break
        except Exception as exc:  # noqa: BLE001 - reported to the view, which shows it
            log.debug("Worker job failed", exc_info=True)
            error = exc
        self.finished.emit(error)
