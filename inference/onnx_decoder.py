"""Runs a decoder-only ONNX language model with a key/value cache, in any common export layout.

The layout is the one optimum-style exports of Llama, Qwen and GPT-2 models share, and the one
Glassbox's own converter writes: inputs input_ids, attention_mask, optionally position_ids and
use_cache_branch, and past_key_values.{i}.key/value; outputs logits and present.{i}.key/value.
"""

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from inference.errors import ModelUnavailableError
from inference.onnx_session import open_session

log = logging.getLogger(__name__)

_PAST_NAME = re.compile(r"^past_key_values\.(\d+)\.(key|value)$")
_ORT_TYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16}


@dataclass(frozen=True)
class DecoderLayout:
    """What the graph's inputs say about the model."""

    num_layers: int
    num_kv_heads: int
    head_dim: int
    cache_dtype: type
    has_position_ids: bool
    has_cache_branch: bool


class DecoderSession:
    """One onnxruntime session of a decoder, stepping a batch through it with a cache."""

    def __init__(self, model_path: Path, *, threads: int | None = None):
        self.path = model_path
        # Decoding is one small step after another, where spinning threads pay off.
        self.session = open_session(model_path, threads=threads, spin=True,
                                    what="language model")
        self.config = read_model_config(model_path)
        self.layout = _read_layout(self.session, self.config)
        self._output_names = [output.name for output in self.session.get_outputs()]

    def empty_cache(self, batch: int) -> list[np.ndarray]:
        """A cache holding nothing yet, one (key, value) array pair per layer."""
        layout = self.layout
        shape = (batch, layout.num_kv_heads, 0, layout.head_dim)
        return [np.zeros(shape, dtype=layout.cache_dtype) for _ in range(2 * layout.num_layers)]

    def forward(self, input_ids: np.ndarray, attention_mask: np.ndarray,
                cache: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
        """Logits of the last position (batch, vocab) and the grown cache.

        input_ids: (batch, new) token ids; attention_mask: (batch, cached + new), 0 on padding.
        """
        feeds = {"input_ids": input_ids.astype(np.int64),
                 "attention_mask": attention_mask.astype(np.int64)}
        if self.layout.has_position_ids:
            feeds["position_ids"] = _position_ids(attention_mask, input_ids.shape[1])
        if self.layout.has_cache_branch:
            feeds["use_cache_branch"] = np.array([cache[0].shape[2] > 0])
        for layer in range(self.layout.num_layers):
            feeds[f"past_key_values.{layer}.key"] = cache[2 * layer]
            feeds[f"past_key_values.{layer}.value"] = cache[2 * layer + 1]

        outputs = dict(zip(self._output_names, self.session.run(self._output_names, feeds)))
        logits = outputs["logits"][:, -1, :].astype(np.float32)
        new_cache = []
        for layer in range(self.layout.num_layers):
            new_cache += [outputs[f"present.{layer}.key"], outputs[f"present.{layer}.value"]]
        return logits, new_cache


def reorder_cache(cache: list[np.ndarray], rows: np.ndarray) -> list[np.ndarray]:
    """The cache with its batch rows picked (and repeated) by `rows`, for beam search."""
    return [array[rows] for array in cache]


def _position_ids(attention_mask: np.ndarray, new: int) -> np.ndarray:
    # Positions count only real tokens, so left padding does not shift them.
    positions = np.cumsum(attention_mask, axis=1) - 1
    positions = np.where(attention_mask == 0, 1, positions)
    return positions[:, -new:].astype(np.int64)


def read_model_config(model_path: Path) -> dict:
    """config.json beside the model (or one folder up, for exports with an onnx/ folder)."""
    for folder in (model_path.parent, model_path.parent.parent):
        path = folder / "config.json"
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
    return {}


def _read_layout(session: ort.InferenceSession, config: dict) -> DecoderLayout:
    inputs = {item.name: item for item in session.get_inputs()}
    past = [name for name in inputs if _PAST_NAME.match(name)]
    if "input_ids" not in inputs or not past:
        raise ModelUnavailableError(
            "This ONNX model has no input_ids or no past_key_values inputs, so it is not a "
            "decoder with a key/value cache; export it with the cache (e.g. the "
            "text-generation-with-past task).")

    num_layers = 1 + max(int(_PAST_NAME.match(name).group(1)) for name in past)
    sample = inputs["past_key_values.0.key"]
    heads, head_dim = _kv_dims(sample.shape, config)
    return DecoderLayout(
        num_layers=num_layers,
        num_kv_heads=heads,
        head_dim=head_dim,
        cache_dtype=_ORT_TYPES.get(sample.type, np.float32),
        has_position_ids="position_ids" in inputs,
        has_cache_branch="use_cache_branch" in inputs,
    )


def _kv_dims(shape: list, config: dict) -> tuple[int, int]:
    # Exports usually fix heads and head size in the input shape; fall back on config.json.
    heads, head_dim = shape[1], shape[3]
    if not isinstance(heads, int):
        heads = config.get("num_kv_heads") or config.get("num_key_value_heads") \
            or config.get("num_attention_heads") or config.get("n_head")
    if not isinstance(head_dim, int):
        hidden = config.get("hidden_size") or config.get("n_embd")
        attention_heads = config.get("num_attention_heads") or config.get("n_head")
        head_dim = config.get("head_dim") or (hidden // attention_heads if hidden else None)
    if not heads or not head_dim:
        raise ModelUnavailableError("Cannot tell the key/value cache's shape: the model's "
                                    "inputs leave it open and there is no config.json beside it.")
    return int(heads), int(head_dim)
