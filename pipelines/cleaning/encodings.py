"""Detects a text file's encoding (BOMs, UTF-8, UTF-16 without BOM, cp1252) instead of assuming."""

import codecs
from pathlib import Path

from inference.errors import InputFileError

# Large enough that a cp1252 file with its first accent late on is still caught.
SAMPLE_BYTES = 4 << 20
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
# Bytes cp1252 leaves undefined: their presence means the file is not cp1252 either.
_CP1252_UNDEFINED = {0x81, 0x8D, 0x8F, 0x90, 0x9D}


def detect_encoding(sample: bytes, *, name: str = "input", complete: bool = True) -> str:
    """The codec for a file starting with sample (complete: sample is the whole file)."""
    for bom, encoding in _BOMS:
        if sample.startswith(bom):
            return encoding
    utf16 = _utf16_without_bom(sample)
    if utf16:
        return utf16
    if b"\x00" in sample:
        raise InputFileError(f"{name} looks like a binary file (it contains NUL bytes); "
                             "give a text file (.txt, .md, .csv, .jsonl).")
    if _is_utf8(sample, complete):
        return "utf-8"
    if not _CP1252_UNDEFINED.intersection(sample):
        return "cp1252"
    raise InputFileError(f"{name} is neither UTF-8, UTF-16 nor cp1252 text; re-save it as "
                         "UTF-8 and try again.")


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


def open_text(path: Path):
    """(stream, encoding) for a text file, checking that it exists and is readable text."""
    path = Path(path)
    try:
        with open(path, "rb") as raw:
            sample = raw.read(SAMPLE_BYTES)
    except OSError as error:
        raise InputFileError(f"Cannot read {path}: {error.strerror}; check the path and "
                             "its permissions.") from None
    encoding = detect_encoding(sample, name=str(path), complete=len(sample) < SAMPLE_BYTES)
    return open(path, encoding=encoding, errors="strict", newline=None), encoding


def read_text(path: Path) -> tuple[str, str]:
    """The whole text of a file and the encoding it was decoded with."""
    stream, encoding = open_text(path)
    with stream:
        try:
            return stream.read(), encoding
        except UnicodeDecodeError as error:
            raise decode_error(path, encoding, error) from None


def decode_error(path: Path, encoding: str, error: UnicodeDecodeError) -> InputFileError:
    return InputFileError(f"{path} is not valid {encoding} text (a bad byte near offset "
                          f"{error.start} of a block); re-save it as UTF-8 and try again.")
