"""A word-level diff of the input and the cleaned output: what was kept, changed or removed."""

import difflib
from dataclasses import dataclass

from pipelines.cleaning.words import WORD_RE

# Above this many words per side, the quadratic matcher is too slow for an interactive view.
MAX_DIFF_WORDS = 20_000


@dataclass(frozen=True)
class WordSpan:
    """A word's character span in its text."""

    start: int
    end: int


@dataclass(frozen=True)
class DiffOp:
    """One run of the diff: kind is "equal", "removed", "changed" or "added"."""

    kind: str
    old: tuple[WordSpan, ...]
    new: tuple[WordSpan, ...]


@dataclass
class WordDiff:
    ops: list[DiffOp]
    truncated: bool

    def counts(self) -> dict[str, int]:
        totals = {"equal": 0, "removed": 0, "changed": 0, "added": 0}
        for op in self.ops:
            totals[op.kind] += max(len(op.old), len(op.new))
        return totals


_KINDS = {"equal": "equal", "delete": "removed", "replace": "changed", "insert": "added"}


def word_diff(old_text: str, new_text: str) -> WordDiff:
    """Match words case-insensitively, so lowercasing alone does not count as a change."""
    old = [m.span() for m in WORD_RE.finditer(old_text)]
    new = [m.span() for m in WORD_RE.finditer(new_text)]
    truncated = max(len(old), len(new)) > MAX_DIFF_WORDS
    old, new = old[:MAX_DIFF_WORDS], new[:MAX_DIFF_WORDS]
    old_words = [old_text[a:b].lower().replace("’", "'") for a, b in old]
    new_words = [new_text[a:b].lower().replace("’", "'") for a, b in new]

    matcher = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False)
    ops: list[DiffOp] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "replace":
            ops.extend(_pair_block(old[i1:i2], new[j1:j2], old_words[i1:i2], new_words[j1:j2]))
        else:
            ops.append(DiffOp(_KINDS[tag], _spans(old[i1:i2]), _spans(new[j1:j2])))
    return WordDiff(ops, truncated)


def _spans(pairs) -> tuple[WordSpan, ...]:
    return tuple(WordSpan(*pair) for pair in pairs)


# A replaced word is shown as "changed" into a similar word ("geese" -> "goose") only above
# this similarity; otherwise it is a removal plus an addition ("better" -> "well").
MIN_SIMILARITY = 0.3
MAX_PAIRING_CELLS = 40_000


def _pair_block(old, new, old_words, new_words) -> list[DiffOp]:
    """Align a replaced block word by word, pairing similar words, keeping the order."""
    if len(old) * len(new) > MAX_PAIRING_CELLS:
        return [DiffOp("removed", _spans(old), ()), DiffOp("added", (), _spans(new))]
    pairs = _best_pairs(old_words, new_words)
    ops, i, j = [], 0, 0
    for pi, pj in pairs + [(len(old), len(new))]:
        if i < pi:
            ops.append(DiffOp("removed", _spans(old[i:pi]), ()))
        if j < pj:
            ops.append(DiffOp("added", (), _spans(new[j:pj])))
        if pi < len(old):
            ops.append(DiffOp("changed", _spans(old[pi:pi + 1]), _spans(new[pj:pj + 1])))
        i, j = pi + 1, pj + 1
    return ops


def _best_pairs(old_words: list[str], new_words: list[str]) -> list[tuple[int, int]]:
    # Order-preserving alignment maximising the summed similarity of the pairs (a small DP).
    rows, cols = len(old_words), len(new_words)
    score = [[0.0] * (cols + 1) for _ in range(rows + 1)]
    for i in range(rows - 1, -1, -1):
        for j in range(cols - 1, -1, -1):
            similarity = _similarity(old_words[i], new_words[j])
            paired = score[i + 1][j + 1] + similarity if similarity >= MIN_SIMILARITY else -1
            score[i][j] = max(paired, score[i + 1][j], score[i][j + 1])
    pairs, i, j = [], 0, 0
    while i < rows and j < cols:
        similarity = _similarity(old_words[i], new_words[j])
        if similarity >= MIN_SIMILARITY and score[i][j] == score[i + 1][j + 1] + similarity:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif score[i][j] == score[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def inline_runs(old_text: str, new_text: str, diff: WordDiff) -> list[tuple[str, str]]:
    """(kind, text) runs for an inline view: the output with the removed words put back.

    Separators (spaces, punctuation, line breaks) come from the output; kind is "equal",
    "removed" or "added" (a changed word is its old form removed, then its new form added).
    """
    runs: list[tuple[str, str]] = []
    cursor = 0
    for op in diff.ops:
        old = " ".join(old_text[s.start:s.end] for s in op.old)
        if not op.new:
            _add(runs, "removed", old)
            continue
        first, last = op.new[0], op.new[-1]
        _add(runs, "equal", new_text[cursor:first.start])
        if op.kind == "changed":
            _add(runs, "removed", old)
        _add(runs, "equal" if op.kind == "equal" else "added", new_text[first.start:last.end])
        cursor = last.end
    _add(runs, "equal", new_text[cursor:])
    return runs


def _add(runs: list[tuple[str, str]], kind: str, text: str) -> None:
    # Words put back or placed after a removed word need a space the output does not have.
    if not text:
        return
    previous = runs[-1] if runs else ("equal", "")
    needs_space = previous[1] and not previous[1][-1].isspace() and not text[0].isspace()
    if needs_space and (kind == "removed" or previous[0] == "removed") and text[0].isalnum():
        runs.append(("equal", " "))
    runs.append((kind, text))
