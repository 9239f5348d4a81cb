"""Convert the SmolLM2-135M-Instruct GGUF file into an ONNX decoder with a key/value cache."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import gguf
import numpy as np
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

from inference.errors import InvalidSettingError, ModelUnavailableError
from provision.onnx_graph import GraphBuilder, Value

log = logging.getLogger(__name__)

VARIANTS = ("q4", "float32")
MODEL_NAME = "SmolLM2-135M-Instruct"
CONTROL_TOKEN_TYPE = 3  # gguf.TokenType.CONTROL


@dataclass(frozen=True)
class LlamaShape:
    """The hyper-parameters of a Llama GGUF file that the graph depends on."""

    num_layers: int
    hidden_size: int
    ffn_size: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    rope_theta: float
    rms_eps: float
    vocab_size: int
    context_length: int
    bos_token_id: int
    eos_token_id: int


def build_smollm2(gguf_path: Path, out_dir: Path, *, variant: str) -> list[Path]:
    """Write ``model.onnx``, ``tokenizer.json`` and ``config.json`` for SmolLM2 into ``out_dir``.

    Parameters
    ----------
    gguf_path : Path
        The SmolLM2-135M-Instruct GGUF file (Q4_1 matrices, Q8_0 embedding).
    out_dir : Path
        Folder to write into; created if missing, files in it are overwritten.
    variant : {"q4", "float32"}
        "q4" stores the linear layers as 4-bit MatMulNBits, the tied output head as
        8-bit MatMulNBits and the embedding as int8 blocks; "float32" stores plain float32
        weights.

    Returns
    -------
    list of Path
        The written files, in the order above. Building twice gives identical bytes.
    """
    if variant not in VARIANTS:
        raise InvalidSettingError(f"Unknown SmolLM2 variant {variant!r}; use one of "
                                  f"{', '.join(VARIANTS)}.")
    started = time.perf_counter()
    reader = _open_gguf(gguf_path)
    shape = read_shape(reader)
    out_dir.mkdir(parents=True, exist_ok=True)

    paths = [out_dir / "model.onnx", out_dir / "tokenizer.json", out_dir / "config.json"]
    graph = build_graph(GgufWeights(reader, shape), shape, variant=variant)
    graph.save(paths[0], doc=f"{MODEL_NAME} ({variant}) converted from GGUF by Glassbox")
    del graph  # free its hundreds of MB of initializers before the next step
    build_tokenizer(reader).save(str(paths[1]), pretty=False)
    paths[2].write_text(json.dumps(make_config(reader, shape, variant), indent=2,
                                   ensure_ascii=False) + "\n", encoding="utf-8")
    log.info("Built SmolLM2 %s into %s in %.1f s", variant, out_dir,
             time.perf_counter() - started)
    return paths


# ----------------------------------------------------------------------- GGUF reading


def _open_gguf(path: Path) -> gguf.GGUFReader:
    try:
        reader = gguf.GGUFReader(path)
    except (OSError, ValueError) as error:
        raise ModelUnavailableError(f"Cannot read GGUF file {path}: {error}; re-run set-up "
                                    "to fetch it again.") from error
    architecture = _field(reader, "general.architecture")
    if architecture != "llama":
        raise ModelUnavailableError(f"{path} holds a {architecture!r} model, but the SmolLM2 "
                                    "converter only handles 'llama'.")
    return reader


_REQUIRED = object()


def _field(reader: gguf.GGUFReader, key: str, default: object = _REQUIRED) -> object:
    field = reader.get_field(key)
    if field is not None:
        return field.contents()
    if default is _REQUIRED:
        raise ModelUnavailableError(f"The GGUF file lacks the metadata key {key!r}; it is not "
                                    "a SmolLM2 file this converter knows.")
    return default


def read_shape(reader: gguf.GGUFReader) -> LlamaShape:
    """Read the Llama hyper-parameters from the GGUF header."""
    num_heads = int(_field(reader, "llama.attention.head_count"))
    hidden = int(_field(reader, "llama.embedding_length"))
    return LlamaShape(
        num_layers=int(_field(reader, "llama.block_count")),
        hidden_size=hidden,
        ffn_size=int(_field(reader, "llama.feed_forward_length")),
        num_heads=num_heads,
        num_kv_heads=int(_field(reader, "llama.attention.head_count_kv")),
        head_dim=hidden // num_heads,
        rope_theta=float(_field(reader, "llama.rope.freq_base")),
        # Stored as float32 in the file; round back to the decimal the model was trained with.
        rms_eps=float(f"{_field(reader, 'llama.attention.layer_norm_rms_epsilon'):.6g}"),
        vocab_size=len(_field(reader, "tokenizer.ggml.tokens")),
        context_length=int(_field(reader, "llama.context_length")),
        bos_token_id=int(_field(reader, "tokenizer.ggml.bos_token_id")),
        eos_token_id=int(_field(reader, "tokenizer.ggml.eos_token_id")),
    )


class GgufWeights:
    """Float32 weights from a Llama GGUF file in Hugging Face layout, [out, in]."""

    def __init__(self, reader: gguf.GGUFReader, shape: LlamaShape) -> None:
        self._tensors = {tensor.name: tensor for tensor in reader.tensors}
        self._shape = shape

    def has(self, name: str) -> bool:
        """Whether the file holds a tensor of this GGUF name."""
        return name in self._tensors

    def get(self, name: str) -> np.ndarray:
        """Dequantize one tensor by its GGUF name."""
        tensor = self._tensors.get(name)
        if tensor is None:
            raise ModelUnavailableError(f"The GGUF file has no tensor {name!r}.")
        values = gguf.quants.dequantize(tensor.data, tensor.tensor_type)
        return np.ascontiguousarray(values, dtype=np.float32)

    def attention(self, layer: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Q, K, V and output projections of one layer, rotary permutation undone."""
        prefix = f"blk.{layer}."
        q = unpermute_rotary(self.get(prefix + "attn_q.weight"), self._shape.num_heads)
        k = unpermute_rotary(self.get(prefix + "attn_k.weight"), self._shape.num_kv_heads)
        return q, k, self.get(prefix + "attn_v.weight"), self.get(prefix + "attn_output.weight")


