"""Opens onnxruntime sessions one way everywhere: CPU, a thread count, spinning, clear errors."""

import os
from pathlib import Path

import onnxruntime as ort

from inference.errors import ModelUnavailableError


def available_cores() -> int:
    """The cores this process may run on (fewer than the machine has under a CPU quota)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def open_session(path: Path, *, threads: int | None = None, spin: bool = False,
                 what: str = "model") -> ort.InferenceSession:
    """A CPU session of the ONNX file at path, or ModelUnavailableError saying what to do.

    threads: intra-op threads (default: every available core).
    spin: let idle worker threads spin, waiting for the next operator, instead of sleeping.
        On a quiet 2-core machine that makes the language model's many small decode steps
        about 25% faster; when other work needs the cores it makes them up to several times
        slower (Whisper's decoder was 5x slower on a busy machine), so it is off by default.
    """
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or available_cores()
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "1" if spin else "0")
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises several unrelated types for bad files
        reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise ModelUnavailableError(
            f"Could not load the {what} {path}: {reason}. The file may be missing or corrupt; "
            "rebuild it with `glassbox setup-models`, or replace it.") from error
