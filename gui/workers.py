"""Runs long jobs off the event-loop thread, streaming their results back as signals."""

import logging
import threading
from typing import Callable, Iterator

from PySide6.QtCore import QObject, Qt, Signal
from shiboken6 import isValid

log = logging.getLogger(__name__)


class StreamWorker(QObject):
    """Runs job(cancel_event) on its own thread; each item the job yields becomes `item`.

    `finished` always comes last, on the GUI thread, carrying the exception if the job failed
    (None otherwise), so a view has one place to re-enable its controls. Items that are None
    are dropped, so a job can yield None to offer a cancellation point.
    """

    item = Signal(object)
    finished = Signal(object)
    _ended = Signal()

    def __init__(self, job: Callable[[threading.Event], Iterator], parent=None):
        super().__init__(parent)
        self._job = job
        self._cancel = threading.Event()
        self.error: BaseException | None = None
        self.done = False
        self._thread = threading.Thread(target=self._run, name="glassbox-worker", daemon=True)
        self._ended.connect(self._announce_end, Qt.ConnectionType.QueuedConnection)
        # When the owning view goes away, the job should stop rather than work for nobody.
        self.destroyed.connect(self._cancel.set)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    def is_running(self) -> bool:
        return self._thread.is_alive()

    def wait(self, timeout_ms: int = 5000) -> bool:
        """Wait a bounded time for the job to end (used on shutdown); True if it ended."""
        if self._thread.ident is not None:
            self._thread.join(timeout_ms / 1000)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            for value in self._job(self._cancel):
                if value is not None and not self._deliver(self.item, value):
                    return
                if self._cancel.is_set():
                    break
        except Exception as exc:  # noqa: BLE001 - reported to the view, which shows it
            log.debug("Worker job failed", exc_info=True)
            self.error = exc
        self._deliver(self._ended)

    def _deliver(self, signal, *args) -> bool:
        """Emit, unless the view that owned this worker was closed meanwhile (then False)."""
        try:
            signal.emit(*args)
            return True
        except RuntimeError:
            if isValid(self):
                raise
            log.debug("The view closed before its job ended; the job stops here")
            return False

    def _announce_end(self) -> None:
        self.done = True
        self.finished.emit(self.error)


def wait_for(worker: StreamWorker, timeout_ms: int) -> bool:
    """Run the event loop until the worker finishes or the timeout passes; True if finished.

    For offscreen screenshots and tests, which must wait without a busy loop.
    """
    from PySide6.QtCore import QEventLoop, QTimer

    # `finished` is emitted on this (the GUI) thread, so nothing can slip in between this
    # check and the loop starting.
    if worker.done:
        return True
    loop = QEventLoop()
    worker.finished.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    return worker.done
