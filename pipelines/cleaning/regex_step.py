"""The regex step: presets and a free pattern, run with a time limit so no pattern can hang."""

import functools
from dataclasses import dataclass

import regex

from inference.errors import InvalidSettingError


@dataclass(frozen=True)
class Preset:
    pattern: str
    replacement: str
    description: str


PRESETS = {
    "letters-only": Preset(r"[^a-zA-Z\s]", "",
                           "Keep only a-z letters and whitespace: removes digits, punctuation, "
                           "accents, other scripts and emoji."),
    "letters-any-script": Preset(r"[^\w\s]|[\d_]", "",
                                 "Keep letters of every script and whitespace: removes digits, "
                                 "punctuation and emoji, keeps \"café\" and \"東京\"."),
    "remove-numbers": Preset(r"\d+(?:[.,]\d+)*", "", "Remove numbers (with their decimal "
                                                     "points and thousands separators)."),
    "remove-special": Preset(r"[^\w\s]", "", "Remove punctuation and symbols; keep letters "
                                             "and digits."),
    "remove-urls": Preset(r"https?://\S+|www\.\S+", "", "Remove web addresses."),
    "remove-emails": Preset(r"[\w.+-]+@[\w-]+\.[\w.-]+", "", "Remove e-mail addresses."),
}
MIN_TIMEOUT_S = 1.0
TIMEOUT_S_PER_MB = 2.0


@functools.lru_cache(maxsize=64)
def compile_pattern(pattern: str):
    """The compiled pattern, or InvalidSettingError saying what is wrong and where."""
    if pattern == "":
        raise InvalidSettingError("The regex pattern is empty; type a pattern or pick a preset.")
    try:
        return regex.compile(pattern)
    except regex.error as error:
        where = f" at position {error.pos}" if error.pos is not None else ""
        raise InvalidSettingError(
            f"Invalid regex pattern {pattern!r}: {error.msg}{where}; fix the pattern "
            "(escape special characters such as ( [ . * + ? with a backslash).") from None


def resolve(options) -> tuple[str, str]:
    """The (pattern, replacement) the options ask for: a free pattern wins over the preset."""
    if options.pattern is not None:
        return options.pattern, options.replacement
    if options.preset not in PRESETS:
        raise InvalidSettingError(f"Unknown regex preset '{options.preset}'; choose from "
                                  f"{', '.join(PRESETS)}.")
    preset = PRESETS[options.preset]
    return preset.pattern, preset.replacement


def timeout_for(text: str) -> float:
    return MIN_TIMEOUT_S + TIMEOUT_S_PER_MB * len(text) / 1e6


def find_matches(pattern: str, text: str, *, limit: int = 5000,
                 timeout_s: float | None = None) -> list[tuple[int, int]]:
    """(start, end) of up to limit matches, for live highlighting."""
    compiled = compile_pattern(pattern)
    spans = []
    try:
        for match in compiled.finditer(text, timeout=timeout_s or timeout_for(text)):
            if match.end() > match.start():
                spans.append(match.span())
            if len(spans) >= limit:
                break
    except TimeoutError:
        raise _too_slow(pattern) from None
    return spans


def apply_regex(text: str, ctx) -> str:
    """Replace every match, recording removals and the pitfalls they carry."""
    pattern, replacement = resolve(ctx.options)
    compiled = compile_pattern(pattern)

    def replace(match) -> str:
        try:
            new = match.expand(replacement)
        except (regex.error, IndexError) as error:
            raise InvalidSettingError(f"Invalid replacement {replacement!r}: {error}; refer "
                                      "only to groups the pattern has (\\1, \\g<name>).") from None
        if new != match.group():
            _note(match, new, text, ctx)
        return new

    try:
        return compiled.sub(replace, text, timeout=timeout_for(text))
    except TimeoutError:
        raise _too_slow(pattern) from None


def _note(match, new: str, text: str, ctx) -> None:
    old = match.group()
    if not old:
        return
    ctx.report.record(old, new)
    if any(ch.isdigit() for ch in old):
        ctx.pitfalls.add("numbers", "regex", old)
    if any(ch.isalpha() and not ch.isascii() for ch in old):
        ctx.pitfalls.add("other_scripts", "regex", old)
    start, end = match.span()
    if new == "" and 0 < start and end < len(text) and text[start - 1].isalpha() \
            and text[end].isalpha():
        ctx.pitfalls.add("glued", "regex", _word_around(text, start, end))


def _word_around(text: str, start: int, end: int) -> str:
    left = start
    while left > 0 and not text[left - 1].isspace() and start - left < 30:
        left -= 1
    right = end
    while right < len(text) and not text[right].isspace() and right - end < 30:
        right += 1
    return text[left:right]


def _too_slow(pattern: str) -> InvalidSettingError:
    return InvalidSettingError(
        f"The regex pattern {pattern!r} took too long (it backtracks catastrophically, e.g. "
        "nested repeats like (a+)+); simplify it.")
