"""Encoding detection on real bytes in many encodings, shared by cleaning and the library."""

import codecs

import pytest

from inference.errors import InputFileError
from pipelines.text_encoding import decode_bytes, detect_encoding

RUSSIAN = "Здравствуйте, как дела? Всё хорошо, спасибо."
GREEK = "Γειά σου Κόσμε, τι κάνεις σήμερα;"
CHINESE = "中文文本的编码检测需要足够长的样本。这是第二句话。" * 3
GERMAN = "Grüße aus Köln, schöne Straße und Bäume."


@pytest.mark.parametrize("text, encoding", [
    (GERMAN, "utf-8"), (GERMAN, "cp1252"), ("café", "cp1252"), ("naïve façade", "latin-1"),
    (RUSSIAN, "cp1251"), (GREEK, "cp1253"), (CHINESE, "gbk"), (GERMAN, "utf-16-le"),
    (GERMAN, "utf-16-be"), (RUSSIAN, "utf-16"), ("", "utf-8"),
])
def test_the_text_comes_back_exactly(text, encoding):
    data = text.encode(encoding)
    if encoding == "utf-8-sig":
        data = codecs.BOM_UTF8 + data
    decoded, _ = decode_bytes(data, name="sample.txt")
    assert decoded == text


def test_byte_order_marks_decide_first():
    assert detect_encoding(codecs.BOM_UTF8 + b"text") == "utf-8-sig"
    assert detect_encoding(codecs.BOM_UTF16_BE + "x".encode("utf-16-be")) == "utf-16"


def test_a_multi_byte_character_cut_at_the_sample_end_is_still_utf8():
    data = "snowman ☃".encode("utf-8")[:-1]
    assert detect_encoding(data, complete=False) == "utf-8"


@pytest.mark.parametrize("data, message", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
    (bytes(range(128, 256)), "neither UTF-8"),
])
def test_what_is_not_text_is_refused_with_the_file_name(data, message):
    with pytest.raises(InputFileError, match=message) as caught:
        decode_bytes(data, name="photo.txt")
    assert "photo.txt" in str(caught.value)
