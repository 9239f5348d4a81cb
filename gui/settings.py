"""Every persisted setting's key, in one place, and the QSettings they live in."""

from enum import Enum

from PySide6.QtCore import QSettings


class Key(str, Enum):
    """QSettings keys as "group/key"; tabs add theirs here."""

    WINDOW_GEOMETRY = "window/geometry"
    WINDOW_TAB = "window/current_tab"

    GENERATE_MODEL = "generate/model"
    GENERATE_PROMPT = "generate/prompt"
    GENERATE_OPTIONS = "generate/options"


def settings() -> QSettings:
    """The app's settings store (an INI file, so it is easy to read and to reset)."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "glassbox", "glassbox")
