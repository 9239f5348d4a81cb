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

    matches = from_bytes(data)
    best = matches.best()
    if best is None or best.encoding is None:
        return None
    # On short Western text the detector cannot tell the single-byte code pages apart and
    # often ranks a Baltic or Central European one first; Windows-1252 is by far the most
    # common of them (browsers read Latin-1 as it too), so it wins whenever it fits.
    encodings = {match.encoding for match in matches}
    if best.encoding in _SINGLE_BYTE_LATIN and "cp1252" in encodings:
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            pass
    return str(best), best.encoding


_SINGLE_BYTE_LATIN = {"cp1250", "cp1252", "cp1257", "latin_1", "iso8859_2", "iso8859_4",
                      "iso8859_10", "iso8859_13", "iso8859_15", "cp775", "cp850", "mac_roman"}


def normalize_newlines(text: str) -> str:
    """Windows and old-Mac line ends become \\n, so offsets mean the same on every platform."""
    return text.replace("\r\n", "\n").replace("\r", "\n")
