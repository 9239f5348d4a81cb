"""Fast checks of the SmolLM2 converter and graph helpers on a tiny synthetic Llama GGUF."""

import json

import gguf
import numpy as np
import onnxruntime as ort
import pytest
from tokenizers import pre_tokenizers

from provision.onnx_graph import GraphBuilder, dequantize_blockwise, quantize_blockwise
from provision.smollm2 import build_smollm2

LAYERS, HIDDEN, FFN, HEADS, KV_HEADS, THETA, EPS = 2, 64, 96, 4, 2, 10000.0, 1e-5
HEAD_DIM = HIDDEN // HEADS
CONTROL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
MERGES = ["Ġ t", "h e", "Ġt he"]


# ------------------------------------------------------------------------ tiny model


def _tokens() -> tuple[list[str], list[int]]:
    merged = [merge.replace(" ", "") for merge in MERGES]
    tokens = CONTROL + sorted(pre_tokenizers.ByteLevel.alphabet()) + merged
    types = [3] * len(CONTROL) + [1] * (len(tokens) - len(CONTROL))
    return tokens, types


def _random_weights(rng: np.random.Generator, vocab: int) -> dict[str, np.ndarray]:
    def matrix(rows: int, cols: int) -> np.ndarray:
        return (rng.standard_normal((rows, cols)) / np.sqrt(cols)).astype(np.float32)

    weights = {"token_embd.weight": matrix(vocab, HIDDEN),
               "output_norm.weight": (1 + 0.1 * rng.standard_normal(HIDDEN)).astype(np.float32)}
    for i in range(LAYERS):
        weights |= {
            f"blk.{i}.attn_norm.weight": (1 + 0.1 * rng.standard_normal(HIDDEN)).astype(np.float32),
            f"blk.{i}.ffn_norm.weight": (1 + 0.1 * rng.standard_normal(HIDDEN)).astype(np.float32),
            f"blk.{i}.attn_q.weight": matrix(HIDDEN, HIDDEN),
            f"blk.{i}.attn_k.weight": matrix(KV_HEADS * HEAD_DIM, HIDDEN),
            f"blk.{i}.attn_v.weight": matrix(KV_HEADS * HEAD_DIM, HIDDEN),
            f"blk.{i}.attn_output.weight": matrix(HIDDEN, HIDDEN),
            f"blk.{i}.ffn_gate.weight": matrix(FFN, HIDDEN),
            f"blk.{i}.ffn_up.weight": matrix(FFN, HIDDEN),
            f"blk.{i}.ffn_down.weight": matrix(HIDDEN, FFN),
        }
    return weights


def _llama_cpp_rows(weight: np.ndarray, heads: int) -> np.ndarray:
    # The row order llama.cpp's converter writes for Q and K: each head's two halves
    # interleaved pairwise.
    return weight.reshape(heads, 2, -1, weight.shape[1]).swapaxes(1, 2).reshape(weight.shape)


