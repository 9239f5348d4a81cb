"""Cleaning steps on real NLTK data and the real language-model tokenizer."""

import pytest

from inference.errors import InvalidSettingError
from pipelines.cleaning.diff import inline_runs, word_diff
from pipelines.cleaning.options import CleaningOptions, parse_steps
from pipelines.cleaning.pipeline import clean_text
from pipelines.cleaning.stemming import STEMMER_NAMES, compare_stemmers, stem_word
from pipelines.cleaning.tokens import count_tokens, model_tokenizer

BATS = ("The striped bats weren’t hanging on their feet, they were running better than "
        "geese.")
ALL_STEPS = ("unicode", "contractions", "lower", "regex", "stopwords", "lemmatize", "stem",
             "tidy")


def clean(text: str, *steps: str, **options):
    return clean_text(text, CleaningOptions(steps=steps, **options))


def test_lemmatize_the_bats_sentence():
    words = clean(BATS, "lower", "contractions", "lemmatize").text.split()

    for expected in ("bat", "hang", "foot", "run", "goose"):
        assert expected in [w.strip(",.") for w in words]
    assert "be not" in " ".join(words) or "were not" in " ".join(words)
    assert "well" in words or "good" in words


@pytest.mark.parametrize("sentence, word, lemma", [
    ("She ran home.", "ran", "run"),
    ("He does the dishes.", "does", "do"),
    ("This is a better plan.", "better", "good"),
    ("The children were running.", "children", "child"),
    # A fragment left by stopword removal: the tagger calls "geese" an adjective, which
    # WordNet does not know, so the noun reading decides.
    ("geese running.", "geese", "goose"),
])
def test_lemmatize_uses_the_part_of_speech(sentence, word, lemma):
    result = clean(sentence, "lemmatize")

    assert lemma in result.text.split() or f"{lemma}." in result.text.split()
    assert word not in result.text.split()


def test_lemmatize_keeps_proper_nouns():
    result = clean("Williams flew to Mars. I met Ada Williams.", "lemmatize")

    assert result.text == "Williams fly to Mars. I meet Ada Williams."


@pytest.mark.parametrize("text, expected", [
    ("don't", "do not"), ("don’t", "do not"), ("Don’t panic", "Do not panic"),
    ("at 5 o'clock", "at 5 o'clock"), ("she's been away", "she has been away"),
    ("I'd gone", "I had gone"), ("John's book", "John's book"),
])
def test_contractions(text, expected):
    assert clean(text, "contractions").text == expected


def test_ambiguous_contraction_is_flagged():
    result = clean("He's happy.", "contractions")

    assert result.text == "He is happy."
    assert any(p.kind == "ambiguous_contractions" for p in result.pitfalls)


def test_unicode_normalisation():
    result = clean("“Curly” quotes, it’s a\u00a0ﬁne day\u200b.", "unicode")

    assert result.text == "\"Curly\" quotes, it's a fine day."
    assert result.steps[0].changed >= 4


def test_regex_letters_only_preset_reports_numbers_and_other_scripts():
    result = clean("Café 42 costs €3", "regex")

    assert result.text == "Caf  costs "
    kinds = {p.kind for p in result.pitfalls}
    assert {"numbers", "other_scripts"} <= kinds


def test_regex_custom_pattern_with_replacement_and_groups():
    result = clean("call 555-1234 now", "regex", pattern=r"(\d+)-(\d+)", replacement=r"\2")

    assert result.text == "call 1234 now"
    assert result.steps[0].changed == 1


def test_regex_that_glues_words_is_flagged():
    result = clean("e-mail me", "regex", pattern="-", replacement="")

    assert result.text == "email me"
    assert any(p.kind == "glued" for p in result.pitfalls)


@pytest.mark.parametrize("pattern", ["[a-z", "(unclosed", "*start", "a{2,1}"])
def test_invalid_regex_names_the_pattern(pattern):
    with pytest.raises(InvalidSettingError, match="Invalid regex pattern") as caught:
        clean("text", "regex", pattern=pattern)
    assert repr(pattern) in str(caught.value)


def test_catastrophic_regex_stops_with_a_clear_error():
    with pytest.raises(InvalidSettingError, match="took too long"):
        clean("a" * 40, "regex", pattern=r"(a|a)+b")


def test_stopwords_drop_negations_with_a_warning():
    result = clean("This is not good", "stopwords")

    assert result.text == "good"
    assert any("not" in warning and "negation" in warning for warning in result.warnings)


