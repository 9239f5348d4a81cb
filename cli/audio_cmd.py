"""`glassbox transcribe`, `speak` and `audio`: the audio lab on the command line."""

import sys
from pathlib import Path

from cli.app import print_json
from inference.errors import InvalidSettingError
from inference.tts import MAX_SEED


def register(subparsers) -> None:
    transcribe = subparsers.add_parser(
        "transcribe", help="speech to text with Whisper (offline)",
        description="Transcribe an audio file (WAV, FLAC, OGG, MP3; any rate or channels). "
                    "Speech is found first with voice activity detection; with none, the "
                    "result says no_speech and the text is empty.")
    transcribe.add_argument("file", help="audio file to transcribe")
    transcribe.add_argument("--model", default=None,
                            help="speech-recognition model name (see `glassbox models`)")
    transcribe.add_argument("--srt", metavar="OUT", help="also write subtitles to this .srt file")
    transcribe.add_argument("--vtt", metavar="OUT", help="also write WebVTT to this .vtt file")
    transcribe.add_argument("--language", default="en", metavar="CODE",
                            help="spoken language as a Whisper code such as en, de, fr "
                                 "(default en; English-only .en models take only en)")
    transcribe.add_argument("--json", action="store_true", help="print JSON")
    transcribe.set_defaults(handler=run_transcribe)

    speak = subparsers.add_parser("speak", help="text to speech with the bundled voice",
                                  description="Speak text with the hibari voice into a WAV file "
                                              "(24 kHz, mono).")
    speak.add_argument("--text", required=True, help="what to say ('-' reads standard input)")
    speak.add_argument("--out", required=True, metavar="FILE.wav", help="WAV file to write")
    speak.add_argument("--speed", type=float, default=1.0,
                       help="0.5 (slow) to 2.0 (fast); default 1.0")
    speak.add_argument("--seed", type=int, default=0,
                       help=f"seed of the voice's noise part, 0 to {MAX_SEED} (default 0)")
    speak.add_argument("--json", action="store_true", help="print JSON")
    speak.set_defaults(handler=run_speak)

    audio = subparsers.add_parser(
        "audio", help="audio statistics and preprocessing",
        description="Print a file's statistics, apply the chosen preprocessing steps and print "
                    "the statistics after them (and write the result with --out).")
    audio.add_argument("file", help="audio file")
    audio.add_argument("--mono", action="store_true", help="mix channels to mono")
    audio.add_argument("--resample", type=int, metavar="HZ", default=None,
                       help="new sample rate, 1000-384000 Hz (e.g. 16000 for speech models); "
                            "leave it out to keep the rate")
    audio.add_argument("--normalize", choices=["peak", "rms"], help="peak or loudness (RMS)")
    audio.add_argument("--target-dbfs", type=float, default=None,
                       help="normalization target, -60 to 0 (default -1 for peak, -20 for "
                            "rms); needs --normalize")
    audio.add_argument("--trim", action="store_true", help="trim silence at both ends")
    audio.add_argument("--trim-mode", choices=["energy", "vad"], default=None,
                       help="how silence is found when trimming (default energy); needs --trim")
    audio.add_argument("--max-pause", type=float, default=0.0, metavar="S",
                       help="shorten inner pauses longer than S seconds to S; 0 (the default) "
                            "is off")
    audio.add_argument("--gate", type=float, default=None, metavar="DBFS",
                       help="noise gate: mute frames quieter than DBFS, -120 to 0 (e.g. -50)")
    audio.add_argument("--speech", action="store_true",
                       help="also list speech segments (voice activity detection)")
    audio.add_argument("--out", metavar="FILE.wav", help="write the processed audio")
    audio.add_argument("--json", action="store_true", help="print JSON")
    audio.set_defaults(handler=run_audio)


def run_transcribe(args) -> int:
    from inference.whisper import DEFAULT_MODEL, LANGUAGES, TranscribeOptions
    from pipelines.audio.export import export_transcript
    from pipelines.audio.transcription import TranscriptionOptions, transcribe_file

    language = args.language.strip().lower()
    _check(language in LANGUAGES, f"--language '{args.language}' is not a Whisper language "
                                  "code; use one such as en, de, fr, es or zh.")
    options = TranscriptionOptions(model=args.model or DEFAULT_MODEL,
                                   decoding=TranscribeOptions(language=language))
    _check_output(args.srt, ".srt")
    _check_output(args.vtt, ".vtt")
    transcript = transcribe_file(args.file, options)
    data = transcript.as_dict()
    for path, fmt in ((args.srt, "srt"), (args.vtt, "vtt")):
        if path:
            export_transcript(data["segments"], path, fmt)
    if args.json:
        print_json(data)
    else:
        _print_transcript(data)
    return 0


def _check(ok: bool, message: str) -> None:
    """Command-line values are checked here so the message names the option as typed."""
    if not ok:
        raise InvalidSettingError(message)


