"""Counts model tokens with the language model's own tokenizer, loaded once."""

import functools
import logging

from inference.errors import ModelUnavailableError
from inference.manifest import require_model

log = logging.getLogger(__name__)

TOKENIZER_MODEL = "smollm2-135m-instruct-q4"
# Encode long text in pieces cut at whitespace: the byte-level pre-tokenizer splits there
# anyway, so the counts add up, and memory stays bounded.
PIECE_CHARS = 64_000


@functools.cache
def model_tokenizer():
    """The tokenizers.Tokenizer of the default language model, or ModelUnavailableError."""
    from tokenizers import Tokenizer

    folder = require_model(TOKENIZER_MODEL).folder
    return Tokenizer.from_file(str(folder / "tokenizer.json"))


def count_tokens(text: str) -> int:
    """Model tokens in text (no special tokens added)."""
    if not text:
        return 0
    pieces = list(_pieces(text))
    encodings = model_tokenizer().encode_batch(pieces, add_special_tokens=False)
    return sum(len(encoding.ids) for encoding in encodings)


def try_count_tokens(text: str) -> tuple[int | None, str]:
    """(count, "") or (None, why it is unavailable), so cleaning works without the model."""
    try:
        return count_tokens(text), ""
    except ModelUnavailableError as error:
        return None, str(error)


def _pieces(text: str):
    start = 0
    while len(text) - start > PIECE_CHARS:
        cut = _last_space(text, start + PIECE_CHARS, start)
        yield text[start:cut]
        start = cut
    yield text[start:]


def _last_space(text: str, limit: int, floor: int) -> int:
    # Cut just before a word's leading space, where the pre-tokenizer would split anyway; a
    # piece with no space (one huge word) is cut hard.
    for position in range(limit, max(floor + 1, limit - 2000), -1):
        if text[position].isspace() and not text[position - 1].isspace():
            return position
    return limit
