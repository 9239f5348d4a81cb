"""Read PDF, DOCX, TXT, Markdown, reStructuredText, HTML and CSV files into text with pages."""

import csv
import io
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from inference.errors import InputFileError
from pipelines.documents.encoding import decode_text, normalize_newlines

log = logging.getLogger(__name__)

PAGE_SEPARATOR = "\n\n"
FORMATS = {
    ".pdf": "pdf", ".docx": "docx", ".txt": "text", ".text": "text", ".md": "markdown",
    ".markdown": "markdown", ".rst": "restructuredtext", ".html": "html", ".htm": "html",
    ".csv": "csv",
}


@dataclass(frozen=True)
class Page:
    """One page's span in the document text (PDF pages; other formats are one page)."""

    number: int  # 1-based
    start: int
    end: int


@dataclass
class DocumentText:
    """The text of one file, with where each page starts and how it was decoded."""

    path: Path
    format: str
    text: str
    pages: list[Page]
    encoding: str = ""
    notes: list[str] = field(default_factory=list)

    def page_at(self, offset: int) -> int:
        """The number of the page holding the character at offset."""
        for page in self.pages:
            if offset < page.end:
                return page.number
        return self.pages[-1].number if self.pages else 1


def supported(path: Path) -> bool:
    """Whether the file's extension is one Glassbox can read."""
    return path.suffix.lower() in FORMATS


def read_document(path: Path) -> DocumentText:
    """Read one file; raise InputFileError with one clear sentence when it cannot be read."""
    path = Path(path)
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        names = ", ".join(sorted(FORMATS))
        raise InputFileError(f"{path.name} is not a supported format; supported: {names}.")
    data = _read_bytes(path)
    document = _READERS[kind](path, data)
    if not document.text.strip():
        raise InputFileError(f"{path.name} holds no text (it is empty or only white space).")
    return document


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputFileError(f"Could not read {path}: {error.strerror}; check that it exists "
                             "and that you may read it.") from error
    if not data:
        raise InputFileError(f"{path.name} is empty (0 bytes); nothing to add.")
    return data


def _single_page(path: Path, kind: str, text: str, encoding: str = "") -> DocumentText:
    text = normalize_newlines(text)
    return DocumentText(path, kind, text, [Page(1, 0, len(text))], encoding)


def _read_plain(kind: str) -> Callable[[Path, bytes], DocumentText]:
    def read(path: Path, data: bytes) -> DocumentText:
        text, encoding = decode_text(data, path=path)
        return _single_page(path, kind, text, encoding)
    return read


def _read_html(path: Path, data: bytes) -> DocumentText:
    from bs4 import BeautifulSoup

    text, encoding = decode_text(data, path=path)
    soup = BeautifulSoup(text, "html.parser")
    for hidden in soup(["script", "style", "noscript", "template"]):
        hidden.decompose()
    plain = soup.get_text("\n")
    plain = re.sub(r"[ \t]+\n", "\n", plain)
    plain = re.sub(r"\n{3,}", "\n\n", plain).strip()
    return _single_page(path, "html", plain, encoding)


def _read_csv(path: Path, data: bytes) -> DocumentText:
    text, encoding = decode_text(data, path=path)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    if not rows:
        raise InputFileError(f"{path.name} has no rows.")

    # One line per row, each value labelled with its column, so a row reads as a sentence.
    header = rows[0]
    lines = [", ".join(header)]
    for row in rows[1:]:
        pairs = [f"{name}: {value}" for name, value in zip(header, row) if value.strip()]
        lines.append("; ".join(pairs) + ".")
    return _single_page(path, "csv", "\n".join(lines), encoding)


def _read_docx(path: Path, data: bytes) -> DocumentText:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as error:
        raise InputFileError(f"{path.name} is not a readable Word (.docx) file ({error}); "
                             "open and re-save it in a word processor.") from error
    except Exception as error:  # zipfile and lxml raise many kinds for damaged files
        raise InputFileError(f"{path.name} is damaged and could not be read as .docx "
                             f"({type(error).__name__}); re-save it and add it again.") from error
    blocks = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            blocks.append(" | ".join(cell.text for cell in row.cells))
    text = "\n\n".join(block for block in blocks if block.strip())
    return _single_page(path, "docx", text)