def unpermute_rotary(weight: np.ndarray, num_heads: int) -> np.ndarray:
    """Undo llama.cpp's per-head row interleaving of a Q or K projection [out, in].

    llama.cpp rotates adjacent row pairs (0,1), (2,3)...; Hugging Face Llama rotates the
    two halves of each head. The converter reordered rows per head from halves to pairs;
    this puts them back.
    """
    rows = weight.shape[0]
    pairs = weight.reshape(num_heads, rows // num_heads // 2, 2, *weight.shape[1:])
    return np.ascontiguousarray(pairs.swapaxes(1, 2).reshape(weight.shape))


# ----------------------------------------------------------------------------- graph


def build_graph(weights: GgufWeights, shape: LlamaShape, *, variant: str) -> GraphBuilder:
    """The decoder graph with the optimum-style inputs, outputs and key/value cache."""
    g = GraphBuilder(MODEL_NAME)
    ids, mask, positions = _declare_io(g, shape)
    embedding = weights.get("token_embd.weight")  # [vocab, hidden]

    if variant == "q4":
        hidden = g.embedding_int8(ids, embedding, name="embed_tokens")
    else:
        table = g.add_initializer(embedding, "embed_tokens.weight")
        hidden = g.node("Gather", [table, ids])
    cos, sin = g.rotary_cos_sin(positions, shape.head_dim, shape.rope_theta)
    bias = g.attention_bias(ids, attention_mask=mask)  # [batch, 1, seq, total_seq]

    for layer in range(shape.num_layers):
        with g.scope(f"layers.{layer}"):
            hidden = _decoder_layer(g, weights, shape, layer, hidden, (cos, sin, bias),
                                    variant)
        log.debug("Added layer %d", layer)

    hidden = g.rms_norm(hidden, weights.get("output_norm.weight"), shape.rms_eps,
                        name="norm")
    # SmolLM2 ties the output head to the embedding; other Llama files carry their own.
    untied = weights.get("output.weight") if weights.has("output.weight") else None
    if variant == "q4":
        # 8 bits, not 4, for the head: a 4-bit head moved the top token of the reference
        # prompt (' Albert' -> ' Stephen'); 8 bits keep the float head's ranking.
        head = embedding if untied is None else untied
        g.linear_nbits(hidden, head, name="lm_head", output="logits", bits=8)
    elif untied is not None:
        g.linear(hidden, untied, name="lm_head", output="logits")
    else:
        _tied_head_float(g, hidden, ids, table, shape)
    return g


def _declare_io(g: GraphBuilder, shape: LlamaShape) -> tuple[Value, Value, Value]:
    cache_shape = ["batch_size", shape.num_kv_heads, "past_sequence_length", shape.head_dim]
    present_shape = ["batch_size", shape.num_kv_heads, "total_sequence_length", shape.head_dim]
    ids = g.add_input("input_ids", np.int64, ["batch_size", "sequence_length"])
    mask = g.add_input("attention_mask", np.int64, ["batch_size", "total_sequence_length"])
    positions = g.add_input("position_ids", np.int64, ["batch_size", "sequence_length"])
    for layer in range(shape.num_layers):
        for kind in ("key", "value"):
            g.add_input(f"past_key_values.{layer}.{kind}", np.float32, cache_shape)
    g.add_output("logits", np.float32, ["batch_size", "sequence_length", shape.vocab_size])
    for layer in range(shape.num_layers):
        for kind in ("key", "value"):
            g.add_output(f"present.{layer}.{kind}", np.float32, present_shape)
    return ids, mask, positions


def _linear(g: GraphBuilder, x: Value, weight: np.ndarray, name: str, variant: str) -> Value:
    if variant == "q4":
        return g.linear_nbits(x, weight, name=name)
    return g.linear(x, weight, name=name)


def _decoder_layer(g: GraphBuilder, weights: GgufWeights, shape: LlamaShape, layer: int,
                   hidden: Value, shared: tuple[Value, Value, Value], variant: str) -> Value:
    """One pre-norm Llama block: attention then SwiGLU, each with a residual."""
    prefix = f"blk.{layer}."
    normed = g.rms_norm(hidden, weights.get(prefix + "attn_norm.weight"), shape.rms_eps,
                        name="input_layernorm")
    attended = _self_attention(g, weights, shape, layer, normed, shared, variant)
    hidden = g.node("Add", [hidden, attended])

    normed = g.rms_norm(hidden, weights.get(prefix + "ffn_norm.weight"), shape.rms_eps,
                        name="post_attention_layernorm")
    return g.node("Add", [hidden, _mlp(g, weights, shape, layer, normed, variant)])


def _self_attention(g: GraphBuilder, weights: GgufWeights, shape: LlamaShape, layer: int,
                    x: Value, shared: tuple[Value, Value, Value], variant: str) -> Value:
    cos, sin, bias = shared
    heads, kv_heads, head_dim = shape.num_heads, shape.num_kv_heads, shape.head_dim
    q, k, v, o = weights.attention(layer)

    # One fused projection for Q, K and V. The 1/sqrt(head_dim) score scale is folded
    # into the Q rows: a power of two, so exact, and rotary is linear so order is moot.
    qkv = np.concatenate([q / np.sqrt(head_dim), k, v]).astype(np.float32)
    qkv = _linear(g, x, qkv, "self_attn.qkv_proj", variant)
    qkv = g.split_heads(qkv, heads + 2 * kv_heads, head_dim)  # [b, heads+2kv, seq, d]

    # Rotate Q and K together while they are still one tensor: half the rotary nodes.
    qk, v = g.split(qkv, [heads + kv_heads, kv_heads], axis=1)
    q, k = g.split(g.apply_rotary(qk, cos, sin, head_dim), [heads, kv_heads], axis=1)

    past = (f"past_key_values.{layer}.key", f"past_key_values.{layer}.value")
    present = (f"present.{layer}.key", f"present.{layer}.value")
    context, _, _ = g.attention(q, k, v, num_heads=heads, num_kv_heads=kv_heads,
                                head_dim=head_dim, scale=1.0, bias=bias, past=past,
                                present_names=present)
    context = g.merge_heads(context, heads, head_dim)
    return _linear(g, context, o, "self_attn.o_proj", variant)


def _mlp(g: GraphBuilder, weights: GgufWeights, shape: LlamaShape, layer: int, x: Value,
         variant: str) -> Value:
    """SwiGLU feed-forward with gate and up fused into one projection."""
    prefix = f"blk.{layer}."
    gate_up = np.concatenate([weights.get(prefix + "ffn_gate.weight"),
                              weights.get(prefix + "ffn_up.weight")])
    gate, up = g.split(_linear(g, x, gate_up, "mlp.gate_up_proj", variant),
                       [shape.ffn_size, shape.ffn_size], axis=-1)
    activated = g.node("Mul", [g.silu(gate), up])
    return _linear(g, activated, weights.get(prefix + "ffn_down.weight"), "mlp.down_proj",
                   variant)


def _tied_head_float(g: GraphBuilder, hidden: Value, ids: Value, table: Value,
                     shape: LlamaShape) -> None:
    # Gemm with transB reads the embedding table in place, so the tied head needs no
    # second, transposed 113 MB copy. Gemm wants 2-D input, hence the reshapes.
    flat = g.reshape(hidden, [-1, shape.hidden_size])
    logits = g.node("Gemm", [flat, table], transB=1)
    out_shape = g.concat([g.node("Shape", [ids]), g.const([shape.vocab_size])], axis=0)
    g.node("Reshape", [logits, out_shape], outputs=["logits"])


# ------------------------------------------------------------------- tokenizer and config


def build_tokenizer(reader: gguf.GGUFReader) -> Tokenizer:
    """Byte-level BPE from the GGUF vocabulary, merges and token types.

    Digits are split one by one before the GPT-2 byte-level split (the "smollm"
    pre-tokenizer); no prefix space and no BOS are added. Control tokens are special.
    """
    tokens = [str(token) for token in _field(reader, "tokenizer.ggml.tokens")]
    merges = [tuple(str(merge).split(" ", 1)) for merge in _field(reader,
                                                                   "tokenizer.ggml.merges")]
    token_types = _field(reader, "tokenizer.ggml.token_type")

    vocab = {token: index for index, token in enumerate(tokens)}
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges, fuse_unk=False))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tokenizer.decoder = decoders.ByteLevel()
    specials = [AddedToken(token, special=True, normalized=False)
                for token, kind in zip(tokens, token_types) if kind == CONTROL_TOKEN_TYPE]
    tokenizer.add_special_tokens(specials)
    log.debug("Tokenizer: %d tokens, %d merges, %d special", len(tokens), len(merges),
              len(specials))
    return tokenizer


