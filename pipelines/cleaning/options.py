"""The settings of a cleaning run, checked once with messages that say how to fix them."""

from dataclasses import dataclass

from inference.errors import InvalidSettingError

STEP_NAMES = ("unicode", "lower", "contractions", "regex", "stopwords", "lemmatize", "stem",
              "tidy")
DEFAULT_STEPS = ("unicode", "contractions", "lower", "tidy")
STEMMERS = ("porter", "snowball", "lancaster")


@dataclass(frozen=True)
class CleaningOptions:
    """Which steps run, in which order, and how each is set up.

    stopwords None means NLTK's English list; pattern None means the chosen regex preset.
    """

    steps: tuple[str, ...] = DEFAULT_STEPS
    stemmer: str = "porter"
    preset: str = "letters-only"
    pattern: str | None = None
    replacement: str = ""
    stopwords: frozenset[str] | None = None
    keep_negations: bool = False
    count_tokens: bool = True

    def __post_init__(self):
        unknown = [name for name in self.steps if name not in STEP_NAMES]
        if unknown:
            raise InvalidSettingError(
                f"Unknown cleaning step(s) {', '.join(unknown)}; choose from "
                f"{', '.join(STEP_NAMES)}.")
        if self.stemmer not in STEMMERS:
            raise InvalidSettingError(
                f"Unknown stemmer '{self.stemmer}'; choose porter, snowball or lancaster.")


def parse_steps(text: str) -> tuple[str, ...]:
    """'lower, stem' -> ('lower', 'stem'), checked; an empty list is an error."""
    steps = tuple(part.strip().lower() for part in text.split(",") if part.strip())
    if not steps:
        raise InvalidSettingError(
            f"--steps '{text}' names no step; give a comma-separated list such as "
            f"{','.join(DEFAULT_STEPS)}.")
    CleaningOptions(steps=steps)
    return steps
