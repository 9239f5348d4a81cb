"""Text generation: streams tokens from a decoder model under any decoding strategy."""

import functools
import logging
import threading
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Iterator

import numpy as np

from inference.beam_search import BeamOptions, beam_search
from inference.errors import InvalidSettingError, ModelUnavailableError
from inference.manifest import require_model
from inference.onnx_decoder import DecoderSession, reorder_cache
from inference.sampling import Sampler, SamplingOptions, log_softmax, softmax, top_tokens
from inference.text_tokenizer import StreamingDetokenizer, TextTokenizer

log = logging.getLogger(__name__)

DEFAULT_MODEL = "smollm2-135m-instruct-q4"
STRATEGIES = ("greedy", "sample", "beam")
DEFAULT_CONTEXT = 2048


@dataclass(frozen=True)
class GenerationOptions:
    """Everything that decides what a generation produces; see SamplingOptions and BeamOptions.

    strategy: "greedy" (always the most likely token), "sample" (draw from the filtered
        distribution) or "beam" (search several continuations at once).
    max_new_tokens: the most tokens to add; the model's context length caps it too.
    stop: strings that end the text where they first appear (they are not included).
    top_probs: how many alternatives to report for each step.
    """

    strategy: str = "greedy"
    max_new_tokens: int = 64
    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    min_p: float = 0.0
    typical_p: float = 1.0
    repetition_penalty: float = 1.0
    seed: int | None = None
    num_beams: int = 4
    length_penalty: float = 1.0
    early_stopping: bool = True
    stop: tuple[str, ...] = ()
    top_probs: int = 10

    def __post_init__(self):
        if self.strategy not in STRATEGIES:
            raise InvalidSettingError(f"strategy must be one of {', '.join(STRATEGIES)}; "
                                      f"got {self.strategy!r}.")
        if not 1 <= self.max_new_tokens <= 100_000:
            raise InvalidSettingError("max_new_tokens must be between 1 and 100000; "
                                      f"got {self.max_new_tokens}.")
        if not 0 <= self.top_probs <= 1000:
            raise InvalidSettingError(f"top_probs must be between 0 and 1000; "
                                      f"got {self.top_probs}.")
        # Validate every setting now, whatever the strategy, not mid-generation.
        self._sampling_as_given()
        self.beams()

    def sampling(self) -> SamplingOptions:
        if self.strategy == "greedy":
            return SamplingOptions(temperature=0.0, repetition_penalty=self.repetition_penalty)
        return self._sampling_as_given()

    def _sampling_as_given(self) -> SamplingOptions:
        # The sampling fields are mirrored here under the same names, so they carry over.
        return SamplingOptions(**{f.name: getattr(self, f.name) for f in fields(SamplingOptions)})

    def beams(self) -> BeamOptions:
        return BeamOptions(num_beams=self.num_beams, length_penalty=self.length_penalty,
                           early_stopping=self.early_stopping, n_best=self.num_beams)


@dataclass
class TokenChoice:
    """One generated token: its id, its text, its probability and the alternatives."""

    token_id: int
    text: str
    prob: float
    alternatives: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class GenerationResult:
    text: str
    tokens: list[TokenChoice]
    next_token_top: list[tuple[str, float]]
    prompt_tokens: int
    prefill_s: float
    decode_s: float
    stop_reason: str
    model: str
    beams: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def tokens_per_second(self) -> float:
        return len(self.tokens) / self.decode_s if self.decode_s > 0 else 0.0


@dataclass
class GenerationEvent:
    """What a stream yields: "start" (after the prompt), "token" (each new token, with the
    text it made visible), "text" (text held back until the end), and "done" (the result)."""

    kind: str
    text: str = ""
    token: TokenChoice | None = None
    next_token_top: list[tuple[str, float]] = field(default_factory=list)
    prompt_tokens: int = 0
    result: GenerationResult | None = None

    @property
    def token_id(self) -> int | None:
        return self.token.token_id if self.token else None

    @property
    def prob(self) -> float | None:
        return self.token.prob if self.token else None


