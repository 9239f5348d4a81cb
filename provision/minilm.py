"""Convert all-MiniLM-L6-v2 (a 6-layer BERT) from safetensors to a hand-built ONNX graph."""

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from safetensors.numpy import load_file

from inference.errors import GlassboxError
from provision.onnx_graph import GraphBuilder

log = logging.getLogger(__name__)

# The model was trained on up to 128 word pieces but has 512 positions; 256 is what the
# sentence-transformers card allows, and the library's chunker keeps every chunk within it.
MAX_TOKENS = 256
REFERENCE_PAIR = ("A man is playing a guitar.", "A person strums an instrument.")
REFERENCE_COSINE = 0.5753  # transformers 5.x on the same weights gives 0.57534
REFERENCE_TOLERANCE = 0.002


@dataclass(frozen=True)
class BertConfig:
    """The shape of the network, read from the model's config.json."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    eps: float
    max_positions: int

    @classmethod
    def from_file(cls, path: Path) -> "BertConfig":
        raw = json.loads(path.read_text())
        if raw.get("hidden_act") != "gelu" or raw.get("model_type") != "bert":
            raise GlassboxError(f"{path} is not a BERT model with exact GELU; "
                                "the MiniLM converter cannot build it.")
        return cls(hidden=raw["hidden_size"], layers=raw["num_hidden_layers"],
                   heads=raw["num_attention_heads"], intermediate=raw["intermediate_size"],
                   eps=raw["layer_norm_eps"], max_positions=raw["max_position_embeddings"])


def build_minilm(model_dir: Path, out_dir: Path) -> None:
    """Write model.onnx, tokenizer.json and config.json for the embedder into out_dir."""
    config = BertConfig.from_file(model_dir / "config.json")
    weights = load_file(str(model_dir / "model.safetensors"))

    model = build_graph(weights, config)
    onnx.save_model(model, str(out_dir / "model.onnx"))
    write_tokenizer(model_dir / "tokenizer.json", out_dir / "tokenizer.json")
    (out_dir / "config.json").write_text(json.dumps({
        "dimensions": config.hidden, "max_tokens": MAX_TOKENS, "pooling": "mean",
        "normalize": True, "layers": config.layers, "heads": config.heads,
    }, indent=2))

    cosine = reference_cosine(out_dir)
    log.info("MiniLM reference cosine %.4f (expected about %.4f)", cosine, REFERENCE_COSINE)
    if abs(cosine - REFERENCE_COSINE) > REFERENCE_TOLERANCE:
        raise GlassboxError(f"The converted MiniLM gives cosine {cosine:.3f} for the reference "
                            f"pair instead of about {REFERENCE_COSINE}; the conversion is wrong.")


def build_graph(weights: dict[str, np.ndarray], config: BertConfig) -> onnx.ModelProto:
    """The BERT encoder: input_ids, attention_mask [batch, seq] -> last_hidden_state."""
    g = GraphBuilder("all-MiniLM-L6-v2")
    input_ids = g.add_input("input_ids", np.int64, ["batch", "sequence"])
    mask = g.add_input("attention_mask", np.int64, ["batch", "sequence"])

    x = _embeddings(g, weights, config, input_ids)
    bias = g.attention_bias(input_ids, attention_mask=mask, causal=False)
    for index in range(config.layers):
        with g.scope(f"layer{index}"):
            x = _encoder_layer(g, weights, config, x, bias, f"encoder.layer.{index}.")

    g.node("Identity", [x], outputs=["last_hidden_state"])
    g.add_output("last_hidden_state", np.float32, ["batch", "sequence", config.hidden])
    return g.build(doc="all-MiniLM-L6-v2 encoder; mean-pool over attention_mask, then "
                       "L2-normalize, to get sentence embeddings.")


def _embeddings(g: GraphBuilder, w: dict, config: BertConfig, input_ids: str) -> str:
    with g.scope("embeddings"):
        words = g.add_initializer(w["embeddings.word_embeddings.weight"], "word_embeddings")
        positions = g.add_initializer(w["embeddings.position_embeddings.weight"],
                                      "position_embeddings")
        x = g.node("Gather", [words, input_ids])  # [batch, seq, hidden]

        seq_len = g.squeeze(g.dim(input_ids, 1), [0])
        position_ids = g.node("Range", [g.const(0), seq_len, g.const(1)])
        x = g.node("Add", [x, g.node("Gather", [positions, position_ids])])

        # Single sentences only ever use token type 0, so its row is a constant.
        type_row = w["embeddings.token_type_embeddings.weight"][0]
        x = g.node("Add", [x, g.add_initializer(type_row, "token_type_0")])
        return g.layer_norm(x, w["embeddings.LayerNorm.weight"],
                            w["embeddings.LayerNorm.bias"], config.eps, name="norm")


def _encoder_layer(g: GraphBuilder, w: dict, config: BertConfig, x: str, bias: str,
                   prefix: str) -> str:
    head_dim = config.hidden // config.heads
    attn = prefix + "attention."

    # Self-attention, then residual and post-norm (BERT normalizes after the sum).
    q, k, v = (g.split_heads(g.linear(x, w[f"{attn}self.{part}.weight"],
                                      w[f"{attn}self.{part}.bias"], name=part),
                             config.heads, head_dim) for part in ("query", "key", "value"))
    context, _, _ = g.attention(q, k, v, num_heads=config.heads, num_kv_heads=config.heads,
                                head_dim=head_dim, bias=bias)
    context = g.merge_heads(context, config.heads, head_dim)
    out = g.linear(context, w[f"{attn}output.dense.weight"], w[f"{attn}output.dense.bias"],
                   name="attention_out")
    x = g.layer_norm(g.node("Add", [x, out]), w[f"{attn}output.LayerNorm.weight"],
                     w[f"{attn}output.LayerNorm.bias"], config.eps, name="attention_norm")

    # Feed-forward with exact GELU, residual, post-norm.
    hidden = g.gelu(g.linear(x, w[prefix + "intermediate.dense.weight"],
                             w[prefix + "intermediate.dense.bias"], name="intermediate"))
    out = g.linear(hidden, w[prefix + "output.dense.weight"], w[prefix + "output.dense.bias"],
                   name="output")
    return g.layer_norm(g.node("Add", [x, out]), w[prefix + "output.LayerNorm.weight"],
                        w[prefix + "output.LayerNorm.bias"], config.eps, name="output_norm")


def write_tokenizer(source: Path, target: Path) -> None:
    """Copy tokenizer.json without its built-in truncation and fixed 128 padding.

    Padding to 128 wastes work on short texts, and silent truncation at 128 would cut
    chunks the library made to fit 256; the embedder pads each batch and checks lengths.
    """
    raw = json.loads(source.read_text(encoding="utf-8"))
    raw["truncation"] = None
    raw["padding"] = None
    target.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")


def reference_cosine(folder: Path) -> float:
    """Cosine of MODELS.md's reference pair, embedded with the files in folder."""
    from inference.embedding import Embedder

    embedder = Embedder(folder)
    vectors = embedder.embed(list(REFERENCE_PAIR)).vectors
    return float(vectors[0] @ vectors[1])
