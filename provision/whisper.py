"""Builds Whisper encoder and cached decoder ONNX graphs from CTranslate2 weights, no torch.

The output uses the standard ONNX Whisper export layout (encoder_model.onnx,
decoder_model_merged.onnx with a use_cache_branch input, tokenizer.json, config.json), so the
runtime reads this build and a user's own export of a larger Whisper the same way.
"""

import json
import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

from provision.ctranslate2_reader import CT2Model, read_ct2_model
from provision.onnx_graph import MASK_VALUE, MS_DOMAIN, GraphBuilder

log = logging.getLogger(__name__)

LAYER_NORM_EPS = 1e-5


@dataclass(frozen=True)
class WhisperDims:
    """The sizes of one Whisper model, read off its weights."""

    n_mels: int
    d_model: int
    n_heads: int
    encoder_layers: int
    decoder_layers: int
    vocab_size: int
    max_positions: int
    audio_positions: int

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads


def dims_of(model: CT2Model) -> WhisperDims:
    """Infer the sizes from variable shapes (the layer count from the highest layer index)."""
    names = model.variables

    def count_layers(prefix: str) -> int:
        pattern = re.compile(rf"^{prefix}/layer_(\d+)/")
        return len({match.group(1) for match in map(pattern.match, names) if match})

    embeddings = model.get("decoder/embeddings/weight")
    return WhisperDims(
        n_mels=model.get("encoder/conv1/weight").shape[1],
        d_model=embeddings.shape[1],
        n_heads=int(model.get("encoder/num_heads")),
        encoder_layers=count_layers("encoder"),
        decoder_layers=count_layers("decoder"),
        vocab_size=embeddings.shape[0],
        max_positions=model.get("decoder/position_encodings/encodings").shape[0],
        audio_positions=model.get("encoder/position_encodings/encodings").shape[0],
    )


class _Weights:
    """float32 views of a CTranslate2 model's variables under a path prefix."""

    def __init__(self, model: CT2Model, prefix: str = ""):
        self.model = model
        self.prefix = prefix

    def __getitem__(self, name: str) -> np.ndarray:
        return self.model.get(self.prefix + name).astype(np.float32)

    def sub(self, name: str) -> "_Weights":
        return _Weights(self.model, f"{self.prefix}{name}/")


# ------------------------------------------------------------------------------- encoder


def build_encoder(model: CT2Model, dims: WhisperDims, *, int8: bool = False) -> onnx.ModelProto:
    """input_features [batch, n_mels, 3000] -> last_hidden_state [batch, 1500, d_model]."""
    g = GraphBuilder("whisper_encoder")
    g.int8 = int8
    w = _Weights(model, "encoder/")
    frames = 2 * dims.audio_positions
    x = g.add_input("input_features", np.float32, ["batch_size", dims.n_mels, frames])

    # Two convolutions; the second halves the frame rate to the encoder's 1500 positions.
    x = g.gelu(_conv(g, x, w.sub("conv1"), stride=1))
    x = g.gelu(_conv(g, x, w.sub("conv2"), stride=2))
    x = g.transpose(x, [0, 2, 1])  # [batch, 1500, d_model]
    x = g.node("Add", [x, g.add_initializer(w["position_encodings/encodings"], "positions")])

    for index in range(dims.encoder_layers):
        with g.scope(f"layer_{index}"):
            x = _encoder_layer(g, x, w.sub(f"layer_{index}"), dims)
    x = _layer_norm(g, x, w.sub("layer_norm"), "ln_post")
    g.node("Identity", [x], outputs=["last_hidden_state"])
    g.add_output("last_hidden_state", np.float32,
                 ["batch_size", dims.audio_positions, dims.d_model])
    return g.build(doc="Whisper encoder converted from CTranslate2 weights by Glassbox.")


def _conv(g: GraphBuilder, x: str, w: _Weights, *, stride: int) -> str:
    weight = g.add_initializer(w["weight"], "conv.weight")
    bias = g.add_initializer(w["bias"], "conv.bias")
    return g.node("Conv", [x, weight, bias], kernel_shape=[3], pads=[1, 1], strides=[stride])