def _pdf_reader(path: Path, data: bytes):
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    # pypdf logs each repair it tries; the one outcome that matters is reported to the user.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except (PdfReadError, ValueError, KeyError, TypeError, IndexError, OSError) as error:
        raise InputFileError(f"{path.name} is a damaged PDF that could not be repaired "
                             f"({error}); skipped.") from error
    if reader.is_encrypted and not _decrypt_blank(reader):
        raise InputFileError(f"{path.name} is encrypted and needs a password; save an "
                             "unprotected copy and add that instead.")
    return reader


def _decrypt_blank(reader) -> bool:
    # Many "protected" PDFs only restrict printing and open with an empty user password.
    try:
        return bool(reader.decrypt(""))
    except Exception:  # noqa: BLE001 - pypdf raises several types for unsupported crypto
        log.debug("Blank-password decryption failed", exc_info=True)
        return False


def _read_pdf_pages(path: Path, data: bytes) -> DocumentText:
    reader = _pdf_reader(path, data)
    try:
        texts = [_clean_pdf_text(page.extract_text() or "") for page in reader.pages]
    except Exception as error:  # noqa: BLE001 - pypdf raises many types on broken streams
        raise InputFileError(f"{path.name} is a damaged PDF whose text could not be extracted "
                             f"({type(error).__name__}: {error}); skipped.") from error
    if not texts:
        raise InputFileError(f"{path.name} is a PDF with no pages.")
    ocr_pages, ocr_problem = _ocr_empty_pages(reader, texts)
    if not any(text.strip() for text in texts):
        raise InputFileError(f"{path.name} has no text layer ({len(texts)} page(s), probably "
                             f"scanned images) and {ocr_problem or 'OCR found no text in it'}.")

    pages, parts, offset = [], [], 0
    for number, text in enumerate(texts, start=1):
        pages.append(Page(number, offset, offset + len(text)))
        parts.append(text)
        offset += len(text) + len(PAGE_SEPARATOR)
    document = DocumentText(path, "pdf", PAGE_SEPARATOR.join(parts), pages)
    if ocr_pages:
        document.notes.append(f"OCR read page(s) {_numbers(ocr_pages)}")
    empty = [page.number for page, text in zip(pages, texts) if not text.strip()]
    if empty:
        document.notes.append(f"no text on page(s) {_numbers(empty)}")
    return document


def _numbers(values: list[int]) -> str:
    shown = ", ".join(str(v) for v in values[:10])
    return shown + (f" and {len(values) - 10} more" if len(values) > 10 else "")


def _ocr_empty_pages(reader, texts: list[str]) -> tuple[list[int], str]:
    """Fill texts of pages without a text layer by OCR of their largest image, in place.

    Returns the page numbers read by OCR and, if OCR could not run, why.
    """
    empty = [i for i, text in enumerate(texts) if not text.strip()]
    if not empty:
        return [], ""
    from inference.errors import ModelUnavailableError
    from inference.ocr import load_ocr

    try:
        engine = load_ocr()
    except ModelUnavailableError as error:
        log.info("No OCR for scanned pages: %s", error)
        return [], ("the OCR model is not installed (glassbox setup-models --only ppocr-v4)")
    done = []
    for index in empty:
        image = _largest_image(reader.pages[index])
        if image is None:
            continue
        text = engine.read_text(image)
        if text.strip():
            texts[index] = text
            done.append(index + 1)
    return done, ""


def _largest_image(page):
    """The biggest picture on a page as RGB pixels (a scan is one picture per page)."""
    import numpy as np

    try:
        images = [item.image for item in page.images]
    except Exception:  # noqa: BLE001 - undecodable image streams: treat as no image
        log.debug("Could not decode the images of a page", exc_info=True)
        return None
    images = [image for image in images if image is not None]
    if not images:
        return None
    largest = max(images, key=lambda image: image.width * image.height)
    return np.asarray(largest.convert("RGB"))


def _clean_pdf_text(text: str) -> str:
    # PDF text often places words by coordinates; runs of spaces are layout, not content.
    return re.sub(r"[ \t]{2,}", " ", normalize_newlines(text))


_READERS: dict[str, Callable[[Path, bytes], DocumentText]] = {
    "pdf": _read_pdf_pages,
    "docx": _read_docx,
    "html": _read_html,
    "csv": _read_csv,
    "text": _read_plain("text"),
    "markdown": _read_plain("markdown"),
    "restructuredtext": _read_plain("restructuredtext"),
}
