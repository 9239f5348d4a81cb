"""Opens text files for cleaning with their encoding detected (see pipelines.text_encoding)."""

from pathlib import Path

from inference.errors import InputFileError
from pipelines.text_encoding import detect_encoding

# Large enough that a cp1252 file with its first accent late on is still caught.
SAMPLE_BYTES = 4 << 20


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
