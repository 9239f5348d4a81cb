"""Transcript export: plain text, SubRip (SRT) and WebVTT."""

from pathlib import Path

from inference.errors import InputFileError

FORMATS = ("txt", "srt", "vtt")


def _stamp(seconds: float, separator: str) -> str:
    millis = int(round(max(seconds, 0.0) * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def to_txt(segments: list[dict]) -> str:
    return "\n".join(segment["text"].strip() for segment in segments) + "\n"


def to_srt(segments: list[dict]) -> str:
    """Numbered cues with HH:MM:SS,mmm times, separated by blank lines."""
    cues = []
    for number, segment in enumerate(segments, start=1):
        cues.append(f"{number}\n{_stamp(segment['start'], ',')} --> "
                    f"{_stamp(segment['end'], ',')}\n{segment['text'].strip()}\n")
    return "\n".join(cues)


def to_vtt(segments: list[dict]) -> str:
    """A WEBVTT header, then cues with HH:MM:SS.mmm times."""
    cues = [f"{_stamp(s['start'], '.')} --> {_stamp(s['end'], '.')}\n{s['text'].strip()}\n"
            for s in segments]
    return "WEBVTT\n\n" + "\n".join(cues)


def export_transcript(segments: list[dict], path: str | Path, fmt: str | None = None) -> Path:
    """Write segments ({start, end, text}) as TXT, SRT or VTT, chosen by fmt or the suffix."""
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise InputFileError(f"Cannot export a transcript as '{fmt}' ({path.name}); use a "
                             ".txt, .srt or .vtt file name.")
    if not path.parent.exists():
        raise InputFileError(f"Folder {path.parent} does not exist; choose another place to "
                             "save the transcript.")
    writer = {"txt": to_txt, "srt": to_srt, "vtt": to_vtt}[fmt]
    path.write_text(writer(segments), encoding="utf-8")
    return path