def test_keep_negations_keeps_not():
    result = clean("This is not good", "stopwords", keep_negations=True)

    assert result.text == "not good"
    assert not any("negation" in warning for warning in result.warnings)


def test_custom_stopword_list():
    result = clean("the quick brown fox", "stopwords", stopwords=frozenset({"quick", "fox"}))

    assert result.text == "the brown"


def test_stopword_removal_saves_model_tokens():
    text = ("It is a truth that is known to all of us that the best of the plans are the ones "
            "that we have made for ourselves and not for the others.")
    result = clean(text, "stopwords")

    assert result.before.tokens == count_tokens(text) > 0
    assert result.after.tokens < result.before.tokens


def test_token_counts_match_the_tokenizer_over_chunk_boundaries():
    text = "Tokenizers split text into pieces. " * 5000
    direct = len(model_tokenizer().encode(text, add_special_tokens=False).ids)

    assert count_tokens(text) == direct


@pytest.mark.parametrize("name", STEMMER_NAMES)
@pytest.mark.parametrize("word", ["oed", "oing", "toed", "eing", "x" * 10_000,
                                  "abcdefghij" * 1000, "naïve", "東京", "2024"])
def test_every_stemmer_survives_odd_words(name, word):
    stem = stem_word(name, word)

    assert isinstance(stem, str) and stem


def test_a_ten_thousand_character_word_is_really_stemmed():
    word = "relational" * 1000

    assert stem_word("porter", word) != word
    assert len(stem_word("snowball", word)) < len(word)


def test_stemmer_comparison_marks_disagreement_and_non_words():
    rows = {row.word: row for row in compare_stemmers("university generalization running")}

    assert rows["university"].stems["porter"] == "univers"
    assert "porter" in rows["university"].non_words
    assert rows["generalization"].disagree


def test_stem_step_flags_over_stemming():
    result = clean("the university library", "stem", stemmer="porter")

    assert "univers" in result.text
    assert any(p.kind == "over_stemmed" for p in result.pitfalls)


def test_lowercase_flags_names_inside_sentences():
    result = clean("We visited Paris in spring.", "lower")

    assert result.text == "we visited paris in spring."
    assert any(p.kind == "proper_nouns" and "Paris" in p.words for p in result.pitfalls)


def test_tidy_whitespace_and_punctuation():
    result = clean("Hello ,  world !!  ( yes )\n\n\n\nEnd", "tidy")

    assert result.text == "Hello, world! (yes)\n\nEnd"


@pytest.mark.parametrize("text", ["", "?!.,;:--", "x" * 10_000,
                                  "Hello мир 世界 🙂 مرحبا — naïve café", "   \n\n  "])
def test_odd_inputs_go_through_every_step(text):
    result = clean(text, *ALL_STEPS)

    assert result.after.chars <= max(len(text), 1) * 2
    assert len(result.steps) == len(ALL_STEPS)


def test_emoji_and_other_scripts_survive_a_unicode_aware_pipeline():
    text = "Hello мир 世界 🙂 naïve café"
    result = clean(text, "unicode", "lower", "regex", "tidy", preset="letters-any-script")

    assert result.text == "hello мир 世界 naïve café"


def test_json_report_has_the_documented_fields():
    data = clean(BATS, "lower", "stopwords").to_json()

    assert {"text", "tokens_before", "tokens_after", "steps", "warnings"} <= set(data)
    assert [step["name"] for step in data["steps"]] == ["lower", "stopwords"]
    assert data["steps"][1]["removed"] > 0


def test_unknown_step_and_stemmer_are_rejected():
    with pytest.raises(InvalidSettingError, match="Unknown cleaning step"):
        parse_steps("lower,shout")
    with pytest.raises(InvalidSettingError, match="no step"):
        parse_steps(" , ")
    with pytest.raises(InvalidSettingError, match="porter, snowball or lancaster"):
        CleaningOptions(stemmer="paice")


def test_word_diff_pairs_similar_words():
    old, new = BATS, clean(BATS, "lower", "contractions", "stopwords", "lemmatize").text
    diff = word_diff(old, new)
    changed = {(old[op.old[0].start:op.old[0].end], new[op.new[0].start:op.new[0].end])
               for op in diff.ops if op.kind == "changed"}

    assert ("geese", "goose") in changed and ("feet", "foot") in changed
    assert ("removed", "The") in inline_runs(old, new, diff)
