"""Checks output paths before any work starts, so a bad --out is one sentence, not a traceback."""

import os
from pathlib import Path

from inference.errors import InvalidSettingError


def check_output(path: Path, *, flag: str = "--out", example: str = "cleaned.txt") -> Path:
    """The path, expanded, if a file can be written there; else InvalidSettingError with a fix."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise InvalidSettingError(f"{flag} {path} is a folder; give a file name inside it, "
                                  f"e.g. {path / example}.")
    parent = path.parent
    if not parent.exists():
        raise InvalidSettingError(f"{flag} {path}: the folder {parent} does not exist; create "
                                  f"it first (mkdir -p {parent}) or choose another {flag}.")
    if not parent.is_dir():
        raise InvalidSettingError(f"{flag} {path}: {parent} is a file, not a folder; choose "
                                  f"another {flag}.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InvalidSettingError(f"{flag} {path}: the folder {parent} is read-only for you; "
                                  f"choose a writable place for {flag}.")
    if path.exists() and not os.access(path, os.W_OK):
        raise InvalidSettingError(f"{flag} {path} is read-only; make it writable or choose "
                                  f"another {flag}.")
    return path


def write_error(path: Path, error: OSError, *, flag: str = "--out") -> InvalidSettingError:
    """The error for an output file that passed check_output but still could not be written."""
    reason = error.strerror or str(error)
    return InvalidSettingError(f"Cannot write {flag} {path}: {reason}; choose another {flag} "
                               "(a writable folder with free space).")


def same_file(first: Path, second: Path) -> bool:
    """True if both paths name one existing file (so writing one would destroy the other)."""
    try:
        return Path(first).exists() and Path(second).exists() and \
            os.path.samefile(first, second)
    except OSError:
        return False
