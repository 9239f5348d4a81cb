"""One way to tell the user something failed: log it, and show one clear sentence."""

import logging

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from inference.errors import GlassboxError

log = logging.getLogger(__name__)


def user_message(error: BaseException) -> str:
    """The sentence a user sees: our own errors speak for themselves, others get context."""
    if isinstance(error, GlassboxError):
        return str(error)
    return f"Unexpected {type(error).__name__}: {error}. The details are in the log."


def show_error(parent: QWidget | None, title: str, error: BaseException) -> None:
    """Log the error with its traceback and show the user a short dialog.

    Offscreen (screenshots, tests) nobody could close a dialog, so the log is all there is.
    """
    log.error("%s: %s", title, error, exc_info=(type(error), error, error.__traceback__))
    if QGuiApplication.platformName() != "offscreen":
        QMessageBox.warning(parent, title, user_message(error))
