"""Readers on real files made here: every format, legacy encodings, and broken inputs."""

import codecs
import re

import pytest

from inference.errors import InputFileError
from pipelines.documents.readers import read_document
from tests.fixtures.documents import (ASTRONOMY, COOKING, CP1252_TEXT, GARDENING,
                                      make_corrupt_pdf, make_docx, make_encrypted_pdf, make_pdf,
                                      make_repairable_pdf, make_scanned_pdf)


def test_pdf_keeps_pages_and_their_offsets(tmp_path):
    document = read_document(make_pdf(tmp_path / "two pages.pdf", [ASTRONOMY, GARDENING]))

    assert document.format == "pdf"
    assert [page.number for page in document.pages] == [1, 2]
    first, second = document.pages
    assert "Moon orbits" in document.text[first.start:first.end]
    assert "Tomatoes" in document.text[second.start:second.end]
    assert document.page_at(document.text.index("Tomatoes")) == 2


def test_pdf_with_a_broken_cross_reference_is_repaired(tmp_path):
    document = read_document(make_repairable_pdf(tmp_path / "repairable.pdf"))

    assert "Moon orbits the Earth" in document.text


def test_scanned_pdf_pages_are_read_by_ocr(tmp_path):
    document = read_document(make_scanned_pdf(tmp_path / "scan.pdf", pages=2))

    assert [page.number for page in document.pages] == [1, 2]
    for page in document.pages:
        words = document.text[page.start:page.end].lower().split()
        assert {"moon", "orbits", "earth", "tides", "oceans."} <= set(words)
    assert document.notes == ["OCR read page(s) 1, 2"]


def test_docx_paragraphs_and_tables_are_read(tmp_path):
    path = make_docx(tmp_path / "recipe.docx", [COOKING], table=[["oven", "200 degrees"]])

    document = read_document(path)

    assert "yeast ferments sugar" in document.text
    assert "oven | 200 degrees" in document.text


@pytest.mark.parametrize("encoding, text", [
    ("cp1252", CP1252_TEXT),
    ("utf-16", "Gr\u00fc\u00dfe aus K\u00f6ln, \u0417\u0434\u0440\u0430\u0432\u0441\u0442\u0432"
               "\u0443\u0439\u0442\u0435. " * 4),
    ("gbk", "\u4e2d\u6587\u6587\u672c\u7684\u7f16\u7801\u68c0\u6d4b\u9700\u8981\u8db3\u591f"
            "\u957f\u7684\u6837\u672c\u3002\u8fd9\u662f\u7b2c\u4e8c\u53e5\u8bdd\u3002" * 4),
    ("utf-8", "Plain UTF-8 with \u00e9 and \u2603 snowmen. " * 3),
])
def test_text_encodings_are_detected_not_assumed(tmp_path, encoding, text):
    path = tmp_path / f"sample-{encoding}.txt"
    path.write_bytes(text.encode(encoding))

    document = read_document(path)

    assert document.text == text


def test_utf8_byte_order_mark_is_not_part_of_the_text(tmp_path):
    path = tmp_path / "bom.md"
    path.write_bytes(codecs.BOM_UTF8 + b"# Title\r\n\r\nBody text.")

    document = read_document(path)

    assert document.text == "# Title\n\nBody text."
    assert document.encoding == "utf-8-sig"


def test_html_keeps_visible_text_only(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("<html><head><style>p {color: red}</style><script>var x = 1;</script>"
                    "</head><body><h1>Tides</h1><p>The Moon raises the tides.</p></body></html>",
                    encoding="utf-8")

    document = read_document(path)

    assert "The Moon raises the tides." in document.text
    assert "var x" not in document.text and "color" not in document.text


def test_csv_rows_become_labelled_lines(tmp_path):
    path = tmp_path / "planets.csv"
    path.write_text("planet,moons\nEarth,1\nMars,2\n", encoding="utf-8")

    document = read_document(path)

    assert "planet: Mars; moons: 2." in document.text


@pytest.mark.parametrize("make, message", [
    (lambda d: _write(d / "empty.txt", b""), "is empty"),
    (lambda d: _write(d / "blank.md", b"  \n\n\t "), "holds no text"),
    (lambda d: make_corrupt_pdf(d / "broken.pdf"), "damaged PDF"),
    (lambda d: make_encrypted_pdf(d / "locked.pdf"), "needs a password"),
    (lambda d: make_scanned_pdf(d / "blank scan.pdf", pages=3, lines=[]),
     "no text layer (3 page(s), probably scanned images) and OCR found no text"),
    (lambda d: _write(d / "fake.docx", b"not a zip file at all"), "docx"),
    (lambda d: _write(d / "program.exe", b"MZ"), "not a supported format"),
    (lambda d: d / "missing.txt", "Could not read"),
])
def test_unusable_files_get_one_clear_sentence(tmp_path, make, message):
    path = make(tmp_path)

    with pytest.raises(InputFileError, match=re.escape(message)) as caught:
        read_document(path)

    assert path.name in str(caught.value)


def _write(path, data: bytes):
    path.write_bytes(data)
    return path