def _write_gguf(path, weights: dict[str, np.ndarray]) -> None:
    tokens, types = _tokens()
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_block_count(LAYERS)
    writer.add_context_length(256)
    writer.add_embedding_length(HIDDEN)
    writer.add_feed_forward_length(FFN)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(KV_HEADS)
    writer.add_rope_freq_base(THETA)
    writer.add_layer_norm_rms_eps(EPS)
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(MERGES)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_chat_template("{{ messages[0]['content'] }}")
    for name, array in weights.items():
        if name.endswith(("attn_q.weight", "attn_k.weight")):
            array = _llama_cpp_rows(array, HEADS if "attn_q" in name else KV_HEADS)
        writer.add_tensor(name, array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A random tiny Llama in GGUF form, its weights, and both converted variants."""
    folder = tmp_path_factory.mktemp("tiny")
    weights = _random_weights(np.random.default_rng(0), len(_tokens()[0]))
    _write_gguf(folder / "tiny.gguf", weights)
    outputs = {v: build_smollm2(folder / "tiny.gguf", folder / v, variant=v)
               for v in ("float32", "q4")}
    return {"gguf": folder / "tiny.gguf", "weights": weights, "outputs": outputs}


# ------------------------------------------------------------------ numpy reference


def _rms(x: np.ndarray, weight: np.ndarray) -> np.ndarray:
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + EPS) * weight


def _rotate(x: np.ndarray, positions: np.ndarray) -> np.ndarray:
    inv_freq = 1.0 / THETA ** (np.arange(0, HEAD_DIM, 2) / HEAD_DIM)
    angles = np.concatenate([positions[:, None] * inv_freq] * 2, axis=-1)
    half = np.concatenate([-x[..., HEAD_DIM // 2:], x[..., :HEAD_DIM // 2]], axis=-1)
    return x * np.cos(angles) + half * np.sin(angles)


def _attention(w: dict[str, np.ndarray], i: int, h: np.ndarray) -> np.ndarray:
    seq = len(h)
    q = (h @ w[f"blk.{i}.attn_q.weight"].T).reshape(seq, HEADS, HEAD_DIM).transpose(1, 0, 2)
    k = (h @ w[f"blk.{i}.attn_k.weight"].T).reshape(seq, KV_HEADS, HEAD_DIM).transpose(1, 0, 2)
    v = (h @ w[f"blk.{i}.attn_v.weight"].T).reshape(seq, KV_HEADS, HEAD_DIM).transpose(1, 0, 2)
    q, k = _rotate(q, np.arange(seq)), _rotate(k, np.arange(seq))
    k, v = np.repeat(k, HEADS // KV_HEADS, 0), np.repeat(v, HEADS // KV_HEADS, 0)
    scores = q @ k.transpose(0, 2, 1) / np.sqrt(HEAD_DIM)
    scores = np.where(np.tril(np.ones((seq, seq), bool)), scores, -np.inf)
    probs = np.exp(scores - scores.max(-1, keepdims=True))
    context = (probs / probs.sum(-1, keepdims=True)) @ v
    return context.transpose(1, 0, 2).reshape(seq, HIDDEN) @ w[f"blk.{i}.attn_output.weight"].T


def _reference_logits(w: dict[str, np.ndarray], ids: list[int]) -> np.ndarray:
    """Hugging Face-style Llama forward pass in float64 on the original weights."""
    w = {name: value.astype(np.float64) for name, value in w.items()}
    x = w["token_embd.weight"][ids]
    for i in range(LAYERS):
        x = x + _attention(w, i, _rms(x, w[f"blk.{i}.attn_norm.weight"]))
        h = _rms(x, w[f"blk.{i}.ffn_norm.weight"])
        gate = h @ w[f"blk.{i}.ffn_gate.weight"].T
        up = h @ w[f"blk.{i}.ffn_up.weight"].T
        x = x + (gate / (1 + np.exp(-gate)) * up) @ w[f"blk.{i}.ffn_down.weight"].T
    head = w.get("output.weight", w["token_embd.weight"])
    return _rms(x, w["output_norm.weight"]) @ head.T


# -------------------------------------------------------------------------- running


def _session(folder) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(folder / "model.onnx"), options,
                                providers=["CPUExecutionProvider"])


def _empty_cache(batch: int) -> dict[str, np.ndarray]:
    shape = (batch, KV_HEADS, 0, HEAD_DIM)
    return {f"past_key_values.{i}.{kind}": np.zeros(shape, np.float32)
            for i in range(LAYERS) for kind in ("key", "value")}


def _run(session, ids, mask=None, positions=None, cache=None):
    ids = np.asarray(ids, np.int64)
    cache = _empty_cache(len(ids)) if cache is None else cache
    past = next(iter(cache.values())).shape[2]
    mask = np.ones((len(ids), past + ids.shape[1]), np.int64) if mask is None else mask
    if positions is None:
        positions = np.broadcast_to(np.arange(past, past + ids.shape[1]), ids.shape)
    feeds = {"input_ids": ids, "attention_mask": mask,
             "position_ids": np.ascontiguousarray(positions, dtype=np.int64), **cache}
    names = [output.name for output in session.get_outputs()]
    results = dict(zip(names, session.run(None, feeds)))
    present = {f"past_key_values.{i}.{kind}": results[f"present.{i}.{kind}"]
               for i in range(LAYERS) for kind in ("key", "value")}
    return results["logits"], present


IDS = [100, 7, 261, 42, 3, 200, 150, 9, 77]


# ---------------------------------------------------------------------------- tests


def test_writes_the_three_files_with_the_optimum_interface(tiny):
    folder = tiny["outputs"]["q4"][0].parent
    assert [path.name for path in tiny["outputs"]["q4"]] == [
        "model.onnx", "tokenizer.json", "config.json"]
    session = _session(folder)
    assert [i.name for i in session.get_inputs()][:3] == [
        "input_ids", "attention_mask", "position_ids"]
    assert session.get_inputs()[3].name == "past_key_values.0.key"
    assert [o.name for o in session.get_outputs()][:3] == [
        "logits", "present.0.key", "present.0.value"]
    config = json.loads((folder / "config.json").read_text())
    assert (config["num_layers"], config["num_kv_heads"], config["head_dim"]) == (
        LAYERS, KV_HEADS, HEAD_DIM)
    assert config["variant"] == "q4" and config["eos_token_id"] == 2


def test_float32_matches_a_numpy_llama(tiny):
    logits, _ = _run(_session(tiny["outputs"]["float32"][0].parent), [IDS])
    expected = _reference_logits(tiny["weights"], IDS)
    np.testing.assert_allclose(logits[0], expected, atol=1e-4)


@pytest.mark.parametrize("variant", ["float32", "q4"])
def test_an_untied_output_head_is_used(tmp_path, variant):
    rng = np.random.default_rng(4)
    weights = _random_weights(rng, len(_tokens()[0]))
    weights["output.weight"] = rng.standard_normal(weights["token_embd.weight"].shape,
                                                   dtype=np.float32)
    _write_gguf(tmp_path / "untied.gguf", weights)
    folder = build_smollm2(tmp_path / "untied.gguf", tmp_path / "out", variant=variant)[0].parent
    logits, _ = _run(_session(folder), [IDS])
    expected = _reference_logits(weights, IDS)
    assert np.corrcoef(logits[0].ravel(), expected.ravel())[0, 1] > (
        0.999 if variant == "float32" else 0.9)
    assert json.loads((folder / "config.json").read_text())["tie_word_embeddings"] is False


def test_q4_stays_close_to_the_float_model(tiny):
    logits, _ = _run(_session(tiny["outputs"]["q4"][0].parent), [IDS])
    expected = _reference_logits(tiny["weights"], IDS)
    # 4-bit random weights are noisy (0.97 here); a layout mistake would give about 0.
    assert np.corrcoef(logits[0].ravel(), expected.ravel())[0, 1] > 0.9


def test_cache_steps_equal_one_full_pass(tiny):
    session = _session(tiny["outputs"]["float32"][0].parent)
    full, _ = _run(session, [IDS])
    first, cache = _run(session, [IDS[:4]])
    second, cache = _run(session, [IDS[4:7]], cache=cache)
    third, _ = _run(session, [IDS[7:]], cache=cache)
    np.testing.assert_allclose(np.concatenate([first, second, third], axis=1), full, atol=1e-5)


def test_left_padded_batch_equals_single_rows(tiny):
    session = _session(tiny["outputs"]["float32"][0].parent)
    short = IDS[:5]
    ids = np.array([IDS, [2] * 4 + short])
    mask = np.array([[1] * 9, [0] * 4 + [1] * 5])
    positions = np.maximum(np.cumsum(mask, axis=1) - 1, 0)
    batch, cache = _run(session, ids, mask, positions)
    np.testing.assert_allclose(batch[0], _run(session, [IDS])[0][0], atol=1e-5)
    np.testing.assert_allclose(batch[1, 4:], _run(session, [short])[0][0], atol=1e-5)

    # One cached decoding step keeps the rows apart too.
    step, _ = _run(session, [[5], [5]], np.concatenate([mask, [[1], [1]]], axis=1),
                   positions[:, -1:] + 1, cache)
    alone, _ = _run(session, [short + [5]])
    np.testing.assert_allclose(step[1, -1], alone[0, -1], atol=1e-5)


def test_build_is_byte_identical_twice(tiny, tmp_path):
    again = build_smollm2(tiny["gguf"], tmp_path, variant="q4")
    for first, second in zip(tiny["outputs"]["q4"], again):
        assert first.read_bytes() == second.read_bytes(), first.name


def test_unknown_variant_is_refused(tiny, tmp_path):
    with pytest.raises(ValueError, match="float16"):
        build_smollm2(tiny["gguf"], tmp_path, variant="float16")


def test_tokenizer_splits_digits_and_keeps_control_tokens_whole(tiny):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tiny["outputs"]["float32"][1]))
    encoding = tokenizer.encode("<|im_start|>the 2024 thé 🙂 中文")
    assert encoding.ids[0] == 1  # no BOS added, the control token kept whole
    assert encoding.tokens[1:4] == ["t", "he", "Ġ"] and encoding.tokens[4:8] == list("2024")
    assert "Ġthe" in tokenizer.encode("a the").tokens
    text = "Digits 0123456789, emoji 🙂👍🏽, CJK 中文字, accents éàü\n\ttabs"
    assert tokenizer.decode(tokenizer.encode(text).ids) == text


@pytest.mark.parametrize("bits", [4, 8])
def test_blockwise_quantization_round_trips_within_half_a_step(bits):
    weight = np.random.default_rng(1).standard_normal((8, 96)).astype(np.float32)
    packed, scales, zeros = quantize_blockwise(weight, bits, 32)
    error = np.abs(dequantize_blockwise(packed, scales, zeros, bits) - weight)
    assert np.all(error.reshape(8, 3, 32) <= scales[..., None] * 0.5 + 1e-6)


@pytest.mark.parametrize("bits", [4, 8])
def test_matmul_nbits_layout_matches_onnxruntime(bits):
    rng = np.random.default_rng(2)
    weight = rng.standard_normal((40, 96)).astype(np.float32)
    g = GraphBuilder("nbits")
    x = g.add_input("x", np.float32, ["batch", "seq", 96])
    g.linear_nbits(x, weight, bits=bits, accuracy_level=0, output="y")
    g.add_output("y", np.float32, ["batch", "seq", 40])
    session = ort.InferenceSession(g.build().SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    inputs = rng.standard_normal((2, 3, 96)).astype(np.float32)
    expected = inputs @ dequantize_blockwise(*quantize_blockwise(weight, bits), bits).T
    np.testing.assert_allclose(session.run(None, {"x": inputs})[0], expected, atol=1e-4)


def test_attention_block_without_groups_or_cache_is_causal_softmax():
    rng = np.random.default_rng(3)
    g = GraphBuilder("attn")
    q, k, v = (g.add_input(name, np.float32, [1, 2, "seq", 8]) for name in "qkv")
    bias = g.attention_bias(g.transpose(q, [0, 2, 1, 3]), key_len_of=g.transpose(
        k, [0, 2, 1, 3]), causal=True)
    context, _, _ = g.attention(q, k, v, num_heads=2, num_kv_heads=2, head_dim=8, bias=bias)
    g.node("Identity", [context], outputs=["out"])
    g.add_output("out", np.float32, [1, 2, "seq", 8])
    session = ort.InferenceSession(g.build().SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    feeds = {name: rng.standard_normal((1, 2, 5, 8)).astype(np.float32) for name in "qkv"}
    scores = feeds["q"] @ feeds["k"].transpose(0, 1, 3, 2) / np.sqrt(8)
    scores = np.where(np.tril(np.ones((5, 5), bool)), scores, -np.inf)
    probs = np.exp(scores - scores.max(-1, keepdims=True))
    expected = probs / probs.sum(-1, keepdims=True) @ feeds["v"]
    np.testing.assert_allclose(session.run(None, feeds)[0], expected, atol=1e-5)
