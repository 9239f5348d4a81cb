"""The generation engine on the real SmolLM2 model: strategies, streaming, cache, errors."""

import shutil
import threading

import numpy as np
import pytest

from inference.errors import InvalidSettingError, ModelUnavailableError
from inference.generation import DEFAULT_MODEL, GenerationOptions, TextGenerator, load_generator
from inference.manifest import require_model
from inference.text_tokenizer import StreamingDetokenizer

PROMPT = "To date, the cleverest thinker of all time was"
PROMPT_IDS = [2068, 3688, 28, 260, 1233, 2679, 302, 35682, 282, 511, 655, 436]


@pytest.fixture(scope="module")
def generator() -> TextGenerator:
    return load_generator(DEFAULT_MODEL)


def test_tokenizer_matches_the_reference_ids(generator):
    assert generator.prompt_ids(PROMPT) == PROMPT_IDS


def test_greedy_names_einstein_and_reports_the_first_distribution(generator):
    result = generator.generate(PROMPT, GenerationOptions(max_new_tokens=8, top_probs=5))
    assert result.next_token_top[0][0] == " Albert"
    assert result.text.startswith(" Albert Einstein")
    assert len(result.next_token_top) == 5
    probs = [prob for _, prob in result.next_token_top]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) < 1
    assert [t.text for t in result.tokens][:2] == [" Albert", " Einstein"]
    assert all(0 < t.prob <= 1 for t in result.tokens)


def test_settings_that_leave_one_token_give_exactly_the_greedy_text(generator):
    greedy = generator.generate(PROMPT, GenerationOptions(max_new_tokens=16)).text
    for options in (GenerationOptions(strategy="sample", temperature=0, max_new_tokens=16),
                    GenerationOptions(strategy="sample", top_p=0, max_new_tokens=16, seed=1),
                    GenerationOptions(strategy="sample", top_k=1, max_new_tokens=16)):
        assert generator.generate(PROMPT, options).text == greedy


def test_a_seed_makes_sampling_reproducible(generator):
    options = GenerationOptions(strategy="sample", seed=1234, max_new_tokens=24, temperature=1.2)
    first = generator.generate(PROMPT, options).text
    assert generator.generate(PROMPT, options).text == first
    others = {generator.generate(PROMPT, GenerationOptions(
        strategy="sample", seed=seed, max_new_tokens=24, temperature=1.2)).text
        for seed in (1, 2, 3)}
    assert len(others | {first}) > 1


def test_beam_search_returns_an_n_best_list_and_clamps_absurd_widths(generator):
    result = generator.generate(PROMPT, GenerationOptions(strategy="beam", num_beams=3,
                                                          max_new_tokens=6))
    assert len(result.beams) == 3
    scores = [beam["score"] for beam in result.beams]
    assert scores == sorted(scores, reverse=True)
    assert result.text == result.beams[0]["text"]

    clamped = generator.generate(PROMPT, GenerationOptions(strategy="beam", num_beams=100_000,
                                                           max_new_tokens=2))
    assert any("num_beams 100000" in note for note in clamped.notes)


def test_a_stop_sequence_ends_the_text_before_it(generator):
    options = GenerationOptions(max_new_tokens=30, stop=(" Einstein",))
    events = list(generator.stream(PROMPT, options))
    result = events[-1].result
    assert result.stop_reason == "stop sequence"
    assert result.text == " Albert"
    assert "".join(e.text for e in events if e.kind in ("token", "text")) == " Albert"


def test_cancelling_stops_at_the_next_step_and_keeps_the_text(generator):
    cancel = threading.Event()
    events = []
    for event in generator.stream(PROMPT, GenerationOptions(max_new_tokens=200), cancel=cancel):
        events.append(event)
        if event.kind == "token":
            cancel.set()
    result = events[-1].result
    assert result.stop_reason == "cancelled"
    assert len(result.tokens) == 1 and result.text == " Albert"


def test_streamed_pieces_never_split_a_character(generator):
    text = "Grüße, 日本語 and emoji 😀🎉 — ok"
    detokenizer = StreamingDetokenizer(generator.tokenizer)
    pieces = [detokenizer.push(i) for i in generator.tokenizer.encode(text)]
    pieces.append(detokenizer.flush())
    assert "".join(pieces) == text
    assert not any("\ufffd" in piece for piece in pieces)


def test_the_cache_gives_the_same_logits_as_a_full_pass(generator):
    decoder = generator.decoder
    ids = np.array([PROMPT_IDS], dtype=np.int64)
    full, _ = decoder.forward(ids, np.ones_like(ids), decoder.empty_cache(1))

    head = ids[:, :-3]
    logits, cache = decoder.forward(head, np.ones_like(head), decoder.empty_cache(1))
    for position in range(ids.shape[1] - 3, ids.shape[1]):
        mask = np.ones((1, position + 1), dtype=np.int64)
        logits, cache = decoder.forward(ids[:, position:position + 1], mask, cache)
    np.testing.assert_allclose(logits, full, atol=2e-3)


def test_left_padding_in_a_batch_changes_nothing():
    # float32: the 4-bit model rounds activations to int8, which magnifies the tiny float
    # differences between batch shapes (same top token, logits off by up to ~1).
    decoder = load_generator("smollm2-135m-instruct-f32").decoder
    short = PROMPT_IDS[4:]
    alone, _ = decoder.forward(np.array([short]), np.ones((1, len(short))),
                               decoder.empty_cache(1))
    padded = np.array([[2] * 4 + short, PROMPT_IDS])
    mask = np.array([[0] * 4 + [1] * len(short), [1] * len(PROMPT_IDS)])
    batch, _ = decoder.forward(padded, mask, decoder.empty_cache(2))
    np.testing.assert_allclose(batch[0], alone[0], atol=1e-3)


