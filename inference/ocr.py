"""Offline OCR for scanned pages: PP-OCRv4 text detection and recognition in onnxruntime."""

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inference.errors import ModelUnavailableError

log = logging.getLogger(__name__)

MODEL_NAME = "ppocr-v4"
DET_THRESHOLD = 0.3  # pixel probability that counts as text
BOX_THRESHOLD = 0.5  # mean probability a detected region needs
UNCLIP_RATIO = 1.6  # the detector predicts shrunk regions: grow them back by area/perimeter
MIN_SIDE, MAX_SIDE = 736, 2000
LINE_HEIGHT = 48  # the recognizer's input height
MIN_TEXT_SCORE = 0.5

_cache: dict[str, "OcrEngine"] = {}
_lock = threading.Lock()


@dataclass
class TextLine:
    """One recognized line: its box in image pixels (x0, y0, x1, y1), text and confidence."""

    box: tuple[int, int, int, int]
    text: str
    score: float


class OcrEngine:
    """Finds text lines in an image (DB detector) and reads each one (CTC recognizer)."""

    def __init__(self, folder: Path) -> None:
        from inference.onnx_session import open_session

        self.detector = open_session(folder / "det.onnx", what="OCR text detector")
        self.recognizer = open_session(folder / "rec.onnx", what="OCR text recognizer")
        # The character list travels inside the recognizer; index 0 is the CTC blank and the
        # index after the list is a space.
        characters = self.recognizer.get_modelmeta().custom_metadata_map["character"]
        self.characters = characters.splitlines() + [" "]

    def read(self, image: np.ndarray) -> list[TextLine]:
        """Text lines of an RGB uint8 image [height, width, 3], in reading order."""
        lines = []
        for box in self.detect(image):
            x0, y0, x1, y1 = box
            text, score = self.recognize(image[y0:y1, x0:x1])
            if text.strip() and score >= MIN_TEXT_SCORE:
                lines.append(TextLine(box, text.strip(), score))
        return lines

    def read_text(self, image: np.ndarray) -> str:
        """The image's text, one line per detected line."""
        return "\n".join(line.text for line in self.read(image))

    # --------------------------------------------------------------- detection

    def detect(self, image: np.ndarray) -> list[tuple[int, int, int, int]]:
        """Boxes of text regions, sorted top to bottom, then left to right."""
        from scipy import ndimage

        height, width = image.shape[:2]
        resized, scale_y, scale_x = _resize_for_detection(image)
        probability = self.detector.run(None, {"x": _normalize(resized)})[0][0, 0]
        mask = ndimage.binary_dilation(probability > DET_THRESHOLD, np.ones((2, 2), bool))
        labels, _ = ndimage.label(mask)

        boxes = []
        for number, region in enumerate(ndimage.find_objects(labels), start=1):
            box = self._region_box(probability, labels, number, region)
            if box is not None:
                x0, y0, x1, y1 = box
                boxes.append((max(0, int(x0 / scale_x)), max(0, int(y0 / scale_y)),
                              min(width, int(np.ceil(x1 / scale_x))),
                              min(height, int(np.ceil(y1 / scale_y)))))
        return _reading_order(boxes)

    @staticmethod
    def _region_box(probability, labels, number, region):
        rows, columns = region
        box_height, box_width = rows.stop - rows.start, columns.stop - columns.start
        if min(box_height, box_width) < 3:
            return None
        inside = labels[region] == number
        if probability[region][inside].mean() < BOX_THRESHOLD:
            return None
        grow = box_height * box_width * UNCLIP_RATIO / (2 * (box_height + box_width))
        return (columns.start - grow, rows.start - grow, columns.stop + grow, rows.stop + grow)

    # ------------------------------------------------------------- recognition

    def recognize(self, crop: np.ndarray) -> tuple[str, float]:
        """The text in one line image and its mean character confidence."""
        from PIL import Image

        height, width = crop.shape[:2]
        if height < 2 or width < 2:
            return "", 0.0
        target_width = max(LINE_HEIGHT, int(np.ceil(LINE_HEIGHT * width / height)))
        line = np.asarray(Image.fromarray(crop).resize((target_width, LINE_HEIGHT),
                                                       Image.Resampling.BILINEAR))
        probabilities = self.recognizer.run(None, {"x": _normalize(line)})[0][0]
        return self._ctc_decode(probabilities)

    def _ctc_decode(self, probabilities: np.ndarray) -> tuple[str, float]:
        best = probabilities.argmax(axis=1)
        keep = (best != 0) & np.concatenate([[True], best[1:] != best[:-1]])
        indices = best[keep]
        if len(indices) == 0:
            return "", 0.0
        text = "".join(self.characters[i - 1] for i in indices if i - 1 < len(self.characters))
        score = float(probabilities[keep].max(axis=1).mean())
        return text, score


def _normalize(image: np.ndarray) -> np.ndarray:
    """RGB uint8 [h, w, 3] -> BGR float [1, 3, h, w] in -1..1, as the models were trained."""
    bgr = image[..., ::-1].astype(np.float32)
    return ((bgr / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)[None]


def _resize_for_detection(image: np.ndarray) -> tuple[np.ndarray, float, float]:
    from PIL import Image

    height, width = image.shape[:2]
    scale = 1.0
    if min(height, width) < MIN_SIDE:
        scale = MIN_SIDE / min(height, width)
    if max(height, width) * scale > MAX_SIDE:
        scale = MAX_SIDE / max(height, width)
    # The detector downsamples by 32: both sides must be multiples of it.
    new_height = max(32, int(round(height * scale / 32)) * 32)
    new_width = max(32, int(round(width * scale / 32)) * 32)
    resized = np.asarray(Image.fromarray(image).resize((new_width, new_height),
                                                       Image.Resampling.BILINEAR))
    return resized, new_height / height, new_width / width


def _reading_order(boxes: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Top to bottom; boxes whose vertical centres are within half a line are one row."""
    ordered = sorted(boxes, key=lambda b: (b[1] + b[3]) / 2)
    rows: list[list[tuple[int, int, int, int]]] = []
    for box in ordered:
        centre, half = (box[1] + box[3]) / 2, (box[3] - box[1]) / 2
        if rows and abs(centre - (rows[-1][0][1] + rows[-1][0][3]) / 2) < half:
            rows[-1].append(box)
        else:
            rows.append([box])
    return [box for row in rows for box in sorted(row)]


def load_ocr() -> OcrEngine:
    """The provisioned OCR models, loaded once per process."""
    from inference.manifest import require_model

    with _lock:
        if MODEL_NAME not in _cache:
            folder = require_model(MODEL_NAME).folder
            try:
                _cache[MODEL_NAME] = OcrEngine(folder)
            except Exception as error:  # onnxruntime raises its own untyped errors
                raise ModelUnavailableError(
                    f"The OCR models in {folder} could not be loaded ({error}); rebuild them "
                    f"with: glassbox setup-models --only {MODEL_NAME}") from error
        return _cache[MODEL_NAME]