def _layer_norm(g: GraphBuilder, x: str, w: _Weights, name: str) -> str:
    return g.layer_norm(x, w["gamma"], w["beta"], LAYER_NORM_EPS, name=name)


def _encoder_layer(g: GraphBuilder, x: str, w: _Weights, dims: WhisperDims) -> str:
    attn = w.sub("self_attention")
    h = _layer_norm(g, x, attn.sub("layer_norm"), "attn_ln")
    fused = _linear(g, h, attn["linear_0/weight"], attn["linear_0/bias"], "qkv")
    q, k, v = g.split(fused, [dims.d_model] * 3, axis=-1)
    # onnxruntime's fused MultiHeadAttention kernel: heads split, scaled, softmaxed and merged
    # in one node, which is faster on the 1500-frame sequence than separate MatMul/Softmax.
    context = g.node("MultiHeadAttention", [q, k, v], domain=MS_DOMAIN,
                     num_heads=dims.n_heads)
    out = attn.sub("linear_1")
    x = g.node("Add", [x, _linear(g, context, out["weight"], out["bias"], "out")])
    return _ffn(g, x, w.sub("ffn"))


def _linear(g: GraphBuilder, x: str, weight: np.ndarray, bias: np.ndarray | None,
            name: str) -> str:
    """x @ weight.T + bias, as an int8 DynamicQuantizeMatMul when the build asks for int8."""
    if not getattr(g, "int8", False):
        return g.linear(x, weight, bias, name=name)
    quantized, scales = quantize_columns(np.ascontiguousarray(weight.T))
    inputs = [x, g.add_initializer(quantized, f"{name}.qweight"),
              g.add_initializer(scales, f"{name}.scales"), ""]
    if bias is not None:
        inputs.append(g.add_initializer(bias.astype(np.float32), f"{name}.bias"))
    return g.node("DynamicQuantizeMatMul", inputs, domain=MS_DOMAIN)


