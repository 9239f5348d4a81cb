"""Decode the bytes of a text file by detecting its encoding rather than assuming UTF-8."""

import codecs
import logging
from pathlib import Path

from inference.errors import InputFileError

log = logging.getLogger(__name__)

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
]


def decode_text(data: bytes, *, path: Path) -> tuple[str, str]:
    """The text in data and the name of the encoding it was read with.

    A byte-order mark decides first, then strict UTF-8 (most files today), then
    charset-normalizer's best guess among the legacy encodings (cp1252, Latin-1, GBK...).
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass

    guessed = _guess(data)
    if guessed is None:
        raise InputFileError(f"Could not tell the text encoding of {path.name}; save it as "
                             "UTF-8 and add it again.")
    text, encoding = guessed
    log.info("%s decoded as %s", path.name, encoding)
    return text, encoding


def _guess(data: bytes) -> tuple[str, str] | None:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        return None
    return str(best), best.encoding


def normalize_newlines(text: str) -> str:
    """Windows and old-Mac line ends become \\n, so offsets mean the same on every platform."""
    return text.replace("\r\n", "\n").replace("\r", "\n")