def test_the_chat_template_wraps_the_prompt(generator):
    ids = generator.prompt_ids("What is the capital of France?", chat=True)
    assert ids[0] == 1  # <|im_start|>
    answer = generator.generate("What is the capital of France?",
                                GenerationOptions(max_new_tokens=20), chat=True)
    assert "Paris" in answer.text and answer.stop_reason in ("end of text", "max_new_tokens")


def test_bad_prompts_and_settings_say_what_is_wrong(generator):
    with pytest.raises(InvalidSettingError, match="empty"):
        generator.generate("", GenerationOptions())
    with pytest.raises(InvalidSettingError, match="temperature"):
        GenerationOptions(strategy="sample", temperature=-1)
    with pytest.raises(InvalidSettingError, match="strategy"):
        GenerationOptions(strategy="telepathy")


def test_a_long_generation_is_capped_by_the_context(generator, monkeypatch):
    # A small context stands in for 8192 tokens, which would take minutes to fill here.
    monkeypatch.setattr(generator, "context_length", len(PROMPT_IDS) + 5)
    result = generator.generate(PROMPT, GenerationOptions(max_new_tokens=100_000))
    assert len(result.tokens) <= 5
    assert any("context length" in note for note in result.notes)
    with pytest.raises(InvalidSettingError, match="reads at most"):
        generator.prompt_ids(PROMPT + PROMPT)


@pytest.fixture()
def broken_models_dir(tmp_path, monkeypatch):
    """A copy of the default model's folder that a test may damage."""
    source = require_model(DEFAULT_MODEL)
    target = tmp_path / "models"
    shutil.copytree(source.folder, target / DEFAULT_MODEL)
    shutil.copy(source.folder.parent / "build-record.json", target / "build-record.json")
    monkeypatch.setenv("GLASSBOX_MODELS_DIR", str(target))
    return target / DEFAULT_MODEL


def test_a_corrupt_model_file_names_the_file_and_the_fix(broken_models_dir):
    model_file = broken_models_dir / "model.onnx"
    data = bytearray(model_file.read_bytes())
    data[len(data) // 2: len(data) // 2 + 64] = b"\x00" * 64
    model_file.write_bytes(bytes(data))

    with pytest.raises(ModelUnavailableError) as caught:
        require_model(DEFAULT_MODEL, full_check=True)
    assert "model.onnx is corrupt" in str(caught.value)
    assert "glassbox setup-models --only" in str(caught.value)


def test_a_truncated_model_file_fails_to_load_with_a_clear_message(broken_models_dir):
    model_file = broken_models_dir / "model.onnx"
    model_file.write_bytes(model_file.read_bytes()[:4096])
    with pytest.raises(ModelUnavailableError, match="Could not load the language model"):
        TextGenerator(model_file)


@pytest.mark.parametrize("prompt", ["Emoji time 🎉", "日本の首都は"])
def test_text_cut_by_the_token_limit_never_ends_in_a_broken_character(generator, prompt):
    for limit in range(1, 9):
        result = generator.generate(prompt, GenerationOptions(max_new_tokens=limit))
        assert "\ufffd" not in result.text


def test_a_token_holding_part_of_a_character_shows_its_bytes(generator):
    ids = generator.tokenizer.encode("🎉")
    assert len(ids) > 1
    shown = [generator.tokenizer.token_text(i) for i in ids]
    assert all("\ufffd" not in text for text in shown)
    assert shown[0].startswith("\\xf0")


@pytest.mark.parametrize("options, message", [
    (dict(strategy="sample", seed=-1), "seed must be between 0"),
    (dict(top_k=-5), "top_k must be 0 \\(off\\) or a positive whole number"),
    (dict(strategy="beam", length_penalty=-100), "length_penalty must be between"),
])
def test_settings_are_checked_whatever_the_strategy(options, message):
    with pytest.raises(InvalidSettingError, match=message):
        GenerationOptions(**options)


def test_a_model_of_another_kind_is_refused_by_name():
    with pytest.raises(ModelUnavailableError, match="not a language model"):
        load_generator("whisper-tiny-en")


def test_a_model_dropped_in_the_optimum_layout_is_listed_and_generates(tmp_path, monkeypatch):
    # The layout of common exports: the graph under onnx/, tokenizer and config beside it.
    source = require_model(DEFAULT_MODEL).folder
    mine = tmp_path / "my-llama"
    (mine / "onnx").mkdir(parents=True)
    shutil.copy(source / "model.onnx", mine / "onnx" / "model.onnx")
    for name in ("tokenizer.json", "config.json"):
        shutil.copy(source / name, mine / name)
    monkeypatch.setenv("GLASSBOX_MODELS_DIR", str(tmp_path))

    from inference.manifest import all_models

    entry = next(model for model in all_models() if model.name == "my-llama")
    assert entry.kind == "text-generation" and entry.user_supplied
    result = load_generator("my-llama").generate(PROMPT, GenerationOptions(max_new_tokens=3))
    assert result.text.startswith(" Albert Einstein") and result.model == "my-llama"
