"""Contraction expansion with the `contractions` package, and its known quirks handled."""

import functools
import re

# Words with an apostrophe (straight or curly), and the colloquial forms the package expands.
_CANDIDATE_RE = re.compile(
    r"(?i)['’]?\b[^\W\d_]+(?:['’][^\W\d_]*)+|\b(?:gonna|gotta|wanna|kinda|gimme|whatcha)\b")
_NEXT_WORD_RE = re.compile(r"\s+([A-Za-z]+)")

# The package turns "o'clock" into "of the clock"; nobody writes that.
_KEEP = {"o'clock", "o’clock"}
# After "'s"/"'d", these words mean "has"/"had", not "is"/"would": "she's been", "I'd gone".
_PERFECT_NEXT = {"been", "got", "gotten", "had", "done", "gone", "seen", "known", "made",
                 "taken", "given", "become", "left", "told", "said", "found", "heard", "lost",
                 "kept", "brought", "bought", "forgotten", "eaten", "written", "spoken",
                 "finished", "started", "tried", "decided", "already", "never", "better"}
_AMBIGUOUS = re.compile(r"(?i)^(?!let)[a-z]+['’](s|d)$|^ain['’]t$")


@functools.lru_cache(maxsize=65536)
def _expand(token: str) -> str:
    # Imported here: the package reads its word lists from disk when imported.
    import contractions

    # slang=False: slang mode rewrites ordinary words ("u", "ya") that are not contractions.
    return contractions.fix(token, slang=False)


def expand_contractions(text: str, ctx) -> str:
    """Expand "don't" / "don’t" to "do not" and friends, counting each expansion."""
    def fix(match: re.Match) -> str:
        token = match.group()
        if token.lower() in _KEEP:
            return token
        new = _with_context(token, _next_word(text, match.end()), ctx)
        if new != token:
            ctx.report.record(token, new)
        return new

    return _CANDIDATE_RE.sub(fix, text)


def _next_word(text: str, position: int) -> str:
    found = _NEXT_WORD_RE.match(text, position)
    return found.group(1).lower() if found else ""


def _with_context(token: str, next_word: str, ctx) -> str:
    new = _expand(token)
    if new == token or not _AMBIGUOUS.match(token):
        return new
    suffix = token[-1].lower()
    if suffix in "sd" and next_word in _PERFECT_NEXT:
        head = new.rsplit(" ", 1)[0]
        return f"{head} {'has' if suffix == 's' else 'had'}"
    ctx.pitfalls.add("ambiguous_contractions", "contractions", token.lower())
    return new
