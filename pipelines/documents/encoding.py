"""Decode the bytes of a document's text by detecting its encoding rather than assuming UTF-8."""

from pathlib import Path

from pipelines.text_encoding import decode_bytes


def decode_text(data: bytes, *, path: Path) -> tuple[str, str]:
    """The text in data and the name of the encoding it was read with."""
    return decode_bytes(data, name=path.name)


def normalize_newlines(text: str) -> str:
    """Windows and old-Mac line ends become \\n, so offsets mean the same on every platform."""
    return text.replace("\r\n", "\n").replace("\r", "\n")
