"""Word error rate with the normalization speech tests need (case, punctuation, numbers)."""

import re
from dataclasses import dataclass

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = [(10 ** 9, "billion"), (10 ** 6, "million"), (1000, "thousand"), (100, "hundred")]
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def number_to_words(number: int) -> str:
    """English words for a whole number (e.g. 9 -> "nine", 1250 -> "one thousand two hundred
    fifty")."""
    if number < 20:
        return _ONES[number]
    if number < 100:
        tens, ones = divmod(number, 10)
        return _TENS[tens] + (f" {_ONES[ones]}" if ones else "")
    for scale, name in _SCALES:
        if number >= scale:
            high, rest = divmod(number, scale)
            words = f"{number_to_words(high)} {name}"
            return words + (f" {number_to_words(rest)}" if rest else "")
    return str(number)


def normalize_text(text: str) -> list[str]:
    """Lower-case words with punctuation dropped and digits spelled out ("9:30" -> nine thirty).

    Times "9:00" read as "nine" (and "o'clock"), so digits and words score the same.
    """
    text = text.lower().replace("%", " percent").replace("&", " and ")
    text = re.sub(r"(\d):00\b", r"\1", text)
    text = re.sub(r"(\d),(\d{3})", r"\1\2", text)
    text = re.sub(r"[-/:]", " ", text)
    words = []
    for token in _WORD.findall(text.replace("’", "'")):
        if token.isdigit() and len(token) < 13:
            words += number_to_words(int(token)).split()
        elif token != "o'clock":
            words.append(token)
    return words


@dataclass
class WerResult:
    """Word error rate and its parts (substitutions, deletions, insertions)."""

    wer: float
    substitutions: int
    deletions: int
    insertions: int
    reference_words: int
    hypothesis_words: int

    def as_dict(self) -> dict:
        return {"wer": round(self.wer, 4), "substitutions": self.substitutions,
                "deletions": self.deletions, "insertions": self.insertions,
                "reference_words": self.reference_words,
                "hypothesis_words": self.hypothesis_words}


def word_error_rate(reference: str, hypothesis: str) -> WerResult:
    """(S + D + I) / reference words after normalize_text; an empty reference scores 0 or 1."""
    ref, hyp = normalize_text(reference), normalize_text(hypothesis)
    subs, dels, ins = _align(ref, hyp)
    if not ref:
        return WerResult(float(bool(hyp)), 0, 0, len(hyp), 0, len(hyp))
    return WerResult((subs + dels + ins) / len(ref), subs, dels, ins, len(ref), len(hyp))


def _align(ref: list[str], hyp: list[str]) -> tuple[int, int, int]:
    # Levenshtein over words; each cell holds (cost, substitutions, deletions, insertions).
    previous = [(j, 0, 0, j) for j in range(len(hyp) + 1)]
    for i in range(1, len(ref) + 1):
        current = [(i, 0, i, 0)]
        for j in range(1, len(hyp) + 1):
            if ref[i - 1] == hyp[j - 1]:
                current.append(previous[j - 1])
                continue
            sub, dele, ins = previous[j - 1], previous[j], current[j - 1]
            best = min((sub[0], 0), (dele[0], 1), (ins[0], 2))
            if best[1] == 0:
                current.append((sub[0] + 1, sub[1] + 1, sub[2], sub[3]))
            elif best[1] == 1:
                current.append((dele[0] + 1, dele[1], dele[2] + 1, dele[3]))
            else:
                current.append((ins[0] + 1, ins[1], ins[2], ins[3] + 1))
        previous = current
    _, subs, dels, ins = previous[-1]
    return subs, dels, ins