def make_config(reader: gguf.GGUFReader, shape: LlamaShape, variant: str) -> dict[str, object]:
    """The config.json Glassbox's engine reads, with Hugging Face aliases for other tools."""
    tokens = _field(reader, "tokenizer.ggml.tokens")
    return {
        "architecture": "llama",
        "model_name": MODEL_NAME,
        "variant": variant,
        "num_layers": shape.num_layers,
        "num_attention_heads": shape.num_heads,
        "num_kv_heads": shape.num_kv_heads,
        "head_dim": shape.head_dim,
        "hidden_size": shape.hidden_size,
        "intermediate_size": shape.ffn_size,
        "vocab_size": shape.vocab_size,
        "context_length": shape.context_length,
        "rope_theta": shape.rope_theta,
        "rms_norm_eps": shape.rms_eps,
        "bos_token_id": shape.bos_token_id,
        "eos_token_id": shape.eos_token_id,
        "bos_token": str(tokens[shape.bos_token_id]),  # for templates that name them
        "eos_token": str(tokens[shape.eos_token_id]),
        "pad_token_id": int(_field(reader, "tokenizer.ggml.padding_token_id",
                                   shape.eos_token_id)),
        "chat_template": str(_field(reader, "tokenizer.chat_template")),
        "model_type": "llama",
        "num_hidden_layers": shape.num_layers,
        "num_key_value_heads": shape.num_kv_heads,
        "max_position_embeddings": shape.context_length,
        "tie_word_embeddings": all(t.name != "output.weight" for t in reader.tensors),
    }
