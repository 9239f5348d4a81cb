"""What a cleaning step did (counts and examples) and what it may have cost (pitfalls)."""

from collections import Counter
from dataclasses import dataclass, field

MAX_EXAMPLES = 12
MAX_PITFALL_WORDS = 12


@dataclass
class StepReport:
    """Counts for one step: words changed or removed, characters before and after."""

    name: str
    changed: int = 0
    removed: int = 0
    chars_before: int = 0
    chars_after: int = 0
    seconds: float = 0.0
    examples: Counter = field(default_factory=Counter)

    def record(self, before: str, after: str) -> None:
        """Count one change; after is "" for a removal."""
        if after:
            self.changed += 1
        else:
            self.removed += 1
        self.examples[(before, after)] += 1

    def merge(self, other: "StepReport") -> None:
        self.changed += other.changed
        self.removed += other.removed
        self.chars_before += other.chars_before
        self.chars_after += other.chars_after
        self.seconds += other.seconds
        self.examples.update(other.examples)

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "changed": self.changed,
            "removed": self.removed,
            "chars_before": self.chars_before,
            "chars_after": self.chars_after,
            "seconds": round(self.seconds, 4),
            "examples": [{"before": b, "after": a, "count": n}
                         for (b, a), n in self.examples.most_common(MAX_EXAMPLES)],
        }


# Pitfall kinds, each with the sentence that explains the cost to a learner.
PITFALL_TEXT = {
    "negations": "Stopword removal dropped negations, which can flip a sentence's meaning "
                 "(\"not good\" becomes \"good\"); keep them with --keep-negations or the "
                 "\"Keep negations\" box.",
    "over_stemmed": "The stemmer produced non-words (e.g. \"university\" -> \"univers\"): fine "
                    "for search, bad for text a model or a person will read.",
    "proper_nouns": "Capitalised words inside sentences (probably names) were altered; "
                    "\"Apple\" the company and \"apple\" the fruit become one word.",
    "numbers": "Numbers were removed: quantities, dates and versions are lost.",
    "other_scripts": "Letters outside a-z (accents, other scripts) were removed: \"café\" "
                     "becomes \"caf\"; use a Unicode-aware pattern to keep them.",
    "glued": "Removing characters between letters glued words together (\"e-mail\" -> "
             "\"email\", \"don't\" -> \"dont\"); replace with a space instead.",
    "ambiguous_contractions": "Some contractions are ambiguous (\"he's\" is \"he is\" or "
                              "\"he has\", \"ain't\" many things); check the expansions.",
    "tokens_missing": "Model token counts are unavailable: ",
}


@dataclass
class Pitfall:
    """One cost of the chosen steps, with the words it hit."""

    kind: str
    step: str
    words: Counter = field(default_factory=Counter)
    detail: str = ""

    @property
    def count(self) -> int:
        return sum(self.words.values())

    @property
    def message(self) -> str:
        text = self.detail or PITFALL_TEXT.get(self.kind, self.kind)
        if not self.words:
            return text
        shown = ", ".join(f"\"{w}\" x{n}" if n > 1 else f"\"{w}\""
                          for w, n in self.words.most_common(MAX_PITFALL_WORDS))
        return f"{self.step}: {self.count} word(s): {shown}. {text}"

    def to_json(self) -> dict:
        return {"kind": self.kind, "step": self.step, "count": self.count,
                "words": dict(self.words.most_common(MAX_PITFALL_WORDS)),
                "message": self.message}


class PitfallLog:
    """Collects pitfalls by (kind, step) across steps and chunks."""

    def __init__(self):
        self._items: dict[tuple[str, str], Pitfall] = {}

    def add(self, kind: str, step: str, word: str = "", *, detail: str = "") -> None:
        pitfall = self._items.setdefault((kind, step), Pitfall(kind, step, detail=detail))
        if word:
            pitfall.words[word] += 1

    def merge(self, other: "PitfallLog") -> None:
        for key, pitfall in other._items.items():
            mine = self._items.setdefault(key, Pitfall(pitfall.kind, pitfall.step,
                                                       detail=pitfall.detail))
            mine.words.update(pitfall.words)

    def items(self) -> list[Pitfall]:
        return list(self._items.values())
