"""Tells a text file's encoding from its bytes (BOM, UTF-16, UTF-8, legacy code pages)."""

import codecs
import logging

from inference.errors import InputFileError

log = logging.getLogger(__name__)

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


def detect_encoding(sample: bytes, *, name: str = "input", complete: bool = True) -> str:
    """The codec of a file that starts with sample (complete: sample is the whole file).

    A byte-order mark decides first; then UTF-16 without one; then strict UTF-8 (most files
    today); then charset-normalizer's guess among legacy encodings (cp1252, Latin-1, GBK...).
    """
    for bom, encoding in _BOMS:
        if sample.startswith(bom):
            return encoding
    utf16 = _utf16_without_bom(sample)
    if utf16:
        return utf16
    if b"\x00" in sample:
        raise InputFileError(f"{name} looks like a binary file (it contains NUL bytes), not "
                             "text; give a text file or convert it to UTF-8 text first.")
    if _is_utf8(sample, complete):
        return "utf-8"

    guessed = _guess_legacy(sample)
    if guessed is None:
        raise InputFileError(f"{name} is neither UTF-8, UTF-16 nor a legacy encoding Glassbox "
                             "can recognise; re-save it as UTF-8 and try again.")
    log.info("%s read as %s", name, guessed)
    return guessed


def decode_bytes(data: bytes, *, name: str) -> tuple[str, str]:
    """The text in a whole file's bytes and the encoding it was read with."""
    encoding = detect_encoding(data, name=name)
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError as error:
        raise InputFileError(f"{name} is not valid {encoding} text (a bad byte at offset "
                             f"{error.start}); re-save it as UTF-8 and try again.") from None


def _utf16_without_bom(sample: bytes) -> str | None:
    # ASCII text in UTF-16 has a NUL in every other byte; which half says the byte order.
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def _is_utf8(sample: bytes, complete: bool) -> bool:
    # A partial sample may end in the middle of a multi-byte character.
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
        return True
    except UnicodeDecodeError:
        return False


def _guess_legacy(sample: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    guess = best.encoding if best is not None else None
    # The detector is reliable for scripts with their own code pages (Cyrillic, Greek, CJK...)
    # once it has enough non-ASCII bytes to go on. Among the Latin code pages it is not: on
    # short text it may rank a Baltic or Central European page first, so Windows-1252, by far
    # the most common, wins whenever it decodes the bytes.
    evidence = sum(byte > 127 for byte in sample[:_EVIDENCE_WINDOW])
    if guess and guess not in _LATIN_PAGES and evidence >= _MIN_EVIDENCE:
        return guess
    if _decodes(sample, "cp1252"):
        return "cp1252"
    return guess


_EVIDENCE_WINDOW = 1 << 16
_MIN_EVIDENCE = 16
_LATIN_PAGES = {"cp1250", "cp1252", "cp1257", "latin_1", "iso8859_2", "iso8859_3",
                "iso8859_4", "iso8859_9", "iso8859_10", "iso8859_13", "iso8859_14",
                "iso8859_15", "iso8859_16", "cp775", "cp850", "cp852", "mac_roman",
                "mac_latin2", "cp1254", "cp437"}


def _decodes(sample: bytes, encoding: str) -> bool:
    try:
        sample.decode(encoding)
        return True
    except UnicodeDecodeError:
        return False
