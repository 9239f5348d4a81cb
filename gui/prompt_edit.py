"""The prompt editor: plain text, and a text file dropped on it becomes the prompt."""

from pathlib import Path

from PySide6.QtWidgets import QPlainTextEdit

from inference.errors import InputFileError
from pipelines.text_encoding import decode_bytes

MAX_PROMPT_FILE_BYTES = 1 << 20


def read_prompt_file(path: Path) -> str:
    """The text of a small text file in whatever encoding it uses, or InputFileError."""
    try:
        size = path.stat().st_size
        if size > MAX_PROMPT_FILE_BYTES:
            raise InputFileError(f"{path.name} is {size / 1e6:.1f} MB; a prompt file may be at "
                                 f"most {MAX_PROMPT_FILE_BYTES >> 20} MB (the model reads about "
                                 "8,000 tokens at once).")
        return decode_bytes(path.read_bytes(), name=path.name)[0]
    except OSError as error:
        raise InputFileError(f"Cannot read {path}: {error.strerror}.") from None


class PromptEdit(QPlainTextEdit):
    """Accepts dropped text files; `problem` reports a file that could not be used."""

    def __init__(self, on_problem, parent=None):
        super().__init__(parent)
        self._on_problem = on_problem

    def canInsertFromMimeData(self, source) -> bool:
        return source.hasUrls() or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source) -> None:
        files = [Path(url.toLocalFile()) for url in source.urls() if url.isLocalFile()]
        if not files:
            super().insertFromMimeData(source)
            return
        try:
            self.setPlainText(read_prompt_file(files[0]))
        except InputFileError as error:
            self._on_problem(error)