class TextGenerator:
    """A loaded language model that generates text under GenerationOptions."""

    def __init__(self, model_path: Path, *, name: str = "", threads: int | None = None):
        self.name = name or model_path.parent.name
        self.decoder = DecoderSession(model_path, threads=threads)
        self.tokenizer = TextTokenizer(model_path.parent)
        config = self.decoder.config
        self.context_length = int(config.get("context_length")
                                  or config.get("max_position_embeddings")
                                  or config.get("n_positions") or DEFAULT_CONTEXT)

    def count_tokens(self, text: str) -> int:
        return self.tokenizer.count(text)

    def prompt_ids(self, prompt: str, *, chat: bool = False) -> list[int]:
        """The token ids the model reads for a prompt (through the chat template if asked)."""
        text = self.tokenizer.apply_chat_template(prompt) if chat else prompt
        ids = self.tokenizer.encode(text)
        if not ids:
            raise InvalidSettingError("The prompt is empty; type some text to continue.")
        if len(ids) >= self.context_length:
            raise InvalidSettingError(
                f"The prompt is {len(ids)} tokens but the model reads at most "
                f"{self.context_length}; shorten it.")
        return ids

    def generate(self, prompt: str, options: GenerationOptions, *, chat: bool = False,
                 cancel: threading.Event | None = None) -> GenerationResult:
        """Run a whole generation and return its result."""
        for event in self.stream(prompt, options, chat=chat, cancel=cancel):
            if event.kind == "done":
                return event.result
        raise AssertionError("stream ended without a done event")

    def stream(self, prompt: str, options: GenerationOptions, *, chat: bool = False,
               cancel: threading.Event | None = None) -> Iterator[GenerationEvent]:
        """Yield a start event, one event per token as it is produced, then a done event."""
        ids = self.prompt_ids(prompt, chat=chat)
        budget = min(options.max_new_tokens, self.context_length - len(ids))
        run = _Run(self, options, ids, budget, cancel or threading.Event())
        if options.strategy == "beam":
            yield from run.beam()
        else:
            yield from run.step_by_step()


class _Run:
    """The state of one generation."""

    def __init__(self, generator: TextGenerator, options: GenerationOptions,
                 prompt_ids: list[int], budget: int, cancel: threading.Event):
        self.generator = generator
        self.decoder = generator.decoder
        self.tokenizer = generator.tokenizer
        self.options = options
        self.prompt_ids = prompt_ids
        self.budget = budget
        self.cancel = cancel
        self.notes: list[str] = []
        if budget < options.max_new_tokens:
            self.notes.append(f"max_new_tokens cut to {budget} by the model's context length.")

    def prefill(self) -> tuple[np.ndarray, list[np.ndarray], float]:
        """Read the prompt in one pass: its last logits, the cache, and the seconds it took."""
        started = time.perf_counter()
        ids = np.array([self.prompt_ids], dtype=np.int64)
        logits, cache = self.decoder.forward(ids, np.ones_like(ids), self.decoder.empty_cache(1))
        return logits, cache, time.perf_counter() - started

    def top(self, probs: np.ndarray) -> list[tuple[str, float]]:
        return [(self.tokenizer.token_text(i), p)
                for i, p in top_tokens(probs, self.options.top_probs)]

    def step_by_step(self) -> Iterator[GenerationEvent]:
        """Greedy and sampling: one token at a time, each shown as soon as it exists."""
        logits, cache, prefill_s = self.prefill()
        first_top = self.top(softmax(logits[0]))
        yield GenerationEvent("start", next_token_top=first_top,
                              prompt_tokens=len(self.prompt_ids))

        sampler = Sampler(self.options.sampling())
        text = _TextAssembler(self.tokenizer, self.options.stop)
        tokens: list[TokenChoice] = []
        generated: list[int] = []
        stop_reason = "max_new_tokens"
        started = time.perf_counter()
        for _ in range(self.budget):
            if self.cancel.is_set():
                stop_reason = "cancelled"
                break
            probs = softmax(logits[0])
            token_id = sampler.next_token(logits[0], self.prompt_ids + generated)
            if token_id in self.tokenizer.eos_ids:
                stop_reason = "end of text"
                break
            generated.append(token_id)
            choice = TokenChoice(token_id, self.tokenizer.token_text(token_id),
                                 float(probs[token_id]), self.top(probs))
            tokens.append(choice)
            shown, stopped = text.push(token_id)
            yield GenerationEvent("token", text=shown, token=choice)
            if stopped:
                stop_reason = "stop sequence"
                break
            if len(generated) < self.budget:
                logits, cache = self._advance(token_id, cache)

        decode_s = time.perf_counter() - started
        tail = text.finish()
        if tail:
            yield GenerationEvent("text", text=tail)
        yield self._done(text.text, tokens, first_top, prefill_s, decode_s, stop_reason)

    def _advance(self, token_id: int, cache: list[np.ndarray]):
        past = cache[0].shape[2]
        ids = np.array([[token_id]], dtype=np.int64)
        return self.decoder.forward(ids, np.ones((1, past + 1), dtype=np.int64), cache)

    def beam(self) -> Iterator[GenerationEvent]:
        """Beam search: the beams run as one batch; the best text is shown when it ends."""
        logits, cache, prefill_s = self.prefill()
        first_top = self.top(softmax(logits[0]))
        yield GenerationEvent("start", next_token_top=first_top,
                              prompt_tokens=len(self.prompt_ids))

        started = time.perf_counter()
        result = beam_search(log_softmax(logits[0]), self._beam_step(cache),
                             options=self.options.beams(), max_new_tokens=self.budget,
                             eos_ids=self.tokenizer.eos_ids,
                             repetition_penalty=self.options.repetition_penalty,
                             prompt_ids=self.prompt_ids, should_stop=self.cancel.is_set)
        decode_s = time.perf_counter() - started
        self.notes += result.notes

        best = result.hypotheses[0]
        tokens, text = yield from self._replay(best.token_ids, best.token_logprobs)
        reason = "cancelled" if self.cancel.is_set() else (
            "end of text" if best.finished else "max_new_tokens")
        done = self._done(text, tokens, first_top, prefill_s, decode_s, reason)
        done.result.beams = [{"text": self.tokenizer.decode(h.token_ids), "score": h.score,
                              "logprob": h.logprob, "finished": h.finished}
                             for h in result.hypotheses]
        yield done

    def _beam_step(self, cache: list[np.ndarray]):
        """The step function beam search calls: the cache follows the surviving beams."""
        state = {"cache": cache}

        def step(tokens: np.ndarray, parents: np.ndarray) -> np.ndarray:
            # The first call picks every beam's row from the prompt's single row.
            grown = reorder_cache(state["cache"], parents)
            mask = np.ones((len(tokens), grown[0].shape[2] + 1), dtype=np.int64)
            step_logits, state["cache"] = self.decoder.forward(tokens[:, None], mask, grown)
            return log_softmax(step_logits)

        return step

    def _replay(self, token_ids: list[int], logprobs: list[float]):
        """Yield the chosen beam's tokens as events; return (tokens, text)."""
        text = _TextAssembler(self.tokenizer, self.options.stop)
        tokens = []
        for token_id, logprob in zip(token_ids, logprobs):
            choice = TokenChoice(token_id, self.tokenizer.token_text(token_id),
                                 float(np.exp(logprob)))
            tokens.append(choice)
            shown, stopped = text.push(token_id)
            yield GenerationEvent("token", text=shown, token=choice)
            if stopped:
                break
        tail = text.finish()
        if tail:
            yield GenerationEvent("text", text=tail)
        return tokens, text.text

    def _done(self, text, tokens, first_top, prefill_s, decode_s, reason) -> GenerationEvent:
        result = GenerationResult(text=text, tokens=tokens, next_token_top=first_top,
                                  prompt_tokens=len(self.prompt_ids), prefill_s=prefill_s,
                                  decode_s=decode_s, stop_reason=reason,
                                  model=self.generator.name, notes=self.notes)
        return GenerationEvent("done", result=result)