def _check_output(path: str | None, suffix: str) -> None:
    if path and Path(path).suffix.lower() != suffix:
        raise InvalidSettingError(f"Output file {path} should end in {suffix}.")


def _print_transcript(data: dict) -> None:
    if data["no_speech"]:
        print("no speech detected")
    for segment in data["segments"]:
        print(f"[{segment['start']:7.2f} - {segment['end']:7.2f}] {segment['text']}")
    print(f"duration {data['duration']:.2f} s, real-time factor {data['real_time_factor']:.3f}, "
          f"model {data['model']}", file=sys.stderr)


def run_speak(args) -> int:
    from inference.tts import SpeechOptions
    from pipelines.audio.speech import speak_to_file

    _check(0.5 <= args.speed <= 2.0, "--speed must be between 0.5 (slow) and 2.0 (fast); "
                                     f"got {args.speed:g}.")
    _check(0 <= args.seed <= MAX_SEED, f"--seed must be a whole number from 0 to {MAX_SEED}; "
                                       f"got {args.seed}.")
    text = sys.stdin.read() if args.text == "-" else args.text
    clip = speak_to_file(text, args.out, SpeechOptions(speed=args.speed, seed=args.seed))
    data = {"out": str(args.out), "duration": round(clip.duration_s, 3),
            "sample_rate": clip.sample_rate_hz}
    if args.json:
        print_json(data)
    else:
        print(f"wrote {args.out} ({clip.duration_s:.2f} s, {clip.sample_rate_hz} Hz)")
    return 0


def run_audio(args) -> int:
    from pipelines.audio.files import load_audio, save_wav
    from pipelines.audio.preprocess import PreprocessOptions, preprocess
    from pipelines.audio.stats import compute_stats

    options = _preprocess_options(args, PreprocessOptions)
    clip = load_audio(args.file)
    before = compute_stats(clip, speech=args.speech)
    result = preprocess(clip, options)
    after = compute_stats(result.clip, speech=args.speech)
    if args.out:
        save_wav(args.out, result.clip)
    data = {"file": str(args.file), "before": before.as_dict(), "after": after.as_dict(),
            "steps": result.notes, "out": args.out}
    if args.json:
        print_json(data)
    else:
        _print_stats(data)
    return 0


def _check_audio_args(args) -> None:
    _check(args.resample is None or 1000 <= args.resample <= 384000,
           f"--resample must be 1000-384000 Hz (e.g. 16000 for speech models); got "
           f"{args.resample}. Leave it out to keep the sample rate.")
    _check(args.max_pause >= 0, "--max-pause must be 0 (off) or more seconds; got "
                                f"{args.max_pause:g}.")
    _check(args.gate is None or -120 <= args.gate <= 0,
           f"--gate must be between -120 and 0 dBFS (e.g. -50); got {args.gate}.")
    _check(args.target_dbfs is None or args.normalize is not None,
           "--target-dbfs needs --normalize peak or --normalize rms.")
    _check(args.target_dbfs is None or -60 <= args.target_dbfs <= 0,
           f"--target-dbfs must be between -60 and 0 dBFS; got {args.target_dbfs}.")
    _check(args.trim_mode is None or args.trim, "--trim-mode needs --trim.")


def _preprocess_options(args, options_class):
    _check_audio_args(args)
    target = args.target_dbfs
    extra = {}
    if args.normalize == "peak" and target is not None:
        extra["target_peak_dbfs"] = target
    if args.normalize == "rms" and target is not None:
        extra["target_rms_dbfs"] = target
    return options_class(mono=args.mono, resample_hz=args.resample or 0,
                         normalize=args.normalize or "none", trim=args.trim,
                         trim_mode=args.trim_mode or "energy", max_pause_s=args.max_pause,
                         gate_dbfs=args.gate, **extra)


def _db(value) -> str:
    return "-inf dBFS (digital silence)" if value is None else f"{value:.1f} dBFS"


def _print_stats(data: dict) -> None:
    for title in ("before", "after"):
        stats = data[title]
        print(f"{title}:")
        print(f"  duration {stats['duration_s']:.3f} s, {stats['sample_rate_hz']} Hz, "
              f"{stats['channels']} channel(s)")
        print(f"  peak {_db(stats['peak_dbfs'])}, RMS {_db(stats['rms_dbfs'])}")
        print(f"  clipped samples {stats['clipped_samples']}, NaN samples "
              f"{stats['nan_samples']}, silence {stats['silence_fraction']:.0%}"
              f"{', SILENT' if stats['silent'] else ''}")
        for segment in stats["speech_segments"]:
            print(f"  speech {segment['start']:.2f}-{segment['end']:.2f} s")
        for note in stats["warnings"]:
            print(f"  note: {note}")
        if title == "before" and data["steps"]:
            print("steps:")
            for step in data["steps"]:
                print(f"  - {step}")
    if data["out"]:
        print(f"wrote {data['out']}")