def quantize_columns(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 with one scale per output column of a [in, out] matrix."""
    scales = np.abs(matrix).max(axis=0) / 127.0
    scales = np.where(scales > 0, scales, 1.0).astype(np.float32)
    quantized = np.clip(np.round(matrix / scales), -127, 127).astype(np.int8)
    return quantized, scales


def _split_qkv(g: GraphBuilder, x: str, w: _Weights, dims: WhisperDims) -> list[str]:
    # CTranslate2 fuses the query, key and value projections into one [3*d, d] matrix.
    fused = _linear(g, x, w["weight"], w["bias"], "qkv")
    parts = g.split(fused, [dims.d_model] * 3, axis=-1)
    return [g.split_heads(part, dims.n_heads, dims.head_dim) for part in parts]


def _residual_out(g: GraphBuilder, x: str, context: str, w: _Weights, dims: WhisperDims) -> str:
    merged = g.merge_heads(context, dims.n_heads, dims.head_dim)
    return g.node("Add", [x, _linear(g, merged, w["weight"], w["bias"], "out")])


def _ffn(g: GraphBuilder, x: str, w: _Weights) -> str:
    h = _layer_norm(g, x, w.sub("layer_norm"), "ffn_ln")
    h = g.gelu(_linear(g, h, w["linear_0/weight"], w["linear_0/bias"], "fc1"))
    h = _linear(g, h, w["linear_1/weight"], w["linear_1/bias"], "fc2")
    return g.node("Add", [x, h])


# ------------------------------------------------------------------------------- decoder


def build_decoder(model: CT2Model, dims: WhisperDims, *, int8: bool = False) -> onnx.ModelProto:
    """The merged decoder: one graph for the first step and for cached steps.

    With use_cache_branch false the cross-attention keys and values are computed from
    encoder_hidden_states; with it true they are passed through from the past inputs.
    """
    g = GraphBuilder("whisper_decoder")
    g.int8 = int8
    w = _Weights(model, "decoder/")
    ids = g.add_input("input_ids", np.int64, ["batch_size", "decoder_sequence_length"])
    encoder_states = g.add_input("encoder_hidden_states", np.float32,
                                 ["batch_size", "encoder_sequence_length", dims.d_model])
    past = _add_past_inputs(g, dims)
    use_cache = g.add_input("use_cache_branch", np.bool_, [1])

    x, bias = _embed(g, w, ids, past[0][0])
    for index in range(dims.decoder_layers):
        with g.scope(f"layer_{index}"):
            x = _decoder_layer(g, x, w.sub(f"layer_{index}"), dims, index, bias,
                               past[index], encoder_states, use_cache)
    x = _layer_norm(g, x, w.sub("layer_norm"), "ln_final")
    _logits(g, x, dims)
    _add_outputs(g, dims)
    return g.build(doc="Whisper decoder (merged, key/value cache) converted from CTranslate2 "
                       "weights by Glassbox.")


def _add_past_inputs(g: GraphBuilder, dims: WhisperDims) -> list[tuple[str, str]]:
    shape = ["batch_size", dims.n_heads, "past_decoder_sequence_length", dims.head_dim]
    cross_shape = ["batch_size", dims.n_heads, "encoder_sequence_length_out", dims.head_dim]
    past = []
    for index in range(dims.decoder_layers):
        names = [g.add_input(f"past_key_values.{index}.decoder.{kind}", np.float32, shape)
                 for kind in ("key", "value")]
        past.append(tuple(names))
        for kind in ("key", "value"):
            g.add_input(f"past_key_values.{index}.encoder.{kind}", np.float32, cross_shape)
    return past


def _embed(g: GraphBuilder, w: _Weights, ids: str, past_key: str) -> tuple[str, str]:
    """Token plus position embeddings, and the causal attention bias [seq, past + seq]."""
    g.embedding_array = w["embeddings/weight"]
    table = g.add_initializer(g.embedding_array, "embed_tokens")
    g.shared_embedding = table
    past_len = g.squeeze(g.dim(past_key, 2), [0])
    seq_len = g.squeeze(g.dim(ids, 1), [0])
    total = g.node("Add", [past_len, seq_len])
    positions = g.node("Range", [past_len, total, g.const(1)])
    pos_table = g.add_initializer(w["position_encodings/encodings"], "embed_positions")
    x = g.node("Add", [g.node("Gather", [table, ids]),
                       g.node("Gather", [pos_table, positions])])

    # Key j is visible to the query at absolute position p when j <= p.
    key_pos = g.unsqueeze(g.node("Range", [g.const(0), total, g.const(1)]), [0])
    allowed = g.node("LessOrEqual", [key_pos, g.unsqueeze(positions, [1])])
    bias = g.node("Where", [allowed, g.const(0.0, np.float32), g.const(MASK_VALUE, np.float32)])
    return x, bias


def _decoder_layer(g: GraphBuilder, x: str, w: _Weights, dims: WhisperDims, index: int,
                   bias: str, past: tuple[str, str], encoder_states: str,
                   use_cache: str) -> str:
    attn = w.sub("self_attention")
    h = _layer_norm(g, x, attn.sub("layer_norm"), "self_attn_ln")
    q, k, v = _split_qkv(g, h, attn.sub("linear_0"), dims)
    present = (f"present.{index}.decoder.key", f"present.{index}.decoder.value")
    context, _, _ = g.attention(q, k, v, num_heads=dims.n_heads, num_kv_heads=dims.n_heads,
                                head_dim=dims.head_dim, bias=bias, past=past,
                                present_names=present)
    x = _residual_out(g, x, context, attn.sub("linear_1"), dims)

    cross_w = w.sub("attention")
    h = _layer_norm(g, x, cross_w.sub("layer_norm"), "cross_attn_ln")
    q = _linear(g, h, cross_w["linear_0/weight"], cross_w["linear_0/bias"], "cross_q")
    q = g.node("Mul", [g.split_heads(q, dims.n_heads, dims.head_dim),
                       g.const(1.0 / np.sqrt(dims.head_dim), np.float32)])
    context = _cross_attention(g, q, cross_w, dims, index, encoder_states, use_cache)
    x = _residual_out(g, x, context, cross_w.sub("linear_2"), dims)
    return _ffn(g, x, w.sub("ffn"))


def _cross_attention(g: GraphBuilder, q: str, w: _Weights, dims: WhisperDims, index: int,
                     encoder_states: str, use_cache: str) -> str:
    """Cross-attention context [batch, heads, seq, head_dim] inside an If node.

    The first step (use_cache_branch false) projects the encoder states to keys and values
    and outputs them as present.{index}.encoder.*; cached steps attend over the past inputs
    and output empty placeholders, so no step copies the 1500-row cache.
    """
    past_k = f"past_key_values.{index}.encoder.key"
    past_v = f"past_key_values.{index}.encoder.value"
    present = [f"present.{index}.encoder.key", f"present.{index}.encoder.value"]
    p = f"cross_attn/layer_{index}"

    cached = _attention_nodes(f"{p}/cached", q, past_k, past_v)
    zero, axis = g.const([0]), g.const([2])
    for name, source in zip(present, (past_k, past_v)):
        cached.append(helper.make_node("Slice", [source, zero, zero, axis],
                                       [f"{p}/cached/{name}"]))
    then_outputs = [_float_info(f"{p}/cached/context")] + [
        _float_info(f"{p}/cached/{name}") for name in present]

    fresh = _cross_kv_nodes(g, f"{p}/fresh", encoder_states, w.sub("linear_1"), dims)
    fresh += _attention_nodes(f"{p}/fresh", q, f"{p}/fresh/key", f"{p}/fresh/value")
    else_outputs = [_float_info(f"{p}/fresh/{name}") for name in ("context", "key", "value")]

    then_graph = helper.make_graph(cached, f"cross_attn_{index}_cached", [], then_outputs)
    else_graph = helper.make_graph(fresh, f"cross_attn_{index}_first", [], else_outputs)
    context = f"{p}/context"
    g.node("If", [use_cache], outputs=[context] + present, then_branch=then_graph,
           else_branch=else_graph)
    return context


def _attention_nodes(p: str, q: str, k: str, v: str) -> list[onnx.NodeProto]:
    # q is already scaled by 1/sqrt(head_dim); no mask: every query sees every audio frame.
    return [
        helper.make_node("Transpose", [k], [f"{p}/k_t"], perm=[0, 1, 3, 2]),
        helper.make_node("MatMul", [q, f"{p}/k_t"], [f"{p}/scores"]),
        helper.make_node("Softmax", [f"{p}/scores"], [f"{p}/probs"], axis=-1),
        helper.make_node("MatMul", [f"{p}/probs", v], [f"{p}/context"]),
    ]


def _cross_kv_nodes(g: GraphBuilder, prefix: str, states: str, fused: _Weights,
                    dims: WhisperDims) -> list[onnx.NodeProto]:
    # [batch, frames, d] @ [d, 2d] -> split -> [batch, heads, frames, head_dim] each. The
    # weights live in the outer graph; the branch refers to them by name.
    p = prefix
    split_sizes = g.const([dims.d_model, dims.d_model])
    heads_shape = g.const([0, -1, dims.n_heads, dims.head_dim])
    weight = np.ascontiguousarray(fused["weight"].T)
    bias = g.add_initializer(fused["bias"], f"{p}.bias")
    if getattr(g, "int8", False):
        quantized, scales = quantize_columns(weight)
        project = helper.make_node(
            "DynamicQuantizeMatMul",
            [states, g.add_initializer(quantized, f"{p}.qweight"),
             g.add_initializer(scales, f"{p}.scales"), "", bias], [f"{p}/kv"],
            domain=MS_DOMAIN)
        nodes = [project]
    else:
        nodes = [
            helper.make_node("MatMul", [states, g.add_initializer(weight, f"{p}.weight")],
                             [f"{p}/matmul"]),
            helper.make_node("Add", [f"{p}/matmul", bias], [f"{p}/kv"]),
        ]
    nodes.append(helper.make_node("Split", [f"{p}/kv", split_sizes], [f"{p}/k", f"{p}/v"],
                                  axis=-1))
    for short, kind in (("k", "key"), ("v", "value")):
        nodes += [
            helper.make_node("Reshape", [f"{p}/{short}", heads_shape], [f"{p}/{short}_heads"]),
            helper.make_node("Transpose", [f"{p}/{short}_heads"], [f"{p}/{kind}"],
                             perm=[0, 2, 1, 3]),
        ]
    return nodes


def _float_info(name: str) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, None)


def _logits(g: GraphBuilder, x: str, dims: WhisperDims) -> None:
    # The output projection is tied to the token embedding: Gemm with transB reuses that table
    # instead of storing a transposed 80 MB copy.
    flat = g.reshape(x, [-1, dims.d_model])
    if getattr(g, "int8", False):
        quantized, scales = quantize_columns(np.ascontiguousarray(g.embedding_array.T))
        scores = g.node("DynamicQuantizeMatMul",
                        [flat, g.add_initializer(quantized, "lm_head.qweight"),
                         g.add_initializer(scales, "lm_head.scales")], domain=MS_DOMAIN)
    else:
        scores = g.node("Gemm", [flat, g.shared_embedding], transB=1)
    batch = g.dim(x, 0)
    shape = g.concat([batch, g.const([-1, dims.vocab_size])], axis=0)
    g.node("Reshape", [scores, shape], outputs=["logits"])


def _add_outputs(g: GraphBuilder, dims: WhisperDims) -> None:
    g.add_output("logits", np.float32, ["batch_size", "decoder_sequence_length",
                                        dims.vocab_size])
    for index in range(dims.decoder_layers):
        for part in ("decoder", "encoder"):
            for kind in ("key", "value"):
                g.add_output(f"present.{index}.{part}.{kind}", np.float32,
                             ["batch_size", dims.n_heads, f"present_{part}_length",
                              dims.head_dim])


# --------------------------------------------------------------------------------- files


def build_whisper(model_dir: Path, out_dir: Path, *, int8: bool = False) -> None:
    """Convert a CTranslate2 Whisper folder (model.bin, config.json, tokenizer.json).

    int8: linear layers become int8 DynamicQuantizeMatMul (one scale per output column), the
    same precision faster-whisper runs at; the convolutions and norms stay float32.
    """
    model = read_ct2_model(model_dir / "model.bin")
    dims = dims_of(model)
    log.info("Whisper dims: %s (int8 %s)", dims, int8)

    onnx.save(build_encoder(model, dims, int8=int8), str(out_dir / "encoder_model.onnx"))
    onnx.save(build_decoder(model, dims, int8=int8), str(out_dir / "decoder_model_merged.onnx"))
    shutil.copyfile(model_dir / "tokenizer.json", out_dir / "tokenizer.json")
    ct2_config = json.loads((model_dir / "config.json").read_text())
    config = _hf_style_config(dims, ct2_config)
    (out_dir / "config.json").write_text(json.dumps(config, indent=2))


def _hf_style_config(dims: WhisperDims, ct2_config: dict) -> dict:
    # The key names of a transformers Whisper config, so one reader serves both layouts.
    return {
        "model_type": "whisper",
        "num_mel_bins": dims.n_mels,
        "d_model": dims.d_model,
        "encoder_layers": dims.encoder_layers,
        "decoder_layers": dims.decoder_layers,
        "decoder_attention_heads": dims.n_heads,
        "vocab_size": dims.vocab_size,
        "max_target_positions": dims.max_positions,
        "max_source_positions": dims.audio_positions,
        "suppress_tokens": ct2_config.get("suppress_ids", []),
        "begin_suppress_tokens": ct2_config.get("suppress_ids_begin", []),
        "alignment_heads": ct2_config.get("alignment_heads", []),
        "lang_ids": ct2_config.get("lang_ids", []),
        "converted_by": "glassbox provision/whisper.py from CTranslate2 model.bin",
    }