class _TextAssembler:
    """Builds the visible text from token ids, ending it at the first stop sequence.

    Text that might be the start of a stop sequence is held back until it is clear, so the
    stop sequence itself never flashes on screen.
    """

    def __init__(self, tokenizer: TextTokenizer, stops: tuple[str, ...]):
        self._detokenizer = StreamingDetokenizer(tokenizer)
        self._stops = [stop for stop in stops if stop]
        self.text = ""
        self._shown = 0
        self._stopped = False

    def push(self, token_id: int) -> tuple[str, bool]:
        """Add a token; return the text now safe to show and whether a stop sequence ended it."""
        self.text += self._detokenizer.push(token_id)
        cut = self._stop_position()
        if cut is not None:
            self.text = self.text[:cut]
            self._stopped = True
            return self._emit(len(self.text)), True
        return self._emit(len(self.text) - self._held_back()), False

    def finish(self) -> str:
        """The rest of the text once generation is over."""
        if not self._stopped:
            self.text += self._detokenizer.flush()
            cut = self._stop_position()
            self.text = self.text if cut is None else self.text[:cut]
            self._stopped = True
        return self._emit(len(self.text))

    def _stop_position(self) -> int | None:
        found = [self.text.find(stop) for stop in self._stops]
        found = [index for index in found if index >= 0]
        return min(found) if found else None

    def _held_back(self) -> int:
        longest = 0
        for stop in self._stops:
            for size in range(len(stop) - 1, longest, -1):
                if self.text.endswith(stop[:size]):
                    longest = size
                    break
        return longest

    def _emit(self, upto: int) -> str:
        upto = max(upto, self._shown)
        new = self.text[self._shown:upto]
        self._shown = upto
        return new


@functools.lru_cache(maxsize=4)
def load_generator(name: str = DEFAULT_MODEL) -> TextGenerator:
    """The named model, loaded once and shared (checked against its build record first)."""
    model = require_model(name)
    if model.kind != "text-generation":
        raise ModelUnavailableError(f"'{name}' is a {model.kind} model, not a language model; "
                                    "choose one listed as text-generation in glassbox models.")
    log.info("Loading language model %s", name)
    return TextGenerator(model.main_file, name=name)
