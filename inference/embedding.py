"""Sentence embeddings with all-MiniLM-L6-v2 in onnxruntime: batched, mean-pooled, L2-normed."""

import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from inference.errors import InvalidSettingError, ModelUnavailableError

log = logging.getLogger(__name__)

MODEL_NAME = "all-minilm-l6-v2"
DEFAULT_MAX_TOKENS = 256

_cache: dict[str, "Embedder"] = {}
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class EmbeddingOptions:
    """How texts are batched; sorting by length keeps padding (wasted work) small."""

    batch_size: int = 32
    threads: int = 0  # 0: every core
    sort_by_length: bool = True


@dataclass
class Embeddings:
    """Unit vectors [n, dimensions] (float32), with each text's token count."""

    vectors: np.ndarray
    token_counts: list[int]
    truncated: list[int] = field(default_factory=list)  # indices of texts cut to max_tokens


class Embedder:
    """Turns texts into 384-d unit vectors; cosine similarity is then a dot product."""

    def __init__(self, folder: Path, *, options: EmbeddingOptions | None = None) -> None:
        from tokenizers import Tokenizer

        from inference.onnx_session import open_session

        self.options = options or EmbeddingOptions()
        self.folder = Path(folder)
        config = json.loads((self.folder / "config.json").read_text())
        self.dimensions = int(config["dimensions"])
        self.max_tokens = int(config.get("max_tokens", DEFAULT_MAX_TOKENS))
        self.tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        self.session = open_session(self.folder / "model.onnx", threads=self.options.threads,
                                    what="sentence-embedding model")

    def count_tokens(self, text: str) -> int:
        """Word pieces the model sees for text, including [CLS] and [SEP]."""
        return len(self.tokenizer.encode(text).ids)

    def count_tokens_batch(self, texts: list[str]) -> list[int]:
        """count_tokens for many texts at once (the tokenizer runs them in parallel)."""
        return [len(encoding.ids) for encoding in self.tokenizer.encode_batch(texts)]

    def content_token_counts(self, texts: list[str]) -> list[int]:
        """Word pieces of each text without [CLS] and [SEP] (what the chunker adds up)."""
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [len(encoding.ids) for encoding in encodings]

    def token_starts(self, text: str) -> list[tuple[int, bool]]:
        """Each word piece's start offset in text and whether it begins a word."""
        encoding = self.tokenizer.encode(text, add_special_tokens=False)
        words = encoding.word_ids
        return [(offset[0], i == 0 or words[i] != words[i - 1])
                for i, offset in enumerate(encoding.offsets)]

    def embed(self, texts: list[str]) -> Embeddings:
        """Embed texts; a text longer than max_tokens is cut and its index reported."""
        if not texts:
            return Embeddings(np.zeros((0, self.dimensions), np.float32), [])
        encodings = self.tokenizer.encode_batch(list(texts))
        counts = [len(encoding.ids) for encoding in encodings]
        truncated = [i for i, count in enumerate(counts) if count > self.max_tokens]
        if truncated:
            log.warning("%d text(s) exceed %d tokens and were cut for embedding",
                        len(truncated), self.max_tokens)

        order = np.argsort(counts, kind="stable") if self.options.sort_by_length else \
            np.arange(len(texts))
        vectors = np.zeros((len(texts), self.dimensions), np.float32)
        size = self.options.batch_size
        for start in range(0, len(order), size):
            batch = order[start:start + size]
            vectors[batch] = self._embed_batch([encodings[i].ids for i in batch])
        return Embeddings(vectors, counts, truncated)

    def embed_one(self, text: str) -> np.ndarray:
        """One text's unit vector [dimensions]."""
        return self.embed([text]).vectors[0]

    def _embed_batch(self, id_lists: list[list[int]]) -> np.ndarray:
        ids, mask = self._pad(id_lists)
        hidden = self.session.run(["last_hidden_state"],
                                  {"input_ids": ids, "attention_mask": mask})[0]
        return mean_pool_normalize(hidden, mask)

    def _pad(self, id_lists: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        cut = [ids if len(ids) <= self.max_tokens else ids[:self.max_tokens - 1] + ids[-1:]
               for ids in id_lists]  # keep the closing [SEP] when cutting
        width = max(len(ids) for ids in cut)
        ids = np.zeros((len(cut), width), np.int64)
        mask = np.zeros((len(cut), width), np.int64)
        for row, token_ids in enumerate(cut):
            ids[row, :len(token_ids)] = token_ids
            mask[row, :len(token_ids)] = 1
        return ids, mask


def mean_pool_normalize(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Average token vectors over the attention mask, then scale each to unit length.

    hidden: [batch, seq, dim]; mask: [batch, seq] of 0/1. Returns [batch, dim] float32.
    """
    weights = mask[..., None].astype(np.float32)
    summed = (hidden * weights).sum(axis=1)
    counts = np.clip(weights.sum(axis=1), 1e-9, None)
    means = summed / counts
    norms = np.clip(np.linalg.norm(means, axis=1, keepdims=True), 1e-12, None)
    return (means / norms).astype(np.float32)


def load_embedder(*, options: EmbeddingOptions | None = None) -> Embedder:
    """The provisioned MiniLM embedder, loaded once per process and shared."""
    from inference.manifest import require_model

    with _cache_lock:
        if MODEL_NAME not in _cache:
            folder = require_model(MODEL_NAME).folder
            log.info("Loading the embedding model from %s", folder)
            try:
                _cache[MODEL_NAME] = Embedder(folder, options=options)
            except Exception as error:  # onnxruntime raises its own untyped errors
                raise ModelUnavailableError(
                    f"The embedding model in {folder} could not be loaded ({error}); rebuild "
                    f"it with: glassbox setup-models --only {MODEL_NAME}") from error
        return _cache[MODEL_NAME]


def check_batch_size(value: int) -> int:
    """Validate a batch size setting."""
    if not 1 <= value <= 1024:
        raise InvalidSettingError(f"Embedding batch size {value} is outside 1-1024; "
                                  "use 32 unless memory is short.")
    return value
