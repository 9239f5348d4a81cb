"""The language model's tokenizer: text to token ids and back, chat templates, safe streaming."""

import json
import logging
from pathlib import Path

from jinja2.sandbox import ImmutableSandboxedEnvironment
from tokenizers import Tokenizer

from inference.errors import ModelUnavailableError

log = logging.getLogger(__name__)

_END_TOKENS = ("<|im_end|>", "<|endoftext|>", "</s>", "<|end_of_text|>", "<|eot_id|>")
_REPLACEMENT = "\ufffd"


class TextTokenizer:
    """A `tokenizers` tokenizer plus what the model folder says about ends and chat."""

    def __init__(self, folder: Path):
        path = _find(folder, "tokenizer.json")
        if path is None:
            raise ModelUnavailableError(f"No tokenizer.json in {folder}; a language model "
                                        "needs its tokenizer beside the ONNX file.")
        self._tokenizer = Tokenizer.from_file(str(path))
        self._config = _merged_configs(path.parent)
        self.chat_template = self._config.get("chat_template")
        self.eos_ids = self._end_ids()

    @property
    def vocab_size(self) -> int:
        return self._tokenizer.get_vocab_size(with_added_tokens=True)

    def encode(self, text: str) -> list[int]:
        """Token ids of text; special tokens written in the text (e.g. chat markers) count."""
        return self._tokenizer.encode(text, add_special_tokens=False).ids

    def count(self, text: str) -> int:
        return len(self.encode(text))

    def decode(self, ids: list[int]) -> str:
        return self._tokenizer.decode(list(ids), skip_special_tokens=True)

    def token_text(self, token_id: int) -> str:
        """What one token shows as; special tokens keep their marker.

        A token that holds only part of a multi-byte character (emoji and CJK often take two
        or three tokens) shows its bytes, e.g. "\\xf0\\x9f", rather than a meaningless �.
        """
        text = self._tokenizer.decode([token_id], skip_special_tokens=False)
        raw = self._tokenizer.id_to_token(token_id) or ""
        if _REPLACEMENT in text:
            return _byte_level_escape(raw) or raw
        return text or raw

    def apply_chat_template(self, user_text: str) -> str:
        """The prompt a chat model expects for one user message, ready for its answer."""
        if not self.chat_template:
            raise ModelUnavailableError("This model has no chat template; run it without "
                                        "--chat (plain text continuation).")
        environment = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        environment.globals["raise_exception"] = _template_error
        template = environment.from_string(self.chat_template)
        return template.render(messages=[{"role": "user", "content": user_text}],
                               add_generation_prompt=True,
                               bos_token=self._config.get("bos_token", ""),
                               eos_token=self._config.get("eos_token", ""))

    def _end_ids(self) -> set[int]:
        ids = set()
        eos = self._config.get("eos_token_id")
        ids.update(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        for text in _END_TOKENS:
            token_id = self._tokenizer.token_to_id(text)
            if token_id is not None:
                ids.add(token_id)
        return ids


class StreamingDetokenizer:
    """Turns token ids into text piece by piece without ever showing half a character.

    Decoding each token alone can split a multi-byte character; decoding everything so far
    and holding back a trailing replacement character avoids that.
    """

    def __init__(self, tokenizer: TextTokenizer):
        self._tokenizer = tokenizer
        self._ids: list[int] = []
        self._shown = ""

    def push(self, token_id: int) -> str:
        """Add a token; return the text that became safe to show."""
        self._ids.append(token_id)
        text = self._tokenizer.decode(self._ids)
        if text.endswith(_REPLACEMENT):
            return ""
        return self._take(text)

    def flush(self) -> str:
        """Whatever is left at the end; a character cut off by the end of generation (only
        some of its bytes were generated) is dropped rather than shown as �."""
        return self._take(self._tokenizer.decode(self._ids).rstrip(_REPLACEMENT))

    @property
    def text(self) -> str:
        return self._tokenizer.decode(self._ids)

    def _take(self, text: str) -> str:
        if not text.startswith(self._shown):
            # A tokenizer may re-render earlier text (rare); show only what is new at the end.
            common = len(_common_prefix(text, self._shown))
            self._shown = text[:common]
        new = text[len(self._shown):]
        self._shown = text
        return new


def _byte_level_alphabet() -> dict[str, int]:
    """Byte-level BPE's stand-in characters for the 256 byte values, mapped back to bytes.

    Printable Latin-1 characters stand for themselves; the other bytes were moved to code
    points from 256 up, in order, so that every byte has a visible, non-space character.
    """
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1),
                 *range(ord("®"), ord("ÿ") + 1)]
    alphabet = {chr(byte): byte for byte in printable}
    moved = (byte for byte in range(256) if byte not in alphabet.values())
    alphabet.update({chr(256 + index): byte for index, byte in enumerate(moved)})
    return alphabet


_BYTE_LEVEL = _byte_level_alphabet()


def _byte_level_escape(token: str) -> str:
    """A byte-level token's bytes as text, with bytes that are not UTF-8 on their own as \\xNN;
    empty if the token is not byte-level."""
    if not token or any(char not in _BYTE_LEVEL for char in token):
        return ""
    return bytes(_BYTE_LEVEL[char] for char in token).decode("utf-8", "backslashreplace")


def _common_prefix(a: str, b: str) -> str:
    length = 0
    for x, y in zip(a, b):
        if x != y:
            break
        length += 1
    return a[:length]


def _find(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder.parent / name, folder / "onnx" / name):
        if candidate.is_file():
            return candidate
    return None


def _merged_configs(folder: Path) -> dict:
    # Glassbox's config.json, and the files Hugging Face exports carry, in rising priority.
    merged: dict = {}
    for name in ("config.json", "generation_config.json", "tokenizer_config.json"):
        path = _find(folder, name)
        if path is None:
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            log.warning("Ignoring unreadable %s: %s", path, error)
            continue
        merged.update({k: v for k, v in data.items() if v is not None})
    for key in ("bos_token", "eos_token"):
        if isinstance(merged.get(key), dict):
            merged[key] = merged[key].get("content", "")
    return merged


def _template_error(message: str) -> None:
    raise ModelUnavailableError(f"The model's chat template refused the conversation: {message}")
