"""Small builder for hand-made ONNX graphs: numpy weights in, a deterministic ModelProto out."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

logger = logging.getLogger(__name__)

OPSET = 17
IR_VERSION = 8  # the IR version that goes with opset 17; newer ones are refused by older runtimes
MS_DOMAIN = "com.microsoft"

# Large negative bias instead of -inf: a fully masked row (left padding) then gives a uniform
# softmax instead of NaN, which would otherwise spread through the key/value cache.
MASK_VALUE = float(np.finfo(np.float32).min)

Dim = int | str | None
Value = str  # the name of a tensor in the graph


class GraphBuilder:
    """Accumulate the nodes, initializers, inputs and outputs of one ONNX graph.

    Every block method takes and returns tensor names, so model code reads like the
    forward pass it mirrors. Names come from the current scope and a counter, so the
    same build steps always give the same bytes.

    Parameters
    ----------
    name : str
        Graph name stored in the model.
    opset : int
        Default-domain opset version; the blocks below use opset-17 operators.
    """

    def __init__(self, name: str, *, opset: int = OPSET) -> None:
        self.name = name
        self.opset = opset
        # Everything goes straight into one ModelProto: protobuf copies a message whenever
        # it is added to another, and copies of a 500 MB graph add up.
        self._model = onnx.ModelProto()
        self._graph = self._model.graph
        self._graph.name = name
        self._used: set[str] = set()
        self._counters: dict[str, int] = {}
        self._constants: dict[tuple, str] = {}
        self._scope: list[str] = []
        self._domains: dict[str, int] = {"": opset}

    # ---------------------------------------------------------------- naming

    @contextlib.contextmanager
    def scope(self, name: str) -> Iterator[None]:
        """Prefix the names made inside the ``with`` block by ``name/``."""
        self._scope.append(name)
        try:
            yield
        finally:
            self._scope.pop()

    def unique_name(self, base: str) -> str:
        """Return ``scope/base``, suffixed with a counter if the name is taken."""
        full = "/".join([*self._scope, base])
        name = full
        while name in self._used:
            self._counters[full] = self._counters.get(full, 0) + 1
            name = f"{full}_{self._counters[full]}"
        self._used.add(name)
        return name

    def _claim(self, name: str) -> str:
        if name in self._used:
            raise ValueError(f"Tensor name {name!r} is already used in graph {self.name!r}.")
        self._used.add(name)
        return name

    # ------------------------------------------------------- graph interface

    def add_input(self, name: str, dtype: type | np.dtype, shape: Sequence[Dim]) -> Value:
        """Declare a graph input; str dims are symbolic (``"batch_size"``), None unnamed."""
        self._graph.input.append(_value_info(self._claim(name), dtype, shape))
        return name

    def add_output(self, name: str, dtype: type | np.dtype, shape: Sequence[Dim]) -> None:
        """Declare a graph output; the tensor must be produced under exactly this name."""
        self._graph.output.append(_value_info(name, dtype, shape))

    def add_initializer(self, array: np.ndarray, name: str = "weight") -> Value:
        """Store a numpy array as an initializer under a unique name derived from ``name``."""
        name = self.unique_name(name)
        self._graph.initializer.append(numpy_helper.from_array(np.ascontiguousarray(array),
                                                               name))
        return name

    def const(self, value: object, dtype: type | np.dtype = np.int64) -> Value:
        """Return a small constant initializer, shared by every use of the same value."""
        array = np.asarray(value, dtype=dtype)
        key = (array.dtype.str, array.shape, array.tobytes())
        if key not in self._constants:
            name = self.unique_name("const")
            self._graph.initializer.append(numpy_helper.from_array(array, name))
            self._constants[key] = name
        return self._constants[key]

    def node(
        self,
        op_type: str,
        inputs: Sequence[Value],
        *,
        outputs: Sequence[str] | None = None,
        num_outputs: int = 1,
        domain: str = "",
        **attributes: object,
    ) -> Value | list[Value]:
        """Add one node and return its output name (a list when it has several).

        Outputs are auto-named from the scope and ``op_type`` unless ``outputs`` is given;
        use ``""`` in ``inputs`` for an omitted optional input.
        """
        if domain and domain not in self._domains:
            self._domains[domain] = 1
        if outputs is None:
            base = self.unique_name(op_type)
            outputs = [base] if num_outputs == 1 else [
                self._claim(f"{base}:{i}") for i in range(num_outputs)]
        else:
            outputs = [self._claim(name) for name in outputs]
        node_name = self.unique_name(f"{op_type}_node")
        self._graph.node.append(
            helper.make_node(op_type, list(inputs), list(outputs), name=node_name,
                             domain=domain or None, **attributes))
        return outputs[0] if len(outputs) == 1 else list(outputs)

    def build(self, *, producer: str = "glassbox", doc: str = "",
              check: bool = True) -> onnx.ModelProto:
        """Finish (and by default check) the model; nodes keep the order they were added.

        The returned ModelProto is the builder's own, not a copy.
        """
        model = self._model
        model.ir_version = IR_VERSION
        model.producer_name = producer
        if doc:
            self._graph.doc_string = doc
        del model.opset_import[:]
        model.opset_import.extend(helper.make_opsetid(domain, version)
                                  for domain, version in sorted(self._domains.items()))
        if check:
            onnx.checker.check_model(model)
        logger.debug("Built graph %s: %d nodes, %d initializers", self.name,
                     len(self._graph.node), len(self._graph.initializer))
        return model

    def save(self, path: Path, *, producer: str = "glassbox", doc: str = "") -> None:
        """Build, write and check the model as one file (under the 2 GB protobuf limit).

        Written to ``<name>.partial`` and renamed once checked, so an interrupted build
        never leaves a truncated model that looks complete. The check reads the file back
        rather than a second in-memory copy, which matters for models of hundreds of MB.
        """
        partial = path.with_name(path.name + ".partial")
        partial.write_bytes(self.build(producer=producer, doc=doc,
                                       check=False).SerializeToString())
        onnx.checker.check_model(str(partial))
        partial.replace(path)
        logger.info("Wrote %s (%.1f MB)", path, path.stat().st_size / 1e6)

    # ------------------------------------------------------------ shapes

    def reshape(self, x: Value, shape: Sequence[int]) -> Value:
        """Reshape with ONNX rules: 0 copies the input dim, -1 is inferred.

        A -1 is ambiguous when another dim is 0 (e.g. an empty cache), so keep -1 for
        axes that are never empty.
        """
        return self.node("Reshape", [x, self.const(list(shape))])

    def transpose(self, x: Value, perm: Sequence[int]) -> Value:
        """Permute the axes of ``x``."""
        return self.node("Transpose", [x], perm=list(perm))

    def unsqueeze(self, x: Value, axes: Sequence[int]) -> Value:
        """Insert size-1 axes at ``axes``."""
        return self.node("Unsqueeze", [x, self.const(list(axes))])

    def squeeze(self, x: Value, axes: Sequence[int]) -> Value:
        """Remove the size-1 axes ``axes``."""
        return self.node("Squeeze", [x, self.const(list(axes))])

    def concat(self, values: Sequence[Value], axis: int) -> Value:
        """Concatenate along ``axis``."""
        return self.node("Concat", list(values), axis=axis)

    def split(self, x: Value, sizes: Sequence[int], axis: int) -> list[Value]:
        """Split ``x`` into pieces of the given ``sizes`` along ``axis``."""
        return self.node("Split", [x, self.const(list(sizes))], num_outputs=len(sizes),
                         axis=axis)

    def dim(self, x: Value, axis: int) -> Value:
        """Return the size of one axis of ``x`` as an int64 tensor of shape [1]."""
        end = axis + 1 if axis != -1 else None
        attrs = {"start": axis} if end is None else {"start": axis, "end": end}
        return self.node("Shape", [x], **attrs)

    def split_heads(self, x: Value, num_heads: int, head_dim: int) -> Value:
        """[batch, seq, heads*head_dim] -> [batch, heads, seq, head_dim]."""
        x = self.reshape(x, [0, 0, num_heads, head_dim])
        return self.transpose(x, [0, 2, 1, 3])

    def merge_heads(self, x: Value, num_heads: int, head_dim: int) -> Value:
        """[batch, heads, seq, head_dim] -> [batch, seq, heads*head_dim]."""
        x = self.transpose(x, [0, 2, 1, 3])
        return self.reshape(x, [0, 0, num_heads * head_dim])

    # ------------------------------------------------------------ linear

    def matmul(self, x: Value, weight: Value) -> Value:
        """Plain MatMul with numpy broadcasting rules."""
        return self.node("MatMul", [x, weight])

    def linear(self, x: Value, weight: np.ndarray, bias: np.ndarray | None = None,
               *, name: str = "linear", output: str | None = None) -> Value:
        """``x @ weight.T + bias`` for a torch-layout ``weight`` of shape [out, in].

        ``output`` names the result (e.g. a graph output) instead of an automatic name.
        """
        w = self.add_initializer(np.ascontiguousarray(weight.T, np.float32), f"{name}.weight")
        named = {"outputs": [output]} if output else {}
        if bias is None:
            return self.node("MatMul", [x, w], **named)
        b = self.add_initializer(bias.astype(np.float32), f"{name}.bias")
        return self.node("Add", [self.matmul(x, w), b], **named)

    def linear_nbits(self, x: Value, weight: np.ndarray, bias: np.ndarray | None = None,
                     *, name: str = "linear", output: str | None = None, bits: int = 4,
                     block_size: int = 32, accuracy_level: int = 4) -> Value:
        """``x @ weight.T + bias`` as a com.microsoft MatMulNBits node.

        ``weight`` is float [out, in] and is quantized here to ``bits`` (4 or 8) bits,
        asymmetric, one scale and one zero point per ``block_size`` inputs.
        ``accuracy_level`` 4 lets onnxruntime use int8 activations, which is what makes
        4-bit decoding fast on CPU. ``output`` names the result instead of an automatic
        name.
        """
        packed, scales, zero_points = quantize_blockwise(weight, bits, block_size)
        inputs = [x, self.add_initializer(packed, f"{name}.qweight"),
                  self.add_initializer(scales, f"{name}.scales"),
                  self.add_initializer(zero_points, f"{name}.zero_points")]
        if bias is not None:
            inputs += ["", self.add_initializer(bias.astype(np.float32), f"{name}.bias")]
        out_features, in_features = weight.shape
        named = {"outputs": [output]} if output else {}
        return self.node("MatMulNBits", inputs, domain=MS_DOMAIN, **named, K=in_features,
                         N=out_features, bits=bits, block_size=block_size,
                         accuracy_level=accuracy_level)

    def embedding_int8(self, ids: Value, table: np.ndarray, *, block_size: int = 32,
                       name: str = "embedding") -> Value:
        """Look up rows of ``table`` [vocab, dim] stored as int8 blocks with float scales.

        A quarter of the float32 size; rows are dequantized after the Gather, so only the
        looked-up rows are ever expanded. ``ids`` is int64 [batch, seq]; the result is
        float32 [batch, seq, dim].
        """
        vocab, dim = table.shape
        codes, scales = quantize_int8_symmetric(table, block_size)
        rows = self.node("Gather", [self.add_initializer(codes, f"{name}.codes"), ids])
        rows = self.reshape(self.node("Cast", [rows], to=TensorProto.FLOAT),
                            [0, 0, dim // block_size, block_size])
        row_scales = self.node("Gather", [self.add_initializer(
            scales.reshape(vocab, -1, 1), f"{name}.scales"), ids])  # [..., blocks, 1]
        return self.reshape(self.node("Mul", [rows, row_scales]), [0, 0, dim])

    # ------------------------------------------------------- normalization

    def rms_norm(self, x: Value, weight: np.ndarray, eps: float, *, name: str = "norm") -> Value:
        """``x / sqrt(mean(x^2) + eps) * weight`` over the last axis.

        Written as Pow/ReduceMean/Add/Sqrt/Div/Mul because onnxruntime fuses exactly this
        pattern into one SimplifiedLayerNormalization kernel.
        """
        square = self.node("Pow", [x, self.const(2.0, np.float32)])
        mean = self.node("ReduceMean", [square], axes=[-1], keepdims=1)
        std = self.node("Sqrt", [self.node("Add", [mean, self.const(eps, np.float32)])])
        normed = self.node("Div", [x, std])
        w = self.add_initializer(weight.astype(np.float32), f"{name}.weight")
        return self.node("Mul", [normed, w])

    def layer_norm(self, x: Value, weight: np.ndarray, bias: np.ndarray, eps: float,
                   *, name: str = "norm") -> Value:
        """LayerNormalization over the last axis (a standard operator since opset 17)."""
        w = self.add_initializer(weight.astype(np.float32), f"{name}.weight")
        b = self.add_initializer(bias.astype(np.float32), f"{name}.bias")
        return self.node("LayerNormalization", [x, w, b], axis=-1, epsilon=float(eps))

    # ---------------------------------------------------------- activations

    def softmax(self, x: Value, axis: int = -1) -> Value:
        """Softmax along ``axis``."""
        return self.node("Softmax", [x], axis=axis)

    def gelu(self, x: Value, *, approximate: bool = False) -> Value:
        """GELU from opset-17 operators (Gelu itself only arrived in opset 20).

        The exact form ``0.5 * x * (1 + erf(x / sqrt(2)))`` is what onnxruntime fuses into
        its Gelu kernel; ``approximate=True`` gives the tanh form used by GPT-2.
        """
        if approximate:
            cube = self.node("Mul", [self.node("Pow", [x, self.const(3.0, np.float32)]),
                                     self.const(0.044715, np.float32)])
            inner = self.node("Mul", [self.node("Add", [x, cube]),
                                      self.const(np.sqrt(2.0 / np.pi), np.float32)])
            gate = self.node("Tanh", [inner])
        else:
            gate = self.node("Erf", [self.node("Div", [x, self.const(np.sqrt(2.0),
                                                                     np.float32)])])
        one_plus = self.node("Add", [gate, self.const(1.0, np.float32)])
        return self.node("Mul", [self.node("Mul", [x, one_plus]),
                                 self.const(0.5, np.float32)])

    def silu(self, x: Value) -> Value:
        """``x * sigmoid(x)`` (onnxruntime fuses the pair)."""
        return self.node("Mul", [x, self.node("Sigmoid", [x])])

    # ------------------------------------------------------------- rotary

    def rotary_cos_sin(self, position_ids: Value, head_dim: int,
                       theta: float) -> tuple[Value, Value]:
        """Rotary tables for the "rotate_half" convention from int64 ``position_ids``.

        Returns ``cos`` and ``sin`` of shape [batch, 1, seq, head_dim], ready to broadcast
        over [batch, heads, seq, head_dim]. Compute once and share across layers.
        """
        exponents = np.arange(0, head_dim, 2, dtype=np.float64) / head_dim
        inv_freq = (1.0 / theta ** exponents).astype(np.float32)
        freqs = self.const(np.concatenate([inv_freq, inv_freq]), np.float32)
        positions = self.unsqueeze(self.node("Cast", [position_ids], to=TensorProto.FLOAT),
                                   [1, 3])
        angles = self.node("Mul", [positions, freqs])  # [batch, 1, seq, head_dim]
        return self.node("Cos", [angles]), self.node("Sin", [angles])

    def apply_rotary(self, x: Value, cos: Value, sin: Value, head_dim: int) -> Value:
        """``x * cos + rotate_half(x) * sin`` over the last axis of ``x``.

        rotate_half is a fixed signed permutation, so it is one MatMul with a constant
        [head_dim, head_dim] matrix instead of Split, Neg and Concat nodes; with one
        non-zero term per column the product is exact.
        """
        half = head_dim // 2
        rotation = np.zeros((head_dim, head_dim), np.float32)
        rotation[half:, :half] = -np.eye(half, dtype=np.float32)  # out[:half] = -x[half:]
        rotation[:half, half:] = np.eye(half, dtype=np.float32)  # out[half:] = x[:half]
        rotated = self.matmul(x, self.const(rotation, np.float32))
        return self.node("Add", [self.node("Mul", [x, cos]), self.node("Mul", [rotated, sin])])

    # ----------------------------------------------------------- attention

    def attention_bias(self, query_len_of: Value, *, attention_mask: Value | None = None,
                       key_len_of: Value | None = None, causal: bool = True) -> Value:
        """Additive attention bias of shape [batch or 1, 1, query_len, key_len].

        Parameters
        ----------
        query_len_of : str
            Any tensor whose axis 1 is the query length (e.g. ``input_ids``).
        attention_mask : str, optional
            int64 [batch, key_len], 1 for real tokens and 0 for padding; keys are the
            cached tokens followed by the new ones, so the query at row ``i`` sits at key
            position ``key_len - query_len + i``.
        key_len_of : str, optional
            Tensor whose axis 1 is the key length, if there is no ``attention_mask``.
        causal : bool
            Also hide keys after each query.
        """
        if attention_mask is None and key_len_of is None:
            raise ValueError("attention_bias needs attention_mask or key_len_of.")
        key_len = self.dim(attention_mask or key_len_of, 1)
        allowed = self._causal_allowed(self.dim(query_len_of, 1), key_len) if causal else None
        if attention_mask is not None:
            keep = self.node("Cast", [attention_mask], to=TensorProto.BOOL)
            keep = self.unsqueeze(keep, [1, 2])  # [batch, 1, 1, key_len]
            allowed = keep if allowed is None else self.node("And", [allowed, keep])
        if allowed is None:
            raise ValueError("attention_bias with causal=False needs an attention_mask.")
        return self.node("Where", [allowed, self.const(0.0, np.float32),
                                   self.const(MASK_VALUE, np.float32)])

    def _causal_allowed(self, query_len: Value, key_len: Value) -> Value:
        """Bool [query_len, key_len]: key j is visible to query i when j <= past + i."""
        zero, one = self.const(0), self.const(1)
        q_len, k_len = self.squeeze(query_len, [0]), self.squeeze(key_len, [0])
        past = self.node("Sub", [k_len, q_len])
        query_pos = self.unsqueeze(self.node("Range", [past, k_len, one]), [1])
        key_pos = self.unsqueeze(self.node("Range", [zero, k_len, one]), [0])
        return self.node("LessOrEqual", [key_pos, query_pos])

    def attention(self, q: Value, k: Value, v: Value, *, num_heads: int, num_kv_heads: int,
                  head_dim: int, scale: float | None = None, bias: Value | None = None,
                  past: tuple[Value, Value] | None = None,
                  present_names: tuple[str, str] | None = None) -> tuple[Value, Value, Value]:
        """Scaled dot-product attention with grouped key/value heads and an optional cache.

        Parameters
        ----------
        q : str
            Queries [batch, num_heads, seq, head_dim].
        k, v : str
            New keys and values [batch, num_kv_heads, seq, head_dim].
        scale : float, optional
            Score scale; default ``1 / sqrt(head_dim)``. Pass 1.0 when it is already
            folded into the query weights (saves a node per layer).
        bias : str, optional
            Additive bias broadcastable to [batch, num_heads, seq, key_len], e.g. from
            :meth:`attention_bias`.
        past : (str, str), optional
            Cached keys and values [batch, num_kv_heads, past_seq, head_dim]; the new
            ones are appended along axis 2. past_seq may be 0.
        present_names : (str, str), optional
            Names for the concatenated keys and values (graph outputs).

        Returns
        -------
        (context, keys, values)
            ``context`` is [batch, num_heads, seq, head_dim]; ``keys`` and ``values`` are
            the full [batch, num_kv_heads, key_len, head_dim] tensors attended over.
        """
        if past is not None:
            k = self.node("Concat", [past[0], k], axis=2,
                          outputs=[present_names[0]] if present_names else None)
            v = self.node("Concat", [past[1], v], axis=2,
                          outputs=[present_names[1]] if present_names else None)
        scale = 1.0 / np.sqrt(head_dim) if scale is None else scale
        if scale != 1.0:
            q = self.node("Mul", [q, self.const(scale, np.float32)])

        # Grouped-query attention without copying keys: stack the query heads that share a
        # key/value head along the sequence axis, [b, kv, group*seq, d].
        grouped = num_heads != num_kv_heads
        if grouped:
            q = self.reshape(q, [0, num_kv_heads, -1, head_dim])
        scores = self.matmul(q, self.transpose(k, [0, 1, 3, 2]))
        if grouped:
            scores = self.reshape(scores, [0, num_heads, -1, 0])  # [b, heads, seq, key_len]
        if bias is not None:
            scores = self.node("Add", [scores, bias])
        probs = self.softmax(scores)
        if grouped:
            probs = self.reshape(probs, [0, num_kv_heads, -1, 0])
        context = self.matmul(probs, v)
        if grouped:
            context = self.reshape(context, [0, num_heads, -1, head_dim])
        return context, k, v


# ---------------------------------------------------------------- quantizers


def quantize_blockwise(weight: np.ndarray, bits: int = 4,
                       block_size: int = 32) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Asymmetric block quantization in the MatMulNBits layout (4 or 8 bits).

    Parameters
    ----------
    weight : np.ndarray
        Float [out, in]; ``in`` must be a multiple of ``block_size``.
    bits : int
        4 or 8.
    block_size : int
        Inputs sharing one scale and zero point (a power of two, at least 16).

    Returns
    -------
    packed : uint8 [out, in / block_size, block_size * bits / 8]
        Codes; at 4 bits two per byte, the even input index in the low nibble.
    scales : float32 [out, in / block_size]
    zero_points : uint8 [out, ceil(in / block_size * bits / 8)]
        Packed like the codes.
    """
    if bits not in (4, 8):
        raise ValueError(f"MatMulNBits weights here are 4 or 8 bits, not {bits}.")
    rows, cols = weight.shape
    if cols % block_size:
        raise ValueError(f"Input size {cols} is not a multiple of block size {block_size}.")
    blocks = weight.astype(np.float32).reshape(rows, cols // block_size, block_size)
    top = float(2**bits - 1)

    # Widen each block's range to include 0 so that 0 stays exactly representable.
    low = np.minimum(blocks.min(axis=-1), 0.0)
    high = np.maximum(blocks.max(axis=-1), 0.0)
    scales = ((high - low) / top).astype(np.float32)
    safe = np.where(scales == 0.0, 1.0, scales).astype(np.float32)
    zero_points = np.clip(np.round(-low / safe), 0, top).astype(np.uint8)
    codes = np.round(blocks / safe[..., None]) + zero_points[..., None]
    codes = np.clip(codes, 0, top).astype(np.uint8)
    if bits == 8:
        return codes, scales, zero_points
    # Pad odd block counts with 8, the unused-slot value onnxruntime's own quantizer writes.
    return _pack_nibbles(codes), scales, _pack_nibbles(zero_points, pad=8)


def dequantize_blockwise(packed: np.ndarray, scales: np.ndarray, zero_points: np.ndarray,
                         bits: int = 4) -> np.ndarray:
    """Inverse of :func:`quantize_blockwise`: float32 [out, in]."""
    rows, num_blocks = scales.shape
    if bits == 4:
        packed, zero_points = _unpack_nibbles(packed), _unpack_nibbles(zero_points)
    zeros = zero_points[:, :num_blocks].astype(np.float32)
    values = (packed.astype(np.float32) - zeros[..., None]) * scales[..., None]
    return values.reshape(rows, -1)


def quantize_int8_symmetric(weight: np.ndarray,
                            block_size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 block quantization along rows: codes [out, in], scales [out, blocks].

    Meant for embedding tables read with Gather, where the per-row blocks are
    dequantized in-graph after the lookup.
    """
    rows, cols = weight.shape
    if cols % block_size:
        raise ValueError(f"Row size {cols} is not a multiple of block size {block_size}.")
    blocks = weight.astype(np.float32).reshape(rows, cols // block_size, block_size)
    scales = (np.abs(blocks).max(axis=-1) / 127.0).astype(np.float32)
    safe = np.where(scales == 0.0, 1.0, scales).astype(np.float32)
    codes = np.clip(np.round(blocks / safe[..., None]), -127, 127).astype(np.int8)
    return codes.reshape(rows, cols), scales


def _pack_nibbles(codes: np.ndarray, pad: int = 0) -> np.ndarray:
    """Pack uint8 values < 16 pairwise along the last axis (padded to even length)."""
    if codes.shape[-1] % 2:
        codes = np.concatenate([codes, np.full_like(codes[..., :1], pad)], axis=-1)
    return (codes[..., 0::2] | (codes[..., 1::2] << 4)).astype(np.uint8)


def _unpack_nibbles(packed: np.ndarray) -> np.ndarray:
    """Inverse of :func:`_pack_nibbles` (keeps any padding nibble)."""
    low, high = packed & 0x0F, packed >> 4
    return np.stack([low, high], axis=-1).reshape(*packed.shape[:-1], -1)


def _value_info(name: str, dtype: type | np.dtype, shape: Sequence[Dim]) -> onnx.ValueInfoProto:
    elem_type = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    return helper.make_tensor_value_info(name, elem_type, list(shape))
